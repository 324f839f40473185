// Write-ahead log: records survive reopen; a torn tail at every possible byte offset and a
// corrupt byte anywhere are detected, cut off durably, kept aside when corrupt, and never
// returned as records; unsynced records are lost on a crash but synced ones never are.
#include "node/io/wal.h"

#include <gtest/gtest.h>

namespace hito::node::io {
namespace {

Bytes Rec(int i) {
  Bytes b(static_cast<size_t>(10 + i), static_cast<uint8_t>(i));
  return b;
}

TEST(Crc32cTest, KnownAnswer) {
  // CRC-32C of "123456789" is 0xE3069283 (RFC 3720, Castagnoli check value).
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xE3069283u);
}

TEST(WalTest, RecordsSurviveReopen) {
  MemEnv env;
  WalRecovery rec;
  auto wal = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_TRUE(rec.records.empty());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*wal)->Append(Rec(i), Wal::Durability::kSync).ok());
  }
  env.Crash();
  auto again = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(rec.tail, WalTail::kClean);
  ASSERT_EQ(rec.records.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rec.records[static_cast<size_t>(i)], Rec(i));
}

TEST(WalTest, UnsyncedRecordsMayBeLostSyncedNeverAre) {
  MemEnv env;
  WalRecovery rec;
  auto wal = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Append(Rec(1), Wal::Durability::kSync).ok());
  ASSERT_TRUE((*wal)->Append(Rec(2), Wal::Durability::kBuffered).ok());
  env.Crash();
  ASSERT_TRUE(Wal::Open(&env, "wal/log", &rec).ok());
  ASSERT_EQ(rec.records.size(), 1u);
  EXPECT_EQ(rec.records[0], Rec(1));
}

TEST(WalTest, TornTailAtEveryOffsetIsCutAndReported) {
  Bytes image;
  for (int i = 0; i < 3; ++i) {
    const Bytes f = FrameWalRecord(Rec(i));
    image.insert(image.end(), f.begin(), f.end());
  }
  const Bytes last = FrameWalRecord(Rec(7));
  const size_t good = image.size();
  for (size_t cut = 1; cut < last.size(); ++cut) {
    MemEnv env;
    Bytes torn = image;
    torn.insert(torn.end(), last.begin(), last.begin() + static_cast<ptrdiff_t>(cut));
    ASSERT_TRUE(WriteFileAtomic(&env, "wal/log", torn).ok());
    WalRecovery rec;
    auto wal = Wal::Open(&env, "wal/log", &rec);
    ASSERT_TRUE(wal.ok());
    EXPECT_EQ(rec.tail, WalTail::kTorn) << "cut " << cut;
    EXPECT_EQ(rec.records.size(), 3u);
    EXPECT_EQ(rec.valid_bytes, good);
    EXPECT_EQ(rec.dropped_bytes, cut);
    // The cut is durable and appends continue after the last good record.
    ASSERT_TRUE((*wal)->Append(Rec(9), Wal::Durability::kSync).ok());
    env.Crash();
    ASSERT_TRUE(Wal::Open(&env, "wal/log", &rec).ok());
    EXPECT_EQ(rec.tail, WalTail::kClean);
    ASSERT_EQ(rec.records.size(), 4u);
    EXPECT_EQ(rec.records[3], Rec(9));
  }
}

TEST(WalTest, CorruptByteAnywhereStopsReplayThereAndIsKeptAside) {
  Bytes image;
  std::vector<size_t> starts;
  for (int i = 0; i < 4; ++i) {
    starts.push_back(image.size());
    const Bytes f = FrameWalRecord(Rec(i));
    image.insert(image.end(), f.begin(), f.end());
  }
  for (size_t pos = 0; pos < image.size(); ++pos) {
    MemEnv env;
    Bytes bad = image;
    bad[pos] ^= 0x40;
    ASSERT_TRUE(WriteFileAtomic(&env, "wal/log", bad).ok());
    WalRecovery rec;
    ASSERT_TRUE(Wal::Open(&env, "wal/log", &rec).ok());
    // The damaged record is the one whose span holds pos.
    size_t damaged = 0;
    while (damaged + 1 < starts.size() && starts[damaged + 1] <= pos) ++damaged;
    EXPECT_NE(rec.tail, WalTail::kClean) << "pos " << pos;
    EXPECT_EQ(rec.records.size(), damaged) << "pos " << pos;
    for (size_t i = 0; i < rec.records.size(); ++i)
      EXPECT_EQ(rec.records[i], Rec(static_cast<int>(i)));
    if (rec.tail == WalTail::kCorrupt) {
      EXPECT_EQ(*env.ReadFile("wal/log.corrupt"), bad);
    }
  }
}

TEST(WalTest, RewriteReplacesTheLogAtomically) {
  MemEnv env;
  WalRecovery rec;
  auto wal = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(wal.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*wal)->Append(Rec(i), Wal::Durability::kSync).ok());
  ASSERT_TRUE((*wal)->Rewrite({Rec(5)}).ok());
  ASSERT_TRUE((*wal)->Append(Rec(6), Wal::Durability::kSync).ok());
  env.Crash();
  ASSERT_TRUE(Wal::Open(&env, "wal/log", &rec).ok());
  ASSERT_EQ(rec.records.size(), 2u);
  EXPECT_EQ(rec.records[0], Rec(5));
  EXPECT_EQ(rec.records[1], Rec(6));
}

TEST(WalTest, OversizedRecordRefused) {
  MemEnv env;
  WalRecovery rec;
  auto wal = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(wal.ok());
  Bytes big(kWalRecordMaxBytes + 1);
  EXPECT_EQ((*wal)->Append(big, Wal::Durability::kSync).code(), StatusCode::kInvalidArgument);
}

// A proposal record with a maximum-size block is a legal record, and reads back.
TEST(WalTest, MaximumSizeBlockRecordFitsAndReadsBack) {
  MemEnv env;
  WalRecovery rec;
  auto wal = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(wal.ok());
  Bytes big(consensus::types::kBlockMaxBytes + kWalProposalOverheadMaxBytes, 0x33);
  ASSERT_TRUE((*wal)->Append(big, Wal::Durability::kSync).ok());
  wal->reset();
  auto again = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(rec.tail, WalTail::kClean);
  ASSERT_EQ(rec.records.size(), 1u);
  EXPECT_EQ(rec.records[0].size(), big.size());
}

TEST(WalTest, FailedSyncIsAnError) {
  MemEnv env;
  WalRecovery rec;
  auto wal = Wal::Open(&env, "wal/log", &rec);
  ASSERT_TRUE(wal.ok());
  env.FailNextSyncs(1);
  EXPECT_FALSE((*wal)->Append(Rec(1), Wal::Durability::kSync).ok());
}

}  // namespace
}  // namespace hito::node::io
