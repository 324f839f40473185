// The dkg module of the ledger: runs of the distributed key generation and resharing of
// the dedup OPRF key (zk/dkg.h, docs/protocol/dkg.md) carried in kind-8 transactions
// (types/dkg_message.h), with phase deadlines as block heights, and the key set they
// produce (docs/protocol/dedup-dkg.md).
//
// Records (docs/protocol/state.md), all tree leaves:
//   k/params        phase_blocks u64; present iff the chain has a dedup key (or a
//                   genesis DKG): without it kind 8 is TX_UNSUPPORTED_KIND
//   k/keys          the current key set (ledger::DedupKeySet): K, t, genesis' quota (see
//                   DedupKeySet), (validator, index, K_i) per holder
//   k/session       the open session, at most one: id, kind, threshold, heights, dealers,
//                   recipients
//   k/index         the accepted messages of the open session, 5 bytes each
//                   (type u8, dealer u16, complainer u16), in acceptance order
//   k/d/<dealer:u16>                 a dealing or reshare dealing (its zk encoding)
//   k/c/<dealer:u16><complainer:u16> a complaint
//   k/j/<dealer:u16><complainer:u16> a justification
//   k/last          how the last finished session ended: id, height, formed u8, reason
//   k/decided       the last decided session, and for a resharing the key set it started
//                   from; with k/index and the messages it is kept until the next session
//                   opens, so that a recipient (even one restarted after h3) can still
//                   collect its shares from them
//
// Phases of a session started at height s with phase length P: dealings in blocks
// s+1 .. h1 = s+P, complaints in h1+1 .. h2 = s+2P, justifications in h2+1 .. h3 = s+3P.
// At the end of block h3 (after its transactions) the ledger runs zk::dkg::Qualify (or
// QualifyReshare with the key set's K_i) on the stored messages, writes the new key set
// or records the failure, and moves the session record to k/decided (its messages stay).
//
// Pure functions over a RegistryStore overlay: no I/O, no clock, ordered iteration only.
#ifndef HITO_CONSENSUS_LEDGER_DKG_H_
#define HITO_CONSENSUS_LEDGER_DKG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/ledger/registry.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/types/dkg_message.h"
#include "consensus/types/validator_set.h"

namespace hito::consensus::ledger {

enum class SignatureCheck;  // ledger.h

// The dedup OPRF's key set (docs/protocol/dedup-oprf.md): the group key K = k*G, the
// threshold t and each genesis validator's share index and public share K_i. Genesis
// must hold one iff it accredits attesters (node/config/genesis_json.h checks this and
// that the shares are consistent). The ledger writes it to state at genesis (k/keys,
// below), and a resharing (started when the validator set changes) or a genesis DKG
// replaces it there; each node's DedupService serves the set in k/keys with its own share
// (node/dedup).
struct DedupValidatorShare {
  Ed25519PublicKey validator{};
  uint16_t index = 0;     // 1..zk::oprf::kMaxParticipants
  Hash32 public_share{};  // K_i, canonical ristretto255
  friend bool operator==(const DedupValidatorShare&, const DedupValidatorShare&) = default;
};
struct DedupKeySet {
  Hash32 group_key{};
  uint16_t threshold = 0;
  std::vector<DedupValidatorShare> shares;  // one per genesis validator, indices distinct
  // The quota genesis set (it must equal the genesis RegistryParams::dedup_quota_per_epoch),
  // kept in k/keys as a record of genesis only: a genesis DKG writes the default and a
  // resharing copies it. The quota in force is the registry parameter, which governance
  // changes; only a version 1 r/params record, which has none, reads it from here.
  uint32_t quota_per_epoch = kDefaultDedupQuotaPerEpoch;
  friend bool operator==(const DedupKeySet&, const DedupKeySet&) = default;
};

inline constexpr uint64_t kDefaultDkgPhaseBlocks = 20;
inline constexpr uint64_t kDkgPhaseBlocksMax = 100'000;

enum class DkgKind : uint8_t { kDkg = 1, kReshare = 2 };

// A DKG among the genesis validators, opened at genesis (the chain then starts with no
// key set; one forms at height 3 * phase_blocks if at least t dealers qualify).
struct DkgGenesis {
  uint64_t phase_blocks = kDefaultDkgPhaseBlocks;  // 1..kDkgPhaseBlocksMax
  uint16_t threshold = 0;                          // 0: zk::dkg::DefaultThreshold(n)
};

struct DkgSession {
  Hash32 id{};
  DkgKind kind = DkgKind::kDkg;
  uint16_t threshold = 0;  // of the recipients' committee
  uint64_t start_height = 0;
  uint64_t dealing_until = 0;         // h1
  uint64_t complaints_until = 0;      // h2
  uint64_t justifications_until = 0;  // h3
  // Dealer index p + 1 is dealers[p]: for a DKG the recipients themselves, for a
  // resharing the old key holders in share-index order.
  std::vector<Ed25519PublicKey> dealers;
  std::vector<Ed25519PublicKey> recipients;  // recipient index m + 1 is recipients[m]
  friend bool operator==(const DkgSession&, const DkgSession&) = default;
};

// A session after its h3, with what a recipient needs to rebuild the outcome.
struct DecidedSession {
  DkgSession session;
  std::optional<DedupKeySet> old_keys;  // a resharing's starting key set
};

// Every stored message of the open or the last decided session, decoded.
struct DkgMessages {
  std::vector<zk::dkg::Dealing> dealings;
  std::vector<zk::dkg::ReshareDealing> reshares;
  std::vector<zk::dkg::Complaint> complaints;
  std::vector<zk::dkg::Justification> justifications;
};

struct DkgResult {
  Hash32 session{};
  uint64_t height = 0;
  bool formed = false;
  std::string reason;  // why it failed; empty when formed
  friend bool operator==(const DkgResult&, const DkgResult&) = default;
};

namespace dkg {

// BLAKE2b-256 "hito/v1/dkg-session" of chain_id:str kind:u8 start_height:u64.
Hash32 SessionId(std::string_view chain_id, DkgKind kind, uint64_t start_height);

// Genesis: writes k/params when `keys` or `start` is set, k/keys for `keys`, and for
// `start` a DKG session among `validators` from height 0. Both set, a bad phase length
// or threshold: InvalidArgument.
Status InitGenesis(RegistryStore* store, std::string_view chain_id,
                   const types::ValidatorSet& validators, const std::optional<DedupKeySet>& keys,
                   const std::optional<DkgGenesis>& start);

// nullopt: the chain has no dedup key and runs no DKG.
Result<std::optional<uint64_t>> ReadPhaseBlocks(const RegistryStore& store);
Result<std::optional<DedupKeySet>> ReadKeySet(const RegistryStore& store);
Result<std::optional<DkgSession>> ReadSession(const RegistryStore& store);
Result<std::optional<DkgResult>> ReadLastResult(const RegistryStore& store);
Result<std::optional<DecidedSession>> ReadDecided(const RegistryStore& store);
// The stored messages (of the open session if there is one, else of the decided one).
Result<DkgMessages> ReadMessages(const RegistryStore& store);
// A key set as the zk::dkg outcome a resharing starts from (public shares in index
// order). Errors: kDataLoss for an element that does not decode.
Result<zk::dkg::Outcome> KeySetOutcome(const DedupKeySet& keys);

// The start of block `height`, given the validator set ruling it: if the chain holds a
// key set whose holders (in index order) are not exactly `ruling`'s validators (in set
// order) and no resharing to `ruling` is open, opens one from `height` (replacing any
// open or decided session, whose messages are deleted). A resharing that fails is thus retried from
// the next block. Does nothing without k/keys, or when the key set's share indices are
// not exactly 1..n (a dealt genesis set may use others; zk::dkg numbers dealers 1..n).
Status BeginBlock(RegistryStore* store, std::string_view chain_id, uint64_t height,
                  const types::ValidatorSet& ruling);

// One kind-8 transaction in block `height`: refused (chain, session, signature unless
// kAlreadyVerified, phase, membership, duplicates; see dkg.cc) or stored.
Result<TxResult> ApplyMessage(RegistryStore* store, std::string_view chain_id, uint64_t height,
                              const types::DkgMessage& m, SignatureCheck sigs);

// The end of block `height`: at the open session's h3, decides it (see the header).
Status EndBlock(RegistryStore* store, uint64_t height);

}  // namespace dkg
}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_DKG_H_
