// BftEngine: the Tendermint driver behind the node's Engine interface.
//
// It owns the consensus::bft engine state, the validator's never-sign-twice Signer
// (node/io/signer.h) and the consensus WAL (node/io/wal.h), both in the home, and runs
// one thread that feeds the engine events (messages from the ConsensusTransport, fired
// timeouts, the Application's verdicts) and carries out its actions in durability order
// (docs/protocol/consensus.md, "Durability" and "Node driver"):
//   - a received message is appended to the WAL (buffered) before the engine sees it;
//   - an own proposal or vote is signed by the Signer (its record synced, file and
//     directory, before the signature exists), then appended to the WAL and synced, then
//     broadcast; beside a non-nil precommit the WAL gets the block of the lock;
//   - on Decide: Application::Commit (block + commit in one synced batch, state in a
//     second, then mempool and subscribers), then the WAL is rewritten to hold only the
//     start marker of the next height (the log stays bounded), then StartHeight(h + 1).
// A failed fsync on this path stops the process (log critical + abort): the node cannot
// go on without breaking the promise it makes to its peers.
//
// Restart: Open() reads the WAL (a torn or corrupt tail is cut and logged), and Start()
// resumes the current height in the round the signer record names, with the lock of the
// last own non-nil precommit found in the WAL, then replays the WAL records of that
// height into the engine. The Signer returns the recorded signature for a byte-identical
// message and refuses anything conflicting, so a replay never equivocates.
//
// Liveness helpers: the driver re-broadcasts its own messages of the current height and
// asks peers for the committed block of the next height every gossip_interval_ms; a
// committed block that arrives is applied after its commit verifies against the set.
//
// Validator sets: each height starts with the set the Application reports for it
// (Application::ValidatorSetAt, from the committed state), so a scheduled change applies
// at its height here, in block building (validators_hash, next_validators_hash) and in
// block sync (each commit verified against the set of its own height). A node whose key
// is not in a height's set follows that height without signing.
//
// Evidence: duplicate votes this node detects (RecordEvidence) or a peer reports
// (verified) go into a bounded pool; as proposer it puts up to kEvidenceMaxPerBlock pieces
// that are still valid on the committed state into its block (validators.h,
// CheckEvidence), and a committed block's evidence leaves the pool.
#ifndef HITO_NODE_CHAIN_BFT_ENGINE_H_
#define HITO_NODE_CHAIN_BFT_ENGINE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/ed25519.h"
#include "consensus/bft/engine.h"
#include "consensus/types/validator_set.h"
#include "node/chain/application.h"
#include "node/chain/consensus_transport.h"
#include "node/chain/engine.h"
#include "node/io/signer.h"
#include "node/io/wal.h"
#include "node/store/store.h"

namespace hito::node {

struct BftEngineOptions {
  consensus::bft::Config bft;  // chain_id is filled in by the engine
  // Pending evidence kept for inclusion (new pieces dropped when full).
  size_t evidence_pool_max = 256;
  uint32_t block_max_txs = 20'000;
  uint64_t block_max_bytes = 8 * 1024 * 1024 - 64 * 1024;
  uint32_t gossip_interval_ms = 1000;
  // Pause between a decision and the start of the next height (Tendermint's
  // timeout_commit): paces empty blocks and lets late precommits arrive. 0 in tests.
  uint32_t commit_wait_ms = 1000;
};

// Files of the engine inside a home.
struct BftPaths {
  std::filesystem::path home;
  std::filesystem::path dir() const { return home / "consensus"; }
  std::filesystem::path wal() const { return dir() / "wal"; }
  std::filesystem::path signer_state() const { return dir() / "signer_state"; }
};

// WAL record payloads: a tag byte, then the encoded message (exposed for tests).
enum class WalRecordKind : uint8_t {
  kHeight = 1,    // u64be height: the records that follow belong to it
  kProposal = 2,  // u32be proposal length, proposal, u8 has_block, [block]
  kVote = 3,      // vote
  kBlock = 4,     // block
};

// Block sync's check of a committed block for the next height: the commit verifies
// against the set of the block's height (app.ValidatorSetAt, from the state after the
// previous block), names the block, and the block passes app.ProcessProposal. A commit
// signed by an older set for a height where a new set rules fails here.
Status CheckCommittedBlock(const Application& app, std::string_view chain_id,
                           const consensus::types::Block& block,
                           const consensus::types::Commit& commit);

class BftEngine : public EngineThread, private ConsensusHandler {
 public:
  // `app`, `store` and `transport` are not owned and must outlive this. The validator
  // sets come from `app` per height. Opens (creating) the signer record and the WAL under
  // BftPaths{home}.
  static Result<std::unique_ptr<BftEngine>> Open(const std::filesystem::path& home,
                                                 std::string chain_id, Ed25519PrivateKey key,
                                                 Application* app, Store* store,
                                                 ConsensusTransport* transport,
                                                 BftEngineOptions options);
  ~BftEngine() override;

  // Views for tests and logs (thread-safe).
  io::WalRecovery wal_recovery() const { return wal_recovery_; }
  io::SignState signer_state() const { return signer_->last(); }
  size_t evidence_count() const;
  // Evidence waiting in the pool for a block.
  size_t evidence_pending() const;
  // Messages replayed from the WAL at the last Start.
  size_t replayed_records() const;

  // Block time source; Unix milliseconds. Replaceable before Start.
  std::function<uint64_t()> now_ms;

 private:
  class SignerAdapter;
  struct CommittedBlock {
    consensus::types::Block block;
    consensus::types::Commit commit;
  };
  using Input = std::variant<consensus::bft::ProposalReceived, consensus::bft::BlockReceived,
                             consensus::bft::VoteReceived, consensus::types::DuplicateVoteEvidence,
                             CommittedBlock>;

  BftEngine(std::string chain_id, Application* app, Store* store, ConsensusTransport* transport,
            BftEngineOptions options);

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
  void Enqueue(Input input);

  // EngineThread: the loop; after it, detach from the transport.
  void Run() override;
  void OnStopped() override;
  // Engine thread only.
  void Resume();
  void HandleInput(Input input);
  void Feed(consensus::bft::Event event);
  void Carry(const consensus::bft::Action& action, std::deque<consensus::bft::Event>* next);
  void CommitBlock(const consensus::types::Block& block, const consensus::types::Commit& commit);
  consensus::types::Block BuildBlock(uint64_t height);
  void WalAppend(const Bytes& record, io::Wal::Durability durability);
  // Appends a received record to the WAL unless already there at this height.
  bool FirstSight(const Bytes& record);
  void Gossip();
  // The set of `height` from the Application; a state that cannot say stops the node.
  consensus::types::ValidatorSet SetFor(uint64_t height) const;
  consensus::bft::StartHeight StartOf(uint64_t height) const;
  void AddEvidence(const consensus::types::DuplicateVoteEvidence& e);
  // Pool entries still valid for block `height`, up to kEvidenceMaxPerBlock; drops the
  // ones that no longer are (recorded, too old).
  std::vector<consensus::types::DuplicateVoteEvidence> TakeEvidence(uint64_t height);

  const std::string chain_id_;
  Application* const app_;
  Store* const store_;
  ConsensusTransport* const transport_;
  const BftEngineOptions options_;

  std::unique_ptr<io::Signer> signer_;
  std::unique_ptr<SignerAdapter> signer_adapter_;
  consensus::bft::Verifier verifier_;
  std::unique_ptr<consensus::bft::Engine> engine_;
  std::unique_ptr<io::Wal> wal_;
  io::WalRecovery wal_recovery_;
  std::vector<Bytes> replay_;  // WAL records of the height to resume (consumed by Start)

  // Engine thread state.
  using Clock = std::chrono::steady_clock;
  std::multimap<Clock::time_point, consensus::bft::TimeoutFired> timers_;
  std::optional<Clock::time_point> start_next_at_;  // commit wait of the decided height
  // Hashes of the received records already in the WAL at this height: peers re-send
  // every gossip tick, and a stalled height must not grow the log with copies.
  std::set<Hash32> seen_;
  std::vector<Bytes> own_records_;  // own messages of the current height, for re-sending
  // Pending evidence by state key (validators.h, EvidenceKey).
  std::map<Bytes, consensus::types::DuplicateVoteEvidence> evidence_pool_;

  // Guarded by mu_ (EngineThread's).
  std::deque<Input> inbox_;
  size_t evidence_count_ = 0;
  size_t evidence_pending_ = 0;
  size_t replayed_ = 0;
};

}  // namespace hito::node

#endif  // HITO_NODE_CHAIN_BFT_ENGINE_H_
