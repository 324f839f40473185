// The `ballots` mode of hito_loadgen_personhood: committed governance ballots/s by a test
// chain's identities (`hitod dev|testnet --identities N`), against the verification floor
// measured in the same run, as the claims mode does (docs/perf/governance.md).
//
// A ballot of round R votes on the proposals of round R - 1, so the run needs a proposal
// there: while the chain is in round R - 1 with no proposal yet, the dev account
// (--dev-key) submits a text proposal. Identities --first..--first+--count-1 (one cohort)
// then each cast one ballot, +1 on proposal 0 (LoadBallotEntries), and with --revotes K
// the first K vote again, -1, replacing their first ballot (a second timed pass, after the
// first is committed: the mempool holds one ballot per nullifier).
//
// Proofs are bound to the round (the context) and to the snapshot of the round's first
// epoch. They are proved before the round opens, against the snapshot of the epoch in
// force (the same set while nobody registers: a test chain's cohort is fixed at genesis),
// and cached on disk by (chain id, round, cohort, set hash, pass); once the round is open
// the generator checks that its snapshot has that set hash, then commits the first ballot
// before the clock (it makes each node build the set's tables), probes the floor, and
// submits the rest. Proving 1,000 ballots at 2^14 takes several minutes on 2 cores, longer
// than a benchmark chain's round: --prove-only fills the cache on one chain for the timed
// run on a fresh one.
//
// Commits are counted on the first node's block stream (load_common.h) and checked
// against the ledger's own count after each pass: the round's distinct voters
// (GetGovernance.voters) and proposal 0's ballots and tally (ListProposals) must have
// moved by exactly what the stream saw. Refusals are reported by reason.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "hito/v1/governance.grpc.pb.h"
#include "tests/bench/loadgen/claim_cache.h"
#include "tests/bench/loadgen/load_common.h"
#include "tests/bench/loadgen/personhood_load.h"
#include "wallet/client.h"
#include "wallet/keystore.h"
#include "wallet/snapshot.h"
#include "wallet/transfer.h"
#include "zk/proof/triptych.h"
#include "zk/scalar.h"

namespace hito::loadgen {

namespace types = consensus::types;
namespace membership = zk::proof::membership;

namespace {

// GovernanceService reads of one node; every failure ends the run.
class GovReader {
 public:
  explicit GovReader(const std::string& target)
      : stub_(v1::GovernanceService::NewStub(NewChannel(target, 2000))) {}

  v1::GetGovernanceResponse Governance() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetGovernanceResponse resp;
    grpc::Status s = stub_->GetGovernance(&ctx, v1::GetGovernanceRequest(), &resp);
    if (!s.ok()) Die(wallet::FromGrpc(s, "GetGovernance").ToString());
    return resp;
  }

  // Proposal `index` of `round`, or nullopt if that round has no such proposal.
  std::optional<v1::ProposalView> Proposal(uint64_t round, uint32_t index) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ListProposalsRequest req;
    req.set_round(round);
    v1::ListProposalsResponse resp;
    grpc::Status s = stub_->ListProposals(&ctx, req, &resp);
    if (!s.ok()) Die(wallet::FromGrpc(s, "ListProposals").ToString());
    for (const v1::ProposalView& p : resp.items()) {
      if (p.index() == index) return p;
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<v1::GovernanceService::Stub> stub_;
};

// A text proposal from the dev account, committed in the round open now.
void SubmitProposal(wallet::NodeClient& client, const std::string& chain_id,
                    const std::string& dev_key, uint64_t deposit) {
  auto seed = wallet::ReadSeedFile(dev_key);
  if (!seed.ok()) Die(seed.status().ToString());
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(*seed);
  SecureWipe(seed->data(), seed->size());
  auto account = client.GetAccount(wallet::AddressOf(key.public_key()));
  if (!account.ok()) Die("the dev account: " + account.status().ToString());
  types::GovernanceProposal p;
  p.chain_id = chain_id;
  p.nonce = account->nonce();
  p.fee = wallet::kDefaultFee;
  p.deposit = deposit;
  const std::string text = "hito_loadgen_personhood ballots";
  p.action = types::TextProposal{Bytes(text.begin(), text.end())};
  types::SignProposal(&p, key);
  auto done = client.SubmitAndWait(types::EncodeTransaction(types::Transaction{p}),
                                   std::chrono::seconds(60));
  if (!done.ok()) Die("the proposal: " + done.status().ToString());
  if (done->result_code() != 0) {
    Die("the proposal was refused: " + done->result_name() + " " + done->result_message());
  }
  std::fprintf(stderr, "proposal committed at height %llu\n",
               static_cast<unsigned long long>(done->height()));
}

// Makes sure round `round` - 1 holds a proposal 0 to vote on: submits one while that
// round is open and has none (unless `submit` is false), and refuses a chain that is
// past it without one or not there yet.
void EnsureProposal(GovReader& gov, wallet::NodeClient& client, const std::string& chain_id,
                    const BallotOptions& b, bool submit) {
  const v1::GetGovernanceResponse g = gov.Governance();
  const std::string r = std::to_string(b.round);
  if (g.round() > b.round) {
    Die("the chain is in round " + std::to_string(g.round()) + ", past round " + r +
        ": start a fresh chain or pass --round");
  }
  if (g.round() + 1 < b.round && submit) {
    Die("the chain is in round " + std::to_string(g.round()) + "; ballots of round " + r +
        " vote on proposals of round " + std::to_string(b.round - 1) + ": pass --round " +
        std::to_string(g.round() + 1));
  }
  if (gov.Proposal(b.round - 1, 0)) return;
  if (g.round() == b.round) Die("round " + std::to_string(b.round - 1) + " has no proposal");
  if (submit) SubmitProposal(client, chain_id, b.dev_key, g.params().proposal_deposit());
}

// Identity `index`'s ballot of `pass` (LoadBallotEntries) for `round`, proved at
// `position` of `set` (the cohort's snapshot).
Bytes ProveBallot(const membership::PreparedSet& set, uint64_t position,
                  const std::array<uint8_t, 32>& secret, const std::string& chain_id,
                  uint64_t round, uint32_t cohort, uint32_t pass) {
  auto x = zk::Scalar::Decode(secret);
  if (!x.ok()) Die("identity secret at position " + std::to_string(position) + " is not a scalar");
  types::Ballot b;
  b.round = round;
  b.cohort = cohort;
  b.entries = LoadBallotEntries(pass);
  const Bytes message = types::BallotMessage(chain_id, round, cohort, b.entries);
  auto proof = membership::Prove(set, position, *x, chain_id, types::BallotContext(round), message);
  x->Wipe();
  if (!proof.ok())
    Die("ballot at position " + std::to_string(position) + ": " + proof.status().ToString());
  b.proof = proof->Encode();
  return types::EncodeTransaction(types::Transaction{std::move(b)});
}

struct PreparedBallots {
  Bytes warmup;                // identity --first's first ballot, committed before the clock
  std::vector<Bytes> first;    // the other first ballots
  std::vector<Bytes> revotes;  // identities --first.. again, replacing
  std::unique_ptr<FloorProbe> floor;
  uint32_t cohort = 0;
  Hash32 set_hash{};
  uint64_t proved_now = 0;
};

// The cohort of identities first..first+count-1, which must be one, within the secrets.
uint32_t CohortOfRun(const BallotOptions& b, uint32_t bits, size_t secrets) {
  const uint64_t last = b.first + b.count - 1;
  if (last >= secrets) Die("the secrets file has no identity " + std::to_string(last));
  if ((b.first >> bits) != (last >> bits)) {
    Die("identities " + std::to_string(b.first) + ".." + std::to_string(last) +
        " span several cohorts of 2^" + std::to_string(bits) + "; ballots runs use one");
  }
  return static_cast<uint32_t>(b.first >> bits);
}

// The ballots of one pass for `indices`, from the cache or proved now (and cached).
std::vector<Bytes> BallotsOfPass(const BallotOptions& b, const std::string& chain_id,
                                 const wallet::Snapshot& snap, uint32_t cohort, uint32_t bits,
                                 const std::vector<std::array<uint8_t, 32>>& secrets,
                                 const std::vector<uint64_t>& indices, uint32_t pass,
                                 uint64_t* proved_now) {
  BallotCache cache(b.cache_dir, {chain_id, b.round, cohort, snap.set.hash(), pass});
  auto cached = cache.Load();
  if (!cached.ok()) Die(cached.status().ToString());
  std::vector<uint64_t> missing;
  for (uint64_t i : indices) {
    if (!cached->count(i)) missing.push_back(i);
  }
  if (!missing.empty()) {
    std::fprintf(stderr, "cohort %u, pass %u: %zu ballots cached, proving %zu (%s)\n", cohort, pass,
                 cached->size(), missing.size(), cache.path().c_str());
    const uint64_t base = uint64_t{cohort} << bits;
    auto proved = ProveInParallel(
        missing, b.prove_threads, "ballots",
        [&](uint64_t i) {
          return ProveBallot(snap.set, i - base, secrets[i], chain_id, b.round, cohort, pass);
        },
        [&](uint64_t i, const Bytes& tx) { return cache.Append(i, tx); });
    *proved_now += proved.size();
    cached->merge(proved);
  }
  std::vector<Bytes> out;
  for (uint64_t i : indices) out.push_back((*cached)[i]);
  return out;
}

// A FloorProbe over (up to) 64 of the first pass's ballots.
std::unique_ptr<FloorProbe> BallotFloorProbe(const membership::PreparedSet& set,
                                             const std::string& chain_id,
                                             const std::vector<Bytes>& ballots) {
  std::vector<Bytes> messages;
  std::vector<membership::Proof> proofs;
  std::string context;
  for (size_t k = 0; k < ballots.size() && k < 64; ++k) {
    auto decoded = types::DecodeTransaction(ballots[k]);
    if (!decoded.ok()) Die("a cached ballot does not decode");
    const auto& b = std::get<types::Ballot>(decoded->body);
    auto p = membership::Proof::Decode(b.proof);
    if (!p.ok()) Die("a cached ballot proof does not decode");
    proofs.push_back(*p);
    messages.push_back(types::BallotMessage(chain_id, b.round, b.cohort, b.entries));
    context = types::BallotContext(b.round);
  }
  if (proofs.empty()) return nullptr;
  return FloorProbe::Create(set, chain_id, context, std::move(messages), std::move(proofs));
}

// Every ballot of the run, proved against the snapshot of (`epoch`, the run's cohort).
PreparedBallots PrepareBallots(const BallotOptions& b, wallet::NodeClient& client,
                               const std::string& chain_id, uint64_t epoch) {
  auto secrets = ReadSecrets(b.secrets_file);
  if (!secrets.ok()) Die(secrets.status().ToString());
  auto params = client.GetUbiParams();
  if (!params.ok()) Die("the node has no registry (a chain without attesters?)");
  const uint32_t bits = params->cohort_bits();
  PreparedBallots out;
  out.cohort = CohortOfRun(b, bits, secrets->size());
  wallet::SnapshotCache snapshots((std::filesystem::path(b.cache_dir) / "snapshots").string());
  wallet::NodeSnapshotSource source(&client);
  auto snap = snapshots.Get(&source, epoch, out.cohort);
  if (!snap.ok())
    Die("snapshot of cohort " + std::to_string(out.cohort) + ": " + snap.status().ToString());
  out.set_hash = snap->set.hash();
  std::vector<uint64_t> all, again;
  for (uint64_t i = b.first; i < b.first + b.count; ++i) {
    all.push_back(i);
    if (i < b.first + b.revotes) again.push_back(i);
  }
  out.first =
      BallotsOfPass(b, chain_id, *snap, out.cohort, bits, *secrets, all, 0, &out.proved_now);
  if (!again.empty()) {
    out.revotes =
        BallotsOfPass(b, chain_id, *snap, out.cohort, bits, *secrets, again, 1, &out.proved_now);
  }
  out.floor = BallotFloorProbe(snap->set, chain_id, out.first);
  out.warmup = std::move(out.first.front());
  out.first.erase(out.first.begin());
  return out;
}

// Waits (at most `wait_s`) until round `round` is open; its GetGovernance.
v1::GetGovernanceResponse WaitForRound(GovReader& gov, uint64_t round, uint32_t wait_s) {
  const auto deadline = Clock::now() + std::chrono::seconds(wait_s);
  v1::GetGovernanceResponse g = gov.Governance();
  if (g.round() < round) {
    std::fprintf(stderr, "waiting for round %llu (height %llu, opens at %llu)\n",
                 static_cast<unsigned long long>(round),
                 static_cast<unsigned long long>(g.height()),
                 static_cast<unsigned long long>(g.next_round_height()));
  }
  while (g.round() < round && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    g = gov.Governance();
  }
  if (g.round() != round) {
    Die("round " + std::to_string(round) + " is not open (the chain is in round " +
        std::to_string(g.round()) + ")");
  }
  return g;
}

// What the ledger counts: the round's distinct voters and proposal 0's ballots and tally.
struct LedgerCount {
  uint64_t voters = 0;
  uint64_t ballots = 0;
  int64_t tally = 0;
};

LedgerCount CountInLedger(GovReader& gov, uint64_t round) {
  auto p = gov.Proposal(round - 1, 0);
  if (!p) Die("proposal " + std::to_string(round - 1) + ".0 is gone");
  return {gov.Governance().voters(), p->ballots(), p->tally()};
}

// Adds the ledger's view of a pass to its summary `j`: how the counts moved from `before`
// to `after`, and whether they moved by exactly what the block stream saw (`new_voters`:
// each committed ballot is a new voter, else a replacement; `vote`: each one's change).
bool AddLedgerCheck(const LedgerCount& before, const LedgerCount& after, bool new_voters,
                    int64_t vote, nlohmann::ordered_json* j) {
  const auto committed = (*j)["committed"].get<uint64_t>();
  const uint64_t voters_added = after.voters - before.voters;
  const uint64_t ballots_added = after.ballots - before.ballots;
  const int64_t tally_change = after.tally - before.tally;
  const bool agrees = voters_added == (new_voters ? committed : 0) &&
                      ballots_added == (new_voters ? committed : 0) &&
                      tally_change == vote * static_cast<int64_t>(committed);
  (*j)["ledger"] = {{"voters_added", voters_added},
                    {"proposal_ballots_added", ballots_added},
                    {"proposal_tally_change", tally_change},
                    {"voters", after.voters},
                    {"agrees_with_stream", agrees}};
  return agrees;
}

// The first ballot, committed before the clock.
void CommitWarmup(wallet::NodeClient& client, const Bytes& tx) {
  auto done = client.SubmitAndWait(tx, std::chrono::seconds(60));
  if (!done.ok()) Die("warm-up ballot: " + done.status().ToString());
  if (done->result_code() != 0) {
    Die("warm-up ballot refused: " + done->result_name() + " " + done->result_message());
  }
}

// The timed passes: the first ballots, then the re-votes; the summary.
nlohmann::ordered_json TimedPasses(const SubmitOptions& o, const BallotOptions& b,
                                   PreparedBallots& p, GovReader& gov, bool* agrees) {
  const uint32_t validators = b.validators ? b.validators : static_cast<uint32_t>(o.targets.size());
  LedgerCount before = CountInLedger(gov, b.round);
  if (p.floor) p.floor->Sample(9);
  nlohmann::ordered_json j = SubmitAll(o, p.first);
  LedgerCount after = CountInLedger(gov, b.round);
  *agrees = AddLedgerCheck(before, after, /*new_voters=*/true, +1, &j);
  AddFloorFields(p.floor.get(), validators, &j);
  if (!p.revotes.empty()) {
    nlohmann::ordered_json r = SubmitAll(o, p.revotes);
    LedgerCount end = CountInLedger(gov, b.round);
    *agrees = AddLedgerCheck(after, end, /*new_voters=*/false, -2, &r) && *agrees;
    AddFloorFields(p.floor.get(), validators, &r);
    r["ballots"] = p.revotes.size();
    j["revotes"] = r;
  }
  return j;
}

}  // namespace

int RunBallots(const SubmitOptions& o, const BallotOptions& b) {
  if (b.round == 0) Die("--round must be at least 1 (round 0 votes on no proposals)");
  if (b.revotes > b.count) Die("--revotes is more than --count");
  wallet::NodeClient client(o.targets[0]);
  GovReader gov(o.targets[0]);
  auto st = client.GetStatus();
  if (!st.ok()) Die(st.status().ToString());
  EnsureProposal(gov, client, st->chain_id(), b, /*submit=*/!b.prove_only);
  const v1::GetGovernanceResponse g = gov.Governance();
  PreparedBallots p = PrepareBallots(b, client, st->chain_id(),
                                     g.round() == b.round ? g.round_start_epoch() : g.epoch());
  nlohmann::ordered_json head;
  head["round"] = b.round;
  head["cohort"] = p.cohort;
  head["ballots"] = p.first.size() + 1;
  head["revotes"] = p.revotes.size();
  head["proved_this_run"] = p.proved_now;
  if (b.prove_only) {
    head["cache"] = b.cache_dir;
    std::cout << (o.json ? head.dump() : "ballots ready: " + head.dump()) << "\n";
    return 0;
  }
  const v1::GetGovernanceResponse open = WaitForRound(gov, b.round, b.round_wait_s);
  wallet::SnapshotCache snapshots((std::filesystem::path(b.cache_dir) / "snapshots").string());
  wallet::NodeSnapshotSource source(&client);
  auto snap = snapshots.Get(&source, open.round_start_epoch(), p.cohort);
  if (!snap.ok() || snap->set.hash() != p.set_hash) {
    Die("the round's snapshot is not the set the ballots were proved against (a registration "
        "changed the cohort?)");
  }
  CommitWarmup(client, p.warmup);
  bool agrees = false;
  nlohmann::ordered_json j = TimedPasses(o, b, p, gov, &agrees);
  j["round"] = b.round;
  j["cohort"] = p.cohort;
  j["ballots"] = p.first.size();
  j["warmup_ballots"] = 1;
  j["proved_this_run"] = p.proved_now;
  PrintSummary(j, "ballots", o.json);
  if (!agrees) std::cerr << "error: the ledger's counts differ from the block stream's\n";
  return j["committed"].get<uint64_t>() > 0 && agrees ? 0 : 1;
}

CLI::App* AddBallotsCommand(CLI::App* app, SubmitOptions* o, BallotOptions* b) {
  CLI::App* cmd = app->add_subcommand("ballots", "governance ballots by a test chain's identities");
  AddSubmitOptions(cmd, o);
  cmd->add_option("--secrets", b->secrets_file, "identities.secrets of the test chain")->required();
  cmd->add_option("--dev-key", b->dev_key, "the dev account's seed (dev.key): the proposer")
      ->required();
  cmd->add_option("--cache", b->cache_dir, "proof and snapshot cache folder")
      ->capture_default_str();
  cmd->add_option("--first", b->first, "first identity index")->capture_default_str();
  cmd->add_option("--count", b->count, "identities that vote (one cohort)")
      ->check(CLI::Range(uint64_t{2}, uint64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--revotes", b->revotes,
                  "identities (the first K) that vote again, replacing their ballot")
      ->capture_default_str();
  cmd->add_option("--round", b->round, "the round voted in (its proposal goes in round - 1)")
      ->capture_default_str();
  cmd->add_option("--prove-threads", b->prove_threads, "proving threads (0: one per core)");
  cmd->add_option("--validators", b->validators,
                  "validators, for the verification floor (default: the number of --nodes)");
  cmd->add_option("--round-wait", b->round_wait_s, "seconds to wait for the round to open")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_flag("--prove-only", b->prove_only, "fill the cache and stop");
  return cmd;
}

}  // namespace hito::loadgen
