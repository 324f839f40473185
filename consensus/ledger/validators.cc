#include "consensus/ledger/validators.h"

#include <algorithm>
#include <set>
#include <string>

#include "base/checked.h"
#include "base/hash.h"
#include "base/hex.h"

namespace hito::consensus::ledger {
namespace {

void PutBE(Bytes* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t GetBE(ByteView in, size_t at, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | in[at + i];
  return v;
}

Bytes Key(std::string_view k) { return Bytes(k.begin(), k.end()); }

}  // namespace

const types::ValidatorSet* ValidatorSchedule::SetAt(uint64_t height) const {
  const types::ValidatorSet* found = nullptr;
  for (const ValidatorSetChange& e : entries_) {
    if (e.height > height) break;
    found = &e.set;
  }
  return found;
}

Status ValidatorSchedule::Put(uint64_t height, types::ValidatorSet set) {
  if (set.size() == 0) return InvalidArgumentError("validator set change: empty set");
  if (height < 1) return InvalidArgumentError("validator set change: height 0");
  auto it = std::lower_bound(entries_.begin(), entries_.end(), height,
                             [](const ValidatorSetChange& e, uint64_t h) { return e.height < h; });
  if (it != entries_.end() && it->height == height) {
    it->set = std::move(set);
    return Status::Ok();
  }
  if (entries_.size() >= kValidatorScheduleMax) {
    return ResourceExhaustedError("validator set change: the schedule holds " +
                                  std::to_string(kValidatorScheduleMax) + " entries already");
  }
  entries_.insert(it, ValidatorSetChange{height, std::move(set)});
  return Status::Ok();
}

bool ValidatorSchedule::Prune(uint64_t oldest_needed) {
  // Entry i is unused once entry i + 1 already rules oldest_needed.
  size_t drop = 0;
  while (drop + 1 < entries_.size() && entries_[drop + 1].height <= oldest_needed) ++drop;
  if (drop == 0) return false;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
  return true;
}

Bytes EncodeValidatorSchedule(const ValidatorSchedule& s) {
  Bytes out;
  PutBE(&out, s.entries_.size(), 4);
  for (const ValidatorSetChange& e : s.entries_) {
    Bytes set = types::EncodeValidatorSet(e.set);
    PutBE(&out, e.height, 8);
    PutBE(&out, set.size(), 4);
    out.insert(out.end(), set.begin(), set.end());
  }
  return out;
}

Result<ValidatorSchedule> DecodeValidatorSchedule(ByteView in) {
  auto bad = [](const std::string& why) { return DataLossError("v/sets record: " + why); };
  if (in.size() < 4) return bad("truncated count");
  const uint64_t count = GetBE(in, 0, 4);
  if (count == 0 || count > kValidatorScheduleMax) return bad("bad entry count");
  ValidatorSchedule s;
  size_t at = 4;
  for (uint64_t i = 0; i < count; ++i) {
    if (in.size() - at < 12) return bad("truncated entry");
    const uint64_t height = GetBE(in, at, 8);
    const uint64_t len = GetBE(in, at + 8, 4);
    at += 12;
    if (in.size() - at < len) return bad("truncated set");
    Result<types::ValidatorSet> set = types::DecodeValidatorSet(in.subspan(at, len));
    if (!set.ok()) return bad(set.status().message());
    at += len;
    if (!s.entries_.empty() && height <= s.entries_.back().height)
      return bad("heights not increasing");
    if (set->size() == 0) return bad("empty set");
    s.entries_.push_back(ValidatorSetChange{height, std::move(set).value()});
  }
  if (at != in.size()) return bad("trailing bytes");
  return s;
}

Result<ValidatorSchedule> GenesisValidatorSchedule(const types::ValidatorSet& genesis_set,
                                                   const std::vector<ValidatorSetChange>& changes) {
  if (genesis_set.size() == 0) return InvalidArgumentError("genesis: no validators");
  if (changes.size() + 1 > kValidatorScheduleMax) {
    return InvalidArgumentError("genesis: validator_schedule has more than " +
                                std::to_string(kValidatorScheduleMax - 1) + " entries");
  }
  ValidatorSchedule s;
  HITO_RETURN_IF_ERROR(s.Put(1, genesis_set));
  uint64_t last = 1;
  for (const ValidatorSetChange& c : changes) {
    const std::string where =
        "genesis: validator_schedule entry at height " + std::to_string(c.height);
    // Height 1 is the genesis set itself; a change there would make two sets for it.
    if (c.height < 2) return InvalidArgumentError(where + ": height must be >= 2");
    if (c.height <= last) {
      return InvalidArgumentError(where + ": heights must be strictly increasing");
    }
    if (c.set.size() == 0) return InvalidArgumentError(where + ": empty validator set");
    HITO_RETURN_IF_ERROR(s.Put(c.height, c.set));
    last = c.height;
  }
  return s;
}

Result<ValidatorSchedule> ReadValidatorSchedule(const KvReader& state) {
  std::optional<Bytes> raw;
  HITO_RETURN_IF_ERROR(state.Get(AsBytes(kValidatorSetsKey), &raw));
  if (!raw) return FailedPreconditionError("state has no v/sets record: genesis was not applied");
  return DecodeValidatorSchedule(*raw);
}

Result<types::ValidatorSet> ValidatorSetAt(const KvReader& state, uint64_t committed_height,
                                           uint64_t height) {
  const uint64_t known = CheckedAdd(committed_height, kValidatorChangeDelay).value_or(UINT64_MAX);
  if (height == 0 || height > known) {
    return OutOfRangeError("validator set of height " + std::to_string(height) +
                           " is not fixed by the state at height " +
                           std::to_string(committed_height));
  }
  HITO_ASSIGN_OR_RETURN(ValidatorSchedule s, ReadValidatorSchedule(state));
  const types::ValidatorSet* set = s.SetAt(height);
  if (set == nullptr) {
    return OutOfRangeError("validator set of height " + std::to_string(height) +
                           " is no longer kept in state");
  }
  return *set;
}

Status ScheduleValidatorSetChange(ValidatorSchedule* schedule, uint64_t decided_height,
                                  types::ValidatorSet set) {
  if (set.size() == 0) return InvalidArgumentError("validator set change: empty set");
  // A change never reaches back before what headers already announced (see the header
  // comment): decided_height + D is always beyond the next_validators_hash of the block
  // that follows.
  const std::optional<uint64_t> height = CheckedAdd(decided_height, kValidatorChangeDelay);
  if (!height) return InvalidArgumentError("validator set change: height overflows");
  return schedule->Put(*height, std::move(set));
}

Bytes EvidenceKey(const types::DuplicateVoteEvidence& e) {
  const Hash32 h = DomainHash("hito/v1/evidence", types::EncodeEvidence(e));
  Bytes key = Key(kEvidencePrefix);
  key.insert(key.end(), h.begin(), h.end());
  return key;
}

Bytes EncodeEvidenceRecord(uint64_t recorded_height, const types::DuplicateVoteEvidence& e) {
  Bytes out;
  PutBE(&out, recorded_height, 8);
  Bytes body = types::EncodeEvidence(e);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes EvidenceKey(const types::ConflictingProposalEvidence& e) {
  const Hash32 h = DomainHash("hito/v1/evidence", types::EncodeProposalEvidence(e));
  Bytes key = Key(kEvidencePrefix);
  key.insert(key.end(), h.begin(), h.end());
  return key;
}

Bytes EncodeEvidenceRecord(uint64_t recorded_height, const types::ConflictingProposalEvidence& e) {
  Bytes out;
  PutBE(&out, recorded_height, 8);
  Bytes body = types::EncodeProposalEvidence(e);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

namespace {

// The rules both evidence kinds share, for a piece against `signer` at `height` whose
// state key is `key`; `verify` checks its signatures and shape.
template <typename VerifyFn>
Status CheckEvidenceOf(const KvReader& state, const ValidatorSchedule& schedule,
                       uint64_t block_height, const Ed25519PublicKey& signer, uint64_t height,
                       const Bytes& key, VerifyFn&& verify) {
  const std::string who = "evidence against " + HexEncode(signer).substr(0, 16) + " at height " +
                          std::to_string(height);
  // Cheap checks first; the signatures last.
  if (height >= block_height) {
    return InvalidArgumentError(who + ": not below the block's height");
  }
  if (block_height - height > kEvidenceMaxAgeHeights) {
    return InvalidArgumentError(who + ": older than " + std::to_string(kEvidenceMaxAgeHeights) +
                                " heights");
  }
  const types::ValidatorSet* set = schedule.SetAt(height);
  if (set == nullptr) return InvalidArgumentError(who + ": no validator set kept for it");
  if (!set->IndexOf(signer)) {
    return InvalidArgumentError(who + ": signer was not a validator at that height");
  }
  std::optional<Bytes> recorded;
  HITO_RETURN_IF_ERROR(state.Get(key, &recorded));
  if (recorded) return InvalidArgumentError(who + ": already recorded");
  Status s = verify();
  if (!s.ok()) return InvalidArgumentError(who + ": " + s.message());
  return Status::Ok();
}

// The first block that may include evidence of `height` on the state after
// `committed_height`; nullopt for a height beyond the one being decided.
std::optional<uint64_t> FirstIncludingBlock(uint64_t committed_height, uint64_t height) {
  const uint64_t next = CheckedAdd(committed_height, uint64_t{1}).value_or(UINT64_MAX);
  if (height > next || height == UINT64_MAX) return std::nullopt;
  return std::max(next, height + 1);
}

template <typename Evidence>
Status CheckPending(const KvReader& state, std::string_view chain_id, uint64_t committed_height,
                    uint64_t height, const Evidence& e) {
  const std::optional<uint64_t> block = FirstIncludingBlock(committed_height, height);
  if (!block) {
    return InvalidArgumentError("evidence at height " + std::to_string(height) +
                                " is beyond the height being decided (" +
                                std::to_string(committed_height) + " committed)");
  }
  HITO_ASSIGN_OR_RETURN(ValidatorSchedule schedule, ReadValidatorSchedule(state));
  return CheckEvidence(state, chain_id, schedule, *block, e);
}

}  // namespace

Status CheckEvidence(const KvReader& state, std::string_view chain_id,
                     const ValidatorSchedule& schedule, uint64_t block_height,
                     const types::DuplicateVoteEvidence& e) {
  return CheckEvidenceOf(state, schedule, block_height, e.a.validator, e.a.height, EvidenceKey(e),
                         [&] { return types::VerifyEvidence(chain_id, e); });
}

Status CheckEvidence(const KvReader& state, std::string_view chain_id,
                     const ValidatorSchedule& schedule, uint64_t block_height,
                     const types::ConflictingProposalEvidence& e) {
  return CheckEvidenceOf(state, schedule, block_height, e.a.proposer, e.a.height, EvidenceKey(e),
                         [&] { return types::VerifyProposalEvidence(chain_id, e); });
}

Status CheckPendingEvidence(const KvReader& state, std::string_view chain_id,
                            uint64_t committed_height, const types::DuplicateVoteEvidence& e) {
  return CheckPending(state, chain_id, committed_height, e.a.height, e);
}

Status CheckPendingEvidence(const KvReader& state, std::string_view chain_id,
                            uint64_t committed_height,
                            const types::ConflictingProposalEvidence& e) {
  return CheckPending(state, chain_id, committed_height, e.a.height, e);
}

Result<std::vector<std::pair<Bytes, Bytes>>> ValidatorRecords(
    const KvReader& state, std::string_view chain_id, uint64_t block_height,
    const std::vector<types::DuplicateVoteEvidence>& evidence,
    const std::vector<types::ConflictingProposalEvidence>& proposal_evidence,
    const std::optional<types::ValidatorSet>& scheduled) {
  std::vector<std::pair<Bytes, Bytes>> out;
  std::optional<Bytes> raw;
  HITO_RETURN_IF_ERROR(state.Get(AsBytes(kValidatorSetsKey), &raw));
  if (!raw) {
    // A ledger-only state from a genesis without validators: nothing to keep, and no
    // set against which evidence could be checked.
    if (!evidence.empty() || !proposal_evidence.empty()) {
      return InvalidArgumentError("evidence on a chain without validators");
    }
    if (scheduled) return FailedPreconditionError("validator change on a chain without a schedule");
    return out;
  }
  HITO_ASSIGN_OR_RETURN(ValidatorSchedule schedule, DecodeValidatorSchedule(*raw));
  std::set<Bytes> keys;
  for (const types::DuplicateVoteEvidence& e : evidence) {
    HITO_RETURN_IF_ERROR(CheckEvidence(state, chain_id, schedule, block_height, e));
    Bytes key = EvidenceKey(e);
    if (!keys.insert(key).second) {
      return InvalidArgumentError("evidence listed twice in block " + std::to_string(block_height));
    }
    out.emplace_back(std::move(key), EncodeEvidenceRecord(block_height, e));
  }
  for (const types::ConflictingProposalEvidence& e : proposal_evidence) {
    HITO_RETURN_IF_ERROR(CheckEvidence(state, chain_id, schedule, block_height, e));
    Bytes key = EvidenceKey(e);
    if (!keys.insert(key).second) {
      return InvalidArgumentError("evidence listed twice in block " + std::to_string(block_height));
    }
    out.emplace_back(std::move(key), EncodeEvidenceRecord(block_height, e));
  }
  // After this block, the next block (block_height + 1) accepts evidence down to
  // block_height + 1 - kEvidenceMaxAgeHeights; sets older than that are not needed.
  const uint64_t next = CheckedAdd(block_height, uint64_t{1}).value_or(UINT64_MAX);
  const uint64_t oldest = next > kEvidenceMaxAgeHeights ? next - kEvidenceMaxAgeHeights : 1;
  bool changed = schedule.Prune(oldest);
  if (scheduled) {
    HITO_RETURN_IF_ERROR(ScheduleValidatorSetChange(&schedule, block_height, *scheduled));
    changed = true;
  }
  if (changed) out.emplace_back(Key(kValidatorSetsKey), EncodeValidatorSchedule(schedule));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace hito::consensus::ledger
