// Validator sets: Create sorts and validates; the encoding round trips and its strict
// decoder rejects truncation, trailing bytes, counts over the limit, zero power,
// duplicates, non-canonical order and power totals reaching 2^62.
#include "consensus/types/validator_set.h"

#include <gtest/gtest.h>

#include "consensus/types/limits.h"
#include "tests/unit/types/test_util.h"

namespace hito::consensus::types {
namespace {

using testing::HasMessage;
using testing::Key;

Ed25519PublicKey Pk(uint8_t fill) {
  Ed25519PublicKey pk;
  pk.fill(fill);
  return pk;
}

TEST(ValidatorSetTest, CreateSortsByPublicKeyAndSumsPower) {
  Result<ValidatorSet> s = ValidatorSet::Create({{Pk(3), 30}, {Pk(1), 10}, {Pk(2), 20}});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ(s->validators()[0].public_key, Pk(1));
  EXPECT_EQ(s->validators()[2].public_key, Pk(3));
  EXPECT_EQ(s->total_power(), 60u);
  EXPECT_EQ(s->IndexOf(Pk(2)), 1u);
  EXPECT_EQ(s->IndexOf(Pk(4)), std::nullopt);
  EXPECT_EQ(s->QuorumPower(), 41u);
}

TEST(ValidatorSetTest, QuorumIsStrictlyMoreThanTwoThirds) {
  auto quorum = [](std::vector<uint64_t> powers) {
    std::vector<Validator> vs;
    for (size_t i = 0; i < powers.size(); ++i)
      vs.push_back({Pk(static_cast<uint8_t>(i)), powers[i]});
    return ValidatorSet::Create(vs)->QuorumPower();
  };
  EXPECT_EQ(quorum({1, 1, 1}), 3u);     // 2 of 3 is exactly 2/3: not enough
  EXPECT_EQ(quorum({1, 1, 1, 1}), 3u);  // 3 of 4
  EXPECT_EQ(quorum({1}), 1u);
  EXPECT_EQ(quorum({3, 3, 3}), 7u);
}

TEST(ValidatorSetTest, CreateRejectsBadSets) {
  EXPECT_TRUE(HasMessage(ValidatorSet::Create({}).status(), "no validators"));
  EXPECT_TRUE(
      HasMessage(ValidatorSet::Create({{Pk(1), 1}, {Pk(1), 2}}).status(), "duplicate validator"));
  EXPECT_TRUE(HasMessage(ValidatorSet::Create({{Pk(1), 1}, {Pk(2), 0}}).status(),
                         "power: must be positive"));
  EXPECT_TRUE(HasMessage(
      ValidatorSet::Create({{Pk(1), uint64_t{1} << 61}, {Pk(2), uint64_t{1} << 61}}).status(),
      "total power reaches 2^62"));
  EXPECT_TRUE(ValidatorSet::Create({{Pk(1), (uint64_t{1} << 62) - 1}}).ok());
  EXPECT_FALSE(ValidatorSet::Create({{Pk(1), ~uint64_t{0}}, {Pk(2), 5}}).ok());
  std::vector<Validator> many;
  for (uint32_t i = 0; i <= kValidatorsMax; ++i) {
    Ed25519PublicKey pk{};
    pk[0] = static_cast<uint8_t>(i);
    pk[1] = static_cast<uint8_t>(i >> 8);
    many.push_back({pk, 1});
  }
  EXPECT_TRUE(HasMessage(ValidatorSet::Create(many).status(), "exceed the maximum of 128"));
  many.pop_back();
  EXPECT_TRUE(ValidatorSet::Create(many).ok());
}

TEST(ValidatorSetTest, RoundTripAndHash) {
  testing::Validators v = testing::MakeValidators();
  const Bytes enc = EncodeValidatorSet(v.set);
  EXPECT_EQ(enc.size(), 4u + 4u * 40u);
  Result<ValidatorSet> back = DecodeValidatorSet(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, v.set);
  EXPECT_EQ(back->total_power(), 10u);
  EXPECT_EQ(v.set.Hash(), DomainHash("hito/v1/validators", enc));
  testing::Validators other = testing::MakeValidators({1, 2, 3, 5});
  EXPECT_NE(other.set.Hash(), v.set.Hash());
}

TEST(ValidatorSetTest, RejectsTruncationAndTrailingBytes) {
  testing::ExpectStrict(EncodeValidatorSet(testing::MakeValidators().set),
                        [](ByteView b) { return DecodeValidatorSet(b); });
}

TEST(ValidatorSetTest, DecodeRejectsNonCanonicalContent) {
  const Bytes enc = EncodeValidatorSet(testing::MakeValidators().set);
  // Swap the first two entries: still well-formed, but not in canonical order.
  Bytes swapped = enc;
  std::swap_ranges(swapped.begin() + 4, swapped.begin() + 44, swapped.begin() + 44);
  Result<ValidatorSet> r = DecodeValidatorSet(swapped);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasMessage(r.status(), "validators[1].public_key: not in canonical order"))
      << r.status().ToString();

  Bytes dup = enc;
  std::copy(dup.begin() + 4, dup.begin() + 36, dup.begin() + 44);
  EXPECT_TRUE(HasMessage(DecodeValidatorSet(dup).status(), "duplicate validator"));

  Bytes zero = enc;
  std::fill(zero.begin() + 36, zero.begin() + 44, 0);
  EXPECT_TRUE(
      HasMessage(DecodeValidatorSet(zero).status(), "validators[0].power: must be positive"));

  Bytes empty = {0, 0, 0, 0};
  EXPECT_TRUE(HasMessage(DecodeValidatorSet(empty).status(), "no validators"));
}

TEST(ValidatorSetTest, DecodeRejectsCountOverLimit) {
  Bytes enc = EncodeValidatorSet(testing::MakeValidators().set);
  testing::PutU32(&enc, 0, kValidatorsMax + 1);
  Result<ValidatorSet> r = DecodeValidatorSet(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasMessage(r.status(), "validator_set.count: count 129 exceeds the maximum of 128"));
  // A count within the limit but with too few bytes behind it fails before allocating.
  testing::PutU32(&enc, 0, 100);
  EXPECT_TRUE(HasMessage(DecodeValidatorSet(enc).status(), "validator_set.count: truncated"));
}

}  // namespace
}  // namespace hito::consensus::types
