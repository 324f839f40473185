// UBI claims: one claim per live identity per epoch, proved anonymously against the
// epoch's snapshot of the claimant's cohort, within a window of open epochs
// (docs/protocol/ubi.md).
//
// Records, all state tree leaves:
//   u/params                       version:u8 ubi_per_epoch:u64 max_claims_per_block:u32
//   u/state                        version:u8 pruned_before:u64 (nullifiers of epochs
//                                  below it are gone)
//   u/n/<epoch:u64><nullifier:32>  a used nullifier: version:u8
//   u/k/<epoch:u64>                claims of that epoch: count:u64
//   u/l/<epoch:u64><chunk:u32>     that epoch's nullifiers in claim order, up to
//                                  kNullifierChunk per record, so pruning can find them
// The module is enabled with the registry (genesis with attesters). The ledger credits
// the recipient; this module decides whether a claim is valid and keeps the nullifiers.
//
// Deterministic, no I/O; PreparedSets implementations may cache but never change what
// they return. Not thread-safe except where a class says so.
#ifndef HITO_CONSENSUS_LEDGER_UBI_H_
#define HITO_CONSENSUS_LEDGER_UBI_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/registry.h"
#include "consensus/ledger/tx_result.h"
#include "consensus/types/personhood.h"
#include "consensus/types/transaction.h"
#include "zk/proof/triptych.h"

namespace hito::consensus::ledger {

struct UbiParams {
  uint64_t ubi_per_epoch = 1'000'000;  // base units credited per claim (1 HITO)
  // Claims a block may carry: bounds the proof verification a block costs, so a proposal
  // can always be checked within a round. Claims past it in one block are refused.
  uint32_t max_claims_per_block = 2048;
  friend bool operator==(const UbiParams&, const UbiParams&) = default;
};
inline constexpr uint32_t kMaxClaimsPerBlockMax = 1 << 16;
inline constexpr uint64_t kNullifierChunk = 1024;

Bytes EncodeUbiParams(const UbiParams& p);
Result<UbiParams> DecodeUbiParams(ByteView bytes);  // kDataLoss on a corrupt record
Status ValidateUbiParams(const UbiParams& p);       // kInvalidArgument naming the field

// Where verifiers get the prepared anonymity set of a frozen snapshot. Building one at
// 2^14 members costs tens of megabytes of tables and a noticeable time, so the node
// shares one cache between mempool and block execution; tests use UncachedPreparedSets.
// Implementations must be thread-safe and return, for a (cohort, set hash), the set
// built from exactly the members the registry stores under it.
class PreparedSets {
 public:
  virtual ~PreparedSets() = default;
  // nullopt when the store holds no such set (pruned or never frozen).
  virtual Result<std::optional<zk::proof::membership::PreparedSet>> Get(const RegistryStore& store,
                                                                        uint32_t cohort,
                                                                        const Hash32& set_hash) = 0;
};

// Reads a frozen set's members and prepares it (kDataLoss if they do not hash to
// `set_hash` or do not decode).
Result<std::optional<zk::proof::membership::PreparedSet>> LoadPreparedSet(
    const RegistryStore& store, uint32_t cohort, const Hash32& set_hash);

class UncachedPreparedSets final : public PreparedSets {
 public:
  Result<std::optional<zk::proof::membership::PreparedSet>> Get(const RegistryStore& store,
                                                                uint32_t cohort,
                                                                const Hash32& set_hash) override {
    return LoadPreparedSet(store, cohort, set_hash);
  }
};

namespace ubi {

// Genesis: writes the params and an empty state (with the registry's genesis).
Status InitGenesis(RegistryStore* store, const UbiParams& p);
// nullopt when UBI is not enabled.
Result<std::optional<UbiParams>> ReadParams(const RegistryStore& store);
// Replaces u/params (governance; `p` already validated).
void WriteParams(RegistryStore* store, const UbiParams& p);

// At the first block of `epoch`: drops the nullifiers of every epoch that left the window
// (epochs < epoch + 1 - claim_window).
Status BeginEpoch(RegistryStore* store, const RegistryParams& rp, uint64_t epoch);

// The first epoch still open to claims in `epoch`.
uint64_t OldestOpenEpoch(const RegistryParams& rp, uint64_t epoch);

// What a verifier needs of a membership proof that passed the cheap checks: a claim's
// (CheckClaim) or a ballot's (governance::CheckBallot). VerifyStatements takes both.
struct MembershipStatement {
  uint32_t cohort = 0;
  Hash32 set_hash{};
  std::string context;  // types::ClaimContext(epoch) or types::BallotContext(round)
  Bytes message;        // types::ClaimMessage(...) or types::BallotMessage(...)
  zk::proof::membership::Proof proof;
  Hash32 nullifier{};
};
using ClaimStatement = MembershipStatement;
// Either a refusal or the statement to verify (a claim's or a ballot's).
struct MembershipCheck {
  TxResult refusal;  // ok() iff `statement` is set
  std::optional<MembershipStatement> statement;
};
using ClaimCheck = MembershipCheck;

// The cheap rules of a claim in a block of `epoch`, in order: the epoch is open (the
// current one or one of the claim_window - 1 before it), the cohort had a snapshot in
// that epoch, the proof decodes (canonical points and scalars), and its nullifier is
// unused in `store` (which holds this block's earlier claims). Reads a few small records;
// verifies nothing.
Result<ClaimCheck> CheckClaim(const RegistryStore& store, std::string_view chain_id,
                              const RegistryParams& rp, uint64_t epoch, const types::Claim& claim);

// Verifies the proofs of `statements` (already cheap-checked: claims, ballots or both),
// grouped by (set, cohort, context),
// with zk::proof::membership::BatchVerify. Returns one verdict per statement (true: valid).
// kFirstInvalid stops at the first failure (a block: the rest are reported invalid too);
// kAllInvalid finds exactly the invalid ones (the mempool). A set the store no longer
// holds fails the call (kFailedPrecondition).
struct VerifyOutcome {
  std::vector<bool> valid;
  size_t checks = 0;  // combined checks run (cost in set MSMs)
};
Result<VerifyOutcome> VerifyStatements(const RegistryStore& store, std::string_view chain_id,
                                       const std::vector<const ClaimStatement*>& statements,
                                       PreparedSets* sets, zk::proof::membership::BatchMode mode);

// Records a valid claim's nullifier in `epoch_claimed` (the claim's epoch).
Status RecordClaim(RegistryStore* store, uint64_t epoch_claimed, const Hash32& nullifier);

// Queries on committed state.
Result<bool> NullifierUsed(const RegistryStore& store, uint64_t epoch, const Hash32& nullifier);
Result<uint64_t> ClaimsInEpoch(const RegistryStore& store, uint64_t epoch);

}  // namespace ubi
}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_UBI_H_
