// The cost of closing a governance round: the first block of a round, where the ledger
// tallies the ending round's ballots, decides and executes the proposals they voted on,
// refunds or burns the deposits, prunes the ballots, and opens the next round (with its
// live count, read from every identity record) -- docs/protocol/governance.md, "Rounds".
//
// The chain: 10,000 citizens registered at genesis (cohorts of 16, so proofs are quick
// to make), epochs of kEpochBlocks blocks, rounds of one epoch. Round 0 holds
// kProposals proposals (text, parameter changes, an attester to add, an identity to
// revoke); in round 1, N citizens each cast one ballot with an entry for every proposal,
// applied through Ledger::ApplyBlock in blocks of kBallotsPerBlock, every result checked.
// The ballots carry real membership proofs against the round's snapshot; the setup
// blocks are applied kAlreadyVerified (the ledger's documented skip of proof checks for
// transactions the mempool verified, also used by the ledger tests), the timed block
// holds no transaction.
//   BM_RoundClose/N: the first block of round 2 (which closes round 1), applied by a new
//     Ledger each iteration over the committed state: every record is read from the
//     MemoryKv (cold execution cache).
//   BM_RoundCloseWarm/N: the same block applied again and again by one Ledger, whose
//     execution cache holds the accounts and tree pages after the first (the node's
//     long-lived ledger, OnCommitted after every block, is in between).
// N = 0 is the round close without ballots (no quorum, deposits burned, nothing executed):
// the difference to N = 10,000 is what the ballots cost at the close.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/ledger/governance.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/registry.h"
#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "tests/support/keys.h"
#include "tests/support/ledger.h"
#include "tests/support/personhood.h"
#include "tests/support/transactions.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"

namespace hito::consensus::ledger {
namespace {

constexpr char kChain[] = "hito-bench-gov";
constexpr uint32_t kCitizens = 10'000;
constexpr uint8_t kCohortBits = 4;
constexpr uint64_t kEpochBlocks = 8;  // round 1 is blocks 8..15; block 16 closes it
constexpr uint64_t kDeposit = 1'000'000;
constexpr uint32_t kProposals = 8;
constexpr size_t kBallotsPerBlock = 2000;  // within max_claims_per_block (2048)
constexpr uint64_t kCloseHeight = 2 * kEpochBlocks;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "governance bench setup: %s\n", what.c_str());
  std::abort();
}

Genesis RoundGenesis() {
  hito::testing::FundedAccounts funded;
  for (uint8_t n = 1; n <= kProposals; ++n) funded.emplace_back(n, 1'000'000'000);
  hito::testing::PersonhoodSpec spec;
  spec.citizens = kCitizens;
  spec.cohort_bits = kCohortBits;
  spec.epoch_blocks = kEpochBlocks;
  spec.claim_window = 2;
  Genesis g = hito::testing::MakePersonhoodGenesis(kChain, funded, spec);
  GovernanceParams gp;
  gp.round_epochs = 1;
  gp.voice_credits = 100;
  gp.quorum_ppm = 100'000;
  gp.proposal_deposit = kDeposit;
  g.governance = gp;
  return g;
}

types::Action ParamAction(types::ParamId id, uint64_t value) {
  return types::ParamChange{static_cast<uint16_t>(id), value};
}

// Proposal k of round 0 and whether the ballots favour it (kFavoured[k]).
constexpr bool kFavoured[kProposals] = {true, true, true, false, true, true, false, true};
types::Action ProposalAction(uint32_t k) {
  const std::string text = "proposal " + std::to_string(k);
  switch (k) {
    case 1:
      return ParamAction(types::ParamId::kUbiPerEpoch, 2'000'000);
    case 2:
      return types::AddAttester{hito::testing::KeyFor(102).public_key()};
    case 4:
      return ParamAction(types::ParamId::kQuorumPpm, 200'000);
    case 5:
      return types::RevokeIdentity{
          zk::Point::MulBase(hito::testing::CitizenSecret(kCitizens - 1)).bytes()};
    case 7:
      return ParamAction(types::ParamId::kVoiceCredits, 64);
    default:
      return types::TextProposal{Bytes(text.begin(), text.end())};
  }
}

// Citizen i's entries: +-3 on every proposal (sum of squares 72 <= 100), the favoured
// sign for three citizens in four.
std::vector<types::BallotEntry> EntriesOf(uint64_t i) {
  std::vector<types::BallotEntry> out;
  for (uint32_t k = 0; k < kProposals; ++k) {
    const int64_t sign = (kFavoured[k] ? 1 : -1) * (i % 4 == 0 ? -1 : 1);
    out.push_back({k, 3 * sign});
  }
  return out;
}

// A chain state and the ledger's view of it, block by block.
struct Chain {
  MemoryKv kv;
  uint64_t height = 0;

  void Apply(const std::vector<types::Transaction>& txs) {
    auto out = Ledger(kChain, &kv)
                   .ApplyBlock(hito::testing::HeaderAt(kChain, height + 1), txs,
                               SignatureCheck::kAlreadyVerified);
    if (!out.ok()) Fail(out.status().ToString());
    for (const TxResult& r : out->results) {
      if (!r.ok())
        Fail("a transaction was refused at height " + std::to_string(height + 1) + ": " +
             r.message);
    }
    kv.Apply(out->changes);
    ++height;
  }
  void EmptyBlocksUntil(uint64_t h) {
    while (height < h) Apply({});
  }
};

// The chain after round 0's proposals, at the first block of round 1 (its snapshot frozen).
Chain& RoundOneOpen() {
  static Chain* chain = [] {
    auto* c = new Chain;
    auto genesis = Ledger::InitGenesis(RoundGenesis());
    if (!genesis.ok()) Fail(genesis.status().ToString());
    c->kv.Apply(genesis->changes);
    std::vector<types::Transaction> proposals;
    for (uint32_t k = 0; k < kProposals; ++k) {
      proposals.push_back(hito::testing::MakeProposal(
          hito::testing::KeyFor(static_cast<uint8_t>(1 + k)), {.chain_id = kChain,
                                                               .nonce = 0,
                                                               .fee = 1000,
                                                               .deposit = kDeposit,
                                                               .action = ProposalAction(k)}));
    }
    c->Apply(proposals);
    c->EmptyBlocksUntil(kEpochBlocks);
    return c;
  }();
  return *chain;
}

// Citizen i's round-1 ballot, proved against its cohort's set (built once per cohort).
class BallotProver {
 public:
  explicit BallotProver(const MemoryKv& kv) : store_(&kv) {
    round_ = governance::ReadRound(store_).value();
    params_ = registry::ReadParams(store_).value().value();
  }

  types::Transaction Ballot(uint64_t i) {
    const uint32_t cohort = registry::CohortOf(params_, i);
    types::Ballot b;
    b.round = round_.round;
    b.cohort = cohort;
    b.entries = EntriesOf(i);
    const uint64_t position = i - (uint64_t{cohort} << params_.cohort_bits);
    auto proof = zk::proof::membership::Prove(
        SetOf(cohort), position, hito::testing::CitizenSecret(i), kChain,
        types::BallotContext(b.round), types::BallotMessage(kChain, b.round, cohort, b.entries));
    if (!proof.ok())
      Fail("proving citizen " + std::to_string(i) + ": " + proof.status().ToString());
    b.proof = proof->Encode();
    return types::Transaction{std::move(b)};
  }

 private:
  const zk::proof::membership::PreparedSet& SetOf(uint32_t cohort) {
    auto it = sets_.find(cohort);
    if (it != sets_.end()) return it->second;
    const Hash32 hash = registry::SnapshotHash(store_, round_.start_epoch, cohort).value().value();
    const std::vector<types::IdentityPoint> members =
        registry::SnapshotMembers(store_, cohort, hash).value().value();
    std::vector<zk::Point> points;
    for (const types::IdentityPoint& m : members) points.push_back(zk::Point::Decode(m).value());
    return sets_.emplace(cohort, zk::proof::membership::PreparedSet::Create(points).value())
        .first->second;
  }

  RegistryStore store_;
  RoundState round_;
  RegistryParams params_;
  std::map<uint32_t, zk::proof::membership::PreparedSet> sets_;
};

// Ballots of citizens 0..n-1, proved once for the largest n asked for.
const std::vector<types::Transaction>& Ballots(size_t n) {
  static std::vector<types::Transaction> ballots;
  if (ballots.size() < n) {
    BallotProver prover(RoundOneOpen().kv);
    for (size_t i = ballots.size(); i < n; ++i) ballots.push_back(prover.Ballot(i));
  }
  return ballots;
}

// The chain with n ballots cast in round 1, at the last block before round 2.
const Chain& RoundOneVoted(size_t n) {
  static std::map<size_t, std::unique_ptr<Chain>> chains;
  auto it = chains.find(n);
  if (it != chains.end()) return *it->second;
  const std::vector<types::Transaction>& all = Ballots(n);
  auto c = std::make_unique<Chain>(RoundOneOpen());
  for (size_t at = 0; at < n; at += kBallotsPerBlock) {
    const size_t end = std::min(n, at + kBallotsPerBlock);
    c->Apply(std::vector<types::Transaction>(all.begin() + static_cast<ptrdiff_t>(at),
                                             all.begin() + static_cast<ptrdiff_t>(end)));
  }
  c->EmptyBlocksUntil(kCloseHeight - 1);
  return *chains.emplace(n, std::move(c)).first->second;
}

// What the close decided, as benchmark counters: proposals executed, rejected and
// without quorum, the ballots the round held, and the size of the block's changes.
void CountOutcomes(benchmark::State& state, const Chain& before, const BlockOutcome& out) {
  MemoryKv after = before.kv;
  after.Apply(out.changes);
  const RegistryStore store(&after);
  std::map<ProposalOutcome, int> outcomes;
  for (uint32_t k = 0; k < kProposals; ++k) {
    ++outcomes[governance::GetProposal(store, 0, k).value().value().outcome];
  }
  state.counters["executed"] = outcomes[ProposalOutcome::kExecuted];
  state.counters["rejected"] = outcomes[ProposalOutcome::kRejected];
  state.counters["no_quorum"] = outcomes[ProposalOutcome::kNoQuorum];
  state.counters["not_executed"] = outcomes[ProposalOutcome::kNotExecuted];
  state.counters["round_voters"] =
      static_cast<double>(governance::VotersInRound(RegistryStore(&before.kv), 1).value());
  state.counters["changes"] = static_cast<double>(out.changes.size());
}

void RunRoundClose(benchmark::State& state, bool warm) {
  const Chain& chain = RoundOneVoted(static_cast<size_t>(state.range(0)));
  const types::BlockHeader header = hito::testing::HeaderAt(kChain, kCloseHeight);
  const Ledger ledger(kChain, &chain.kv);
  {
    auto out = ledger.ApplyBlock(header, {}, SignatureCheck::kVerify);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      return;
    }
    CountOutcomes(state, chain, *out);
  }
  for (auto _ : state) {
    if (warm) {
      auto out = ledger.ApplyBlock(header, {}, SignatureCheck::kVerify);
      benchmark::DoNotOptimize(out);
    } else {
      const Ledger fresh(kChain, &chain.kv);
      auto out = fresh.ApplyBlock(header, {}, SignatureCheck::kVerify);
      benchmark::DoNotOptimize(out);
    }
  }
}

void BM_RoundClose(benchmark::State& state) { RunRoundClose(state, /*warm=*/false); }
BENCHMARK(BM_RoundClose)->Arg(0)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_RoundCloseWarm(benchmark::State& state) { RunRoundClose(state, /*warm=*/true); }
BENCHMARK(BM_RoundCloseWarm)->Arg(0)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hito::consensus::ledger
