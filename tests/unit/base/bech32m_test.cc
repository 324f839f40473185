// hito addresses over Bech32m: round trips, and rejection of a wrong hrp, wrong length,
// bad checksum, mixed case and non-zero padding; plus ConvertBits edge cases.
#include "base/bech32m.h"

#include <gtest/gtest.h>

#include "base/hash.h"

namespace hito {
namespace {

Hash32 SampleId(uint8_t salt) { return DomainHash("hito/v1/test", Bytes{salt}); }

bool Contains(const Status& s, std::string_view needle) {
  return s.message().find(needle) != std::string::npos;
}

TEST(AddressTest, RoundTrips) {
  for (uint8_t salt = 0; salt < 32; ++salt) {
    const Hash32 id = SampleId(salt);
    const std::string addr = EncodeAddress(id);
    EXPECT_EQ(addr.substr(0, 5), "hito1");
    EXPECT_EQ(addr.size(), 4u + 1u + 52u + 6u);
    Result<Hash32> back = DecodeAddress(addr);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, id);
  }
  Hash32 zero{};
  Hash32 ones;
  ones.fill(0xff);
  EXPECT_EQ(*DecodeAddress(EncodeAddress(zero)), zero);
  EXPECT_EQ(*DecodeAddress(EncodeAddress(ones)), ones);
}

TEST(AddressTest, AcceptsAllUppercase) {
  const Hash32 id = SampleId(1);
  std::string addr = EncodeAddress(id);
  for (char& c : addr) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(*DecodeAddress(addr), id);
}

TEST(AddressTest, RejectsMixedCase) {
  std::string addr = EncodeAddress(SampleId(2));
  for (size_t i = 5; i < addr.size(); ++i) {
    if (addr[i] >= 'a' && addr[i] <= 'z') {
      addr[i] = static_cast<char>(addr[i] - 'a' + 'A');
      break;
    }
  }
  Result<Hash32> r = DecodeAddress(addr);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "mixed case"));
}

TEST(AddressTest, RejectsWrongHrp) {
  Result<Bytes> values = ConvertBits(SampleId(3), 8, 5, true);
  ASSERT_TRUE(values.ok());
  Result<Hash32> r = DecodeAddress(Bech32mEncode("hitx", *values));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status(), "human-readable part"));
  EXPECT_FALSE(DecodeAddress(Bech32mEncode("bc", *values)).ok());
}

TEST(AddressTest, RejectsWrongLength) {
  for (size_t n : {0u, 20u, 31u, 33u, 40u}) {
    Bytes id(n, 0x5a);
    Result<Bytes> values = ConvertBits(id, 8, 5, true);
    ASSERT_TRUE(values.ok());
    Result<Hash32> r = DecodeAddress(Bech32mEncode(kAddressHrp, *values));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(Contains(r.status(), "expected 52")) << r.status().ToString();
  }
}

TEST(AddressTest, RejectsBadChecksumAtEveryPosition) {
  const std::string addr = EncodeAddress(SampleId(4));
  for (size_t i = 5; i < addr.size(); ++i) {
    std::string bad = addr;
    bad[i] = (bad[i] == 'q') ? 'p' : 'q';
    Result<Hash32> r = DecodeAddress(bad);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_TRUE(Contains(r.status(), "checksum")) << r.status().ToString();
  }
}

TEST(AddressTest, RejectsNonZeroPadding) {
  Result<Bytes> values = ConvertBits(SampleId(5), 8, 5, true);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 52u);
  Bytes v = *values;
  v.back() |= 1;  // the last value carries 1 data bit and 4 padding bits
  Result<Hash32> r = DecodeAddress(Bech32mEncode(kAddressHrp, v));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "padding"));
}

TEST(AddressTest, RejectsBech32ChecksumOfTheSameData) {
  // A BIP-173 (constant 1) checksum over valid address data must not pass as Bech32m.
  const std::string addr = EncodeAddress(SampleId(6));
  Result<Bech32mData> d = Bech32mDecode(addr);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->values.size() == 52u);
  std::string truncated = addr.substr(0, addr.size() - 1);
  EXPECT_FALSE(DecodeAddress(truncated).ok());
  EXPECT_FALSE(DecodeAddress(addr + "q").ok());
  EXPECT_FALSE(DecodeAddress("").ok());
  EXPECT_FALSE(DecodeAddress("hito1").ok());
}

TEST(ConvertBitsTest, RoundTripsAndRejectsOutOfRangeValues) {
  const Bytes data = {0x00, 0x01, 0x80, 0xff, 0x10};
  Result<Bytes> five = ConvertBits(data, 8, 5, true);
  ASSERT_TRUE(five.ok());
  EXPECT_EQ(five->size(), 8u);
  for (uint8_t v : *five) EXPECT_LT(v, 32);
  Result<Bytes> back = ConvertBits(*five, 5, 8, false);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, data);

  Result<Bytes> bad = ConvertBits(Bytes{32}, 5, 8, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "does not fit"));
  // 6 values = 30 bits: 3 bytes and 6 left-over bits, more than the 4 padding bits allowed.
  EXPECT_FALSE(ConvertBits(Bytes{0, 0, 0, 0, 0, 0}, 5, 8, false).ok());
}

TEST(Bech32mTest, EncoderWritesLowercaseAndDecoderReturnsLowercaseHrp) {
  const std::string s = Bech32mEncode("AbC", Bytes{1, 2, 3});
  EXPECT_EQ(s.substr(0, 4), "abc1");
  Result<Bech32mData> d = Bech32mDecode(s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hrp, "abc");
  EXPECT_EQ(d->values, (Bytes{1, 2, 3}));
}

}  // namespace
}  // namespace hito
