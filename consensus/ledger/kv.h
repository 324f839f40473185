// The key-value seam between the ledger and storage.
//
// The ledger never touches a disk: it reads committed state through a KvReader the node
// hands it (backed by LevelDB in hitod, by a std::map in tests and simulation) and returns
// its writes as a ChangeSet, which the node commits in one synced batch.
#ifndef HITO_CONSENSUS_LEDGER_KV_H_
#define HITO_CONSENSUS_LEDGER_KV_H_

#include <map>
#include <optional>

#include "base/bytes.h"
#include "base/status.h"

namespace hito::consensus::ledger {

class KvReader {
 public:
  virtual ~KvReader() = default;
  // Sets *value to the stored bytes, or nullopt when the key is absent. A non-OK status
  // is a storage failure (the caller stops), never "not found".
  virtual Status Get(ByteView key, std::optional<Bytes>* value) const = 0;
};

// Ordered writes: nullopt deletes. Ordered so that applying and hashing are deterministic.
using ChangeSet = std::map<Bytes, std::optional<Bytes>>;

// A KvReader over a std::map, with ChangeSet application; for tests, simulation and the
// ledger's own overlays.
class MemoryKv : public KvReader {
 public:
  Status Get(ByteView key, std::optional<Bytes>* value) const override;
  void Apply(const ChangeSet& changes);
  const std::map<Bytes, Bytes>& entries() const { return entries_; }

 private:
  std::map<Bytes, Bytes> entries_;
};

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_KV_H_
