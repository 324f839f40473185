// Env: the crash model of MemEnv (only synced bytes and synced names survive) and the
// real PosixEnv on a temporary directory, including WriteFileAtomic.
#include "node/io/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace hito::node::io {
namespace {

Bytes B(std::string_view s) { return ToBytes(AsBytes(s)); }

TEST(MemEnvTest, UnsyncedBytesAreLostOnCrash) {
  MemEnv env;
  auto f = env.NewAppendableFile("d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(B("durable")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(env.SyncDir("d").ok());
  ASSERT_TRUE((*f)->Append(B("-lost")).ok());
  EXPECT_EQ(*env.ReadFile("d/f"), B("durable-lost"));
  env.Crash();
  EXPECT_EQ(*env.ReadFile("d/f"), B("durable"));
}

TEST(MemEnvTest, FileWhoseDirectoryWasNotSyncedDisappears) {
  MemEnv env;
  auto f = env.NewAppendableFile("d/new");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(B("x")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  env.Crash();
  EXPECT_FALSE(env.FileExists("d/new"));
}

TEST(MemEnvTest, TornTailKeepsAPrefixOfUnsyncedBytes) {
  MemEnv env;
  auto f = env.NewAppendableFile("d/f");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(B("abc")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(env.SyncDir("d").ok());
  ASSERT_TRUE((*f)->Append(B("defgh")).ok());
  env.Crash([](const std::string&, uint64_t, void*) -> uint64_t { return 2; }, nullptr);
  EXPECT_EQ(*env.ReadFile("d/f"), B("abcde"));
}

TEST(MemEnvTest, AtomicWriteGivesOldOrNewNeverAMix) {
  MemEnv env;
  ASSERT_TRUE(WriteFileAtomic(&env, "d/state", B("old")).ok());
  // Crash in the middle of a second atomic write: before the rename is made durable.
  {
    auto tmp = env.NewWritableFile("d/state.tmp");
    ASSERT_TRUE(tmp.ok());
    ASSERT_TRUE((*tmp)->Append(B("new")).ok());
    ASSERT_TRUE((*tmp)->Sync().ok());
    ASSERT_TRUE(env.RenameFile("d/state.tmp", "d/state").ok());
  }
  env.Crash();
  EXPECT_EQ(*env.ReadFile("d/state"), B("old"));
  ASSERT_TRUE(WriteFileAtomic(&env, "d/state", B("new")).ok());
  env.Crash();
  EXPECT_EQ(*env.ReadFile("d/state"), B("new"));
}

TEST(MemEnvTest, InjectedSyncFailureIsReported) {
  MemEnv env;
  env.FailNextSyncs(1);
  EXPECT_FALSE(WriteFileAtomic(&env, "d/state", B("x")).ok());
  EXPECT_TRUE(WriteFileAtomic(&env, "d/state", B("x")).ok());
}

// Power lost at the second durability point from now: the first sync lands, the second
// and everything after it (bytes, a synced atomic replacement) is lost at the crash,
// although every call still succeeds for the code that keeps running.
TEST(MemEnvTest, PowerLossAtASyncKeepsOnlyWhatWasDurableBeforeIt) {
  MemEnv env;
  ASSERT_TRUE(WriteFileAtomic(&env, "d/state", B("old")).ok());
  auto f = env.NewAppendableFile("d/log");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env.SyncDir("d").ok());
  env.PowerLossAtSync(2);
  ASSERT_TRUE((*f)->Append(B("one")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_FALSE(env.powered_off());
  ASSERT_TRUE((*f)->Append(B("two")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_TRUE(env.powered_off());
  ASSERT_TRUE(WriteFileAtomic(&env, "d/state", B("new")).ok());
  EXPECT_EQ(*env.ReadFile("d/state"), B("new"));
  env.Crash();
  EXPECT_FALSE(env.powered_off());
  EXPECT_EQ(*env.ReadFile("d/log"), B("one"));
  EXPECT_EQ(*env.ReadFile("d/state"), B("old"));
  // The next life syncs normally.
  ASSERT_TRUE(WriteFileAtomic(&env, "d/state", B("new")).ok());
  env.Crash();
  EXPECT_EQ(*env.ReadFile("d/state"), B("new"));
}

TEST(PosixEnvTest, WriteReadRenameTruncateOnRealDisk) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hito-env-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Env* env = Env::Posix();
  ASSERT_TRUE(env->CreateDirs(dir.string()).ok());
  const std::string path = (dir / "state").string();
  EXPECT_EQ(env->ReadFile(path).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(env, path, B("hello world")).ok());
  EXPECT_EQ(*env->ReadFile(path), B("hello world"));
  ASSERT_TRUE(env->TruncateFile(path, 5).ok());
  EXPECT_EQ(*env->ReadFile(path), B("hello"));
  auto f = env->NewAppendableFile(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(B("!")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*env->ReadFile(path), B("hello!"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hito::node::io
