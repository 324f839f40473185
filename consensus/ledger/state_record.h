// Decoding records of committed state, shared by the ledger's modules.
#ifndef HITO_CONSENSUS_LEDGER_STATE_RECORD_H_
#define HITO_CONSENSUS_LEDGER_STATE_RECORD_H_

#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/types/codec.h"

namespace hito::consensus::ledger {

// A state key: the prefix's bytes (e.g. "u/params").
inline Bytes KeyOf(std::string_view k) { return Bytes(k.begin(), k.end()); }
// A state key: `prefix` followed by the canonical encoding `tail` writes (fixed-width
// big-endian integers keep the keys of one prefix in numeric order).
template <typename TailFn>
Bytes KeyWith(std::string_view prefix, TailFn&& tail) {
  Bytes key(prefix.begin(), prefix.end());
  const Bytes rest = types::EncodeWith(std::forward<TailFn>(tail));
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

// Decodes a record of committed state with types::DecodeWhole. State is trusted data: a
// record that does not decode means a corrupt store, so the error is kDataLoss naming it.
template <typename T, typename ReadFn>
Result<T> DecodeStateRecord(ByteView bytes, std::string_view what, ReadFn&& read) {
  Result<T> r = types::DecodeWhole<T>(bytes, what, std::forward<ReadFn>(read));
  if (!r.ok()) return DataLossError(std::string(what) + " record: " + r.status().message());
  return r;
}

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_STATE_RECORD_H_
