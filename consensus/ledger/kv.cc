#include "consensus/ledger/kv.h"

namespace hito::consensus::ledger {

Status MemoryKv::Get(ByteView key, std::optional<Bytes>* value) const {
  // std::map<Bytes, Bytes> has no heterogeneous lookup for spans; copy the key once.
  auto it = entries_.find(Bytes(key.begin(), key.end()));
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
