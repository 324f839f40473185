#include "tests/sim/bft/sim.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/bft/engine.h"
#include "consensus/types/block.h"
#include "consensus/types/limits.h"
#include "tests/sim/bft/app.h"
#include "tests/sim/bft/rng.h"

namespace hito::sim {
namespace {

namespace bft = consensus::bft;

constexpr char kChainId[] = "hito-sim";
constexpr uint64_t kTickMs = 700;      // gossip / block sync period
constexpr uint64_t kLocalDelayMs = 1;  // the application's answers
constexpr size_t kSyncBatch = 8;       // blocks per sync reply

// ---- Messages on the simulated wire ----
struct ProposalMsg {
  types::Proposal proposal;
  types::Block block;
};
struct VoteMsg {
  types::Vote vote;
};
struct SyncRequest {
  uint32_t from = 0;
  uint64_t height = 0;
};
struct SyncReply {
  std::vector<std::pair<types::Block, types::Commit>> blocks;
};
// Only in the WAL: the block of the validator's lock, written beside its precommit.
struct BlockMsg {
  types::Block block;
};
using Message = std::variant<ProposalMsg, VoteMsg, SyncRequest, SyncReply, BlockMsg>;

// ---- The durable signer record (what the node's signer syncs before a message leaves) ----
// Last signed (height, round, step) with the signed bytes, and the lock (last non-nil
// precommit of that height). Beside it the process keeps a model of the node's WAL
// (issue 4, second part): its own signed messages of the current height and the block of
// its lock, synced before a message leaves. A restarted validator resumes in its recorded
// round with its lock and replays that WAL; everything else it had is lost.
struct SignerRecord {
  uint64_t height = 0;
  uint32_t round = 0;
  uint8_t step = 0;  // 0 nothing signed, 1 proposal, 2 prevote, 3 precommit
  Bytes signed_bytes;
  uint64_t lock_height = 0;
  std::optional<bft::Lock> lock;
};

// Never signs twice: refuses anything at or below the recorded (height, round, step)
// unless it is byte-identical to what was signed there.
class RecordSigner : public bft::Signer {
 public:
  RecordSigner(const Ed25519Seed& seed, SignerRecord* record)
      : key_(Ed25519PrivateKey::FromSeed(seed)), record_(record) {}
  const Ed25519PublicKey& public_key() const override { return key_.public_key(); }

  Status SignVote(types::Vote* v) override {
    const uint8_t step = v->type == types::VoteType::kPrevote ? 2 : 3;
    Bytes bytes = types::VoteSigningBytes(kChainId, *v);
    HITO_RETURN_IF_ERROR(Check(v->height, v->round, step, bytes));
    if (step == 3 && v->block_hash) {
      record_->lock_height = v->height;
      record_->lock = bft::Lock{v->round, *v->block_hash};
    }
    types::SignVote(kChainId, v, key_);
    return Status::Ok();
  }
  Status SignProposal(types::Proposal* p) override {
    Bytes bytes = types::ProposalSigningBytes(kChainId, *p);
    HITO_RETURN_IF_ERROR(Check(p->height, p->round, 1, bytes));
    types::SignProposal(kChainId, p, key_);
    return Status::Ok();
  }

 private:
  Status Check(uint64_t h, uint32_t r, uint8_t s, Bytes& bytes) {
    auto next = std::make_tuple(h, r, s);
    auto last = std::make_tuple(record_->height, record_->round, record_->step);
    if (next < last || (next == last && bytes != record_->signed_bytes)) {
      return FailedPreconditionError("signer record: already signed at or past this step");
    }
    record_->height = h;
    record_->round = r;
    record_->step = s;
    record_->signed_bytes = std::move(bytes);
    return Status::Ok();
  }
  Ed25519PrivateKey key_;
  SignerRecord* record_;
};

// A cache of verified exact message bytes in front of the real checks, shared by all
// simulated validators (a real node keeps a similar per-process cache).
class CachingVerifier : public bft::Verifier {
 public:
  bool VerifyVote(std::string_view chain_id, const types::Vote& vote) override {
    Bytes key = types::EncodeVote(vote);
    key.push_back('v');
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const bool ok = types::VerifyVoteSignature(chain_id, vote);
    cache_.emplace(std::move(key), ok);
    return ok;
  }
  bool VerifyProposal(std::string_view chain_id, const types::Proposal& p) override {
    Bytes key = types::EncodeProposal(p);
    key.push_back('p');
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const bool ok = types::VerifyProposalSignature(chain_id, p);
    cache_.emplace(std::move(key), ok);
    return ok;
  }
  Status VerifyCommit(const types::ValidatorSet& set, const types::Commit& c) {
    const auto key = std::make_pair(types::CommitHash(c), set.Hash());
    auto it = commits_.find(key);
    if (it != commits_.end()) return it->second;
    Status s = types::VerifyCommit(kChainId, set, c);
    commits_.emplace(key, s);
    return s;
  }

 private:
  std::map<Bytes, bool> cache_;
  std::map<std::pair<Hash32, Hash32>, Status> commits_;  // (commit, set) -> verdict
};

struct Process {
  uint32_t validator = 0;  // key index (Simulation::keys_), not a set index
  int twin_side = -1;      // -1 honest; 0 or 1 for the two halves of a Byzantine twin
  bool crashed = false;
  uint64_t incarnation = 0;
  uint32_t group = 0;  // partition group (honest processes)
  uint32_t half = 0;   // which twin half this honest process talks to
  // Durable: survives a crash.
  SignerRecord record;
  std::unique_ptr<App> app;
  std::vector<types::Block> blocks;  // blocks[h - 1]
  std::vector<types::Commit> commits;
  std::set<Bytes> committed_evidence;
  std::vector<Message> wal;  // own messages of wal_height (and the lock's block)
  uint64_t wal_height = 0;
  // Volatile: lost in a crash.
  std::unique_ptr<RecordSigner> signer;
  std::unique_ptr<bft::Engine> engine;
  // Others' messages the engine accepted at relay_height: relayed on ticks, since gossip
  // (the paper's communication model) forwards what a correct process received.
  std::vector<Message> relay;
  uint64_t relay_height = 0;
  std::vector<types::DuplicateVoteEvidence> evidence_pool;
  uint64_t highest_seen = 0;
  uint64_t ticks = 0;

  bool honest() const { return twin_side < 0; }
  uint64_t height() const { return blocks.size(); }
};

// ---- Queue items ----
struct Deliver {
  uint32_t to;
  Message msg;
};
struct EngineEvent {
  uint32_t proc;
  uint64_t incarnation;
  bft::Event event;
};
struct Tick {
  uint32_t proc;
  uint64_t incarnation;
};
struct Crash {
  uint32_t proc;
};
struct Restart {
  uint32_t proc;
};
struct Partition {
  uint64_t salt;
};
struct HealPartition {};
using Item = std::variant<Deliver, EngineEvent, Tick, Crash, Restart, Partition, HealPartition>;

std::string Hex8(const Hash32& h) { return HexEncode(ByteView(h.data(), 4)); }

class Simulation {
 public:
  explicit Simulation(const SimOptions& options) : opt_(options), rng_(options.seed) {
    if (opt_.steps == 0) opt_.steps = 4000 + 400 * uint64_t{opt_.validators};
  }
  SimReport Run();

 private:
  void Setup();
  void ScheduleFaults();
  void Push(uint64_t at, Item item) { queue_.emplace(std::make_pair(at, seq_++), std::move(item)); }
  bool Connected(uint32_t a, uint32_t b) const;
  void Send(uint32_t from, uint32_t to, const Message& msg);
  void Broadcast(uint32_t from, const Message& msg);
  void Dispatch(const Item& item);
  void OnDeliver(uint32_t to, const Message& msg);
  // Feeds an event and carries out the actions; `from_peer` is the message it came in.
  void Feed(uint32_t p, bft::Event event, const Message* from_peer = nullptr);
  void HandleAction(uint32_t p, const bft::Action& action, std::deque<bft::Event>* local);
  types::Block BuildBlock(uint32_t p, uint64_t height);
  Status CheckBlock(uint32_t p, const types::Block& block);
  // Stores and executes a decided or synced block; checks the invariants.
  Status Commit(uint32_t p, const types::Block& block, const types::Commit& commit,
                const char* how);
  void StartEngine(uint32_t p);
  // The WAL model: synced before the message leaves; holds one height.
  void WalAppend(uint32_t p, uint64_t height, Message m) {
    Process& proc = procs_[p];
    if (proc.wal_height != height) {
      proc.wal.clear();
      proc.wal_height = height;
    }
    proc.wal.push_back(std::move(m));
  }
  void OnTick(uint32_t p);
  void CrashProcess(uint32_t p);
  void RestartProcess(uint32_t p);
  void EndFaults();
  template <typename AddKey>
  void PlanSetChange(const std::set<uint32_t>& byz, uint64_t byz_power,
                     std::vector<uint64_t>* powers, AddKey add_key);
  void Fail(Status s) {
    if (failure_.ok()) failure_ = std::move(s);
  }
  uint64_t HonestMinHeight() const;
  uint64_t HonestMaxHeight() const;

  SimOptions opt_;
  Rng rng_;
  // Every key of the run (members of either set), by key index.
  std::vector<Ed25519Seed> seeds_;
  std::vector<Ed25519PublicKey> keys_;
  types::ValidatorSet set_;       // heights below change_height_
  types::ValidatorSet next_set_;  // from change_height_ on (SetChange decides how)
  uint64_t change_height_ = 0;
  std::optional<uint32_t> KeyIndex(const Ed25519PublicKey& pk) const {
    for (uint32_t k = 0; k < keys_.size(); ++k) {
      if (keys_[k] == pk) return k;
    }
    return std::nullopt;
  }
  const types::ValidatorSet& SetFor(uint64_t height) const {
    return height >= change_height_ ? next_set_ : set_;
  }
  std::vector<Process> procs_;
  std::map<std::pair<uint64_t, uint64_t>, Item> queue_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  uint64_t steps_ = 0;
  bool faults_ = true;
  bool partitioned_ = false;
  uint64_t drop_permille_ = 0;
  uint64_t dup_permille_ = 0;
  uint64_t delay_max_ms_ = 0;
  uint64_t twin_leak_permille_ = 0;
  // Crash right after signing a non-nil precommit, before it leaves (record and WAL synced,
  // message lost): the point where a validator that forgot its lock would break safety.
  uint64_t crash_after_lock_permille_ = 0;
  CachingVerifier verifier_;
  Status failure_;
  SimReport report_;
  // The checker's view: the first honest decision at each height and the root after it.
  std::map<uint64_t, Hash32> decided_;
  std::map<uint64_t, Hash32> roots_;
  std::map<size_t, uint64_t> kind_count_;
  std::set<Bytes> evidence_on_chain_;  // evidence in blocks honest validators committed
};

bft::Config EngineConfig() {
  bft::Config c;
  c.chain_id = kChainId;
  c.timeout_propose_base_ms = 1000;
  c.timeout_propose_delta_ms = 200;
  c.timeout_prevote_base_ms = 500;
  c.timeout_prevote_delta_ms = 100;
  c.timeout_precommit_base_ms = 500;
  c.timeout_precommit_delta_ms = 100;
  return c;
}

Ed25519Seed SimKeySeed(uint64_t sim_seed, uint64_t i) {
  Hasher h("hito/v1/sim-key");
  h.UpdateU64(sim_seed);
  h.UpdateU64(i);
  return h.Finish();
}

void Simulation::Setup() {
  const uint32_t n = opt_.validators;
  // Powers: equal for half the seeds, 1..4 for the others. Keys 0..n-1 form the first set.
  const bool weighted = rng_.Chance(500);
  std::vector<uint64_t> powers;
  auto add_key = [&](uint64_t power) {
    const uint32_t k = static_cast<uint32_t>(keys_.size());
    seeds_.push_back(SimKeySeed(opt_.seed, k));
    keys_.push_back(Ed25519PrivateKey::FromSeed(seeds_.back()).public_key());
    powers.push_back(power);
    return k;
  };
  std::vector<types::Validator> vals;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t k = add_key(weighted ? rng_.Range(1, 4) : 1);
    vals.push_back({keys_[k], powers[k]});
  }
  auto set = types::ValidatorSet::Create(vals);
  HITO_ASSERT(set.ok());
  set_ = *set;

  // Byzantine validators (twins): a random subset with less than a third of the power.
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i) order[i] = i;
  for (uint32_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng_.Below(i)]);
  const uint64_t want = opt_.byzantine ? rng_.Below(n / 3 + 1) : 0;
  std::set<uint32_t> byz;
  uint64_t byz_power = 0;
  for (uint32_t i : order) {
    if (byz.size() >= want) break;
    const uint64_t p = powers[i];
    if ((byz_power + p) * 3 < set_.total_power()) {
      byz.insert(i);
      byz_power += p;
    }
  }
  report_.byzantine = static_cast<uint32_t>(byz.size());
  PlanSetChange(byz, byz_power, &powers, add_key);
  change_height_ = rng_.Range(2, 8);
  twin_leak_permille_ = std::array<uint64_t, 3>{0, 50, 300}[rng_.Below(3)];

  // One process per key of either set (a key outside a height's set follows it by block
  // sync and gossip without signing), two for a twin.
  for (uint32_t k = 0; k < keys_.size(); ++k) {
    const int sides = byz.count(k) ? 2 : 1;
    for (int s = 0; s < sides; ++s) {
      Process p;
      p.validator = k;
      p.twin_side = sides == 2 ? s : -1;
      p.half = static_cast<uint32_t>(rng_.Below(2));
      p.app = MakeApp(kChainId, opt_.seed);
      procs_.push_back(std::move(p));
    }
  }
  report_.app = std::string(procs_[0].app->kind());
  for (uint32_t p = 0; p < procs_.size(); ++p) {
    StartEngine(p);
    Push(now_ + rng_.Range(1, kTickMs), Tick{p, procs_[p].incarnation});
  }
}

// The validator set change at a height fixed in advance, one of four kinds drawn from the
// seed (twins stay below a third of the power in both sets):
//   powers: same keys, honest validators gain power;
//   add:    a new key joins (power 1..4);
//   remove: an honest validator leaves (when the twins stay below a third without it);
//   swap:   the whole set is replaced by n new keys, all honest.
template <typename AddKey>
void Simulation::PlanSetChange(const std::set<uint32_t>& byz, uint64_t byz_power,
                               std::vector<uint64_t>* powers, AddKey add_key) {
  const uint32_t n = opt_.validators;
  std::vector<types::Validator> next;
  uint64_t kind = rng_.Below(4);
  if (kind == 2) {
    // Remove: the first honest key in a seed-chosen rotation whose removal keeps the
    // twins below a third; otherwise fall back to powers.
    const uint32_t start = static_cast<uint32_t>(rng_.Below(n));
    std::optional<uint32_t> gone;
    for (uint32_t j = 0; j < n && !gone && n > 1; ++j) {
      const uint32_t k = (start + j) % n;
      if (byz.count(k) == 0 && byz_power * 3 < set_.total_power() - (*powers)[k]) gone = k;
    }
    if (gone) {
      for (uint32_t k = 0; k < n; ++k) {
        if (k != *gone) next.push_back({keys_[k], (*powers)[k]});
      }
    } else {
      kind = 0;
    }
  }
  if (kind == 0) {
    for (uint32_t k = 0; k < n; ++k) {
      next.push_back({keys_[k], (*powers)[k] + (byz.count(k) ? 0 : rng_.Below(3))});
    }
  } else if (kind == 1) {
    next = set_.validators();
    const uint32_t k = add_key(rng_.Range(1, 4));
    next.push_back({keys_[k], (*powers)[k]});
  } else if (kind == 3) {
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t k = add_key(rng_.Range(1, 4));
      next.push_back({keys_[k], (*powers)[k]});
    }
  }
  report_.set_change = std::array<const char*, 4>{"powers", "add", "remove", "swap"}[kind];
  auto next_set = types::ValidatorSet::Create(next);
  HITO_ASSERT(next_set.ok());
  next_set_ = *next_set;
}

void Simulation::ScheduleFaults() {
  drop_permille_ = rng_.Range(0, 200);
  dup_permille_ = rng_.Range(0, 100);
  delay_max_ms_ = rng_.Range(5, 800);
  crash_after_lock_permille_ = rng_.Chance(500) ? rng_.Range(20, 200) : 0;
  // A rough horizon for the fault phase, to place crashes and partitions in it.
  const uint64_t horizon = 5'000 + 10 * opt_.steps / std::max<uint64_t>(1, opt_.validators);
  const uint64_t crashes = rng_.Below(opt_.validators + 1);
  for (uint64_t c = 0; c < crashes; ++c) {
    const uint32_t p = static_cast<uint32_t>(rng_.Below(procs_.size()));
    if (!procs_[p].honest()) continue;
    const uint64_t at = rng_.Range(1, horizon);
    Push(at, Crash{p});
    Push(at + rng_.Range(100, 10'000), Restart{p});
  }
  const uint64_t partitions = rng_.Below(4);
  for (uint64_t i = 0; i < partitions; ++i) {
    const uint64_t at = rng_.Range(1, horizon);
    Push(at, Partition{rng_.Next()});
    Push(at + rng_.Range(500, 15'000), HealPartition{});
  }
}

bool Simulation::Connected(uint32_t a, uint32_t b) const {
  if (a == b) return false;
  const Process& pa = procs_[a];
  const Process& pb = procs_[b];
  if (!pa.honest() || !pb.honest()) {
    const Process& twin = pa.honest() ? pb : pa;
    const Process& other = pa.honest() ? pa : pb;
    if (!other.honest()) return twin.twin_side == other.twin_side;
    return static_cast<int>(other.half) == twin.twin_side;
  }
  return !partitioned_ || pa.group == pb.group;
}

void Simulation::Send(uint32_t from, uint32_t to, const Message& msg) {
  bool connected = Connected(from, to);
  // A twin's message sometimes leaks to the other half: that is how equivocation is seen.
  if (!connected && (!procs_[from].honest() || !procs_[to].honest()) &&
      !(partitioned_ && procs_[from].honest() && procs_[to].honest()) &&
      rng_.Chance(twin_leak_permille_)) {
    connected = from != to;
  }
  if (!connected) return;
  if (faults_ && rng_.Chance(drop_permille_)) return;
  const uint64_t max_delay = faults_ ? delay_max_ms_ : 30;
  Push(now_ + rng_.Range(1, max_delay), Deliver{to, msg});
  if (rng_.Chance(faults_ ? dup_permille_ : 10)) {
    Push(now_ + rng_.Range(1, max_delay * 2), Deliver{to, msg});
  }
}

void Simulation::Broadcast(uint32_t from, const Message& msg) {
  for (uint32_t to = 0; to < procs_.size(); ++to) Send(from, to, msg);
}

void Simulation::StartEngine(uint32_t p) {
  Process& proc = procs_[p];
  proc.signer = std::make_unique<RecordSigner>(seeds_[proc.validator], &proc.record);
  proc.engine = std::make_unique<bft::Engine>(EngineConfig(), proc.signer.get(), &verifier_);
  proc.evidence_pool.clear();
  bft::StartHeight start;
  start.height = proc.height() + 1;
  start.validators = SetFor(start.height);
  // A restarted validator resumes in the round its signer record names, with its lock.
  if (proc.record.height == start.height) start.round = proc.record.round;
  if (proc.record.lock_height == start.height) start.lock = proc.record.lock;
  const uint64_t height = start.height;
  Feed(p, std::move(start));
  // Replay the WAL of this height: own proposals and votes, then the lock's block.
  if (proc.wal_height != height) return;
  const std::vector<Message> wal = proc.wal;
  for (const auto& m : wal) {
    if (const auto* pm = std::get_if<ProposalMsg>(&m)) {
      Feed(p, bft::ProposalReceived{pm->proposal, pm->block});
    } else if (const auto* vm = std::get_if<VoteMsg>(&m)) {
      Feed(p, bft::VoteReceived{vm->vote});
    } else if (const auto* bm = std::get_if<BlockMsg>(&m)) {
      Feed(p, bft::BlockReceived{bm->block});
    }
  }
}

void Simulation::Dispatch(const Item& item) {
  if (const auto* d = std::get_if<Deliver>(&item)) {
    if (!procs_[d->to].crashed) OnDeliver(d->to, d->msg);
  } else if (const auto* e = std::get_if<EngineEvent>(&item)) {
    if (!procs_[e->proc].crashed && procs_[e->proc].incarnation == e->incarnation) {
      Feed(e->proc, e->event);
    }
  } else if (const auto* t = std::get_if<Tick>(&item)) {
    if (!procs_[t->proc].crashed && procs_[t->proc].incarnation == t->incarnation) {
      OnTick(t->proc);
    }
  } else if (const auto* c = std::get_if<Crash>(&item)) {
    if (faults_) CrashProcess(c->proc);
  } else if (const auto* r = std::get_if<Restart>(&item)) {
    RestartProcess(r->proc);
  } else if (const auto* part = std::get_if<Partition>(&item)) {
    if (!faults_) return;
    Rng split(part->salt);
    for (auto& proc : procs_) proc.group = static_cast<uint32_t>(split.Below(2));
    partitioned_ = true;
    ++report_.partitions;
  } else if (std::holds_alternative<HealPartition>(item)) {
    partitioned_ = false;
  }
}

void Simulation::OnDeliver(uint32_t to, const Message& msg) {
  Process& proc = procs_[to];
  if (const auto* pm = std::get_if<ProposalMsg>(&msg)) {
    proc.highest_seen = std::max(proc.highest_seen, pm->proposal.height);
    Feed(to, bft::ProposalReceived{pm->proposal, pm->block}, &msg);
  } else if (const auto* vm = std::get_if<VoteMsg>(&msg)) {
    proc.highest_seen = std::max(proc.highest_seen, vm->vote.height);
    Feed(to, bft::VoteReceived{vm->vote}, &msg);
  } else if (const auto* req = std::get_if<SyncRequest>(&msg)) {
    SyncReply reply;
    for (uint64_t h = req->height; h <= proc.height() && reply.blocks.size() < kSyncBatch; ++h) {
      reply.blocks.emplace_back(proc.blocks[h - 1], proc.commits[h - 1]);
    }
    if (!reply.blocks.empty()) Send(to, req->from, reply);
  } else if (const auto* rep = std::get_if<SyncReply>(&msg)) {
    bool applied = false;
    for (const auto& [block, commit] : rep->blocks) {
      if (block.header.height != proc.height() + 1) continue;
      // Block sync: the commit must verify against the set and name this block, and the
      // block must pass the same checks as a proposal.
      Status s = verifier_.VerifyCommit(SetFor(block.header.height), commit);
      if (s.ok() && (commit.height != block.header.height ||
                     commit.block_hash != types::HeaderHash(block.header))) {
        s = InvalidArgumentError("commit does not name the block");
      }
      if (s.ok()) s = CheckBlock(to, block);
      if (!s.ok()) break;  // a bad reply from a peer: ignore the rest of it
      s = Commit(to, block, commit, "synced");
      if (!s.ok()) return Fail(s);
      applied = true;
    }
    if (applied) StartEngine(to);
  }
}

void Simulation::Feed(uint32_t p, bft::Event event, const Message* from_peer) {
  std::deque<bft::Event> local;
  local.push_back(std::move(event));
  while (!local.empty() && failure_.ok()) {
    Process& proc = procs_[p];
    const uint64_t height = proc.engine->height();
    auto actions = proc.engine->Step(local.front());
    local.pop_front();
    if (from_peer != nullptr && proc.engine->last_rejection() == bft::Rejection::kNone) {
      if (proc.relay_height != height) {
        proc.relay.clear();
        proc.relay_height = height;
      }
      proc.relay.push_back(*from_peer);
      from_peer = nullptr;
    }
    report_.max_round = std::max<uint64_t>(report_.max_round, proc.engine->round());
    for (const auto& a : actions) HandleAction(p, a, &local);
  }
}

void Simulation::HandleAction(uint32_t p, const bft::Action& action,
                              std::deque<bft::Event>* local) {
  Process& proc = procs_[p];
  if (const auto* bp = std::get_if<bft::BroadcastProposal>(&action)) {
    ProposalMsg m{bp->proposal, bp->block};
    WalAppend(p, bp->proposal.height, m);
    Broadcast(p, m);
  } else if (const auto* bv = std::get_if<bft::BroadcastVote>(&action)) {
    VoteMsg m{bv->vote};
    WalAppend(p, bv->vote.height, m);
    if (bv->vote.type == types::VoteType::kPrecommit && bv->vote.block_hash) {
      const types::Block* b = proc.engine->FindBlock(*bv->vote.block_hash);
      if (b != nullptr) WalAppend(p, bv->vote.height, BlockMsg{*b});
      if (faults_ && proc.honest() && rng_.Chance(crash_after_lock_permille_)) {
        Push(now_, Crash{p});
        Push(now_ + rng_.Range(50, 3'000), Restart{p});
        return;  // the process dies before the message leaves
      }
    }
    Broadcast(p, m);
  } else if (const auto* st = std::get_if<bft::ScheduleTimeout>(&action)) {
    Push(now_ + st->duration_ms,
         EngineEvent{p, proc.incarnation, bft::TimeoutFired{st->height, st->round, st->step}});
  } else if (const auto* rb = std::get_if<bft::RequestBlock>(&action)) {
    if (rb->height != proc.height() + 1) return;
    Push(now_ + kLocalDelayMs,
         EngineEvent{p, proc.incarnation,
                     bft::BlockBuilt{rb->height, rb->round, BuildBlock(p, rb->height)}});
  } else if (const auto* vb = std::get_if<bft::ValidateBlock>(&action)) {
    const bool ok = CheckBlock(p, vb->block).ok();
    Push(now_ + kLocalDelayMs,
         EngineEvent{p, proc.incarnation,
                     bft::BlockValidated{vb->block.header.height, vb->block_hash, ok}});
  } else if (const auto* d = std::get_if<bft::Decide>(&action)) {
    if (d->height != proc.height() + 1) return;  // already synced past it
    Status s = verifier_.VerifyCommit(SetFor(d->height), d->commit);
    if (!s.ok() || d->commit.block_hash != types::HeaderHash(d->block.header) ||
        d->commit.height != d->height) {
      return Fail(InternalError("height " + std::to_string(d->height) + ": process " +
                                std::to_string(p) + " decided with a bad commit: " + s.ToString()));
    }
    s = CheckBlock(p, d->block);
    if (!s.ok() && proc.honest()) {
      return Fail(InternalError("height " + std::to_string(d->height) + ": process " +
                                std::to_string(p) + " decided an invalid block: " + s.ToString()));
    }
    s = Commit(p, d->block, d->commit, "decided");
    if (!s.ok()) return Fail(s);
    local->push_back(
        bft::StartHeight{proc.height() + 1, SetFor(proc.height() + 1), 0, std::nullopt});
  } else if (const auto* ev = std::get_if<bft::RecordEvidence>(&action)) {
    if (!proc.honest()) return;
    Status s = types::VerifyEvidence(kChainId, ev->evidence);
    if (!s.ok())
      return Fail(InternalError("engine produced unverifiable evidence: " + s.ToString()));
    auto idx = KeyIndex(ev->evidence.a.validator);
    if (!idx || !SetFor(ev->evidence.a.height).IndexOf(ev->evidence.a.validator)) {
      return Fail(InternalError("evidence names a non-validator of its height"));
    }
    bool byzantine = false;
    for (const auto& q : procs_) byzantine |= q.validator == *idx && !q.honest();
    if (!byzantine) {
      return Fail(InternalError("honest validator " + std::to_string(*idx) +
                                " equivocated at height " + std::to_string(ev->evidence.a.height) +
                                " round " + std::to_string(ev->evidence.a.round)));
    }
    ++report_.evidence;
    if (proc.evidence_pool.size() < types::kEvidenceMaxPerBlock) {
      proc.evidence_pool.push_back(ev->evidence);
    }
  }
}

types::Block Simulation::BuildBlock(uint32_t p, uint64_t height) {
  Process& proc = procs_[p];
  types::Block b;
  types::BlockHeader& h = b.header;
  h.chain_id = kChainId;
  h.height = height;
  const uint64_t prev_time = height > 1 ? proc.blocks[height - 2].header.time_ms : 0;
  h.time_ms = std::max(now_, prev_time + 1);
  if (height > 1) {
    h.prev_hash = types::HeaderHash(proc.blocks[height - 2].header);
    b.last_commit = proc.commits[height - 2];
  }
  b.txs = proc.app->BuildTxs(p, rng_);
  h.tx_root = types::TxRoot(b.txs);
  h.app_hash = proc.app->StateRoot();
  h.validators_hash = SetFor(height).Hash();
  h.next_validators_hash = SetFor(height + 1).Hash();
  h.last_commit_hash = types::CommitHash(b.last_commit);
  for (const auto& ev : proc.evidence_pool) {
    if (proc.committed_evidence.count(types::EncodeEvidence(ev)) == 0 &&
        std::find(b.evidence.begin(), b.evidence.end(), ev) == b.evidence.end()) {
      b.evidence.push_back(ev);
    }
  }
  h.evidence_hash = types::EvidenceHash(b.evidence);
  h.proposer = keys_[proc.validator];
  return b;
}

// The application's verdict: the header rules and the transactions' format.
Status Simulation::CheckBlock(uint32_t p, const types::Block& b) {
  const Process& proc = procs_[p];
  const types::BlockHeader& h = b.header;
  const uint64_t height = proc.height() + 1;
  if (h.chain_id != kChainId) return InvalidArgumentError("wrong chain id");
  if (h.height != height) return InvalidArgumentError("wrong height");
  const uint64_t prev_time = height > 1 ? proc.blocks[height - 2].header.time_ms : 0;
  if (h.time_ms <= prev_time) return InvalidArgumentError("time does not increase");
  const Hash32 prev_hash =
      height > 1 ? types::HeaderHash(proc.blocks[height - 2].header) : Hash32{};
  if (h.prev_hash != prev_hash) return InvalidArgumentError("wrong prev_hash");
  if (h.app_hash != proc.app->StateRoot()) return InvalidArgumentError("wrong app_hash");
  if (h.validators_hash != SetFor(height).Hash() ||
      h.next_validators_hash != SetFor(height + 1).Hash()) {
    return InvalidArgumentError("wrong validators hash");
  }
  if (!SetFor(height).IndexOf(h.proposer)) return InvalidArgumentError("proposer not in the set");
  if (h.tx_root != types::TxRoot(b.txs)) return InvalidArgumentError("wrong tx_root");
  if (h.last_commit_hash != types::CommitHash(b.last_commit)) {
    return InvalidArgumentError("wrong last_commit_hash");
  }
  if (height == 1) {
    if (!(b.last_commit == types::Commit{})) return InvalidArgumentError("block 1 commit");
  } else {
    if (b.last_commit.height != height - 1 || b.last_commit.block_hash != prev_hash) {
      return InvalidArgumentError("last commit names another block");
    }
    HITO_RETURN_IF_ERROR(verifier_.VerifyCommit(SetFor(height - 1), b.last_commit));
  }
  if (h.evidence_hash != types::EvidenceHash(b.evidence)) {
    return InvalidArgumentError("wrong evidence_hash");
  }
  if (b.evidence.size() > types::kEvidenceMaxPerBlock) return InvalidArgumentError("evidence");
  std::set<Bytes> seen;
  for (const auto& ev : b.evidence) {
    HITO_RETURN_IF_ERROR(types::VerifyEvidence(kChainId, ev));
    Bytes enc = types::EncodeEvidence(ev);
    if (proc.committed_evidence.count(enc) != 0 || !seen.insert(enc).second) {
      return InvalidArgumentError("evidence already committed");
    }
  }
  return proc.app->CheckTxs(b.txs);
}

Status Simulation::Commit(uint32_t p, const types::Block& block, const types::Commit& commit,
                          const char* how) {
  Process& proc = procs_[p];
  const uint64_t h = block.header.height;
  const Hash32 hash = types::HeaderHash(block.header);
  HITO_ASSIGN_OR_RETURN(Hash32 root, proc.app->Execute(block.header, block.txs));
  proc.blocks.push_back(block);
  proc.commits.push_back(commit);
  for (const auto& ev : block.evidence) {
    Bytes enc = types::EncodeEvidence(ev);
    proc.committed_evidence.insert(enc);
    if (proc.honest()) evidence_on_chain_.insert(std::move(enc));
  }
  if (opt_.verbose) {
    std::printf("t=%llu proc %u %s height %llu round %u block %s root %s\n",
                static_cast<unsigned long long>(now_), p, how, static_cast<unsigned long long>(h),
                commit.round, Hex8(hash).c_str(), Hex8(root).c_str());
  }
  if (!proc.honest()) return Status::Ok();
  // Agreement: no two honest validators decide different blocks at a height.
  auto [it, first] = decided_.emplace(h, hash);
  if (!first && it->second != hash) {
    return InternalError("agreement violated at height " + std::to_string(h) + ": process " +
                         std::to_string(p) + " " + how + " block " + Hex8(hash) +
                         " but another honest validator decided " + Hex8(it->second));
  }
  // State roots agree after executing the same block.
  auto [rit, rfirst] = roots_.emplace(h, root);
  if (!rfirst && rit->second != root) {
    return InternalError("state roots differ after height " + std::to_string(h) + ": process " +
                         std::to_string(p) + " has " + Hex8(root) + " not " + Hex8(rit->second));
  }
  return Status::Ok();
}

void Simulation::OnTick(uint32_t p) {
  Process& proc = procs_[p];
  ++proc.ticks;
  // Gossip: resend this height's own messages (peers that lost them catch up).
  if (proc.wal_height == proc.height() + 1) {
    for (const auto& m : proc.wal) {
      if (!std::holds_alternative<BlockMsg>(m)) Broadcast(p, m);
    }
  }
  // Relay what we accepted from others at this height to a few random peers.
  if (proc.honest() && proc.relay_height == proc.height() + 1 && !proc.relay.empty()) {
    for (int k = 0; k < 3; ++k) {
      const uint32_t peer = static_cast<uint32_t>(rng_.Below(procs_.size()));
      for (const auto& m : proc.relay) Send(p, peer, m);
    }
  }
  // Block sync: ask a random peer for what follows our last block when someone is ahead
  // of us, and now and then anyway.
  if (proc.highest_seen > proc.height() + 1 || proc.ticks % 4 == 0) {
    const uint32_t peer = static_cast<uint32_t>(rng_.Below(procs_.size()));
    Send(p, peer, SyncRequest{p, proc.height() + 1});
  }
  Push(now_ + kTickMs, Tick{p, proc.incarnation});
}

void Simulation::CrashProcess(uint32_t p) {
  Process& proc = procs_[p];
  if (proc.crashed) return;
  proc.crashed = true;
  ++proc.incarnation;  // pending timers and app answers die with the process
  proc.engine.reset();
  proc.signer.reset();
  proc.relay.clear();
  proc.evidence_pool.clear();
  ++report_.crashes;
}

void Simulation::RestartProcess(uint32_t p) {
  Process& proc = procs_[p];
  if (!proc.crashed) return;
  proc.crashed = false;
  proc.highest_seen = 0;
  StartEngine(p);
  Push(now_ + 1, Tick{p, proc.incarnation});
}

void Simulation::EndFaults() {
  faults_ = false;
  partitioned_ = false;
  for (uint32_t p = 0; p < procs_.size(); ++p) RestartProcess(p);
}

uint64_t Simulation::HonestMinHeight() const {
  uint64_t m = UINT64_MAX;
  for (const auto& p : procs_) {
    if (p.honest()) m = std::min(m, p.height());
  }
  return m;
}

uint64_t Simulation::HonestMaxHeight() const {
  uint64_t m = 0;
  for (const auto& p : procs_) {
    if (p.honest()) m = std::max(m, p.height());
  }
  return m;
}

SimReport Simulation::Run() {
  Setup();
  ScheduleFaults();
  std::optional<uint64_t> heal_time;
  uint64_t target = 0;
  while (failure_.ok()) {
    if (!heal_time && steps_ >= opt_.steps) {
      EndFaults();
      heal_time = now_;
      target = HonestMaxHeight() + opt_.heights_after_heal;
    }
    if (heal_time) {
      if (HonestMinHeight() >= target) break;
      if (now_ > *heal_time + opt_.liveness_bound_ms) {
        Fail(DeadlineExceededError("liveness: after the heal at t=" + std::to_string(*heal_time) +
                                   " ms not every honest validator reached height " +
                                   std::to_string(target) + " within " +
                                   std::to_string(opt_.liveness_bound_ms) + " ms (lowest " +
                                   std::to_string(HonestMinHeight()) + ")"));
        break;
      }
    }
    if (queue_.empty()) {
      Fail(InternalError("event queue ran dry"));
      break;
    }
    auto node = queue_.extract(queue_.begin());
    now_ = node.key().first;
    ++steps_;
    ++kind_count_[node.mapped().index()];
    Dispatch(node.mapped());
  }
  if (opt_.verbose) {
    for (const auto& [kind, count] : kind_count_) {
      std::printf("item kind %zu: %llu\n", kind, static_cast<unsigned long long>(count));
    }
  }
  if (!failure_.ok() && opt_.verbose) {
    for (uint32_t p = 0; p < procs_.size(); ++p) {
      const Process& proc = procs_[p];
      std::printf("proc %u validator %u twin %d crashed %d height %llu", p, proc.validator,
                  proc.twin_side, proc.crashed ? 1 : 0,
                  static_cast<unsigned long long>(proc.height()));
      if (proc.engine) {
        auto lock = proc.engine->lock();
        std::printf(
            " engine h %llu r %u step %s lock %s valid_round %d wal %zu",
            static_cast<unsigned long long>(proc.engine->height()), proc.engine->round(),
            std::string(bft::StepName(proc.engine->step())).c_str(),
            lock ? (std::to_string(lock->round) + ":" + Hex8(lock->block_hash)).c_str() : "-",
            proc.engine->valid_round() ? static_cast<int>(*proc.engine->valid_round()) : -1,
            proc.wal.size());
      }
      std::printf("\n");
    }
  }
  report_.status = failure_;
  report_.steps = steps_;
  report_.sim_time_ms = now_;
  report_.min_height = HonestMinHeight();
  report_.evidence_committed = evidence_on_chain_.size();
  report_.max_height = HonestMaxHeight();
  for (const auto& proc : procs_) {
    if (proc.honest() && proc.height() == report_.min_height) report_.txs_ok = proc.app->txs_ok();
  }
  return report_;
}

}  // namespace

SimReport RunSimulation(const SimOptions& options) {
  InitCrypto();
  Simulation sim(options);
  return sim.Run();
}

std::string ReplayCommand(const SimOptions& o) {
  std::string cmd =
      "hito_sim --seed " + std::to_string(o.seed) + " --validators " + std::to_string(o.validators);
  if (o.steps != 0) cmd += " --steps " + std::to_string(o.steps);
  if (!o.byzantine) cmd += " --no-byzantine";
  return cmd;
}

}  // namespace hito::sim
