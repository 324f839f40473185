// The codec primitives (base/codec.h): big-endian fixed-width integers,
// u32-length-prefixed bytes with a maximum, strict booleans, bounded counts and
// trailing-byte detection, each failure naming the field.
#include "base/codec.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "base/hex.h"

namespace hito {
namespace {

bool HasMessage(const Status& s, std::string_view needle) {
  return s.message().find(needle) != std::string::npos;
}

TEST(CodecTest, WriterIsBigEndianAndLengthPrefixed) {
  Writer w;
  w.U8(0x01);
  w.U16(0x0203);
  w.U32(0x04050607);
  w.U64(0x08090a0b0c0d0e0full);
  w.Bool(true);
  w.Bool(false);
  w.String("ab");
  w.Fixed(std::array<uint8_t, 2>{0xee, 0xff});
  EXPECT_EQ(HexEncode(w.bytes()),
            "01"
            "0203"
            "04050607"
            "08090a0b0c0d0e0f"
            "01"
            "00"
            "00000002"
            "6162"
            "eeff");
}

TEST(CodecTest, ReaderReadsWhatWriterWrites) {
  Writer w;
  w.U8(200);
  w.U16(65535);
  w.U32(0xdeadbeef);
  w.U64(~uint64_t{0});
  w.Bool(true);
  w.VarBytes(Bytes{1, 2, 3});
  w.String("chain");
  const Bytes b = std::move(w).bytes();
  Reader r(b);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  bool flag;
  Bytes bytes;
  std::string s;
  ASSERT_TRUE(r.U8("a", &u8).ok());
  ASSERT_TRUE(r.U16("b", &u16).ok());
  ASSERT_TRUE(r.U32("c", &u32).ok());
  ASSERT_TRUE(r.U64("d", &u64).ok());
  ASSERT_TRUE(r.Bool("e", &flag).ok());
  ASSERT_TRUE(r.VarBytes("f", 3, &bytes).ok());
  ASSERT_TRUE(r.String("g", 5, &s).ok());
  EXPECT_TRUE(r.ExpectEnd("x").ok());
  EXPECT_EQ(u8, 200);
  EXPECT_EQ(u16, 65535);
  EXPECT_EQ(u32, 0xdeadbeefu);
  EXPECT_EQ(u64, ~uint64_t{0});
  EXPECT_TRUE(flag);
  EXPECT_EQ(bytes, (Bytes{1, 2, 3}));
  EXPECT_EQ(s, "chain");
}

TEST(CodecTest, ReaderErrorsNameTheFieldAndProblem) {
  const Bytes three = {0, 0, 0};
  uint32_t u32;
  Reader r1(three);
  Status s = r1.U32("transfer.amount", &u32);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "transfer.amount: truncated (need 4 bytes, 3 left)");

  const Bytes two = {2};
  bool flag;
  Reader r2(two);
  EXPECT_EQ(r2.Bool("x.flag", &flag).message(), "x.flag: boolean must be 0 or 1, got 2");

  const Bytes len5 = {0, 0, 0, 5, 1, 2, 3, 4, 5};
  Bytes out;
  Reader r3(len5);
  EXPECT_EQ(r3.VarBytes("x.memo", 4, &out).message(), "x.memo: length 5 exceeds the maximum of 4");
  Reader r4(ByteView(len5.data(), 8));
  EXPECT_TRUE(HasMessage(r4.VarBytes("x.memo", 5, &out), "x.memo: truncated"));

  Reader r5(len5);
  EXPECT_TRUE(r5.VarBytes("x.memo", 5, &out).ok());
  EXPECT_TRUE(r5.ExpectEnd("x").ok());
  Reader r6(three);
  uint8_t u8;
  ASSERT_TRUE(r6.U8("a", &u8).ok());
  EXPECT_EQ(r6.ExpectEnd("thing").message(), "thing: 2 trailing bytes after the end");
}

TEST(CodecTest, CountBoundsByLimitAndByRemainingBytes) {
  const Bytes b = {0, 0, 0, 3, 1, 2, 3, 4, 5, 6};
  uint32_t n = 0;
  Reader ok(b);
  EXPECT_TRUE(ok.Count("list", 3, 2, &n).ok());
  EXPECT_EQ(n, 3u);
  Reader over(b);
  EXPECT_EQ(over.Count("list", 2, 2, &n).message(), "list: count 3 exceeds the maximum of 2");
  Reader short_input(b);
  EXPECT_TRUE(HasMessage(short_input.Count("list", 3, 3, &n), "list: truncated (count 3 needs"));
  const Bytes huge = {0xff, 0xff, 0xff, 0xff};
  Reader r(huge);
  EXPECT_FALSE(r.Count("list", 0xffffffffu, 1, &n).ok());
}

}  // namespace
}  // namespace hito
