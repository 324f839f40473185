// DkgDriver: this validator's part in the distributed key generation and resharing of
// the dedup OPRF key (docs/protocol/dkg.md, docs/protocol/dedup-dkg.md), and the keeper
// of the DedupKeyring that DedupService serves.
//
// After every commit it reads the committed state (k/ records, consensus/ledger/dkg.h)
// and does what the open session asks of this validator, each at most once per slot:
//   - a dealer deals in the dealing phase (a polynomial derived from its validator key for
//     the session, zk::dkg::DealDerived; for a resharing, with its current share as the
//     constant term), and keeps the DealerSecret in memory until the session ends;
//   - a recipient opens and checks every dealing once the dealing phase is over, and
//     files a complaint against each one that does not open or does not match its
//     commitments;
//   - a dealer answers each complaint against it in the justification phase.
// Its messages are kind-8 transactions signed with the validator key, admitted to the
// local mempool and relayed to the peers; one not yet on chain after kResubmitBlocks
// blocks is submitted again while its phase lasts.
//
// When the committed key set (k/keys) changes, the driver gets this validator's share of
// it before DedupService sees the new set: from the share file when it holds the share
// already (a restart), else by collecting its shares from the decided session's messages
// (kept in state until the next session opens) and combining them; the combined share
// is checked against K_i and written sealed to the validator key (dedup_keys.h). A
// validator that holds no share of the new set deletes its old share file, once the file
// opens as its share of the set the resharing started from: a resharing protects the key
// only if old shares are gone.
//
// A restart loses the DealerSecret of an open session from memory; because the
// polynomial is derived from the validator key, the driver rebuilds it, checks it against
// its dealing on chain, and answers complaints as before (docs/protocol/dkg.md, 2.1).
//
// Threads: OnCommit may be called from any thread (it only records the height); the work
// runs on the driver's own thread between Start and Stop, or on the caller's in Step.
#ifndef HITO_NODE_DEDUP_DKG_DRIVER_H_
#define HITO_NODE_DEDUP_DKG_DRIVER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/mutex.h"
#include "base/status.h"
#include "consensus/ledger/dkg.h"
#include "node/dedup/keyring.h"
#include "node/store/store.h"
#include "zk/dkg.h"

namespace hito::node::dedup {

// A transaction to send: admitted to the local mempool and relayed. An error is logged
// and the message retried later.
using SubmitTx = std::function<Status(ByteView tx)>;

struct DkgDriverOptions {
  std::string chain_id;
  std::filesystem::path share_path;  // <home>/dedup.share
  uint64_t resubmit_blocks = 3;      // a message not on chain after this many is sent again
};

class DkgDriver {
 public:
  // Loads the keyring from the committed state (see above): a validator that holds a
  // share of a key set from genesis (a dealt set) but has no valid share file fails here,
  // as a misconfigured home; after a DKG or resharing, a share that cannot be recovered
  // is logged and DedupService answers DEDUP_NO_SHARE.
  static Result<std::unique_ptr<DkgDriver>> Open(DkgDriverOptions options, Ed25519PrivateKey key,
                                                 const store::Store* store, DedupKeyring* keyring,
                                                 SubmitTx submit);
  ~DkgDriver();
  DkgDriver(const DkgDriver&) = delete;
  DkgDriver& operator=(const DkgDriver&) = delete;

  void Start();
  void Stop();
  // A block committed at `height` (cheap; wakes the driver's thread).
  void OnCommit(uint64_t height);

  // One pass over the committed state now, on the caller's thread (tests; the driver's
  // thread calls it after each commit). Not concurrent with the thread: call it only
  // when the driver is not started.
  Status Step();

 private:
  DkgDriver(DkgDriverOptions options, Ed25519PrivateKey key, const store::Store* store,
            DedupKeyring* keyring, SubmitTx submit);

  // A message of the open session this driver sent, by slot, for resubmission.
  struct Sent {
    Bytes tx;
    uint64_t height = 0;  // of the state it was last sent at
  };
  using Slot = std::tuple<uint8_t, uint16_t, uint16_t>;  // type, dealer, complainer

  // The keyring follows k/keys (see above).
  Status SyncKeys(const consensus::ledger::RegistryStore& state);
  // Deletes the share file of a validator no longer in the key set, once it is proven to
  // be this validator's share of the previous set (else warns and leaves it).
  void RetireOldShare(const consensus::ledger::RegistryStore& state);
  // This validator's share of `keys` combined from the decided session's messages.
  Result<zk::oprf::KeyShare> CombineFromDecided(const consensus::ledger::RegistryStore& state,
                                                const consensus::ledger::DedupKeySet& keys);
  // What one pass knows of the open session: the committed state at `height`.
  struct Pass {
    const consensus::ledger::DkgSession& session;
    const consensus::ledger::DkgMessages& msgs;
    uint64_t height = 0;
    zk::dkg::Committee committee;
  };
  Status Act(const consensus::ledger::RegistryStore& state, uint64_t height,
             const consensus::ledger::DkgSession& session);
  Status Deal(const Pass& pass, uint16_t as_dealer);
  Status CheckDealings(const Pass& pass, uint16_t as_recipient);
  Status Justify(const Pass& pass, uint16_t as_dealer);
  // After a restart: this dealer's polynomial derived again from the validator key, and
  // checked against its dealing on chain.
  Status RebuildDealerSecret(const Pass& pass, uint16_t as_dealer);
  // A message already sent for `slot`: sent again once resubmit_blocks have passed (the
  // result of that), else Ok; nullopt if none was sent.
  std::optional<Status> ResubmitIfSent(const Slot& slot, uint64_t height);
  Status Send(uint64_t height, const Slot& slot, consensus::types::DkgPayload payload);
  // Send for a dealing: on refusal nothing of it is kept (the caller keeps the secret
  // only when this succeeds).
  Status SendDealing(uint64_t height, const Slot& slot, consensus::types::DkgPayload dealing);
  void Run();

  const DkgDriverOptions options_;
  const Ed25519PrivateKey key_;
  const store::Store* store_;
  DedupKeyring* keyring_;
  const SubmitTx submit_;

  // The open session as this driver knows it (driver thread only).
  Hash32 session_id_{};
  std::optional<zk::dkg::DealerSecret> dealer_secret_;
  std::map<uint16_t, bool> checked_;  // dealer -> its dealing to me is valid
  std::map<Slot, Sent> sent_;

  Mutex mu_;
  CondVar cv_;
  uint64_t committed_ GUARDED_BY(mu_) = 0;
  uint64_t done_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hito::node::dedup

#endif  // HITO_NODE_DEDUP_DKG_DRIVER_H_
