// Domain-separated hashing: a known answer (computed once with Python's hashlib.blake2b
// as BLAKE2b-256(len || label || data), and here again with libsodium directly), label
// separation, and incremental hashing matching the one-shot form.
#include "base/hash.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "base/hex.h"

namespace hito {
namespace {

// BLAKE2b-256 of the bytes 0x0c "hito/v1/test" "abc", from Python hashlib.blake2b.
constexpr char kKnownAnswerTestAbc[] =
    "f9d6c2e816d3a07b86bd8013aa9ee1409af65d2855ece55f5f594fdf92a6a53f";
// Same label, empty data.
constexpr char kKnownAnswerTestEmpty[] =
    "6326647d24a4c4afecd8acc0366c7044bf5bdf21a65042606c8bf871747b7957";

Hash32 SodiumDirect(std::string_view label, std::string_view data) {
  Bytes in;
  in.push_back(static_cast<uint8_t>(label.size()));
  in.insert(in.end(), label.begin(), label.end());
  in.insert(in.end(), data.begin(), data.end());
  Hash32 out;
  EXPECT_EQ(crypto_generichash(out.data(), out.size(), in.data(), in.size(), nullptr, 0), 0);
  return out;
}

TEST(DomainHashTest, KnownAnswer) {
  EXPECT_EQ(HexEncode(DomainHash("hito/v1/test", AsBytes("abc"))), kKnownAnswerTestAbc);
  EXPECT_EQ(HexEncode(DomainHash("hito/v1/test", ByteView())), kKnownAnswerTestEmpty);
}

TEST(DomainHashTest, IsBlake2b256OfLengthLabelData) {
  EXPECT_EQ(HexEncode(SodiumDirect("hito/v1/test", "abc")), kKnownAnswerTestAbc);
  for (std::string_view label : {"a", "hito/v1/tx", "hito/v1/header"}) {
    for (std::string_view data : {"", "x", "some longer data string"}) {
      EXPECT_EQ(DomainHash(label, AsBytes(data)), SodiumDirect(label, data));
    }
  }
}

TEST(DomainHashTest, LabelsSeparateDomains) {
  const Bytes data = {1, 2, 3};
  EXPECT_NE(DomainHash("hito/v1/a", data), DomainHash("hito/v1/b", data));
  // Without the length prefix these two would hash the same byte string
  // "hito/v1/ab" || "c".
  EXPECT_NE(DomainHash("hito/v1/ab", AsBytes("c")), DomainHash("hito/v1/abc", ByteView()));
}

TEST(HasherTest, IncrementalMatchesOneShot) {
  Hash32 a = Hasher("hito/v1/test").Update("ab").Update("c").Finish();
  EXPECT_EQ(a, DomainHash("hito/v1/test", AsBytes("abc")));
  Hash32 b = Hasher("hito/v1/test").UpdateU64(0x0102030405060708ull).Finish();
  EXPECT_EQ(b, DomainHash("hito/v1/test", Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(HasherDeathTest, RejectsEmptyLabelAndReuse) {
  EXPECT_DEATH(Hasher(""), "assertion failed");
  EXPECT_DEATH(
      {
        Hasher h("hito/v1/test");
        (void)h.Finish();
        (void)h.Finish();
      },
      "assertion failed");
}

}  // namespace
}  // namespace hito
