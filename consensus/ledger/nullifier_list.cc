#include "consensus/ledger/nullifier_list.h"

#include <algorithm>
#include <optional>
#include <string>

#include "consensus/ledger/state_record.h"
#include "consensus/types/codec.h"

namespace hito::consensus::ledger {

Result<uint64_t> ReadU64Record(const RegistryStore& store, const Bytes& key,
                               std::string_view what) {
  HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store.Get(key));
  if (!raw) return uint64_t{0};
  return DecodeStateRecord<uint64_t>(*raw, what,
                                     [](types::Reader* r, uint64_t* v) { return r->U64("n", v); });
}

Bytes EncodeU64Record(uint64_t v) {
  return types::EncodeWith([&](types::Writer* w) { w->U64(v); });
}

Result<uint64_t> ListSize(const RegistryStore& store, const NullifierList& list) {
  return ReadU64Record(store, list.count_key, list.what);
}

Status AppendNullifier(RegistryStore* store, const NullifierList& list, const Hash32& nullifier) {
  HITO_ASSIGN_OR_RETURN(const uint64_t count, ListSize(*store, list));
  const uint64_t chunk = count / list.chunk;
  if (chunk > UINT32_MAX) {
    return DataLossError(std::string(list.what) + ": count beyond the chunk range");
  }
  HITO_RETURN_IF_ERROR(store->Append(list.chunk_key(static_cast<uint32_t>(chunk)),
                                     ByteView(nullifier.data(), nullifier.size())));
  store->Put(list.count_key, EncodeU64Record(count + 1));
  return Status::Ok();
}

Status PruneNullifiers(RegistryStore* store, const NullifierList& list,
                       const std::function<Bytes(const Hash32&)>& record_of) {
  HITO_ASSIGN_OR_RETURN(const uint64_t count, ListSize(*store, list));
  const uint64_t chunks = count / list.chunk + (count % list.chunk != 0 ? 1 : 0);
  for (uint64_t c = 0; c < chunks; ++c) {
    const Bytes key = list.chunk_key(static_cast<uint32_t>(c));
    HITO_ASSIGN_OR_RETURN(std::optional<Bytes> raw, store->Get(key));
    if (!raw || raw->size() % 32 != 0) {
      return DataLossError(std::string(list.what) + ": chunk missing or torn");
    }
    for (size_t off = 0; off < raw->size(); off += 32) {
      Hash32 n;
      std::copy(raw->begin() + static_cast<std::ptrdiff_t>(off),
                raw->begin() + static_cast<std::ptrdiff_t>(off + 32), n.begin());
      store->Delete(record_of(n));
    }
    store->Delete(key);
  }
  if (count != 0) store->Delete(list.count_key);
  return Status::Ok();
}

}  // namespace hito::consensus::ledger
