// BftDriver: the Tendermint driver's logic, single-threaded and free of real time and
// real files.
//
// It owns the consensus::bft state machine, the validator's never-sign-twice DurableSigner
// (node/io/durable_signer.h) and the consensus WAL (node/io/wal.h), both in the home and both
// reached through an io::Env; it reads time only through an io::Clock. It starts no
// thread and never sleeps: its owner (BftEngine, bft_engine.h, in the node; the
// deterministic simulator in tests) hands it inputs with Handle(), calls Tick() when
// NextWake() has come, and serialises every call except ServeCommittedBlock.
//
// The durability order (docs/protocol/consensus.md, "Durability" and "Node driver"):
//   - a received message is judged by the state machine first; only one the state machine accepted
//   is
//     appended to the WAL (buffered), before anything the state machine did with it leaves the
//     process;
//   - an own proposal or vote is signed by the DurableSigner (its record synced, file and
//     directory, before the signature exists), then appended to the WAL and synced, then
//     broadcast; beside a non-nil precommit the WAL gets the block of the lock;
//   - on Decide: Application::Commit (block + commit in one synced batch, state in a
//     second, then mempool and subscribers), then the WAL is rewritten to hold only the
//     start marker of the next height (the log stays bounded), then StartHeight(h + 1).
// A failed fsync on this path stops the process (log critical + abort): the node cannot
// go on without breaking the promise it makes to its peers.
//
// Restart: Open() reads the WAL (a torn or corrupt tail is cut and logged), and Resume()
// resumes the current height in the round the signer record names, with the lock the
// signer record holds, then replays the WAL records of that height into the state machine. If
// the cut lost the last message the signer record names, the driver signs nothing more
// at that height (docs/decisions.md).
// The DurableSigner returns the recorded signature for a byte-identical message and refuses
// anything conflicting, so a replay never equivocates.
//
// Liveness helpers: every gossip_interval_ms the driver re-broadcasts the own proposal of
// the current round, own votes of the current and previous round and its latest non-nil
// precommit, and asks peers for the committed block of the next height; a committed block
// that arrives is applied after its commit verifies against the set. A peer's message the
// state machine took is relayed once.
//
// Bounds: the peers' records of a height in the WAL (bytes, records, a share per
// validator; past them a peer's message is neither logged nor fed), the next-height
// buffer (bytes, a share per key), the evidence pool (entries; only members' evidence up
// to the next height enters).
//
// Validator sets: each height starts with the set the Application reports for it
// (Application::ValidatorSetAt, from the committed state). A node whose key is not in a
// height's set follows that height without signing.
//
// Evidence: duplicate votes this node detects (RecordEvidence) or a peer reports
// (verified) go into a bounded pool; as proposer it puts up to kEvidenceMaxPerBlock pieces
// that are still valid on the committed state into its block (validators.h,
// CheckEvidence), and a committed block's evidence leaves the pool.
#ifndef HITO_NODE_CHAIN_BFT_DRIVER_H_
#define HITO_NODE_CHAIN_BFT_DRIVER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/ed25519.h"
#include "consensus/bft/state_machine.h"
#include "consensus/types/validator_set.h"
#include "node/chain/application.h"
#include "node/chain/consensus_transport.h"
#include "node/io/clock.h"
#include "node/io/durable_signer.h"
#include "node/io/env.h"
#include "node/io/wal.h"
#include "node/store/store.h"

namespace hito::node::chain {

struct BftEngineOptions {
  consensus::bft::Config bft;  // chain_id is filled in by the driver
  // Checks the signatures of proposals and votes; null for the state machine's own. Not owned.
  // The simulator shares one caching verifier between its validators (a pure function,
  // so the verdicts are the same, computed once).
  consensus::bft::Verifier* verifier = nullptr;
  // Pending evidence kept for inclusion (new pieces dropped when full).
  size_t evidence_pool_max = 256;
  uint32_t block_max_txs = 20'000;
  uint64_t block_max_bytes = 8 * 1024 * 1024 - 64 * 1024;
  uint32_t gossip_interval_ms = 1000;
  // Pause between a decision and the start of the next height (Tendermint's
  // timeout_commit): paces empty blocks and lets late precommits arrive. 0 in tests.
  uint32_t commit_wait_ms = 1000;
  // How far past the local wall clock a proposed block's time may be for this node to
  // prevote it (a block further ahead gets a nil prevote).
  uint64_t max_clock_drift_ms = 10'000;
  // The consensus WAL of one height, peers' records only (own ones are always logged):
  // past either bound a peer's message is neither logged nor fed to the state machine. Each
  // validator of the height gets an equal share of the records. This also bounds what a
  // restart reads.
  uint64_t wal_height_max_bytes = 256ull * 1024 * 1024;
  uint64_t wal_height_max_records = 65'536;
  // Messages for the next height, held until it starts: bytes in all (each key of the
  // current set gets an equal share, at least one maximum-size proposal).
  size_t next_height_buffer_max_bytes = 32 * 1024 * 1024;
  // Received messages waiting for the driver's thread (BftEngine), in bytes: above it new
  // ones are dropped (peers re-send). Room for a few maximum-size proposals.
  size_t inbox_max_bytes = 64 * 1024 * 1024;
};

// Files of the BFT engine inside a home.
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
  kNoSign = 5,    // u64be height: this validator signs nothing more at that height
};

// Block sync's check of a committed block for the next height: the commit verifies
// against the set of the block's height (app.ValidatorSetAt, from the state after the
// previous block), names the block, and the block passes app.ProcessProposal. A commit
// signed by an older set for a height where a new set rules fails here.
Status CheckCommittedBlock(const Application& app, std::string_view chain_id,
                           const consensus::types::Block& block,
                           const consensus::types::Commit& commit);

// A committed block with its commit, from block sync (unverified).
struct CommittedBlockReceived {
  consensus::types::Block block;
  consensus::types::Commit commit;
};

// What the network hands the driver.
using BftInput = std::variant<consensus::bft::ProposalReceived, consensus::bft::BlockReceived,
                              consensus::bft::VoteReceived, consensus::types::DuplicateVoteEvidence,
                              CommittedBlockReceived>;

// The memory an input holds, in bytes (at least its encoded size): what the inbox and the
// driver's buffers count against their bounds.
size_t BftInputBytes(const BftInput& input);

struct WalMessage;

class BftDriver {
 public:
  using Input = BftInput;

  // `env`, `clock`, `app`, `store` and `transport` are not owned and must outlive this.
  // The validator sets come from `app` per height. Opens (creating) the signer record and
  // the WAL under BftPaths{home} in `env`.
  static Result<std::unique_ptr<BftDriver>> Open(io::Env* env, io::Clock* clock,
                                                 const std::filesystem::path& home,
                                                 std::string chain_id, Ed25519PrivateKey key,
                                                 Application* app, store::Store* store,
                                                 ConsensusTransport* transport,
                                                 BftEngineOptions options);
  ~BftDriver();

  // Starts the height after the tip: replays the WAL records of that height, then sends
  // the first gossip. Called once, before any Handle or Tick.
  void Resume();
  // One message from the network.
  void Handle(Input input);
  // Fires what is due by clock->Now(): the commit wait, timeouts, the gossip tick.
  void Tick();
  // When Tick next has something to do.
  io::Clock::TimePoint NextWake() const;

  // A peer asks for the committed block at `height`. Reads only the Store: callable from
  // any thread, concurrently with the other calls.
  std::optional<std::pair<consensus::types::Block, consensus::types::Commit>> ServeCommittedBlock(
      uint64_t height) const;

  // Views for tests and logs (thread-safe).
  const io::WalRecovery& wal_recovery() const { return wal_recovery_; }
  io::SignState signer_state() const { return signer_->last(); }
  size_t evidence_count() const { return evidence_count_.load(); }
  // Evidence waiting in the pool for a block.
  size_t evidence_pending() const { return evidence_pending_.load(); }
  // Messages replayed from the WAL at Resume.
  size_t replayed_records() const { return replayed_.load(); }
  // Views for the owner's thread.
  size_t next_height_buffer_bytes() const { return next_bytes_; }
  const consensus::bft::StateMachine& state_machine() const { return *machine_; }

 private:
  class SignerAdapter;

  BftDriver(io::Clock* clock, std::string chain_id, Application* app, store::Store* store,
            ConsensusTransport* transport, BftEngineOptions options);

  void Feed(consensus::bft::Event event);
  void CarryAll(std::vector<consensus::bft::Action> actions);
  // A peer's proposal, block or vote: judged by the state machine first, then logged and relayed
  // if it was taken.
  void OnPeerMessage(Input input);
  void OnPeerEvidence(const consensus::types::DuplicateVoteEvidence& ev);
  void Relay(const Input& input);
  void BufferNext(Input input, const Bytes& record, const Ed25519PublicKey& sender);
  // Starts `height` and feeds it what was buffered for it.
  void StartNext(uint64_t height);
  static consensus::bft::Event ToEvent(const Input& input);
  bool WalRoomFor(const Ed25519PublicKey& sender, size_t bytes) const;
  void CountPeerRecord(const Ed25519PublicKey& sender, size_t bytes);
  void Replay(const WalMessage& m, const Ed25519PublicKey& me);
  // The signer's hash of `m`'s signing bytes if `m` is this validator's, else zero.
  // Whether a cut WAL lost this validator's last signed message of `height` (then it
  // signs nothing more there); logs the decision.
  bool CutWalLostOwnSignature(uint64_t height, bool last_signature_missing) const;
  Hash32 OwnSignBytesHash(const WalMessage& m, const Ed25519PublicKey& me) const;
  void Carry(const consensus::bft::Action& action, std::deque<consensus::bft::Event>* next);
  void CommitBlock(const consensus::types::Block& block, const consensus::types::Commit& commit);
  void OnCommittedBlock(const CommittedBlockReceived& cb);
  consensus::types::Block BuildBlock(uint64_t height);
  void WalAppend(const Bytes& record, io::Wal::Durability durability);
  void Gossip();
  // The set of `height` from the Application; a state that cannot say stops the node.
  consensus::types::ValidatorSet SetFor(uint64_t height) const;
  // The start of `height`; its set becomes current_set_.
  consensus::bft::StartHeight StartOf(uint64_t height);
  // Whether the (verified) piece entered the pool.
  // Admits a piece to the pool if ledger::CheckPendingEvidence holds on the committed
  // state and the pool (both kinds together) has room; returns whether it was added.
  bool AddEvidence(const consensus::types::DuplicateVoteEvidence& e);
  bool AddEvidence(const consensus::types::ConflictingProposalEvidence& e);
  // Puts the pool entries still valid for block `height` into it (vote evidence first,
  // up to kEvidenceMaxPerBlock of both kinds); drops the ones that no longer are
  // (recorded, too old).
  void TakeEvidence(uint64_t height, consensus::types::Block* block);

  io::Clock* const clock_;
  const std::string chain_id_;
  Application* const app_;
  store::Store* const store_;
  ConsensusTransport* const transport_;
  const BftEngineOptions options_;

  std::unique_ptr<io::DurableSigner> signer_;
  std::unique_ptr<SignerAdapter> signer_adapter_;
  consensus::bft::Verifier verifier_;
  std::unique_ptr<consensus::bft::StateMachine> machine_;
  std::unique_ptr<io::Wal> wal_;
  io::WalRecovery wal_recovery_;
  std::vector<Bytes> replay_;  // WAL records of the height to resume (consumed by Resume)

  std::multimap<io::Clock::TimePoint, consensus::bft::TimeoutFired> timers_;
  std::optional<io::Clock::TimePoint> start_next_at_;  // commit wait of the decided height
  io::Clock::TimePoint next_gossip_{};
  consensus::types::ValidatorSet current_set_;  // of the state machine's height
  // Hashes of the received records the state machine took at this height (all are in the WAL):
  // peers re-send every gossip tick, and a stalled height must not grow the log with
  // copies. A message the state machine did not take is not here, so a copy sent later (a round
  // ahead then, the height not started yet) is judged again.
  std::set<Hash32> seen_;
  // Block hashes named by the proposals taken (or made) at this height.
  std::set<Hash32> proposed_;
  // The height's WAL budget used by peers' records.
  uint64_t wal_peer_records_ = 0;
  uint64_t wal_peer_bytes_ = 0;
  std::map<Ed25519PublicKey, uint64_t> wal_sender_records_;
  // Own messages of the current height, for re-sending: the latest proposal, every vote.
  std::optional<std::pair<consensus::types::Proposal, consensus::types::Block>> own_proposal_;
  std::vector<consensus::types::Vote> own_votes_;
  // Peers' messages for the next height (BufferNext), bounded in bytes.
  std::vector<Input> next_buffer_;
  std::set<Hash32> next_seen_;
  std::map<Ed25519PublicKey, size_t> next_bytes_by_sender_;
  size_t next_bytes_ = 0;
  // Pending evidence by state key (validators.h, EvidenceKey).
  std::map<Bytes, consensus::types::DuplicateVoteEvidence> evidence_pool_;
  std::map<Bytes, consensus::types::ConflictingProposalEvidence> proposal_evidence_pool_;

  std::atomic<size_t> evidence_count_{0};
  std::atomic<size_t> evidence_pending_{0};
  std::atomic<size_t> replayed_{0};
};

}  // namespace hito::node::chain

#endif  // HITO_NODE_CHAIN_BFT_DRIVER_H_
