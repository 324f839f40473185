// Membership proof benchmarks (zk/proof/triptych.h): BM_Prove/<set size>,
// BM_Verify/<set size> and BM_BatchVerify/<set size>/<batch>, each reporting the proof size
// as the counter proof_bytes (and BatchVerify the time per proof as per_proof). Sets are
// full (N = 4^m members, random identities); one thread. Figures go to docs/perf/.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.h"
#include "zk/proof/triptych.h"

namespace hito::zk::proof::membership {
namespace {

constexpr std::string_view kChain = "hito-bench";
constexpr std::string_view kCtx = "ubi/1";

struct Fixture {
  std::vector<Scalar> secrets;
  std::vector<Point> members;
  std::unique_ptr<PreparedSet> set;
};

// Building a 2^16 set costs seconds; share one per size across benchmarks.
Fixture& SetOfSize(size_t n) {
  static std::map<size_t, Fixture> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  Fixture f;
  // Members are i*B for a random base scalar offset: fast to build, distinct, nonzero.
  const Scalar base = Scalar::Random();
  const Point b = Point::MulBase(base);
  const Point g = Point::Base();
  Point cur = b;
  Scalar s = base;
  for (size_t i = 0; i < n; ++i) {
    f.secrets.push_back(s);
    f.members.push_back(cur);
    cur = cur + g;
    s = s + Scalar::One();
  }
  auto p = PreparedSet::Create(f.members);
  HITO_ASSERT(p.ok());
  f.set = std::make_unique<PreparedSet>(std::move(p).value());
  return cache.emplace(n, std::move(f)).first->second;
}

Proof MakeProof(Fixture& f, uint64_t l, const std::string& msg) {
  auto p = Prove(*f.set, l, f.secrets[l], kChain, kCtx, AsBytes(msg));
  HITO_ASSERT(p.ok());
  return std::move(p).value();
}

void BM_Prove(benchmark::State& state) {
  Fixture& f = SetOfSize(static_cast<size_t>(state.range(0)));
  uint64_t l = f.members.size() / 3;
  size_t bytes = 0;
  for (auto _ : state) {
    auto p = Prove(*f.set, l, f.secrets[l], kChain, kCtx, AsBytes("bench"));
    HITO_ASSERT(p.ok());
    bytes = p->Encode().size();
    benchmark::DoNotOptimize(p);
  }
  state.counters["proof_bytes"] = static_cast<double>(bytes);
}

void BM_Verify(benchmark::State& state) {
  Fixture& f = SetOfSize(static_cast<size_t>(state.range(0)));
  const Proof p = MakeProof(f, f.members.size() / 2, "bench");
  for (auto _ : state) {
    Status st = Verify(*f.set, kChain, kCtx, AsBytes("bench"), p);
    HITO_ASSERT(st.ok());
  }
  state.counters["proof_bytes"] = static_cast<double>(p.Encode().size());
}

void BM_BatchVerify(benchmark::State& state) {
  Fixture& f = SetOfSize(static_cast<size_t>(state.range(0)));
  const size_t batch = static_cast<size_t>(state.range(1));
  std::vector<std::string> msgs;
  std::vector<Proof> proofs;
  for (size_t i = 0; i < batch; ++i) {
    msgs.push_back("claim " + std::to_string(i));
    proofs.push_back(MakeProof(f, (i * 7919) % f.members.size(), msgs.back()));
  }
  std::vector<ByteView> views;
  for (const auto& m : msgs) views.push_back(AsBytes(m));
  for (auto _ : state) {
    BatchResult r = BatchVerify(*f.set, kChain, kCtx, views, proofs);
    HITO_ASSERT(r.status.ok());
  }
  state.counters["proof_bytes"] = static_cast<double>(proofs[0].Encode().size());
  state.counters["per_proof"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

BENCHMARK(BM_Prove)->Arg(1 << 10)->Arg(1 << 12)->Arg(1 << 14)->Arg(1 << 16)->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_Verify)->Arg(1 << 10)->Arg(1 << 12)->Arg(1 << 14)->Arg(1 << 16)->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_BatchVerify)->Args({1 << 14, 64})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hito::zk::proof::membership
