// The personhood registry: accredited attesters, identities in cohorts, and the per-epoch
// snapshots of the cohorts that are the anonymity sets of claims and ballots.
//
// Every record lives under "r/" and is a state tree leaf (docs/protocol/personhood.md):
//   r/params                  registry parameters (present iff the registry is enabled)
//   r/state                   next index, cohorts changed since the last snapshot
//   r/t/<attester:32>         an accredited attester and its registrations this epoch
//   r/i/<index:u64>           identity record (versioned; status, expiry, commitments)
//   r/p/<point:32>            index of the identity with this point (kept forever)
//   r/g/<dedup tag:32>        index of the live identity holding this tag
//   r/a/<attestation id:32>   a used attestation (until its expiry epoch)
//   r/e/<epoch:u64>           identities and attestations that expire at that epoch,
//                             appended to as they are registered
//   r/c/<cohort:u32>          snapshot history of a cohort: (first epoch, set hash)*
//   r/s/<cohort:u32><hash:32> a frozen set: the members of one snapshot of one cohort
//
// Epochs are the ledger's (ledger.h, EpochOf: block h is in epoch h / epoch_blocks).
// At the first block of each epoch, before its transactions, BeginEpoch expires what
// expires then and freezes a new snapshot of every cohort that changed, so everything a
// block does takes effect in the next snapshot; a dead slot holds
// zk::proof::membership::Filler(position in the cohort), so indices never move. Consecutive
// epochs of an unchanged cohort share one set record, addressed by its hash.
//
// Deterministic: integer arithmetic only, checked; ordered containers; state reached
// only through a KvReader and written through a RegistryStore overlay. Not thread-safe.
#ifndef HITO_CONSENSUS_LEDGER_REGISTRY_H_
#define HITO_CONSENSUS_LEDGER_REGISTRY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/types/personhood.h"

namespace hito::consensus::ledger {

enum class SignatureCheck;  // ledger.h

// Dedup OPRF evaluations each validator answers per attester per epoch
// (docs/protocol/dedup-oprf.md, section 5) unless genesis or governance sets another.
inline constexpr uint32_t kDefaultDedupQuotaPerEpoch = 10'000;
// Its bounds, for genesis and for governance alike.
inline constexpr uint32_t kDedupQuotaPerEpochMin = 1;
inline constexpr uint32_t kDedupQuotaPerEpochMax = 100'000'000;

struct RegistryParams {
  uint8_t cohort_bits = 14;                  // cohort of index i: i >> cohort_bits (0..16)
  uint64_t max_attestation_epochs = 8760;    // an expiry at most this many epochs ahead
  uint32_t attester_quota_per_epoch = 1000;  // registrations per attester per epoch
  uint64_t claim_window = 14;                // epochs open to claims: the current one and
                                             // the claim_window - 1 before it; their
                                             // snapshots stay in state
  // Dedup OPRF evaluations a validator answers per attester per epoch. The ledger only
  // keeps it (the validators count evaluations off chain, node/rpc/dedup.h); it lives
  // here so that governance changes it like the registry's other limits.
  uint32_t dedup_quota_per_epoch = kDefaultDedupQuotaPerEpoch;
  friend bool operator==(const RegistryParams&, const RegistryParams&) = default;
};
// A cohort is one membership set: at most zk::proof::membership::kMaxSetSize = 2^16 members.
inline constexpr uint8_t kCohortBitsMax = 16;
// Bounds any genesis may choose, so products and sums below cannot overflow.
inline constexpr uint64_t kMaxAttestationEpochsMax = uint64_t{1} << 32;
inline constexpr uint64_t kSnapshotWindowMax = 1024;

enum class IdentityStatus : uint8_t { kLive = 0, kRevoked = 1, kReplaced = 2, kExpired = 3 };

// A public commitment of the identity's owner (e.g. a hash commitment a future
// registry-wide proof needs), added without a new attestation.
struct Commitment {
  uint16_t kind = 0;
  Hash32 value{};
  friend bool operator==(const Commitment&, const Commitment&) = default;
};
inline constexpr size_t kIdentityCommitmentsMax = 8;
inline constexpr uint8_t kIdentityRecordVersion = 1;

struct Identity {
  uint64_t index = 0;
  types::IdentityPoint point{};
  Hash32 dedup_tag{};
  Ed25519PublicKey attester{};    // issuer of the latest attestation (the one who may revoke)
  uint64_t expiry_epoch = 0;      // dead from the snapshot of this epoch on
  uint64_t registered_epoch = 0;  // in the snapshots from registered_epoch + 1 on
  IdentityStatus status = IdentityStatus::kLive;
  std::vector<Commitment> commitments;  // at most kIdentityCommitmentsMax, kinds distinct
  friend bool operator==(const Identity&, const Identity&) = default;
};

// An identity written by genesis (test and benchmark chains): as if registered in epoch 0
// by `attester` with an attestation of this tag and expiry.
struct GenesisIdentity {
  types::IdentityPoint point{};
  Hash32 dedup_tag{};
  Ed25519PublicKey attester{};
  uint64_t expiry_epoch = 0;
  friend bool operator==(const GenesisIdentity&, const GenesisIdentity&) = default;
};

Bytes EncodeIdentity(const Identity& id);  // the r/i record (the index is in the key)
Result<Identity> DecodeIdentity(uint64_t index, ByteView bytes);  // strict; kDataLoss
// The r/params record, always written in version 2 (with dedup_quota_per_epoch).
Bytes EncodeRegistryParams(const RegistryParams& p);
// Strict; kDataLoss. Reads version 2, and version 1 (written before the dedup quota was a
// registry parameter), whose dedup_quota_per_epoch is `v1_dedup_quota`: ReadParams passes
// the quota of the k/keys record (dkg.h), where the chain kept it then, or the default.
Result<RegistryParams> DecodeRegistryParams(ByteView bytes, uint32_t v1_dedup_quota);
// InvalidArgument naming the parameter outside its range.
Status ValidateRegistryParams(const RegistryParams& p);

// Reads through to the committed state and keeps a block's writes in key order.
class RegistryStore {
 public:
  explicit RegistryStore(const KvReader* base) : base_(base) {}
  Result<std::optional<Bytes>> Get(const Bytes& key) const;
  void Put(const Bytes& key, Bytes value) { writes_[key] = std::move(value); }
  void Delete(const Bytes& key) { writes_[key] = std::nullopt; }
  // Appends `tail` to the record at `key` (an absent record counts as empty), in place:
  // a block appending to one record many times costs linear, not quadratic, bytes.
  Status Append(const Bytes& key, ByteView tail);
  // Writes in key order; nullopt deletes.
  const std::map<Bytes, std::optional<Bytes>>& writes() const { return writes_; }

 private:
  const KvReader* base_;
  std::map<Bytes, std::optional<Bytes>> writes_;
};

namespace registry {

uint32_t CohortOf(const RegistryParams& p, uint64_t index);

// The registry's parameters, or nullopt when genesis enabled no registry (no attesters):
// then registrations and revocations are refused as TX_UNSUPPORTED_KIND. A version 1
// record takes its dedup quota from k/keys (see DecodeRegistryParams).
Result<std::optional<RegistryParams>> ReadParams(const RegistryStore& store);

// Genesis: validates `p`, writes it, the empty registry and each attester. Attesters must
// be distinct and non-empty.
Status InitGenesis(RegistryStore* store, const RegistryParams& p,
                   const std::vector<Ed25519PublicKey>& attesters);

// Genesis, after InitGenesis: registers `identities` at indices 0, 1, ... in order, then
// freezes the snapshots of their cohorts from epoch 0, so they claim from epoch 0 on.
// Each must have an accredited attester, a canonical non-identity point and a tag no
// other holds, and an expiry in 1..max_attestation_epochs; InvalidArgument names the
// first that does not.
Status GenesisIdentities(RegistryStore* store, const RegistryParams& p,
                         const std::vector<GenesisIdentity>& identities);

// For governance: accredit or withdraw an attester. Removal keeps its identities (they
// expire or are replaced as usual) and stops both its registrations and its revocations.
// kAlreadyExists / kNotFound when there is nothing to do.
Status AddAttester(RegistryStore* store, const Ed25519PublicKey& attester);
Status RemoveAttester(RegistryStore* store, const Ed25519PublicKey& attester);
Result<bool> IsAttester(const RegistryStore& store, const Ed25519PublicKey& attester);
// For governance: revokes the live identity with `point` as its attester's revocation
// would (a filler from the next snapshot). kNotFound / kFailedPrecondition (not live).
Status RevokeIdentity(RegistryStore* store, const RegistryParams& p,
                      const types::IdentityPoint& point);
// For governance: replaces r/params (`p` already validated).
void WriteParams(RegistryStore* store, const RegistryParams& p);
// An accredited attester's registrations counted against its quota (in `quota_epoch`;
// a later epoch starts from 0); nullopt when `attester` is not accredited.
struct AttesterQuota {
  uint64_t quota_epoch = 0;
  uint32_t used = 0;
};
Result<std::optional<AttesterQuota>> GetAttesterQuota(const RegistryStore& store,
                                                      const Ed25519PublicKey& attester);
// The key prefix of the attester records ("r/t/"); each key is it plus the 32-byte key.
inline constexpr std::string_view kAttesterKeyPrefix = "r/t/";

// At the first block of `epoch`, before its transactions: expiries of that epoch, the
// snapshots of changed cohorts, and pruning of snapshots older than the window.
Status BeginEpoch(RegistryStore* store, const RegistryParams& p, uint64_t epoch);

// A registration in a block of `epoch` (rules and their order: personhood.md). A non-OK
// Result is a storage failure; refusals are TxResults and change nothing. A new identity
// whose tag a live identity holds replaces it, whichever accredited attester issued it;
// the OK result's message then names the replaced index, its attester and the replacing
// attester (empty otherwise).
// SignatureCheck::kAlreadyVerified skips the attester signature and the proof of
// possession (for blocks whose transactions the node itself verified).
Result<TxResult> ApplyRegistration(RegistryStore* store, std::string_view chain_id,
                                   const RegistryParams& p, uint64_t epoch,
                                   const types::Registration& reg, SignatureCheck sigs);
// A revocation by the identity's issuing attester.
Result<TxResult> ApplyRevocation(RegistryStore* store, std::string_view chain_id,
                                 const RegistryParams& p, const types::Revocation& rev,
                                 SignatureCheck sigs);
// The seam for later public commitments: the owner of a live identity adds one, proving
// possession of its secret over types::CommitmentPossessionMessage. No transaction kind
// carries it yet.
Result<TxResult> AddCommitment(RegistryStore* store, std::string_view chain_id,
                               const types::IdentityPoint& point, const Commitment& commitment,
                               const types::PossessionProof& proof);

// Queries on committed state.
Result<uint64_t> Size(const RegistryStore& store);  // identities ever registered
Result<std::optional<Identity>> IdentityAt(const RegistryStore& store, uint64_t index);
Result<std::optional<Identity>> FindIdentity(const RegistryStore& store,
                                             const types::IdentityPoint& point);
// The set hash of cohort `cohort` in the snapshot of `epoch`; nullopt when the cohort had
// no snapshot then or it was pruned.
Result<std::optional<Hash32>> SnapshotHash(const RegistryStore& store, uint64_t epoch,
                                           uint32_t cohort);
// The members of a frozen set (live points and fillers, in index order).
Result<std::optional<std::vector<types::IdentityPoint>>> SnapshotMembers(const RegistryStore& store,
                                                                         uint32_t cohort,
                                                                         const Hash32& set_hash);
// The hash zk::proof::membership::PreparedSet gives these members (spec section 5).
Hash32 MembershipSetHash(const std::vector<types::IdentityPoint>& members);

}  // namespace registry
}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_REGISTRY_H_
