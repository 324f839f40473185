// BftEngine: the node's Tendermint engine, a BftDriver (bft_driver.h) on its own thread.
//
// It implements the node's Engine interface (one thread, EngineThread) and the
// transport's ConsensusHandler: messages from the network, from any thread, go into a
// bounded inbox (bounded in bytes: a peer's flood of large proposals is dropped, and
// peers re-send); the thread hands them to the driver, and calls its Tick() when its
// NextWake() comes. Everything about consensus itself (durability order, WAL, signer,
// restart) is the driver's; see bft_driver.h.
#ifndef HITO_NODE_CHAIN_BFT_ENGINE_H_
#define HITO_NODE_CHAIN_BFT_ENGINE_H_

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "node/chain/bft_driver.h"
#include "node/chain/engine.h"

namespace hito::node::chain {

// Received inputs waiting for the driver's thread, bounded in bytes (BftInputBytes): a
// push that would pass the bound is refused. Not thread-safe (BftEngine holds its mutex).
class InputInbox {
 public:
  explicit InputInbox(size_t max_bytes) : max_bytes_(max_bytes) {}
  bool Push(BftInput input);
  std::deque<BftInput> TakeAll();
  bool empty() const { return inputs_.empty(); }
  size_t bytes() const { return bytes_; }

 private:
  const size_t max_bytes_;
  std::deque<BftInput> inputs_;
  size_t bytes_ = 0;
};

class BftEngine : public EngineThread, private ConsensusHandler {
 public:
  // The node's engine over the real file system and clocks (Env::Posix, Clock::Real).
  static Result<std::unique_ptr<BftEngine>> Open(const std::filesystem::path& home,
                                                 std::string chain_id, Ed25519PrivateKey key,
                                                 Application* app, store::Store* store,
                                                 ConsensusTransport* transport,
                                                 BftEngineOptions options);
  // The same over the given Env and Clock (not owned; they must outlive this).
  static Result<std::unique_ptr<BftEngine>> Open(io::Env* env, io::Clock* clock,
                                                 const std::filesystem::path& home,
                                                 std::string chain_id, Ed25519PrivateKey key,
                                                 Application* app, store::Store* store,
                                                 ConsensusTransport* transport,
                                                 BftEngineOptions options);
  ~BftEngine() override;

  // Views for tests and logs (thread-safe).
  const io::WalRecovery& wal_recovery() const { return driver_->wal_recovery(); }
  io::SignState signer_state() const { return driver_->signer_state(); }
  size_t evidence_count() const { return driver_->evidence_count(); }
  // Evidence waiting in the pool for a block.
  size_t evidence_pending() const { return driver_->evidence_pending(); }
  // Messages replayed from the WAL at the last Start.
  size_t replayed_records() const { return driver_->replayed_records(); }

 private:
  BftEngine(io::Clock* clock, ConsensusTransport* transport, std::unique_ptr<BftDriver> driver,
            size_t inbox_max_bytes);

  // ConsensusHandler (any thread): queue for the engine thread.
  void OnProposal(const consensus::types::Proposal& proposal,
                  std::optional<consensus::types::Block> block) override;
  void OnVote(const consensus::types::Vote& vote) override;
  void OnBlock(const consensus::types::Block& block) override;
  void OnEvidence(const consensus::types::DuplicateVoteEvidence& evidence) override;
  void OnCommittedBlock(const consensus::types::Block& block,
                        const consensus::types::Commit& commit) override;
  std::optional<std::pair<consensus::types::Block, consensus::types::Commit>> ServeCommittedBlock(
      uint64_t height) override;
  void Enqueue(BftInput input);

  // EngineThread: the loop; after it, detach from the transport.
  void Run() override;
  void OnStopped() override;

  io::Clock* const clock_;
  ConsensusTransport* const transport_;
  const std::unique_ptr<BftDriver> driver_;

  InputInbox inbox_ GUARDED_BY(mu_);  // EngineThread's mu_
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_BFT_ENGINE_H_
