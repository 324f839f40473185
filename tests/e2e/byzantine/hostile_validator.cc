// hostile_validator: a Byzantine validator for the 4-validator e2e devnet.
//
// It holds one validator's key (the home `hitod testnet` wrote for it), connects over
// loopback p2p to the honest hitod processes as an inbound peer with a fresh node key
// (so a ban of one run does not carry over to the next), follows the chain through the
// honest nodes' public API (tip height, hash, state root, time and seen commit) and their
// votes (the round they are in), and runs ONE scenario for a bounded time:
//
//   undecodable-tx         its proposals carry a transaction that does not decode
//   reserved-kind          ... a transaction of a reserved kind (validator, kind 7)
//   time-max               ... header time_ms = UINT64_MAX
//   time-day               ... header time_ms = now + 1 day
//   big-block              ... about 7.5 MiB of well-formed transfers (over a 4 MiB WAL
//                          record, under kBlockMaxBytes)
//   oversized-block        ... more than kBlockMaxBytes of transactions
//   conflicting-proposals  two different valid proposals for the same height and round
//   junk-evidence          gossips, every height, duplicate-vote evidence signed by
//                          non-validators and (300 pieces) by its own key for far-future
//                          heights, proposes blocks carrying junk evidence, then
//                          equivocates for real
//   non-validator          proposals and votes signed by keys outside the validator set
//   duplicate-votes        two prevotes and two precommits per round, different hashes
//   flood                  as many signed votes (own key and non-validator keys, current
//                          and next height, any round) as the connections take; after a
//                          disconnect it comes back with a new node key
//
// Every other field of a hostile block is right (parent hash, app hash, validator-set
// hashes, a valid last commit, tx root, proposer), and every message is validly signed,
// so an honest node that accepts what it should refuse shows it. It proposes only in the
// rounds the engine's proposer schedule gives its key. Output: one line per action on
// stdout ("attack <scenario> height H round R ..."), which the e2e test checks.
//
// Usage: hostile_validator --home DIR --peer HOST:PORT:PUBKEYHEX ... --grpc HOST:PORT ...
//                          --scenario NAME --seconds N
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/ed25519.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/bft/proposer.h"
#include "consensus/types/block.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "consensus/types/vote.h"
#include "node/config/config.h"
#include "node/p2p/peer_network.h"
#include "tests/support/e2e/e2e_support.h"
#include "tests/support/votes.h"
#include "wallet/client.h"

namespace hito::e2e {
namespace hostile {
namespace {

namespace ct = consensus::types;
using Clock = std::chrono::steady_clock;

uint64_t WallMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Hash32 RandomHash() {
  Hash32 h{};
  static std::mt19937_64 rng(std::random_device{}());
  for (auto& b : h) b = static_cast<uint8_t>(rng());
  return h;
}

void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

struct Options {
  std::string home;
  std::vector<node::p2p::PeerAddress> peers;
  std::vector<std::string> grpc;
  std::string scenario;
  int seconds = 20;
};

// The committed tip of the honest nodes, as the next proposer needs it.
struct Tip {
  uint64_t height = 0;
  Hash32 block_hash{};
  Hash32 state_root{};
  uint64_t time_ms = 0;
  ct::Commit commit;  // the seen commit of `height` (empty at height 0)
};

std::optional<Tip> FetchTip(wallet::NodeClient& client, BlockReader& blocks) {
  auto st = client.GetStatus();
  if (!st.ok() || st->state_root().size() != 32) return std::nullopt;
  Tip t;
  t.height = st->height();
  t.time_ms = st->time_ms();
  std::memcpy(t.state_root.data(), st->state_root().data(), 32);
  if (t.height == 0) return t;
  if (st->block_hash().size() != 32) return std::nullopt;
  std::memcpy(t.block_hash.data(), st->block_hash().data(), 32);
  auto b = blocks.Get(t.height);
  if (!b) return std::nullopt;
  const std::string& c = b->commit_bytes();
  auto commit = ct::DecodeCommit(ByteView(reinterpret_cast<const uint8_t*>(c.data()), c.size()));
  if (!commit.ok() || commit->block_hash != t.block_hash) return std::nullopt;
  t.commit = std::move(commit).value();
  return t;
}

// Records the (height, round) of every vote the honest nodes send, so the proposer knows
// which round they are in. Called on the network's dispatcher thread.
class RoundObserver : public node::p2p::PeerHandler {
 public:
  void OnConsensusMessage(const node::p2p::PeerId&,
                          const node::p2p::ConsensusMessage& msg) override {
    if (const auto* v = std::get_if<ct::Vote>(&msg)) {
      std::lock_guard<std::mutex> l(mu_);
      uint32_t& r = max_round_[v->height];
      r = std::max(r, v->round);
    }
  }
  size_t OnTxs(const node::p2p::PeerId&, const std::vector<Bytes>&) override { return 0; }
  std::optional<node::p2p::BlockAndCommit> OnBlockRequest(const node::p2p::PeerId&,
                                                          uint64_t) override {
    return std::nullopt;
  }
  void OnBlockResponse(const node::p2p::PeerId&, uint64_t,
                       const std::optional<node::p2p::BlockAndCommit>&) override {}
  void OnStatus(const node::p2p::PeerId&, uint64_t) override {}

  // The highest round of a vote seen at `height`, if any.
  std::optional<uint32_t> MaxRound(uint64_t height) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = max_round_.find(height);
    if (it == max_round_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mu_;
  std::map<uint64_t, uint32_t> max_round_;
};

// A well-formed transfer from a fresh (unfunded) key with the longest memo.
Bytes WellFormedTransfer(const std::string& chain_id, uint64_t nonce) {
  Ed25519PrivateKey k = Ed25519PrivateKey::Generate();
  ct::Transfer t;
  t.chain_id = chain_id;
  t.sender = k.public_key();
  t.nonce = nonce;
  t.fee = 1000;
  t.to = RandomHash();
  t.amount = 1;
  t.memo.assign(ct::kMemoMaxLen, 0x6d);
  ct::SignTransfer(&t, k);
  return ct::EncodeTransaction(ct::Transaction{t});
}

class Hostile {
 public:
  Hostile(Options o, Ed25519PrivateKey key, ct::ValidatorSet set, std::string chain_id,
          Hash32 genesis_hash)
      : o_(std::move(o)),
        key_(std::move(key)),
        set_(std::move(set)),
        schedule_(set_),
        chain_id_(std::move(chain_id)),
        genesis_hash_(genesis_hash) {
    for (const std::string& g : o_.grpc) {
      clients_.push_back(std::make_unique<wallet::NodeClient>(g, std::chrono::milliseconds(1000)));
      readers_.push_back(std::make_unique<BlockReader>(g));
    }
    for (int i = 0; i < 16; ++i) strangers_.push_back(Ed25519PrivateKey::Generate());
  }

  int Run() {
    auto me = set_.IndexOf(key_.public_key());
    if (!me) {
      Say("error: the key is not in the genesis validator set");
      return 2;
    }
    me_ = *me;
    if (!Connect()) return 2;
    // A message broadcast before the dialers connect reaches nobody.
    const auto connect_by = Clock::now() + std::chrono::seconds(10);
    while (net_->Peers().size() < o_.peers.size() && Clock::now() < connect_by) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Say("connected to " + std::to_string(net_->Peers().size()) + " peers");
    // Signed before the clock starts, so the first proposal is not late.
    if (o_.scenario == "big-block") Say("prepared " + std::to_string(BigTxs().size()) + " txs");
    const auto end = Clock::now() + std::chrono::seconds(o_.seconds);
    Clock::time_point next_tip;
    while (Clock::now() < end) {
      if (Clock::now() >= next_tip) {
        next_tip = Clock::now() + std::chrono::milliseconds(50);
        if (std::optional<Tip> tip = CurrentTip()) Step(*tip);
      }
      if (o_.scenario == "flood") {
        Flood();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    Say("done " + o_.scenario + " attacks " + std::to_string(attacks_) + " flood votes queued " +
        std::to_string(flood_sent_) + " reconnects " + std::to_string(reconnects_));
    net_.reset();
    return 0;
  }

 private:
  // A new network with a fresh node key; the validator key signs consensus messages.
  bool Connect() {
    net_.reset();
    node::p2p::PeerNetworkConfig c;
    c.listen_address = "127.0.0.1:0";
    c.chain_id = chain_id_;
    c.genesis_hash = genesis_hash_;
    c.peers = o_.peers;
    c.backoff_initial = std::chrono::milliseconds(100);
    c.backoff_max = std::chrono::milliseconds(1000);
    // Our own side must not be the bottleneck of a flood.
    c.limits.outbound_queue_messages = 200'000;
    c.limits.outbound_queue_bytes = 512ull * 1024 * 1024;
    net_ = std::make_unique<node::p2p::PeerNetwork>(c, Ed25519PrivateKey::Generate(), &observer_);
    Status s = net_->Start();
    if (!s.ok()) {
      Say("error: p2p start: " + s.ToString());
      return false;
    }
    last_connected_ = Clock::now();
    return true;
  }

  std::optional<Tip> CurrentTip() {
    for (size_t i = 0; i < clients_.size(); ++i) {
      if (std::optional<Tip> t = FetchTip(*clients_[i], *readers_[i])) return t;
    }
    return std::nullopt;
  }

  bool IsProposer(uint64_t height, uint32_t round) const {
    return schedule_.ProposerIndex(height, round) == me_;
  }

  void Step(const Tip& tip) {
    const uint64_t h = tip.height + 1;
    if (h != height_) {
      height_ = h;
      acted_rounds_.clear();
      resend_.clear();
    }
    const uint32_t seen = observer_.MaxRound(h).value_or(0);
    for (uint32_t r : {0u, seen, seen + 1}) {
      if (acted_rounds_.insert(r).second) OnRound(tip, r);
    }
    if (Clock::now() >= next_resend_) {
      for (const auto& m : resend_) net_->Broadcast(m);
      next_resend_ = Clock::now() + std::chrono::seconds(1);
    }
  }

  // Once per (height, round) the honest nodes are in or about to enter.
  void OnRound(const Tip& tip, uint32_t round) {
    const uint64_t h = tip.height + 1;
    if (o_.scenario == "duplicate-votes") return DuplicateVotes(h, round);
    if (o_.scenario == "non-validator") return StrangerMessages(tip, round);
    if (o_.scenario == "junk-evidence") {
      JunkEvidence(h);
      DuplicateVotes(h, round);  // real equivocation, after the junk
    }
    if (o_.scenario == "flood" || !IsProposer(h, round)) return;
    ct::Block block = HostileBlock(tip);
    if (o_.scenario == "conflicting-proposals") return Conflicting(std::move(block), round);
    ct::Proposal p = SignedProposal(block, round, key_);
    Send(node::p2p::ProposalWithBlock{p, std::move(block)}, true);
    Attack("height " + std::to_string(h) + " round " + std::to_string(round) + " block " +
           HexEncode(p.block_hash));
  }

  void Attack(const std::string& what) {
    ++attacks_;
    Say("attack " + o_.scenario + " " + what);
  }

  void Send(const node::p2p::ConsensusMessage& m, bool keep_resending) {
    net_->Broadcast(m);
    if (keep_resending) resend_.push_back(m);
  }

  // A block any honest node should accept, proposed by `proposer`.
  ct::Block BaseBlock(const Tip& tip, const Ed25519PublicKey& proposer) const {
    ct::Block b;
    ct::BlockHeader& hd = b.header;
    hd.chain_id = chain_id_;
    hd.height = tip.height + 1;
    hd.time_ms = std::max(WallMs(), tip.time_ms + 1);
    hd.prev_hash = tip.block_hash;
    hd.app_hash = tip.state_root;
    hd.validators_hash = set_.Hash();
    hd.next_validators_hash = set_.Hash();
    hd.proposer = proposer;
    if (tip.height > 0) b.last_commit = tip.commit;
    return b;
  }

  // Recomputes the header fields that hash the body, so only the content is hostile.
  static void Seal(ct::Block* b) {
    b->header.tx_root = ct::TxRoot(b->txs);
    b->header.last_commit_hash = ct::CommitHash(b->last_commit);
    b->header.evidence_hash = ct::EvidenceHash(b->evidence);
  }

  ct::Proposal SignedProposal(const ct::Block& b, uint32_t round,
                              const Ed25519PrivateKey& key) const {
    return testing::SignedProposal(chain_id_, key, b.header.height, round,
                                   ct::HeaderHash(b.header));
  }

  ct::Block HostileBlock(const Tip& tip) {
    ct::Block b = BaseBlock(tip, key_.public_key());
    const std::string& s = o_.scenario;
    if (s == "undecodable-tx") {
      b.txs.push_back(Bytes{ct::kTxVersion, 0x01, 0xff, 0xff, 0xff});
    } else if (s == "reserved-kind") {
      Bytes tx{ct::kTxVersion, static_cast<uint8_t>(ct::TxKind::kValidator)};
      tx.resize(200, 0x42);
      b.txs.push_back(std::move(tx));
    } else if (s == "time-max") {
      b.header.time_ms = std::numeric_limits<uint64_t>::max();
    } else if (s == "time-day") {
      b.header.time_ms = WallMs() + 24ull * 3600 * 1000;
    } else if (s == "big-block") {
      b.txs = BigTxs();
    } else if (s == "oversized-block") {
      const size_t n = ct::kBlockMaxBytes / (ct::kTxMaxBytes - 1) + 2;
      b.txs.assign(n, Bytes(ct::kTxMaxBytes - 1, 0x5a));
    } else if (s == "junk-evidence") {
      b.evidence.push_back(StrangerEvidence(tip.height + 1, 0));
    }
    Seal(&b);
    return b;
  }

  // About 7.5 MiB of distinct well-formed transfers: more than one 4 MiB WAL record, less
  // than the block limit (and than hitod's default block_max_bytes). Built once.
  const std::vector<Bytes>& BigTxs() {
    if (big_txs_.empty()) {
      size_t bytes = 0;
      const size_t target = 7 * 1024 * 1024 + 512 * 1024;
      while (bytes < target && big_txs_.size() < ct::kBlockMaxTxs) {
        big_txs_.push_back(WellFormedTransfer(chain_id_, 0));
        bytes += big_txs_.back().size() + 8;
      }
    }
    return big_txs_;
  }

  void Conflicting(ct::Block a, uint32_t round) {
    ct::Block b = a;
    b.header.time_ms += 1;
    Seal(&b);
    ct::Proposal pa = SignedProposal(a, round, key_);
    ct::Proposal pb = SignedProposal(b, round, key_);
    node::p2p::ConsensusMessage ma = node::p2p::ProposalWithBlock{pa, std::move(a)};
    node::p2p::ConsensusMessage mb = node::p2p::ProposalWithBlock{pb, std::move(b)};
    // Each honest node first sees one of the two, then both.
    for (size_t i = 0; i < o_.peers.size(); ++i) {
      (void)net_->SendTo(o_.peers[i].node_key, i == 0 ? ma : mb);
    }
    resend_.push_back(ma);
    resend_.push_back(mb);
    Attack("height " + std::to_string(pa.height) + " round " + std::to_string(round) + " blocks " +
           HexEncode(pa.block_hash) + " " + HexEncode(pb.block_hash));
  }

  ct::Vote SignedVote(ct::VoteType type, uint64_t h, uint32_t round, std::optional<Hash32> hash,
                      const Ed25519PrivateKey& key) const {
    return testing::SignedVote(chain_id_, key, type, h, round, hash);
  }

  void DuplicateVotes(uint64_t h, uint32_t round) {
    for (ct::VoteType t : {ct::VoteType::kPrevote, ct::VoteType::kPrecommit}) {
      Send(SignedVote(t, h, round, RandomHash(), key_), true);
      Send(SignedVote(t, h, round, RandomHash(), key_), true);
    }
    Attack("height " + std::to_string(h) + " round " + std::to_string(round) +
           " two prevotes and two precommits");
  }

  // Duplicate-vote evidence against `key` at (h, round): two prevotes, canonical order.
  ct::DuplicateVoteEvidence EvidenceAgainst(const Ed25519PrivateKey& key, uint64_t h,
                                            uint32_t round) const {
    ct::Vote a = SignedVote(ct::VoteType::kPrevote, h, round, RandomHash(), key);
    ct::Vote b = SignedVote(ct::VoteType::kPrevote, h, round, RandomHash(), key);
    if (!(ct::EncodeVote(a) < ct::EncodeVote(b))) std::swap(a, b);
    return ct::DuplicateVoteEvidence{a, b};
  }

  ct::DuplicateVoteEvidence StrangerEvidence(uint64_t h, uint32_t round) const {
    return EvidenceAgainst(strangers_[round % strangers_.size()], h, round);
  }

  // Evidence no block can carry, at every height, before the real equivocation: signed by
  // strangers, and by our own key at heights far beyond the next one, more pieces than
  // hitod's evidence pool holds (256), so a pool that keeps the first junk it gets loses
  // the real evidence that follows.
  void JunkEvidence(uint64_t h) {
    if (!junk_sent_heights_.insert(h).second) return;
    for (uint32_t i = 0; i < 32; ++i) Send(StrangerEvidence(h, i), false);
    for (uint32_t i = 0; i < 300; ++i) Send(EvidenceAgainst(key_, h + 1000 + i, 0), false);
    Attack("height " + std::to_string(h) + " 332 junk evidence");
  }

  // Proposals and votes at (h, round) signed by keys outside the validator set.
  void StrangerMessages(const Tip& tip, uint32_t round) {
    const uint64_t h = tip.height + 1;
    const Ed25519PrivateKey& proposer = strangers_[round % strangers_.size()];
    ct::Block b = BaseBlock(tip, proposer.public_key());
    Seal(&b);
    ct::Proposal p = SignedProposal(b, round, proposer);
    Send(node::p2p::ProposalWithBlock{p, std::move(b)}, true);
    for (const Ed25519PrivateKey& k : strangers_) {
      Send(SignedVote(ct::VoteType::kPrevote, h, round, p.block_hash, k), true);
      Send(SignedVote(ct::VoteType::kPrecommit, h, round, p.block_hash, k), true);
    }
    Attack("height " + std::to_string(h) + " round " + std::to_string(round) +
           " stranger proposal and " + std::to_string(2 * strangers_.size()) + " votes");
  }

  // Distinct signed votes, as fast as the connections take them: our own key at any round
  // of this height, strangers at this and the next height. A dropped connection comes
  // back with a new node key (a ban is per node key).
  void Flood() {
    if (height_ == 0) return;
    if (flood_pool_height_ != height_) {
      flood_pool_.clear();
      std::mt19937 rng(static_cast<uint32_t>(height_));
      for (int i = 0; i < 2048; ++i) {
        const auto type = (i & 1) != 0 ? ct::VoteType::kPrevote : ct::VoteType::kPrecommit;
        const uint32_t round = rng() % 1'000'000;
        if (i % 4 == 0) {
          flood_pool_.push_back(SignedVote(type, height_, round, RandomHash(), key_));
        } else {
          const auto& k = strangers_[static_cast<size_t>(i) % strangers_.size()];
          flood_pool_.push_back(
              SignedVote(type, height_ + (i % 3 == 0 ? 1 : 0), round, RandomHash(), k));
        }
      }
      flood_pool_height_ = height_;
      Attack("height " + std::to_string(height_) + " pool of 2048 votes");
    }
    if (!net_->Peers().empty()) {
      last_connected_ = Clock::now();
      for (const ct::Vote& v : flood_pool_) net_->Broadcast(v);
      flood_sent_ += flood_pool_.size();
    } else if (Clock::now() - last_connected_ > std::chrono::seconds(2)) {
      ++reconnects_;
      Connect();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  Options o_;
  Ed25519PrivateKey key_;
  ct::ValidatorSet set_;
  consensus::bft::ProposerSchedule schedule_;
  std::string chain_id_;
  Hash32 genesis_hash_;
  uint32_t me_ = 0;
  std::vector<std::unique_ptr<wallet::NodeClient>> clients_;
  std::vector<std::unique_ptr<BlockReader>> readers_;
  std::vector<Ed25519PrivateKey> strangers_;
  RoundObserver observer_;
  std::unique_ptr<node::p2p::PeerNetwork> net_;
  Clock::time_point last_connected_;
  uint64_t height_ = 0;
  std::set<uint32_t> acted_rounds_;
  std::vector<node::p2p::ConsensusMessage> resend_;
  Clock::time_point next_resend_;
  std::set<uint64_t> junk_sent_heights_;
  std::vector<Bytes> big_txs_;
  std::vector<ct::Vote> flood_pool_;
  uint64_t flood_pool_height_ = 0;
  uint64_t flood_sent_ = 0;
  uint64_t attacks_ = 0;
  uint64_t reconnects_ = 0;
};

const std::set<std::string>& Scenarios() {
  static const std::set<std::string> all{
      "undecodable-tx",  "reserved-kind",         "time-max",      "time-day",
      "big-block",       "oversized-block",       "junk-evidence", "non-validator",
      "duplicate-votes", "conflicting-proposals", "flood"};
  return all;
}

// HOST:PORT:PUBKEYHEX
std::optional<node::p2p::PeerAddress> ParsePeer(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  auto key = HexDecode32(s.substr(colon + 1));
  if (!key.ok()) return std::nullopt;
  return node::p2p::PeerAddress{s.substr(0, colon), *key};
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--home") {
      o.home = value;
    } else if (flag == "--peer") {
      auto p = ParsePeer(value);
      if (!p) return std::nullopt;
      o.peers.push_back(*p);
    } else if (flag == "--grpc") {
      o.grpc.push_back(value);
    } else if (flag == "--scenario") {
      o.scenario = value;
    } else if (flag == "--seconds") {
      o.seconds = std::stoi(value);
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 != 1 || o.home.empty() || o.peers.empty() || o.grpc.empty() ||
      Scenarios().count(o.scenario) == 0 || o.seconds <= 0 || o.seconds > 600) {
    return std::nullopt;
  }
  return o;
}

int Main(int argc, char** argv) {
  InitCrypto();
  std::optional<Options> o = ParseArgs(argc, argv);
  if (!o) {
    Say("usage: hostile_validator --home DIR --peer HOST:PORT:PUBKEYHEX... --grpc HOST:PORT... "
        "--scenario NAME --seconds N");
    return 2;
  }
  node::config::HomePaths home{o->home};
  auto key = node::config::ReadSeedFile(home.validator_key());
  auto genesis_text = ReadFile(home.genesis());
  if (!key.ok() || !genesis_text.ok()) {
    Say("error: cannot read the validator key or genesis in " + o->home);
    return 2;
  }
  auto genesis = node::config::ParseGenesisJson(*genesis_text);
  if (!genesis.ok()) {
    Say("error: genesis: " + genesis.status().ToString());
    return 2;
  }
  Hostile h(std::move(*o), std::move(key).value(), genesis->validators, genesis->chain_id,
            node::config::GenesisHash(*genesis_text));
  return h.Run();
}

}  // namespace
}  // namespace hostile
}  // namespace hito::e2e

int main(int argc, char** argv) { return hito::e2e::hostile::Main(argc, argv); }
