// Hash to group / scalar (zk/hash_to_group.h): RFC 9380 K.3 expand_message_xmd(SHA-512)
// vectors and RFC 9497 OPRF(ristretto255, SHA-512) vectors reproduced end to end
// (DeriveKeyPair, Blind, BlindEvaluate, Finalize), all loaded from tests/vectors/.
#include "zk/hash_to_group.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/hex.h"
#include "tests/support/vectors.h"

namespace hito::zk {
namespace {

nlohmann::json Load(const std::string& name) { return hito::testing::LoadVectors(name); }

using hito::testing::Hex;

Bytes B(const Point& p) { return Bytes(p.bytes().begin(), p.bytes().end()); }
Bytes B(const Scalar& s) { return Bytes(s.bytes().begin(), s.bytes().end()); }

TEST(HashToGroupTest, ExpandMessageXmdVectors) {
  auto j = Load("expand_message_xmd_sha512.json");
  std::string dst = j["DST"];
  ASSERT_EQ(j["vectors"].size(), 10u);
  for (const auto& v : j["vectors"]) {
    std::string msg = v["msg"];
    size_t len = v["len_in_bytes"];
    Bytes out = ExpandMessageXmdSha512(AsBytes(msg), AsBytes(dst), len);
    EXPECT_EQ(out, Hex(v["uniform_bytes"])) << "msg=" << msg << " len=" << len;
  }
}

TEST(HashToGroupTest, ExpandMessageXmdLengthsAndDomainSeparation) {
  Bytes a = ExpandMessageXmdSha512(AsBytes("m"), AsBytes("D1"), 64);
  Bytes b = ExpandMessageXmdSha512(AsBytes("m"), AsBytes("D2"), 64);
  EXPECT_NE(a, b);
  Bytes longer = ExpandMessageXmdSha512(AsBytes("m"), AsBytes("D1"), 255 * 64);
  EXPECT_EQ(longer.size(), 255u * 64);
  // Oversize DST is hashed, not truncated: two long DSTs differing at the end differ.
  std::string d1(300, 'x'), d2(300, 'x');
  d2.back() = 'y';
  EXPECT_NE(ExpandMessageXmdSha512(AsBytes("m"), AsBytes(d1), 32),
            ExpandMessageXmdSha512(AsBytes("m"), AsBytes(d2), 32));
}

TEST(HashToGroupDeathTest, ExpandRejectsBadParameters) {
  EXPECT_DEATH({ (void)ExpandMessageXmdSha512(AsBytes("m"), ByteView(), 32); }, "");
  EXPECT_DEATH({ (void)ExpandMessageXmdSha512(AsBytes("m"), AsBytes("D"), 255 * 64 + 1); }, "");
  EXPECT_DEATH({ (void)ExpandMessageXmdSha512(AsBytes("m"), AsBytes("D"), 0); }, "");
}

TEST(HashToGroupTest, OprfVectorsEndToEnd) {
  auto j = Load("oprf_ristretto255_sha512.json");
  Bytes ctx = Hex(j["context_string"]["hex"]);
  Bytes h2g_dst = Hex(j["hash_to_group"]["DST_hex"]);
  Bytes dkp_dst = Hex(j["derive_key_pair"]["DST_hex"]);
  // The DSTs are built as RFC 9497 section 4.1 says, and match the file.
  Bytes built = ToBytes(AsBytes("HashToGroup-"));
  built.insert(built.end(), ctx.begin(), ctx.end());
  EXPECT_EQ(built, h2g_dst);
  built = ToBytes(AsBytes("DeriveKeyPair"));
  built.insert(built.end(), ctx.begin(), ctx.end());
  EXPECT_EQ(built, dkp_dst);

  // DeriveKeyPair (section 3.2.1), counter 0.
  Bytes seed = Hex(j["Seed"]), info = Hex(j["KeyInfo"]);
  Bytes dmsg = seed;
  dmsg.push_back(static_cast<uint8_t>(info.size() >> 8));
  dmsg.push_back(static_cast<uint8_t>(info.size()));
  dmsg.insert(dmsg.end(), info.begin(), info.end());
  dmsg.push_back(0);
  Scalar sk = HashToScalar(dmsg, dkp_dst);
  ASSERT_FALSE(sk.IsZero());
  EXPECT_EQ(B(sk), Hex(j["skSm"]));

  ASSERT_EQ(j["vectors"].size(), 2u);
  for (const auto& v : j["vectors"]) {
    Bytes input = Hex(v["Input"]);
    auto blind = Scalar::Decode(Hex(v["Blind"]));
    ASSERT_TRUE(blind.ok());
    Point blinded = HashToGroup(input, h2g_dst).Mul(*blind);
    EXPECT_EQ(B(blinded), Hex(v["BlindedElement"])) << v["name"];
    Point eval = blinded.Mul(sk);
    EXPECT_EQ(B(eval), Hex(v["EvaluationElement"])) << v["name"];
    Point unblinded = eval.Mul(blind->Invert());
    // Finalize (section 3.3.1).
    Bytes fin;
    fin.push_back(static_cast<uint8_t>(input.size() >> 8));
    fin.push_back(static_cast<uint8_t>(input.size()));
    fin.insert(fin.end(), input.begin(), input.end());
    fin.push_back(0);
    fin.push_back(32);
    fin.insert(fin.end(), unblinded.bytes().begin(), unblinded.bytes().end());
    for (char c : std::string("Finalize")) fin.push_back(static_cast<uint8_t>(c));
    Bytes out(64);
    crypto_hash_sha512(out.data(), fin.data(), fin.size());
    EXPECT_EQ(out, Hex(v["Output"])) << v["name"];
  }
}

TEST(HashToGroupTest, HashToScalarMatchesExpandThenReduce) {
  Bytes u = ExpandMessageXmdSha512(AsBytes("abc"), AsBytes("HashToScalar-test"), 64);
  std::array<uint8_t, 64> a{};
  std::copy(u.begin(), u.end(), a.begin());
  EXPECT_EQ(HashToScalar(AsBytes("abc"), AsBytes("HashToScalar-test")),
            Scalar::FromUniformBytes(a));
  EXPECT_EQ(HashToGroup(AsBytes("abc"), AsBytes("G")), Point::FromUniformBytes([&] {
              auto w = ExpandMessageXmdSha512(AsBytes("abc"), AsBytes("G"), 64);
              std::array<uint8_t, 64> x{};
              std::copy(w.begin(), w.end(), x.begin());
              return x;
            }()));
  EXPECT_NE(HashToGroup(AsBytes("abc"), AsBytes("G1")), HashToGroup(AsBytes("abc"), AsBytes("G2")));
  EXPECT_FALSE(HashToGroup(AsBytes(""), AsBytes("G")).IsIdentity());
}

}  // namespace
}  // namespace hito::zk
