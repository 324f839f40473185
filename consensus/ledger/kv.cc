#include "consensus/ledger/kv.h"

namespace hito::consensus::ledger {

Status MemoryKv::Get(ByteView key, std::optional<Bytes>* value) const {
  // std::map<Bytes, Bytes> has no heterogeneous lookup for spans: copy the key into a
  // per-thread buffer that keeps its capacity, so a lookup does not allocate.
  thread_local Bytes lookup;
  lookup.assign(key.begin(), key.end());
  auto it = entries_.find(lookup);
  if (it == entries_.end()) {
    value->reset();
  } else {
    *value = it->second;
  }
  return Status::Ok();
}

void MemoryKv::Apply(const ChangeSet& changes) {
  for (const auto& [key, value] : changes) {
    if (value) {
      entries_.insert_or_assign(key, *value);
    } else {
      entries_.erase(key);
    }
  }
}

}  // namespace hito::consensus::ledger
