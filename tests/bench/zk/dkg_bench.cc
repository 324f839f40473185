// DKG and resharing benchmarks (zk/dkg.h), simulated in-process with real libsodium keys
// (tests/unit/zk/dkg_sim.h), for n validators (default threshold floor(2n/3) + 1):
//   BM_Dkg/<n>      every dealer's Deal + every member's VerifyReceivedShare of every
//                   dealing + Qualify: the whole DKG's computation, all honest.
//   BM_Reshare/<n>  the same for a resharing from n holders to n new members
//                   (DealReshare, VerifyReceivedShare, QualifyReshare).
// Each reports the counter per_validator (the iteration's time divided by n: what one
// validator spends, as every validator does the same work) and dealing_bytes. The parts:
//   BM_DkgDeal/<n> (one Deal), BM_DkgVerifyAll/<n> (one member checks n dealings),
//   BM_DkgQualify/<n>, BM_DkgCombine/<n> (CollectShares + CombineShare for one member).
// One thread. Figures: docs/perf/dkg.md.
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "base/assert.h"
#include "tests/unit/zk/dkg_sim.h"
#include "zk/dkg.h"

namespace hito::zk::dkg {
namespace {

// Members, a finished honest DKG and each member's combined share, per size.
struct Fixture {
  sim::Members members;
  SessionId session{};
  sim::DkgRun run;
  Outcome outcome;
  std::vector<Scalar> shares;
};

Fixture& FixtureOfSize(size_t n) {
  static std::map<size_t, Fixture> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  Fixture f;
  f.members = sim::MakeMembers(n, 90);
  f.session = sim::SessionFor("bench/" + std::to_string(n));
  f.run = sim::DealAll(f.members, f.session);
  auto o = Qualify(f.session, f.members.committee, f.run.transcript);
  HITO_ASSERT(o.ok());
  f.outcome = *o;
  for (auto& r : sim::CombineAll(f.members, f.run.transcript, f.outcome)) {
    HITO_ASSERT(r.ok());
    f.shares.push_back(*r);
  }
  return cache.emplace(n, std::move(f)).first->second;
}

void SetCounters(benchmark::State& state, size_t n, size_t dealing_bytes) {
  state.counters["per_validator"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
  state.counters["dealing_bytes"] = static_cast<double>(dealing_bytes);
}

void BM_Dkg(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const sim::Members& m = FixtureOfSize(n).members;
  const SessionId session = sim::SessionFor("bench/dkg");
  size_t bytes = 0;
  for (auto _ : state) {
    sim::DkgRun run = sim::DealAll(m, session);
    run.transcript.complaints = sim::Complaints(m, run.transcript.dealings);
    HITO_ASSERT(run.transcript.complaints.empty());
    auto o = Qualify(session, m.committee, run.transcript);
    HITO_ASSERT(o.ok());
    benchmark::DoNotOptimize(o->group_key);
    bytes = run.transcript.dealings[0].Encode().size();
  }
  SetCounters(state, n, bytes);
}

void BM_Reshare(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  Fixture& f = FixtureOfSize(n);
  const sim::Members& to = f.members;  // the same validators, a fresh session
  const SessionId session = sim::SessionFor("bench/reshare");
  size_t bytes = 0;
  for (auto _ : state) {
    sim::ReshareRun run = sim::ReshareAll(f.shares, to, session);
    run.transcript.complaints = sim::Complaints(to, run.transcript.dealings);
    HITO_ASSERT(run.transcript.complaints.empty());
    auto o = QualifyReshare(session, f.outcome, to.committee, run.transcript);
    HITO_ASSERT(o.ok() && o->group_key == f.outcome.group_key);
    bytes = run.transcript.dealings[0].Encode().size();
  }
  SetCounters(state, n, bytes);
}

void BM_DkgDeal(benchmark::State& state) {
  Fixture& f = FixtureOfSize(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto d = Deal(f.session, 1, f.members.committee);
    HITO_ASSERT(d.ok());
    benchmark::DoNotOptimize(d->dealing.shares.back());
  }
}

void BM_DkgVerifyAll(benchmark::State& state) {
  Fixture& f = FixtureOfSize(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    for (const Dealing& d : f.run.transcript.dealings) {
      auto s = VerifyReceivedShare(f.members.committee, d, 1, f.members.keys[0]);
      HITO_ASSERT(s.ok());
    }
  }
}

void BM_DkgQualify(benchmark::State& state) {
  Fixture& f = FixtureOfSize(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto o = Qualify(f.session, f.members.committee, f.run.transcript);
    HITO_ASSERT(o.ok());
    benchmark::DoNotOptimize(o->group_key);
  }
}

void BM_DkgCombine(benchmark::State& state) {
  Fixture& f = FixtureOfSize(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto shares =
        CollectShares(f.members.committee, f.run.transcript, f.outcome, 1, f.members.keys[0]);
    HITO_ASSERT(shares.ok());
    auto x = CombineShare(f.outcome, 1, *shares);
    HITO_ASSERT(x.ok());
  }
}

BENCHMARK(BM_Dkg)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Reshare)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DkgDeal)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DkgVerifyAll)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DkgQualify)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DkgCombine)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hito::zk::dkg
