// DedupKeyring: the dedup OPRF key set the chain holds now (k/keys) and this validator's
// secret share of it, as DedupService serves them.
//
// The DKG driver (dkg_driver.h) is the only writer: it swaps in a new entry when the
// committed key set changes, and only once this validator's share of the new set is in
// hand (or known to be out of reach), so a reader never sees a key set paired with a share
// of another. Readers take a snapshot per request; an old snapshot stays valid (and its
// share unwiped) until its last reader drops it. Thread-safe.
#ifndef HITO_NODE_DEDUP_KEYRING_H_
#define HITO_NODE_DEDUP_KEYRING_H_

#include <memory>
#include <optional>

#include "base/mutex.h"
#include "consensus/ledger/ledger.h"
#include "zk/oprf.h"

namespace hito::node::dedup {

struct DedupKeys {
  consensus::ledger::DedupKeySet keys;
  // This validator's share of `keys`; nullopt when it holds none (not a holder, or its
  // share could not be recovered: DedupService then answers DEDUP_NO_SHARE).
  std::optional<zk::oprf::KeyShare> share;

  DedupKeys(consensus::ledger::DedupKeySet k, std::optional<zk::oprf::KeyShare> s)
      : keys(std::move(k)), share(s) {
    if (s) s->Wipe();  // the by-value copy; the member is the one kept
  }
  DedupKeys(const DedupKeys&) = delete;
  DedupKeys& operator=(const DedupKeys&) = delete;
  ~DedupKeys() {
    if (share) share->Wipe();
  }
};

class DedupKeyring {
 public:
  // Null while the chain holds no key set.
  std::shared_ptr<const DedupKeys> Current() const {
    MutexLock lock(mu_);
    return current_;
  }
  void Set(std::shared_ptr<const DedupKeys> keys) {
    MutexLock lock(mu_);
    current_ = std::move(keys);
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const DedupKeys> current_ GUARDED_BY(mu_);
};

}  // namespace hito::node::dedup

#endif  // HITO_NODE_DEDUP_KEYRING_H_
