// Fixtures shared by the consensus/types tests: deterministic keys, signed sample values,
// and the "every truncation fails, one trailing byte fails" checks.
#ifndef HITO_TESTS_UNIT_TYPES_TEST_UTIL_H_
#define HITO_TESTS_UNIT_TYPES_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/ed25519.h"
#include "base/hash.h"
#include "base/status.h"
#include "consensus/types/block.h"
#include "consensus/types/transaction.h"
#include "consensus/types/validator_set.h"
#include "consensus/types/vote.h"
#include "tests/support/votes.h"

namespace hito::consensus::types::testing {

inline constexpr std::string_view kChain = "hito-test-1";

// A key from a fixed seed: byte i of the seed is (i + n) mod 256.
inline Ed25519PrivateKey Key(uint8_t n) {
  Ed25519Seed seed;
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + n);
  return Ed25519PrivateKey::FromSeed(seed);
}

inline Hash32 H(std::string_view s) { return DomainHash("hito/v1/test", AsBytes(s)); }

inline Transfer SignedTransfer(std::string_view chain = kChain, uint8_t key = 1) {
  Ed25519PrivateKey k = Key(key);
  Transfer t;
  t.chain_id = std::string(chain);
  t.sender = k.public_key();
  t.nonce = 7;
  t.fee = 1000;
  t.to = AccountIdFromPublicKey(Key(2).public_key());
  t.amount = 25 * 1'000'000;
  t.memo = {'r', 'e', 'n', 't'};
  SignTransfer(&t, k);
  return t;
}

// Four validators with keys 10..13 and powers 1, 2, 3, 4 (total 10).
struct Validators {
  std::vector<Ed25519PrivateKey> keys;  // in set order
  ValidatorSet set;
};

inline Validators MakeValidators(std::vector<uint64_t> powers = {1, 2, 3, 4}) {
  std::vector<Validator> vs;
  std::vector<Ed25519PrivateKey> keys;
  for (size_t i = 0; i < powers.size(); ++i) {
    keys.push_back(Key(static_cast<uint8_t>(10 + i)));
    vs.push_back({keys.back().public_key(), powers[i]});
  }
  Result<ValidatorSet> set = ValidatorSet::Create(vs);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  Validators out;
  out.set = *set;
  for (const Validator& v : out.set.validators()) {
    for (Ed25519PrivateKey& k : keys) {
      if (k.public_key() == v.public_key) out.keys.push_back(std::move(k));
    }
  }
  return out;
}

inline Vote SignedVote(const Ed25519PrivateKey& key, VoteType type, uint64_t height, uint32_t round,
                       std::optional<Hash32> block_hash, std::string_view chain = kChain) {
  return hito::testing::SignedVote(chain, key, type, height, round, block_hash);
}

// Commit for block_hash at (height, round): flags[i] says what validator i contributes.
inline Commit MakeCommit(const Validators& vals, uint64_t height, uint32_t round,
                         const Hash32& block_hash, const std::vector<CommitFlag>& flags,
                         std::string_view chain = kChain) {
  Commit c;
  c.height = height;
  c.round = round;
  c.block_hash = block_hash;
  for (size_t i = 0; i < flags.size(); ++i) {
    CommitSig s;
    s.flag = flags[i];
    if (flags[i] != CommitFlag::kAbsent) {
      std::optional<Hash32> bh;
      if (flags[i] == CommitFlag::kCommit) bh = block_hash;
      s.signature =
          SignedVote(vals.keys[i], VoteType::kPrecommit, height, round, bh, chain).signature;
    }
    c.signatures.push_back(s);
  }
  return c;
}

inline DuplicateVoteEvidence MakeEvidence(const Ed25519PrivateKey& key, uint64_t height) {
  return hito::testing::DuplicateVotes(kChain, key, height, 0, H("block-x"), H("block-y"));
}

// A block at height 2 with two transfers, the commit of block 1 and one evidence.
inline Block MakeBlock(const Validators& vals) {
  Block b;
  b.header.chain_id = std::string(kChain);
  b.header.height = 2;
  b.header.time_ms = 1'700'000'000'000;
  b.header.prev_hash = H("block-1");
  b.header.app_hash = H("state-after-1");
  b.header.validators_hash = vals.set.Hash();
  b.header.next_validators_hash = vals.set.Hash();
  b.header.proposer = vals.keys[0].public_key();
  b.txs.push_back(EncodeTransaction(Transaction{SignedTransfer()}));
  Transfer t2 = SignedTransfer(kChain, 3);
  t2.nonce = 0;
  SignTransfer(&t2, Key(3));
  b.txs.push_back(EncodeTransaction(Transaction{t2}));
  b.last_commit =
      MakeCommit(vals, 1, 0, H("block-1"),
                 {CommitFlag::kCommit, CommitFlag::kNil, CommitFlag::kCommit, CommitFlag::kCommit});
  b.evidence.push_back(MakeEvidence(vals.keys[1], 1));
  b.header.tx_root = TxRoot(b.txs);
  b.header.last_commit_hash = CommitHash(b.last_commit);
  b.header.evidence_hash = EvidenceHash(b.evidence);
  return b;
}

// Every proper prefix of a valid encoding is rejected as kInvalidArgument, and so is the
// encoding with one extra byte.
template <typename Decode>
void ExpectStrict(const Bytes& valid, Decode decode) {
  ASSERT_TRUE(decode(valid).ok()) << decode(valid).status().ToString();
  for (size_t len = 0; len < valid.size(); ++len) {
    auto r = decode(ByteView(valid.data(), len));
    ASSERT_FALSE(r.ok()) << "prefix of " << len << " of " << valid.size() << " bytes decoded";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  }
  Bytes longer = valid;
  longer.push_back(0);
  auto r = decode(longer);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("trailing"), std::string::npos) << r.status().ToString();
}

// An attestation by key n=4 for a fixed identity point (a test hash, not necessarily a
// valid point: the encoding keeps it opaque) and the tag of handle "alice" under key 7s.
inline Attestation SignedAttestation(std::string_view chain = kChain) {
  Attestation a;
  a.chain_id = std::string(chain);
  a.identity = H("identity-point");
  DedupKey key;
  key.fill(7);
  a.dedup_tag = DedupTag(key, "alice");
  a.expiry_epoch = 42;
  SignAttestation(&a, Key(4));
  return a;
}

// A registration with the attestation above and a fixed 64-byte stand-in for the proof
// of possession (opaque to the encoding; the ledger verifies it).
inline Registration SampleRegistration() {
  Registration r;
  r.attestation = SignedAttestation();
  for (size_t i = 0; i < r.possession.size(); ++i) r.possession[i] = static_cast<uint8_t>(0x50 + i);
  return r;
}

// Key n=4 revokes the identity point above.
inline Revocation SignedRevocationSample(std::string_view chain = kChain) {
  Revocation r;
  r.chain_id = std::string(chain);
  r.identity = H("identity-point");
  SignRevocation(&r, Key(4));
  return r;
}

inline bool HasMessage(const Status& s, std::string_view needle) {
  return s.message().find(needle) != std::string::npos;
}

inline void PutU32(Bytes* b, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    (*b)[offset + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

}  // namespace hito::consensus::types::testing

#endif  // HITO_TESTS_UNIT_TYPES_TEST_UTIL_H_
