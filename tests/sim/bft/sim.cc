#include "tests/sim/bft/sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/block.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "node/chain/bft_driver.h"
#include "node/chain/consensus_transport.h"
#include "tests/sim/bft/hostile.h"
#include "tests/sim/bft/rng.h"
#include "tests/sim/bft/sim_node.h"

namespace hito::sim {
namespace {

namespace bft = consensus::bft;
namespace ledger = consensus::ledger;
using node::chain::BftDriver;

constexpr char kChainId[] = "hito-sim";
constexpr uint64_t kGenesisTimeMs = 1'700'000'000'000;
constexpr uint32_t kGossipMs = 700;   // the driver's gossip and block sync period
constexpr uint64_t kClientMs = 450;   // a client submits transactions this often
constexpr uint64_t kHostileMs = 900;  // a twin sends junk this often
constexpr uint64_t kMaxSkewMs = 400;  // machines' calendars differ by up to this much
constexpr uint32_t kAccounts = 8;     // funded at genesis, keys held by the client
constexpr uint64_t kGenesisBalance = 1'000'000 * types::kUnitsPerHito;

// ---- Messages on the simulated wire ----
struct ProposalMsg {
  types::Proposal proposal;
  std::optional<types::Block> block;
};
struct VoteMsg {
  types::Vote vote;
};
struct EvidenceMsg {
  types::DuplicateVoteEvidence evidence;
};
struct SyncRequest {
  uint32_t from = 0;
  uint64_t height = 0;
};
struct SyncReply {
  types::Block block;
  types::Commit commit;
};
using Message = std::variant<ProposalMsg, VoteMsg, EvidenceMsg, SyncRequest, SyncReply>;

// ---- Queue items ----
struct Deliver {
  uint32_t to;
  std::shared_ptr<const Message> msg;
};
struct Wake {  // the driver's NextWake has come
  uint32_t proc;
  uint64_t incarnation;
};
struct ClientTxs {};
struct Hostile {
  uint32_t proc;
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
using Item =
    std::variant<Deliver, Wake, ClientTxs, Hostile, Crash, Restart, Partition, HealPartition>;

std::string Hex8(const Hash32& h) { return HexEncode(ByteView(h.data(), 4)); }
uint64_t Ms(node::io::Clock::TimePoint t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// A cache of verified exact message bytes in front of the real checks, shared by every
// simulated validator: signature checks are pure, so each verdict is computed once.
class CachingVerifier : public bft::Verifier {
 public:
  bool VerifyVote(std::string_view chain_id, const types::Vote& vote) override {
    return Cached(types::EncodeVote(vote), 'v',
                  [&] { return types::VerifyVoteSignature(chain_id, vote); });
  }
  bool VerifyProposal(std::string_view chain_id, const types::Proposal& p) override {
    return Cached(types::EncodeProposal(p), 'p',
                  [&] { return types::VerifyProposalSignature(chain_id, p); });
  }

 private:
  template <typename Check>
  bool Cached(Bytes key, uint8_t kind, Check check) {
    key.push_back(kind);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const bool ok = check();
    cache_.emplace(std::move(key), ok);
    return ok;
  }
  std::map<Bytes, bool> cache_;
};

class Simulation;

// The driver's network: hands every message to the simulated one.
class SimTransport : public node::chain::ConsensusTransport {
 public:
  SimTransport(Simulation* sim, uint32_t proc) : sim_(sim), proc_(proc) {}
  void SetHandler(node::chain::ConsensusHandler*) override {}
  void BroadcastProposal(const types::Proposal& proposal, const types::Block& block) override;
  void BroadcastVote(const types::Vote& vote) override;
  void BroadcastEvidence(const types::DuplicateVoteEvidence& evidence) override;
  void RequestCommittedBlock(uint64_t height) override;

 private:
  Simulation* sim_;
  uint32_t proc_;
};

struct Process {
  uint32_t validator = 0;  // key index (Simulation::keys_), not a set index
  int twin_side = -1;      // -1 honest; 0 or 1 for the two halves of a Byzantine twin
  bool crashed = false;
  bool dying = false;  // lost power mid-step: nothing more leaves it
  uint64_t incarnation = 0;
  uint32_t group = 0;  // partition group (honest processes)
  uint32_t half = 0;   // which twin half this honest process talks to
  // Durable: survives a crash.
  SimMachine machine;
  uint64_t checked_height = 0;  // heights of its store the checker has verified
  uint64_t txs_ok = 0;
  // Volatile: lost in a crash.
  std::unique_ptr<ChainStack> chain;
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<BftDriver> driver;
  std::optional<uint64_t> wake_at;

  bool honest() const { return twin_side < 0; }
  uint64_t height() const { return checked_height; }
};

uint64_t TornTail(const std::string&, uint64_t unsynced, void* ctx) {
  Rng& rng = *static_cast<Rng*>(ctx);
  return rng.Chance(500) ? rng.Below(unsynced + 1) : 0;
}

class Simulation {
 public:
  explicit Simulation(const SimOptions& options) : opt_(options), rng_(options.seed) {
    if (opt_.steps == 0) opt_.steps = 1500 + 150 * uint64_t{opt_.validators};
  }
  SimReport Run();

  // From the transports (inside a driver call of `from`).
  void OwnProposal(uint32_t from, const types::Proposal& p, const types::Block& block);
  void OwnVote(uint32_t from, const types::Vote& vote);
  void OwnEvidence(uint32_t from, const types::DuplicateVoteEvidence& e);
  void AskBlock(uint32_t from, uint64_t height);

 private:
  void Setup();
  void MakeGenesis();
  template <typename AddKey>
  void PlanSetChange(const std::set<uint32_t>& byz, uint64_t byz_power,
                     std::vector<uint64_t>* powers, AddKey add_key);
  void ScheduleFaults();
  void Push(uint64_t at, Item item) { queue_.emplace(std::make_pair(at, seq_++), std::move(item)); }
  bool Connected(uint32_t a, uint32_t b) const;
  bool Silent(uint32_t p) const;
  // Messages are immutable once sent; every delivery of one shares it.
  void Send(uint32_t from, uint32_t to, const std::shared_ptr<const Message>& msg);
  void Send(uint32_t from, uint32_t to, Message msg) {
    Send(from, to, std::make_shared<const Message>(std::move(msg)));
  }
  void Broadcast(uint32_t from, Message msg);
  void Dispatch(const Item& item);
  void OnDeliver(uint32_t to, const Message& msg);
  // Runs `call` on process p's driver at now_, then checks what it stored and plans its
  // next wake.
  template <typename Call>
  void Enter(uint32_t p, Call call);
  void AfterCall(uint32_t p);
  void ScheduleWake(uint32_t p);
  void StartNode(uint32_t p);
  void CrashProcess(uint32_t p);
  void RestartProcess(uint32_t p);
  void EndFaults();
  void SubmitClientTxs();
  void SendJunk(uint32_t p);
  // Verifies the blocks p stored since the last check (the invariants).
  Status CheckStored(uint32_t p);
  // `wall_ms`: the checking process's clock (no honest validator may have voted for a
  // block dated beyond its own clock's horizon).
  Status CheckBlock(const types::Block& block, const types::BlockHeader* parent,
                    uint64_t wall_ms) const;
  Status VerifyCommitCached(const types::ValidatorSet& set, const types::Commit& c);
  void Fail(Status s) {
    if (failure_.ok()) failure_ = std::move(s);
  }
  const types::ValidatorSet& SetFor(uint64_t height) const {
    return height >= change_height_ ? next_set_ : set_;
  }
  std::optional<uint32_t> KeyIndex(const Ed25519PublicKey& pk) const;
  bool IsTwin(const Ed25519PublicKey& pk) const;
  bool MayImpair(uint32_t key) const;
  uint64_t HonestMinHeight() const;
  uint64_t HonestMaxHeight() const;
  void DumpState() const;

  SimOptions opt_;
  Rng rng_;
  std::vector<Ed25519Seed> seeds_;  // every key of the run, by key index
  std::vector<Ed25519PublicKey> keys_;
  types::ValidatorSet set_;       // heights below change_height_
  types::ValidatorSet next_set_;  // from change_height_ on
  uint64_t change_height_ = 0;
  ledger::Genesis genesis_;
  Hash32 genesis_hash_{};
  std::array<Ed25519Seed, kAccounts> account_seeds_{};
  // Keys derived once (a derivation costs as much as a signature).
  std::vector<Ed25519PrivateKey> private_keys_;  // by key index
  std::vector<Ed25519PrivateKey> account_keys_;
  std::vector<types::AccountId> account_ids_;
  std::vector<Ed25519PrivateKey> outsider_keys_;
  node::chain::BftEngineOptions driver_options_;
  CachingVerifier verifier_;
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
  // A crash lands at one of the next few durability points instead of between steps.
  uint64_t power_loss_permille_ = 0;
  std::set<uint32_t> impaired_;      // keys that lost power at a durability point
  uint64_t bad_block_permille_ = 0;  // share of a twin's proposals it damages
  std::vector<BadBlock> bad_kinds_;
  uint64_t outsiders_ = 0;
  std::map<std::pair<Hash32, Hash32>, Status> commit_cache_;  // (commit, set) -> verdict
  std::set<std::pair<uint32_t, Bytes>> evidence_seen_;        // (proc, evidence)
  Status failure_;
  SimReport report_;
  // The checker's view: the first honest block at each height and the root after it.
  std::map<uint64_t, Hash32> decided_;
  std::map<uint64_t, Hash32> roots_;
  std::set<Bytes> evidence_on_chain_;  // evidence in blocks honest validators committed
};

// ---- Transport ----

void SimTransport::BroadcastProposal(const types::Proposal& p, const types::Block& block) {
  sim_->OwnProposal(proc_, p, block);
}
void SimTransport::BroadcastVote(const types::Vote& vote) { sim_->OwnVote(proc_, vote); }
void SimTransport::BroadcastEvidence(const types::DuplicateVoteEvidence& e) {
  sim_->OwnEvidence(proc_, e);
}
void SimTransport::RequestCommittedBlock(uint64_t height) { sim_->AskBlock(proc_, height); }

void Simulation::OwnProposal(uint32_t from, const types::Proposal& p, const types::Block& block) {
  Process& proc = procs_[from];
  // (Relayed proposals of others come this way too: a twin damages only its own.)
  if (!proc.honest() && p.proposer == keys_[proc.validator] && !bad_kinds_.empty() &&
      rng_.Chance(bad_block_permille_)) {
    // A Byzantine proposer sends a block no honest validator may vote for.
    const BadBlock kind = bad_kinds_[rng_.Below(bad_kinds_.size())];
    types::Block bad = block;
    const types::Proposal signed_bad = DamageProposal(
        kind, kChainId, p, private_keys_[proc.validator], proc.machine.clock->WallMs(), rng_, &bad);
    ++report_.bad_blocks;
    Broadcast(from, ProposalMsg{signed_bad, std::move(bad)});
    return;
  }
  Broadcast(from, ProposalMsg{p, block});
}

void Simulation::OwnVote(uint32_t from, const types::Vote& vote) {
  Process& proc = procs_[from];
  if (vote.type == types::VoteType::kPrecommit && vote.block_hash && faults_ && proc.honest() &&
      vote.validator == keys_[proc.validator] && !proc.dying &&
      rng_.Chance(crash_after_lock_permille_)) {
    proc.dying = true;  // it dies before the message leaves (AfterCall crashes it)
    Push(now_ + rng_.Range(50, 3'000), Restart{from});
    return;
  }
  Broadcast(from, VoteMsg{vote});
}

void Simulation::OwnEvidence(uint32_t from, const types::DuplicateVoteEvidence& e) {
  const Process& proc = procs_[from];
  if (proc.honest()) {
    // What an honest node found must be real, and against a Byzantine validator.
    Status s = types::VerifyEvidence(kChainId, e);
    if (!s.ok())
      return Fail(InternalError("node broadcast unverifiable evidence: " + s.ToString()));
    auto idx = KeyIndex(e.a.validator);
    if (!idx || !SetFor(e.a.height).IndexOf(e.a.validator)) {
      return Fail(InternalError("evidence names a non-validator of its height"));
    }
    if (!IsTwin(e.a.validator)) {
      return Fail(InternalError("honest validator " + std::to_string(*idx) +
                                " equivocated at height " + std::to_string(e.a.height) + " round " +
                                std::to_string(e.a.round)));
    }
    if (evidence_seen_.emplace(from, types::EncodeEvidence(e)).second) ++report_.evidence;
  }
  Broadcast(from, EvidenceMsg{e});
}

void Simulation::AskBlock(uint32_t from, uint64_t height) {
  const uint32_t peer = static_cast<uint32_t>(rng_.Below(procs_.size()));
  Send(from, peer, SyncRequest{from, height});
}

// ---- Setup ----

Ed25519Seed SimKeySeed(uint64_t sim_seed, uint64_t i) {
  Hasher h("hito/v1/sim-key");
  h.UpdateU64(sim_seed);
  h.UpdateU64(i);
  return h.Finish();
}

node::chain::BftEngineOptions DriverOptions(Rng& rng) {
  node::chain::BftEngineOptions o;
  o.bft.timeouts.propose_base_ms = 1000;
  o.bft.timeouts.propose_delta_ms = 200;
  o.bft.timeouts.prevote_base_ms = 500;
  o.bft.timeouts.prevote_delta_ms = 100;
  o.bft.timeouts.precommit_base_ms = 500;
  o.bft.timeouts.precommit_delta_ms = 100;
  o.gossip_interval_ms = kGossipMs;
  o.commit_wait_ms = rng.Chance(500) ? 0 : static_cast<uint32_t>(rng.Range(100, 600));
  return o;
}

void Simulation::Setup() {
  const uint32_t n = opt_.validators;
  // Powers: equal for half the seeds, 1..4 for the others. Keys 0..n-1 form the first set.
  const bool weighted = rng_.Chance(500);
  std::vector<uint64_t> powers;
  auto add_key = [&](uint64_t power) {
    const uint32_t k = static_cast<uint32_t>(keys_.size());
    seeds_.push_back(SimKeySeed(opt_.seed, k));
    private_keys_.push_back(Ed25519PrivateKey::FromSeed(seeds_.back()));
    keys_.push_back(private_keys_.back().public_key());
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
  MakeGenesis();
  driver_options_ = DriverOptions(rng_);
  driver_options_.verifier = &verifier_;

  // One process per key of either set (a key outside a height's set follows it by block
  // sync and gossip without signing), two for a twin.
  for (uint32_t k = 0; k < keys_.size(); ++k) {
    const int sides = byz.count(k) ? 2 : 1;
    for (int s = 0; s < sides; ++s) {
      Process p;
      p.validator = k;
      p.twin_side = sides == 2 ? s : -1;
      p.half = static_cast<uint32_t>(rng_.Below(2));
      p.machine.home = "/sim/p" + std::to_string(procs_.size());
      // Each machine's calendar is a little off (the steady clock is the simulation's).
      p.machine.clock->SetWallMs(kGenesisTimeMs + rng_.Range(0, kMaxSkewMs));
      procs_.push_back(std::move(p));
    }
  }
}

void Simulation::MakeGenesis() {
  genesis_.chain_id = kChainId;
  genesis_.time_ms = kGenesisTimeMs;
  genesis_.validators = set_;
  genesis_.validator_schedule = {{change_height_, next_set_}};
  for (uint32_t i = 0; i < kAccounts; ++i) {
    Hasher h("hito/v1/sim-account");
    h.UpdateU64(opt_.seed);
    h.UpdateU64(i);
    account_seeds_[i] = h.Finish();
    account_keys_.push_back(Ed25519PrivateKey::FromSeed(account_seeds_[i]));
    account_ids_.push_back(types::AccountIdFromPublicKey(account_keys_.back().public_key()));
    genesis_.accounts.push_back({account_ids_.back(), kGenesisBalance});
  }
  Hasher h("hito/v1/sim-genesis");
  h.UpdateU64(opt_.seed);
  genesis_hash_ = h.Finish();
}

// The validator set change at a height fixed in advance (in genesis), one of four kinds
// drawn from the seed (twins stay below a third of the power in both sets):
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
  power_loss_permille_ = rng_.Chance(500) ? rng_.Range(200, 800) : 0;
  for (uint32_t k = 0; k < static_cast<uint32_t>(BadBlock::kCount); ++k) {
    if (opt_.bad_blocks & (1u << k)) bad_kinds_.push_back(static_cast<BadBlock>(k));
  }
  bad_block_permille_ = rng_.Chance(300) ? 0 : rng_.Range(100, 600);
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
  Push(rng_.Range(1, kClientMs), ClientTxs{});
  if (opt_.hostile) {
    for (uint32_t p = 0; p < procs_.size(); ++p) {
      if (!procs_[p].honest()) Push(rng_.Range(1, kHostileMs), Hostile{p});
    }
  }
}

// ---- The network ----

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

// A process that lost power sends nothing more, whatever its code still does.
bool Simulation::Silent(uint32_t p) const {
  const Process& proc = procs_[p];
  return proc.crashed || proc.dying || proc.machine.disk->powered_off();
}

void Simulation::Send(uint32_t from, uint32_t to, const std::shared_ptr<const Message>& msg) {
  if (Silent(from)) return;
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

void Simulation::Broadcast(uint32_t from, Message msg) {
  const auto shared = std::make_shared<const Message>(std::move(msg));
  for (uint32_t to = 0; to < procs_.size(); ++to) Send(from, to, shared);
}

// ---- Driving the real node ----

template <typename Call>
void Simulation::Enter(uint32_t p, Call call) {
  Process& proc = procs_[p];
  if (proc.crashed || !proc.driver) return;
  node::io::ManualClock& clock = *proc.machine.clock;
  const uint64_t steady = Ms(clock.Now());
  if (now_ > steady) clock.Advance(now_ - steady);
  call(*proc.driver);
  AfterCall(p);
}

void Simulation::AfterCall(uint32_t p) {
  Process& proc = procs_[p];
  Status s = CheckStored(p);
  if (!s.ok()) return Fail(s);
  report_.max_round = std::max<uint64_t>(report_.max_round, proc.driver->state_machine().round());
  if (proc.dying || proc.machine.disk->powered_off()) {
    if (!proc.dying) Push(now_ + rng_.Range(50, 3'000), Restart{p});
    CrashProcess(p);
    return;
  }
  ScheduleWake(p);
}

void Simulation::ScheduleWake(uint32_t p) {
  Process& proc = procs_[p];
  const uint64_t at = std::max(now_, Ms(proc.driver->NextWake()));
  if (proc.wake_at && *proc.wake_at <= at) return;
  proc.wake_at = at;
  Push(at, Wake{p, proc.incarnation});
}

void Simulation::StartNode(uint32_t p) {
  Process& proc = procs_[p];
  node::io::ManualClock& clock = *proc.machine.clock;
  const uint64_t steady = Ms(clock.Now());
  if (now_ > steady) clock.Advance(now_ - steady);
  auto chain = OpenChainStack(&proc.machine, genesis_, genesis_hash_);
  if (!chain.ok()) {
    return Fail(InternalError("process " + std::to_string(p) +
                              " cannot open its store: " + chain.status().ToString()));
  }
  proc.chain = std::move(chain).value();
  proc.transport = std::make_unique<SimTransport>(this, p);
  auto driver = BftDriver::Open(
      proc.machine.disk.get(), proc.machine.clock.get(), proc.machine.home, kChainId,
      Ed25519PrivateKey::FromSeed(seeds_[proc.validator]), proc.chain->app.get(),
      proc.chain->store.get(), proc.transport.get(), driver_options_);
  if (!driver.ok()) {
    return Fail(InternalError("process " + std::to_string(p) +
                              " cannot open its consensus state: " + driver.status().ToString()));
  }
  proc.driver = std::move(driver).value();
  proc.wake_at.reset();
  proc.driver->Resume();
  AfterCall(p);
}

void Simulation::CrashProcess(uint32_t p) {
  Process& proc = procs_[p];
  if (proc.crashed) return;
  proc.crashed = true;
  proc.dying = false;
  ++proc.incarnation;  // pending wakes die with the process
  proc.wake_at.reset();
  proc.driver.reset();
  proc.transport.reset();
  proc.chain.reset();
  proc.machine.disk->Crash(TornTail, &rng_);
  ++report_.crashes;
}

void Simulation::RestartProcess(uint32_t p) {
  Process& proc = procs_[p];
  if (!proc.crashed) return;
  proc.crashed = false;
  StartNode(p);
}

void Simulation::EndFaults() {
  faults_ = false;
  partitioned_ = false;
  for (uint32_t p = 0; p < procs_.size(); ++p) {
    procs_[p].machine.disk->PowerLossAtSync(0);
    if (procs_[p].machine.disk->powered_off()) CrashProcess(p);
    RestartProcess(p);
  }
}

void Simulation::Dispatch(const Item& item) {
  if (const auto* d = std::get_if<Deliver>(&item)) {
    OnDeliver(d->to, *d->msg);
  } else if (const auto* w = std::get_if<Wake>(&item)) {
    Process& proc = procs_[w->proc];
    if (proc.crashed || proc.incarnation != w->incarnation || proc.wake_at != now_) return;
    proc.wake_at.reset();
    Enter(w->proc, [](BftDriver& d) { d.Tick(); });
  } else if (std::holds_alternative<ClientTxs>(item)) {
    SubmitClientTxs();
    Push(now_ + kClientMs, ClientTxs{});
  } else if (const auto* h = std::get_if<Hostile>(&item)) {
    SendJunk(h->proc);
    Push(now_ + kHostileMs, Hostile{h->proc});
  } else if (const auto* c = std::get_if<Crash>(&item)) {
    if (!faults_) return;
    Process& proc = procs_[c->proc];
    if (!proc.dying && !proc.crashed && rng_.Chance(power_loss_permille_) &&
        MayImpair(proc.validator)) {
      // Power fails at one of its next durability points rather than between steps.
      impaired_.insert(proc.validator);
      proc.machine.disk->PowerLossAtSync(static_cast<int>(rng_.Range(1, 6)));
      return;
    }
    CrashProcess(c->proc);
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
  if (proc.crashed) return;
  if (const auto* pm = std::get_if<ProposalMsg>(&msg)) {
    Enter(to, [&](BftDriver& d) { d.Handle(bft::ProposalReceived{pm->proposal, pm->block}); });
  } else if (const auto* vm = std::get_if<VoteMsg>(&msg)) {
    Enter(to, [&](BftDriver& d) { d.Handle(bft::VoteReceived{vm->vote}); });
  } else if (const auto* em = std::get_if<EvidenceMsg>(&msg)) {
    Enter(to, [&](BftDriver& d) { d.Handle(em->evidence); });
  } else if (const auto* req = std::get_if<SyncRequest>(&msg)) {
    if (!proc.driver) return;
    auto served = proc.driver->ServeCommittedBlock(req->height);
    if (served) Send(to, req->from, SyncReply{std::move(served->first), std::move(served->second)});
  } else if (const auto* rep = std::get_if<SyncReply>(&msg)) {
    Enter(to, [&](BftDriver& d) {
      d.Handle(node::chain::CommittedBlockReceived{rep->block, rep->commit});
    });
  }
}

// ---- The client and the twins' junk ----

// One to three transfers from random funded accounts at the nonces the receiving node
// expects (its committed nonce plus what its mempool holds), sent to one or two nodes.
// The node's id goes in the memo, so twins' blocks differ.
void Simulation::SubmitClientTxs() {
  const uint32_t p = static_cast<uint32_t>(rng_.Below(procs_.size()));
  Process& proc = procs_[p];
  const uint64_t n = rng_.Range(1, 3);
  if (proc.crashed || !proc.chain) return;
  auto state = proc.chain->store->State();
  ledger::Ledger view(kChainId, state.get());
  const auto pending = proc.chain->mempool->Reap(UINT32_MAX, UINT64_MAX);
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t from = static_cast<uint32_t>(rng_.Below(kAccounts));
    const uint32_t to = (from + 1 + static_cast<uint32_t>(rng_.Below(kAccounts - 1))) % kAccounts;
    const Ed25519PrivateKey& key = account_keys_[from];
    const types::AccountId& sender = account_ids_[from];
    auto account = view.GetAccount(sender);
    if (!account.ok()) continue;
    uint64_t queued = 0;
    for (const auto& ptx : pending) queued += ptx->sender == sender ? 1 : 0;
    types::Transfer t;
    t.chain_id = kChainId;
    t.sender = key.public_key();
    t.nonce = account->nonce + queued;
    t.fee = 1000;
    t.to = account_ids_[to];
    t.amount = rng_.Range(1, 1000);
    t.memo = Bytes{'p', static_cast<uint8_t>(p), static_cast<uint8_t>(p >> 8)};
    types::SignTransfer(&t, key);
    proc.chain->mempool->Admit(types::EncodeTransaction(types::Transaction{t}));
  }
}

// What a twin sends besides its own consensus messages: junk evidence, proposals and votes
// signed by keys outside the set, and a flood of its own votes for rounds far ahead.
void Simulation::SendJunk(uint32_t p) {
  Process& proc = procs_[p];
  if (proc.crashed || !proc.driver) return;
  const uint64_t height = proc.driver->state_machine().height();
  const uint32_t round = proc.driver->state_machine().round();
  const uint64_t wall = proc.machine.clock->WallMs();
  const uint32_t victim = static_cast<uint32_t>(rng_.Below(keys_.size()));
  Broadcast(p, EvidenceMsg{JunkEvidence(keys_[victim], height > 1 ? height - 1 : 1, rng_)});
  if (outsider_keys_.empty()) {
    for (uint64_t i = 0; i < 4; ++i) outsider_keys_.push_back(OutsiderKey(opt_.seed, i));
  }
  const Ed25519PrivateKey& outsider = outsider_keys_[outsiders_++ % outsider_keys_.size()];
  types::Block block;
  const types::Proposal op = OutsiderProposal(kChainId, outsider, height, round, wall, &block);
  Broadcast(p, ProposalMsg{op, std::move(block)});
  Broadcast(
      p, VoteMsg{SignedVote(kChainId, outsider, types::VoteType::kPrevote, height, round, rng_)});
  const Ed25519PrivateKey& own = private_keys_[proc.validator];
  const uint64_t flood = rng_.Range(0, 12);
  for (uint64_t i = 0; i < flood; ++i) {
    const uint32_t ahead = round + 1 + static_cast<uint32_t>(rng_.Below(1000));
    const auto type = rng_.Chance(500) ? types::VoteType::kPrevote : types::VoteType::kPrecommit;
    Broadcast(p, VoteMsg{SignedVote(kChainId, own, type, height, ahead, rng_)});
  }
  report_.junk += 3 + flood;
}

// ---- The checker ----

Status Simulation::VerifyCommitCached(const types::ValidatorSet& set, const types::Commit& c) {
  const auto key = std::make_pair(types::CommitHash(c), set.Hash());
  auto it = commit_cache_.find(key);
  if (it != commit_cache_.end()) return it->second;
  Status s = types::VerifyCommit(kChainId, set, c);
  commit_cache_.emplace(key, s);
  return s;
}

// The simulation's own judgement of a stored block, independent of ChainApp: everything a
// decided block must satisfy (so FinalizeBlock can never refuse it for content).
Status Simulation::CheckBlock(const types::Block& b, const types::BlockHeader* parent,
                              uint64_t wall_ms) const {
  const types::BlockHeader& h = b.header;
  if (h.chain_id != kChainId) return InvalidArgumentError("wrong chain id");
  const uint64_t prev_time = parent != nullptr ? parent->time_ms : kGenesisTimeMs;
  if (h.time_ms <= prev_time) return InvalidArgumentError("time does not increase");
  if (h.time_ms > prev_time + types::kBlockTimeMaxStepMs) {
    return InvalidArgumentError("time too far after the parent");
  }
  if (h.time_ms > wall_ms + driver_options_.max_clock_drift_ms + kMaxSkewMs) {
    return InvalidArgumentError("time too far ahead of the clocks of the honest validators");
  }
  const Hash32 prev_hash = parent != nullptr ? types::HeaderHash(*parent) : Hash32{};
  if (h.prev_hash != prev_hash) return InvalidArgumentError("wrong prev_hash");
  if (h.validators_hash != SetFor(h.height).Hash() ||
      h.next_validators_hash != SetFor(h.height + 1).Hash()) {
    return InvalidArgumentError("wrong validators hash");
  }
  if (!SetFor(h.height).IndexOf(h.proposer)) return InvalidArgumentError("proposer not in the set");
  if (h.tx_root != types::TxRoot(b.txs)) return InvalidArgumentError("wrong tx_root");
  if (h.last_commit_hash != types::CommitHash(b.last_commit)) {
    return InvalidArgumentError("wrong last_commit_hash");
  }
  if (h.evidence_hash != types::EvidenceHash(b.evidence, b.proposal_evidence)) {
    return InvalidArgumentError("wrong evidence_hash");
  }
  if (b.evidence.size() + b.proposal_evidence.size() > types::kEvidenceMaxPerBlock) {
    return InvalidArgumentError("evidence");
  }
  for (const auto& ev : b.evidence) HITO_RETURN_IF_ERROR(types::VerifyEvidence(kChainId, ev));
  for (const auto& ev : b.proposal_evidence) {
    HITO_RETURN_IF_ERROR(types::VerifyProposalEvidence(kChainId, ev));
  }
  if (b.txs.size() > types::kBlockMaxTxs) return InvalidArgumentError("too many txs");
  if (types::EncodeBlock(b).size() > types::kBlockMaxBytes) return InvalidArgumentError("too big");
  for (const Bytes& tx : b.txs) {
    auto decoded = types::DecodeTransaction(tx);
    if (!decoded.ok()) return decoded.status().WithContext("block transaction");
  }
  return Status::Ok();
}

Status Simulation::CheckStored(uint32_t p) {
  Process& proc = procs_[p];
  const node::chain::ChainTip tip = proc.chain->app->Tip();
  node::store::Store& store = *proc.chain->store;
  std::optional<types::BlockHeader> parent;
  for (uint64_t h = proc.checked_height + 1; h <= tip.height; ++h) {
    const std::string where = "height " + std::to_string(h) + ": process " + std::to_string(p);
    auto raw = store.GetBlock(h);
    auto raw_commit = store.GetCommit(h);
    if (!raw.ok() || !raw_commit.ok() || !*raw || !*raw_commit) {
      return InternalError(where + ": block or commit missing from the store");
    }
    HITO_ASSIGN_OR_RETURN(types::Block block, types::DecodeBlock(**raw));
    HITO_ASSIGN_OR_RETURN(types::Commit commit, types::DecodeCommit(**raw_commit));
    if (!parent && h > 1) {
      auto prev = store.GetBlock(h - 1);
      if (!prev.ok() || !*prev) return InternalError(where + ": parent missing");
      HITO_ASSIGN_OR_RETURN(types::Block pb, types::DecodeBlock(**prev));
      parent = pb.header;
    }
    const Hash32 hash = types::HeaderHash(block.header);
    Status s = VerifyCommitCached(SetFor(h), commit);
    if (!s.ok() || commit.block_hash != hash || commit.height != h) {
      return InternalError(where + " stored a block with a bad commit: " + s.ToString());
    }
    s = CheckBlock(block, parent ? &*parent : nullptr, proc.machine.clock->WallMs());
    if (!s.ok() && proc.honest()) {
      return InternalError(where + " committed an invalid block: " + s.ToString());
    }
    for (const Bytes& tx : block.txs) {
      auto loc = store.GetTx(types::TransactionHash(tx));
      if (loc.ok() && *loc && (*loc)->height == h && (*loc)->code == 0) ++proc.txs_ok;
    }
    proc.checked_height = h;
    parent = block.header;
    if (opt_.verbose) {
      std::printf("t=%llu proc %u committed height %llu round %u block %s\n",
                  static_cast<unsigned long long>(now_), p, static_cast<unsigned long long>(h),
                  commit.round, Hex8(hash).c_str());
    }
    if (!proc.honest()) continue;
    for (const auto& ev : block.evidence) {
      // Evidence on chain convicts a twin, never an honest validator.
      if (!IsTwin(ev.a.validator)) {
        return InternalError(where + " committed evidence against an honest validator");
      }
      evidence_on_chain_.insert(types::EncodeEvidence(ev));
    }
    for (const auto& ev : block.proposal_evidence) {
      if (!IsTwin(ev.a.proposer)) {
        return InternalError(where + " committed proposal evidence against an honest validator");
      }
      evidence_on_chain_.insert(types::EncodeProposalEvidence(ev));
    }
    // Agreement: no two honest validators commit different blocks at a height.
    auto [it, first] = decided_.emplace(h, hash);
    if (!first && it->second != hash) {
      return InternalError("agreement violated at " + where + " committed block " + Hex8(hash) +
                           " but another honest validator committed " + Hex8(it->second));
    }
  }
  if (!proc.honest() || tip.height == 0) return Status::Ok();
  // State roots agree after executing the same blocks.
  auto [rit, rfirst] = roots_.emplace(tip.height, tip.state_root);
  if (!rfirst && rit->second != tip.state_root) {
    return InternalError("state roots differ after height " + std::to_string(tip.height) +
                         ": process " + std::to_string(p) + " has " + Hex8(tip.state_root) +
                         " not " + Hex8(rit->second));
  }
  return Status::Ok();
}

// Power lost between the signer's fsync and the WAL's leaves a validator that must not
// sign again at that height (node/chain/bft_driver.h): for liveness it counts as faulty
// there. So it strikes only validators that keep the twins and the impaired below a
// third of the power of both sets.
bool Simulation::MayImpair(uint32_t key) const {
  std::set<uint32_t> faulty = impaired_;
  faulty.insert(key);
  for (const auto& q : procs_) {
    if (!q.honest()) faulty.insert(q.validator);
  }
  for (const types::ValidatorSet* set : {&set_, &next_set_}) {
    uint64_t power = 0;
    for (uint32_t k : faulty) {
      if (auto i = set->IndexOf(keys_[k])) power += set->validators()[*i].power;
    }
    if (power * 3 >= set->total_power()) return false;
  }
  return true;
}

bool Simulation::IsTwin(const Ed25519PublicKey& pk) const {
  const std::optional<uint32_t> idx = KeyIndex(pk);
  if (!idx) return false;
  for (const auto& q : procs_) {
    if (q.validator == *idx && !q.honest()) return true;
  }
  return false;
}

std::optional<uint32_t> Simulation::KeyIndex(const Ed25519PublicKey& pk) const {
  for (uint32_t k = 0; k < keys_.size(); ++k) {
    if (keys_[k] == pk) return k;
  }
  return std::nullopt;
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

void Simulation::DumpState() const {
  for (uint32_t p = 0; p < procs_.size(); ++p) {
    const Process& proc = procs_[p];
    std::printf("proc %u validator %u twin %d crashed %d height %llu", p, proc.validator,
                proc.twin_side, proc.crashed ? 1 : 0,
                static_cast<unsigned long long>(proc.height()));
    if (proc.driver) {
      const bft::StateMachine& e = proc.driver->state_machine();
      auto lock = e.lock();
      std::printf(" engine h %llu r %u step %s lock %s valid_round %d",
                  static_cast<unsigned long long>(e.height()), e.round(),
                  std::string(bft::StepName(e.step())).c_str(),
                  lock ? (std::to_string(lock->round) + ":" + Hex8(lock->block_hash)).c_str() : "-",
                  e.valid_round() ? static_cast<int>(*e.valid_round()) : -1);
    }
    std::printf("\n");
  }
}

SimReport Simulation::Run() {
  Setup();
  ScheduleFaults();
  for (uint32_t p = 0; p < procs_.size(); ++p) StartNode(p);
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
    Dispatch(node.mapped());
  }
  if (!failure_.ok() && opt_.verbose) DumpState();
  report_.status = failure_;
  report_.steps = steps_;
  report_.sim_time_ms = now_;
  report_.min_height = HonestMinHeight();
  report_.max_height = HonestMaxHeight();
  report_.evidence_committed = evidence_on_chain_.size();
  for (const auto& proc : procs_) {
    if (proc.honest() && proc.height() == report_.min_height) report_.txs_ok = proc.txs_ok;
  }
  // Tear down in order: drivers before the stacks they use.
  for (auto& proc : procs_) {
    proc.driver.reset();
    proc.transport.reset();
    proc.chain.reset();
  }
  return report_;
}

}  // namespace

SimReport RunSimulation(const SimOptions& options) {
  InitCrypto();
  // The node logs every commit and refusal; thousands of runs would drown the result.
  spdlog::set_level(options.verbose ? spdlog::level::warn : spdlog::level::off);
  Simulation sim(options);
  return sim.Run();
}

std::string ReplayCommand(const SimOptions& o) {
  std::string cmd =
      "hito_sim --seed " + std::to_string(o.seed) + " --validators " + std::to_string(o.validators);
  if (o.steps != 0) cmd += " --steps " + std::to_string(o.steps);
  if (!o.byzantine) cmd += " --no-byzantine";
  if (o.bad_blocks != SimOptions{}.bad_blocks)
    cmd += " --bad-blocks " + std::to_string(o.bad_blocks);
  if (!o.hostile) cmd += " --no-hostile";
  return cmd;
}

}  // namespace hito::sim
