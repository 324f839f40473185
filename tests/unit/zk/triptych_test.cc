// Membership proof (zk/proof/triptych.h): completeness for every N (the 2^16 case runs only
// from the "slow" registration), random indices and unpadded lengths; every proof field
// tampered; wrong set, context, chain id, message and foreign tags rejected; tag
// determinism and separation; strict decoding; batch verification naming the bad proofs.
#include "zk/proof/triptych.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>
#include <string>
#include <vector>

#include "base/hash.h"

namespace hito::zk::proof::membership {
namespace {

constexpr std::string_view kChain = "hito-test";
constexpr std::string_view kCtx = "ubi/7";

struct Identity {
  Scalar r;
  Point p;
};

Identity NewIdentity() {
  Scalar r = Scalar::Random();
  return {r, Point::MulBase(r)};
}

// A set of `len` random identities; keeps the secrets.
struct TestSet {
  std::vector<Identity> ids;
  std::vector<Point> members;
  PreparedSet prepared;
};

TestSet MakeSet(size_t len) {
  std::vector<Identity> ids;
  std::vector<Point> members;
  for (size_t i = 0; i < len; ++i) {
    ids.push_back(NewIdentity());
    members.push_back(ids.back().p);
  }
  auto prepared = PreparedSet::Create(members);
  HITO_ASSERT(prepared.ok());
  return {std::move(ids), std::move(members), std::move(prepared).value()};
}

uint64_t RandomIndex(size_t len) { return randombytes_uniform(static_cast<uint32_t>(len)); }

ByteView Msg(std::string_view s) { return AsBytes(s); }

Proof MustProve(const TestSet& s, uint64_t l, std::string_view ctx = kCtx,
                std::string_view msg = "to:alice") {
  auto p = Prove(s.prepared, l, s.ids[l].r, kChain, ctx, Msg(msg));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(p).value();
}

void CheckCompleteness(size_t len, size_t expected_m) {
  TestSet s = MakeSet(len);
  ASSERT_EQ(s.prepared.m(), expected_m);
  ASSERT_EQ(s.prepared.padded_size(), size_t{1} << (2 * expected_m));
  for (uint64_t l : {uint64_t{0}, RandomIndex(len), uint64_t{len - 1}}) {
    Proof p = MustProve(s, l);
    Bytes enc = p.Encode();
    EXPECT_EQ(enc.size(), ProofSize(expected_m));
    auto dec = Proof::Decode(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    EXPECT_EQ(dec->Encode(), enc);
    EXPECT_TRUE(Verify(s.prepared, kChain, kCtx, Msg("to:alice"), *dec).ok()) << "l=" << l;
    if (len > 64) break;  // one index is enough for the large sets (time)
  }
}

TEST(TriptychTest, CompletenessSmallSets) {
  CheckCompleteness(1, 2);
  CheckCompleteness(5, 2);
  CheckCompleteness(16, 2);
  CheckCompleteness(17, 3);
  CheckCompleteness(64, 3);
  CheckCompleteness(200, 4);
}

TEST(TriptychTest, CompletenessEveryFullSizeUpTo2To14) {
  for (size_t m = 2; m <= 7; ++m) CheckCompleteness(size_t{1} << (2 * m), m);
}

// N = 65,536: registered separately with the "slow" label (zk_triptych_slow in
// tests/unit/zk/CMakeLists.txt).
TEST(TriptychSlowTest, DISABLED_Completeness2To16) {
  CheckCompleteness(size_t{1} << 16, 8);
  CheckCompleteness((size_t{1} << 14) + 1, 8);
}

TEST(TriptychTest, ProofSizes) {
  EXPECT_EQ(ProofSize(7), 1376u);  // N = 2^14, <= 1.4 KB
  EXPECT_EQ(ProofSize(8), 1536u);  // N = 2^16, <= 1.6 KB
  EXPECT_EQ(kMaxProofSize, 1536u);
}

class TriptychFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_ = new TestSet(MakeSet(13));
    other_ = new TestSet(MakeSet(13));
  }
  static void TearDownTestSuite() {
    delete set_;
    delete other_;
  }
  static TestSet* set_;
  static TestSet* other_;
};
TestSet* TriptychFixture::set_ = nullptr;
TestSet* TriptychFixture::other_ = nullptr;

TEST_F(TriptychFixture, EveryFieldTamperedIsRejected) {
  const Proof good = MustProve(*set_, 6);
  const Bytes enc = good.Encode();
  ASSERT_TRUE(Verify(set_->prepared, kChain, kCtx, Msg("to:alice"), good).ok());
  const size_t chunks = enc.size() / 32;
  for (size_t c = 0; c < chunks; ++c) {
    // Bit flips in the first and the last byte of each 32-byte field.
    for (size_t pos : {c * 32, c * 32 + 31}) {
      for (uint8_t bit : {uint8_t{1}, uint8_t{0x40}}) {
        Bytes bad = enc;
        bad[pos] ^= bit;
        auto dec = Proof::Decode(bad);
        if (!dec.ok()) continue;  // rejected by the decoder
        EXPECT_FALSE(Verify(set_->prepared, kChain, kCtx, Msg("to:alice"), *dec).ok())
            << "field " << c << " byte " << pos;
      }
    }
  }
  // Semantic tampering: valid encodings with other values.
  auto expect_rejected = [&](Proof p, const std::string& what) {
    auto dec = Proof::Decode(p.Encode());
    ASSERT_TRUE(dec.ok()) << what;
    EXPECT_FALSE(Verify(set_->prepared, kChain, kCtx, Msg("to:alice"), *dec).ok()) << what;
  };
  const Point g = Point::Base();
  const Scalar one = Scalar::One();
  {
    Proof p = good;
    p.tag = p.tag + g;
    expect_rejected(p, "J");
  }
  for (Point Proof::*field : {&Proof::a, &Proof::b, &Proof::c, &Proof::d}) {
    Proof p = good;
    p.*field = p.*field + g;
    expect_rejected(p, "A/B/C/D");
  }
  for (size_t j = 0; j < good.m; ++j) {
    Proof p = good;
    p.x[j] = p.x[j] + g;
    expect_rejected(p, "X" + std::to_string(j));
    p = good;
    p.y[j] = p.y[j] + g;
    expect_rejected(p, "Y" + std::to_string(j));
  }
  for (size_t k = 0; k < good.f.size(); ++k) {
    Proof p = good;
    p.f[k] = p.f[k] + one;
    expect_rejected(p, "f" + std::to_string(k));
  }
  for (Scalar Proof::*field : {&Proof::z_a, &Proof::z_c, &Proof::z}) {
    Proof p = good;
    p.*field = p.*field + one;
    expect_rejected(p, "z");
  }
}

TEST_F(TriptychFixture, WrongStatementIsRejected) {
  const Proof p = MustProve(*set_, 3);
  EXPECT_TRUE(Verify(set_->prepared, kChain, kCtx, Msg("to:alice"), p).ok());
  EXPECT_FALSE(Verify(other_->prepared, kChain, kCtx, Msg("to:alice"), p).ok()) << "set";
  EXPECT_FALSE(Verify(set_->prepared, kChain, "ubi/8", Msg("to:alice"), p).ok()) << "context";
  EXPECT_FALSE(Verify(set_->prepared, "hito-other", kCtx, Msg("to:alice"), p).ok()) << "chain";
  EXPECT_FALSE(Verify(set_->prepared, kChain, kCtx, Msg("to:mallory"), p).ok()) << "message";
  EXPECT_FALSE(Verify(set_->prepared, kChain, kCtx, Msg(""), p).ok()) << "empty message";
  // The same members in another order are another set.
  std::vector<Point> swapped = set_->members;
  std::swap(swapped[0], swapped[1]);
  auto reordered = PreparedSet::Create(swapped);
  ASSERT_TRUE(reordered.ok());
  EXPECT_FALSE(Verify(*reordered, kChain, kCtx, Msg("to:alice"), p).ok()) << "order";
  // A prefix of the set pads to the same N but is a different statement.
  auto prefix = PreparedSet::Create(std::span(set_->members).first(12));
  ASSERT_TRUE(prefix.ok());
  EXPECT_FALSE(Verify(*prefix, kChain, kCtx, Msg("to:alice"), p).ok()) << "prefix";
}

TEST_F(TriptychFixture, TagsAreDeterministicPerContextAndSeparateAcrossContexts) {
  const Proof p1 = MustProve(*set_, 4, "ubi/1", "m1");
  const Proof p2 = MustProve(*set_, 4, "ubi/1", "m2");
  const Proof q = MustProve(*set_, 4, "vote/1", "m1");
  const Proof other = MustProve(*set_, 5, "ubi/1", "m1");
  EXPECT_EQ(p1.tag, p2.tag);
  EXPECT_NE(p1.Encode(), p2.Encode());  // fresh randomness
  EXPECT_NE(p1.tag, q.tag);
  EXPECT_NE(p1.tag, other.tag);
  // The tag is r^-1 * U_ctx.
  EXPECT_EQ(p1.tag.Mul(set_->ids[4].r), ContextBase(kChain, "ubi/1"));
  // Neither tag is the member's public key.
  EXPECT_NE(p1.tag, set_->members[4]);
  // A proof carrying a tag from another context does not verify.
  Proof moved = q;
  moved.tag = p1.tag;
  EXPECT_FALSE(Verify(set_->prepared, kChain, "vote/1", Msg("m1"), moved).ok());
  EXPECT_FALSE(Verify(set_->prepared, kChain, "ubi/1", Msg("m1"), moved).ok());
  EXPECT_FALSE(Verify(set_->prepared, kChain, "ubi/1", Msg("m1"), q).ok());
}

TEST_F(TriptychFixture, ProofCannotBeReboundToAnotherMessage) {
  const Proof p = MustProve(*set_, 9, kCtx, "recipient:aaaa");
  EXPECT_TRUE(Verify(set_->prepared, kChain, kCtx, Msg("recipient:aaaa"), p).ok());
  for (std::string_view m : {std::string_view("recipient:aaab"), std::string_view("recipient:aaa"),
                             std::string_view("recipient:aaaa\0", 15)}) {
    EXPECT_FALSE(Verify(set_->prepared, kChain, kCtx, Msg(m), p).ok()) << m;
  }
}

TEST_F(TriptychFixture, ContextBaseFramingSeparatesChainAndContext) {
  EXPECT_NE(ContextBase("ab", "c"), ContextBase("a", "bc"));
  EXPECT_EQ(ContextBase("ab", "c"), ContextBase("ab", "c"));
}

TEST_F(TriptychFixture, ProverRejectsBadWitness) {
  const Scalar wrong = Scalar::Random();
  EXPECT_FALSE(Prove(set_->prepared, 2, wrong, kChain, kCtx, Msg("x")).ok());
  EXPECT_FALSE(Prove(set_->prepared, 2, set_->ids[3].r, kChain, kCtx, Msg("x")).ok());
  // Index in the padding (a filler) or beyond N, even with some secret.
  EXPECT_FALSE(Prove(set_->prepared, 13, set_->ids[0].r, kChain, kCtx, Msg("x")).ok());
  EXPECT_FALSE(Prove(set_->prepared, 16, set_->ids[0].r, kChain, kCtx, Msg("x")).ok());
  EXPECT_FALSE(
      Prove(set_->prepared, (uint64_t{1} << 32), set_->ids[0].r, kChain, kCtx, Msg("x")).ok());
  EXPECT_FALSE(Prove(set_->prepared, ~uint64_t{0}, set_->ids[0].r, kChain, kCtx, Msg("x")).ok());
  EXPECT_FALSE(Prove(set_->prepared, 0, Scalar::Zero(), kChain, kCtx, Msg("x")).ok());
}

TEST_F(TriptychFixture, DecoderIsStrict) {
  const Bytes enc = MustProve(*set_, 1).Encode();
  ASSERT_TRUE(Proof::Decode(enc).ok());
  for (size_t len : {size_t{0}, size_t{32}, enc.size() - 1, enc.size() + 1, enc.size() - 32,
                     enc.size() + 32, ProofSize(1), ProofSize(9), ProofSize(8) + 160}) {
    Bytes b(len, 0x11);
    std::copy(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(std::min(len, enc.size())),
              b.begin());
    EXPECT_FALSE(Proof::Decode(b).ok()) << len;
  }
  const size_t points = 5 + 2 * 2;
  for (size_t c = 0; c < enc.size() / 32; ++c) {
    Bytes b = enc;
    std::fill(b.begin() + static_cast<std::ptrdiff_t>(32 * c),
              b.begin() + static_cast<std::ptrdiff_t>(32 * c + 32), 0xff);  // >= l, non-canonical
    EXPECT_FALSE(Proof::Decode(b).ok()) << "0xff field " << c;
    if (c < points) {
      std::fill(b.begin() + static_cast<std::ptrdiff_t>(32 * c),
                b.begin() + static_cast<std::ptrdiff_t>(32 * c + 32), 0);  // identity
      EXPECT_FALSE(Proof::Decode(b).ok()) << "identity field " << c;
    }
  }
  // A proof for another m is rejected by the verifier, not silently truncated.
  TestSet big = MakeSet(17);
  Proof p3 = MustProve(big, 16);
  EXPECT_FALSE(Verify(set_->prepared, kChain, kCtx, Msg("to:alice"), p3).ok());
}

TEST(TriptychSetTest, SetRules) {
  EXPECT_FALSE(PreparedSet::Create({}).ok());
  std::vector<Point> with_identity = {NewIdentity().p, Point::Identity(), NewIdentity().p};
  EXPECT_FALSE(PreparedSet::Create(with_identity).ok());
  std::vector<Point> too_big(kMaxSetSize + 1, NewIdentity().p);
  EXPECT_FALSE(PreparedSet::Create(too_big).ok());
  // Duplicates are accepted by the proof (the registry rejects them; spec section 7).
  Identity id = NewIdentity();
  std::vector<Point> dup = {id.p, NewIdentity().p, id.p};
  auto s = PreparedSet::Create(dup);
  ASSERT_TRUE(s.ok());
  for (uint64_t l : {uint64_t{0}, uint64_t{2}}) {
    auto p = Prove(*s, l, id.r, kChain, kCtx, Msg("d"));
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(Verify(*s, kChain, kCtx, Msg("d"), *p).ok());
  }
}

TEST(TriptychSetTest, PaddingUsesPositionalFillers) {
  TestSet s = MakeSet(5);
  ASSERT_EQ(s.prepared.padded_size(), 16u);
  std::vector<Point> explicit_members = s.members;
  for (uint64_t i = 5; i < 16; ++i) explicit_members.push_back(Filler(i));
  auto explicit_set = PreparedSet::Create(explicit_members);
  ASSERT_TRUE(explicit_set.ok());
  // Same padded points, different statements (the unpadded length is bound; tari #85).
  EXPECT_TRUE(std::equal(s.prepared.padded().begin(), s.prepared.padded().end(),
                         explicit_set->padded().begin(), explicit_set->padded().end()));
  EXPECT_NE(s.prepared.hash(), explicit_set->hash());
  Proof p = MustProve(s, 2);
  EXPECT_TRUE(Verify(s.prepared, kChain, kCtx, Msg("to:alice"), p).ok());
  EXPECT_FALSE(Verify(*explicit_set, kChain, kCtx, Msg("to:alice"), p).ok());
  auto q = Prove(*explicit_set, 2, s.ids[2].r, kChain, kCtx, Msg("to:alice"));
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(Verify(*explicit_set, kChain, kCtx, Msg("to:alice"), *q).ok());
  EXPECT_FALSE(Verify(s.prepared, kChain, kCtx, Msg("to:alice"), *q).ok());
  // Fillers differ from each other and from the generator.
  EXPECT_NE(Filler(0), Filler(1));
  EXPECT_NE(Filler(0), Point::Base());
}

TEST(TriptychBatchTest, AllGoodAndBadOnesNamed) {
  TestSet s = MakeSet(40);
  std::vector<Proof> proofs;
  std::vector<std::string> msgs;
  for (size_t i = 0; i < 9; ++i) {
    msgs.push_back("claim " + std::to_string(i));
    proofs.push_back(MustProve(s, RandomIndex(40), kCtx, msgs.back()));
  }
  std::vector<ByteView> views;
  for (const auto& m : msgs) views.push_back(Msg(m));
  BatchResult ok = BatchVerify(s.prepared, kChain, kCtx, views, proofs);
  EXPECT_TRUE(ok.status.ok()) << ok.status.ToString();
  EXPECT_TRUE(ok.invalid.empty());

  // One bad proof (a response changed): exactly that one is named.
  std::vector<Proof> one_bad = proofs;
  one_bad[5].z = one_bad[5].z + Scalar::One();
  BatchResult r1 = BatchVerify(s.prepared, kChain, kCtx, views, one_bad);
  EXPECT_FALSE(r1.status.ok());
  EXPECT_EQ(r1.invalid, std::vector<size_t>({5}));

  // Two bad ones of different kinds: a wrong message and a malformed proof.
  std::vector<ByteView> bad_views = views;
  bad_views[0] = Msg("claim 1");
  std::vector<Proof> bad_proofs = proofs;
  bad_proofs[8].x.pop_back();
  BatchResult r2 = BatchVerify(s.prepared, kChain, kCtx, bad_views, bad_proofs);
  EXPECT_FALSE(r2.status.ok());
  EXPECT_EQ(r2.invalid, std::vector<size_t>({0, 8}));

  // Mismatched lengths are an error, not a verdict on any proof.
  BatchResult r3 = BatchVerify(s.prepared, kChain, kCtx, std::span(views).first(3), proofs);
  EXPECT_FALSE(r3.status.ok());

  // An empty batch is trivially valid.
  EXPECT_TRUE(BatchVerify(s.prepared, kChain, kCtx, {}, {}).status.ok());
}

TEST(TriptychBatchTest, BatchRejectsProofsFromAnotherContext) {
  TestSet s = MakeSet(10);
  std::vector<Proof> proofs = {MustProve(s, 1), MustProve(s, 2, "vote/3"), MustProve(s, 3)};
  std::vector<ByteView> views(3, Msg("to:alice"));
  BatchResult r = BatchVerify(s.prepared, kChain, kCtx, views, proofs);
  EXPECT_EQ(r.invalid, std::vector<size_t>({1}));
}

// A batch of 70 proofs (more than the benchmark's 64) with one bad proof near the end:
// the valid batch passes and bisection names exactly the bad one.
TEST(TriptychBatchTest, MoreThanOneChunk) {
  TestSet s = MakeSet(16);
  std::vector<Proof> proofs;
  std::vector<ByteView> views;
  const Proof base = MustProve(s, 3);
  for (size_t i = 0; i < 70; ++i) proofs.push_back(i % 7 == 0 ? MustProve(s, i % 16) : base);
  views.assign(proofs.size(), Msg("to:alice"));
  EXPECT_TRUE(BatchVerify(s.prepared, kChain, kCtx, views, proofs).status.ok());
  proofs[66].z_c = proofs[66].z_c + Scalar::One();
  BatchResult r = BatchVerify(s.prepared, kChain, kCtx, views, proofs);
  EXPECT_EQ(r.invalid, std::vector<size_t>({66}));
}

}  // namespace
}  // namespace hito::zk::proof::membership
