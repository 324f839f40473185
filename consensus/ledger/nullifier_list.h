// Nullifier lists: the nullifiers spent in one epoch (UBI claims) or one round (ballots),
// kept beside their own records so that when the epoch or round closes every one of them
// can be found and deleted without scanning the state. A list is a count record plus
// chunk records of up to `chunk` 32-byte nullifiers each, appended in spending order.
//
// Functions on a RegistryStore (the block's overlay); errors are values; not thread-safe.
#ifndef HITO_CONSENSUS_LEDGER_NULLIFIER_LIST_H_
#define HITO_CONSENSUS_LEDGER_NULLIFIER_LIST_H_

#include <cstdint>
#include <functional>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/registry.h"

namespace hito::consensus::ledger {

// An unsigned 64-bit record (a count); absent reads as 0. kDataLoss names `what`.
Result<uint64_t> ReadU64Record(const RegistryStore& store, const Bytes& key, std::string_view what);
Bytes EncodeU64Record(uint64_t v);

struct NullifierList {
  Bytes count_key;
  std::function<Bytes(uint32_t chunk)> chunk_key;
  uint64_t chunk = 1024;  // nullifiers per chunk record
  std::string_view what;  // names the list in errors, e.g. "ubi: u/k"
};

// How many nullifiers the list holds.
Result<uint64_t> ListSize(const RegistryStore& store, const NullifierList& list);
// Appends `nullifier` to the list.
Status AppendNullifier(RegistryStore* store, const NullifierList& list, const Hash32& nullifier);
// Deletes record_of(n) for every listed nullifier n, then the chunks and the count.
Status PruneNullifiers(RegistryStore* store, const NullifierList& list,
                       const std::function<Bytes(const Hash32&)>& record_of);

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_NULLIFIER_LIST_H_
