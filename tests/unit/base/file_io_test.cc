// Plain and seed files: round trips, mode 0600 and no overwrite for seeds and atomic
// writes, the size bound, and the errors a bad seed file gets.
#include "base/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/hex.h"

namespace hito {
namespace {

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hito-file-io-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static unsigned Mode(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
  }

  std::filesystem::path dir_;
};

TEST_F(FileIoTest, WriteFileThenReadFileRoundTripsAndTruncates) {
  const auto path = dir_ / "a.txt";
  ASSERT_TRUE(WriteFile(path, "hello world").ok());
  ASSERT_TRUE(WriteFile(path, "hi").ok());
  EXPECT_EQ(ReadFile(path).value(), "hi");
  EXPECT_EQ(ReadFile(dir_ / "missing").status().code(), StatusCode::kNotFound);
}

TEST_F(FileIoTest, ReadSmallFileRefusesAFileOverTheBound) {
  const auto path = dir_ / "big";
  ASSERT_TRUE(WriteFile(path, std::string(101, 'x')).ok());
  EXPECT_EQ(ReadSmallFile(path, 101).value().size(), 101u);
  EXPECT_EQ(ReadSmallFile(path, 100).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSmallFile(dir_ / "missing", 100).status().code(), StatusCode::kNotFound);
}

TEST_F(FileIoTest, WriteFileAtomicRefusesToOverwriteUnlessReplacing) {
  const auto path = dir_ / "f";
  ASSERT_TRUE(WriteFileAtomic(path, "one", /*replace=*/false).ok());
  EXPECT_EQ(WriteFileAtomic(path, "two", /*replace=*/false).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(path).value(), "one");
  ASSERT_TRUE(WriteFileAtomic(path, "three", /*replace=*/true).ok());
  EXPECT_EQ(ReadFile(path).value(), "three");
  EXPECT_EQ(Mode(path), 0600u);
  // No temporary is left behind on either path.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1u);
}

TEST_F(FileIoTest, SeedFileRoundTripsWithMode0600AndNeverOverwrites) {
  const auto path = dir_ / "validator.key";
  const Ed25519Seed seed = Ed25519PrivateKey::Generate().seed();
  ASSERT_TRUE(WriteSeedFile(path, seed).ok());
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(ReadFile(path).value(), HexEncode(seed) + "\n");
  EXPECT_EQ(ReadSeedFile(path).value(), seed);
  EXPECT_EQ(WriteSeedFile(path, Ed25519Seed{}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadSeedFile(path).value(), seed);
}

TEST_F(FileIoTest, ReadSeedFileAcceptsSurroundingWhitespace) {
  const auto path = dir_ / "dev.key";
  const Ed25519Seed seed = Ed25519PrivateKey::Generate().seed();
  ASSERT_TRUE(WriteFile(path, " \t\r\n" + HexEncode(seed) + "\r\n\n").ok());
  EXPECT_EQ(ReadSeedFile(path).value(), seed);
}

TEST_F(FileIoTest, ReadSeedFileRefusesWrongLengthNonHexEmptyMissingAndHuge) {
  const auto path = dir_ / "bad.key";
  ASSERT_TRUE(WriteFile(path, std::string(63, 'a')).ok());
  Result<Ed25519Seed> r = ReadSeedFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected 64 hex digits"), std::string::npos);
  ASSERT_TRUE(WriteFile(path, std::string(62, 'a') + "zz").ok());
  r = ReadSeedFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not hexadecimal"), std::string::npos);
  ASSERT_TRUE(WriteFile(path, "").ok());
  EXPECT_EQ(ReadSeedFile(path).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteFile(path, std::string(kSeedFileMaxBytes + 1, ' ')).ok());
  EXPECT_EQ(ReadSeedFile(path).status().code(), StatusCode::kInvalidArgument);
  r = ReadSeedFile(dir_ / "missing");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("seed file"), std::string::npos);
}

}  // namespace
}  // namespace hito
