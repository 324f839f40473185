// Hex: lowercase encoding, strict decoding (odd length, bad characters, wrong size for
// 32-byte values rejected with a message), and round trips over all byte values.
#include "base/hex.h"

#include <gtest/gtest.h>

namespace hito {
namespace {

TEST(HexTest, EncodesLowercase) {
  EXPECT_EQ(HexEncode(Bytes{}), "");
  EXPECT_EQ(HexEncode(Bytes{0x00, 0x0f, 0xa5, 0xff}), "000fa5ff");
}

TEST(HexTest, RoundTripsEveryByteValue) {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  const std::string hex = HexEncode(all);
  EXPECT_EQ(hex.size(), 512u);
  Result<Bytes> back = HexDecode(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(HexTest, DecodesUpperAndMixedCase) {
  EXPECT_EQ(*HexDecode("ABCDEF"), (Bytes{0xab, 0xcd, 0xef}));
  EXPECT_EQ(*HexDecode("aBcD"), (Bytes{0xab, 0xcd}));
  EXPECT_TRUE(HexDecode("")->empty());
}

TEST(HexTest, RejectsOddLength) {
  Result<Bytes> r = HexDecode("abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("odd length"), std::string::npos);
}

TEST(HexTest, RejectsBadCharactersWithOffset) {
  for (const char* bad : {"0g", "g0", " 0", "0x", "+1",
                          "\xff"
                          "0",
                          "00zz"}) {
    Result<Bytes> r = HexDecode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("invalid hex character"), std::string::npos);
  }
  EXPECT_NE(HexDecode("00z0").status().message().find("offset 2"), std::string::npos);
  EXPECT_NE(HexDecode("000z").status().message().find("offset 3"), std::string::npos);
}

TEST(HexTest, Decode32RequiresExactly32Bytes) {
  const std::string good(64, 'a');
  Result<Hash32> r = HexDecode32(good);
  ASSERT_TRUE(r.ok());
  for (uint8_t b : *r) EXPECT_EQ(b, 0xaa);
  EXPECT_FALSE(HexDecode32(std::string(62, 'a')).ok());
  EXPECT_FALSE(HexDecode32(std::string(66, 'a')).ok());
  EXPECT_FALSE(HexDecode32(std::string(63, 'a') + "g").ok());
}

}  // namespace
}  // namespace hito
