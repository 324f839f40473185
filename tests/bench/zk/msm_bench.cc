// MSM benchmarks (zk/ec.h): BM_Msm/<points> (MsmVartime, the verifier's path) against
// BM_MsmLibsodium/<points> (the same sum through libsodium's public API: one
// crypto_scalarmult_ristretto255 and one crypto_core_ristretto255_add per point), plus the
// prover's constant-time MSMs, scalar multiplication and the verifier's multiply-add loop. Every
// MSM reports the counter us_per_point (shown in seconds per point). BM_MsmLibsodium at 4096 points
// and above times a 1024-point slice (label "1024-point slice"): its per-point cost is flat in n,
// and the full sum would take seconds per iteration. One thread.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <map>
#include <string>
#include <vector>

#include "zk/ec.h"
#include "zk/scalar_vt.h"

namespace hito::zk {
namespace {

struct Instance {
  std::vector<Scalar> scalars;
  std::vector<Point> points;
  std::vector<EdPoint> ed;
};

// Random points and scalars, built once per size (2^16 points take about a second).
const Instance& Get(size_t n) {
  static std::map<size_t, Instance> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  Instance in;
  EdPoint cur = EdPoint::FromUniformBytes([] {
    std::array<uint8_t, 64> b{};
    randombytes_buf(b.data(), b.size());
    return b;
  }());
  const EdPoint step = EdPoint::Base().Double().Double() + EdPoint::Base();
  for (size_t i = 0; i < n; ++i) {
    in.scalars.push_back(Scalar::Random());
    cur = (cur + step).Double() + EdPoint::Base();  // distinct, unrelated-looking points
    in.ed.push_back(cur);
    in.points.push_back(cur.ToPoint());
  }
  // Decoded once more so the EdPoints are normalised (Z = 1) like a decoded set.
  auto ed = EdPoint::DecodeBatch(in.points);
  HITO_ASSERT(ed.ok());
  in.ed = *ed;
  return cache.emplace(n, std::move(in)).first->second;
}

void PerPoint(benchmark::State& state, size_t n) {
  state.counters["us_per_point"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
}

void BM_Msm(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Instance& in = Get(n);
  for (auto _ : state) benchmark::DoNotOptimize(MsmVartime(in.scalars, in.ed));
  PerPoint(state, n);
}
BENCHMARK(BM_Msm)->RangeMultiplier(4)->Range(1 << 10, 1 << 16)->Unit(benchmark::kMillisecond);

void BM_MsmLibsodium(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t timed = std::min<size_t>(n, 1024);
  const Instance& in = Get(n);
  for (auto _ : state) {
    std::array<uint8_t, 32> acc{}, term{};
    for (size_t i = 0; i < timed; ++i) {
      if (crypto_scalarmult_ristretto255(term.data(), in.scalars[i].bytes().data(),
                                         in.points[i].bytes().data()) != 0) {
        term.fill(0);
      }
      crypto_core_ristretto255_add(acc.data(), acc.data(), term.data());
    }
    benchmark::DoNotOptimize(acc);
  }
  if (timed < n) state.SetLabel("1024-point slice");
  PerPoint(state, timed);
}
BENCHMARK(BM_MsmLibsodium)
    ->RangeMultiplier(4)
    ->Range(1 << 10, 1 << 16)
    ->Unit(benchmark::kMillisecond);

// MsmFixedBase (precomputed tables over fixed points, the batch verifier's set MSM): the
// MSM alone, with the parameters FixedBaseParams picks (label: window and copies), and the
// one-off table build.
void BM_MsmFixed(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Instance& in = Get(n);
  const MsmFixedBase table = MsmFixedBase::Build(in.ed, static_cast<int>(state.range(1)),
                                                 static_cast<int>(state.range(2)));
  for (auto _ : state) benchmark::DoNotOptimize(table.Msm(in.scalars));
  state.SetLabel("c=" + std::to_string(table.window()) +
                 " copies=" + std::to_string(table.copies()) +
                 " MiB=" + std::to_string(table.memory_bytes() >> 20));
  PerPoint(state, n);
}
BENCHMARK(BM_MsmFixed)
    ->Args({1 << 12, 0, 0})
    ->Args({1 << 14, 0, 0})
    ->Args({1 << 16, 0, 0})
    ->Unit(benchmark::kMillisecond);

void BM_MsmFixedBuild(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Instance& in = Get(n);
  for (auto _ : state) benchmark::DoNotOptimize(MsmFixedBase::Build(in.ed));
  PerPoint(state, n);
}
BENCHMARK(BM_MsmFixedBuild)->Arg(1 << 14)->Unit(benchmark::kMillisecond)->Iterations(1);

// Straus/Pippenger around the crossover, for tuning msm_internal::kStrausMax.
void BM_MsmSmall(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Instance& in = Get(n);
  const bool pippenger = state.range(1) != 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pippenger ? msm_internal::Pippenger(in.scalars, in.ed)
                                       : msm_internal::Straus(in.scalars, in.ed));
  }
  state.SetLabel(pippenger ? "pippenger" : "straus");
  PerPoint(state, n);
}
BENCHMARK(BM_MsmSmall)
    ->ArgsProduct({{16, 64, 128, 256, 512}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

void BM_MsmConstTime(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const Instance& in = Get(n);
  for (auto _ : state) benchmark::DoNotOptimize(MsmConstTime(in.scalars, in.ed));
  PerPoint(state, n);
}
BENCHMARK(BM_MsmConstTime)->Arg(1 << 10)->Arg(1 << 14)->Unit(benchmark::kMillisecond);

// The prover's m MSMs over one set (MsmConstTimeMany, shared tables); per point per row.
void BM_MsmConstTimeMany(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t rows = static_cast<size_t>(state.range(1));
  const Instance& in = Get(n);
  std::vector<std::vector<Scalar>> r(rows, in.scalars);
  for (auto& row : r) {
    for (auto& s : row) s = s * Scalar::FromU64(3);
  }
  for (auto _ : state) benchmark::DoNotOptimize(MsmConstTimeMany(r, in.ed));
  PerPoint(state, n * rows);
}
BENCHMARK(BM_MsmConstTimeMany)
    ->Args({1 << 14, 7})
    ->Args({1 << 16, 8})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_ScalarMulLibsodium(benchmark::State& state) {
  Scalar a = Scalar::Random();
  const Scalar b = Scalar::Random();
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ScalarMulLibsodium);

void BM_ScalarVtMul(benchmark::State& state) {
  ScalarVt a = ScalarVt::FromScalar(Scalar::Random());
  const ScalarVt b = ScalarVt::FromScalar(Scalar::Random());
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_ScalarVtMul);

// The verifier's coefficient loop out[k] += h * lo[k] over 4096 entries, three ways.
constexpr size_t kLoop = 4096;
void PerOp(benchmark::State& state) {
  state.counters["ns_per_op"] =
      benchmark::Counter(static_cast<double>(kLoop), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

void BM_MulAddLoopLibsodium(benchmark::State& state) {
  std::vector<Scalar> lo(kLoop), out(kLoop);
  for (auto& v : lo) v = Scalar::Random();
  const Scalar h = Scalar::Random();
  for (auto _ : state) {
    for (size_t t = 0; t < kLoop; ++t) out[t] += h * lo[t];
    benchmark::DoNotOptimize(out.data());
  }
  PerOp(state);
}
BENCHMARK(BM_MulAddLoopLibsodium);

void BM_MulAddLoopScalarVt(benchmark::State& state) {
  std::vector<ScalarVt> lo(kLoop), out(kLoop);
  for (auto& v : lo) v = ScalarVt::FromScalar(Scalar::Random());
  const ScalarVt h = ScalarVt::FromScalar(Scalar::Random());
  for (auto _ : state) {
    for (size_t t = 0; t < kLoop; ++t) out[t] += h * lo[t];
    benchmark::DoNotOptimize(out.data());
  }
  PerOp(state);
}
BENCHMARK(BM_MulAddLoopScalarVt);

void BM_MulAddLoopScalarVtSum(benchmark::State& state) {
  std::vector<ScalarVt> lo(kLoop);
  std::vector<ScalarVtSum> out(kLoop);
  for (auto& v : lo) v = ScalarVt::FromScalar(Scalar::Random());
  const ScalarVt h = ScalarVt::FromScalar(Scalar::Random());
  for (auto _ : state) {
    for (size_t t = 0; t < kLoop; ++t) out[t].AddProduct(h, lo[t]);
    benchmark::DoNotOptimize(out.data());
  }
  PerOp(state);
}
BENCHMARK(BM_MulAddLoopScalarVtSum);

void BM_EdPointDecode(benchmark::State& state) {
  const Instance& in = Get(1024);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(EdPoint::FromPoint(in.points[i++ % 1024]));
  }
}
BENCHMARK(BM_EdPointDecode);

void BM_EdPointAdd(benchmark::State& state) {
  const Instance& in = Get(1024);
  EdPoint acc = in.ed[0];
  for (auto _ : state) {
    acc = acc + in.ed[1];
    benchmark::DoNotOptimize(acc);
  }
}
BENCHMARK(BM_EdPointAdd);

}  // namespace
}  // namespace hito::zk
