// Threshold OPRF benchmarks (zk/oprf.h): BM_PartialEvaluate (a validator's answer: Z_i and
// its DLEQ proof), BM_VerifyShare (the client's check of one answer), BM_ClientEvaluate
// (the client's whole side with 4 validators and t = 3: blind, verify answers until 3
// are good, combine, finalize) and BM_EndToEnd (the same plus the 4 validators' answers,
// computed one after another on this thread). One thread; figures go to docs/perf/.
#include <benchmark/benchmark.h>

#include <span>
#include <vector>

#include "base/assert.h"
#include "zk/oprf.h"

namespace hito::zk::oprf {
namespace {

constexpr uint16_t kValidators = 4;
constexpr uint16_t kThreshold = 3;
const Bytes kInput = {1, 1, 3, 'F', 'R', 'A', 9, '1', '2', 'A', 'B', '3', '4', '5', '6', '7'};

struct Setup {
  std::vector<KeyShare> shares;
  std::vector<PublicShare> publics;
  Blinded blinded;
  std::vector<EvaluationShare> answers;
};

const Setup& Shared() {
  static const Setup s = [] {
    Setup out;
    auto shares = ShareKey(Scalar::Random(), kThreshold, kValidators);
    HITO_ASSERT(shares.ok());
    out.shares = *shares;
    for (const KeyShare& k : out.shares) out.publics.push_back({k.index, k.public_share});
    auto b = Blind(kInput);
    HITO_ASSERT(b.ok());
    out.blinded = *b;
    for (const KeyShare& k : out.shares) {
      auto a = PartialEvaluate(k, out.blinded.element);
      HITO_ASSERT(a.ok());
      out.answers.push_back(*a);
    }
    return out;
  }();
  return s;
}

void BM_PartialEvaluate(benchmark::State& state) {
  const Setup& s = Shared();
  for (auto _ : state) {
    auto a = PartialEvaluate(s.shares[0], s.blinded.element);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_PartialEvaluate);

void BM_VerifyShare(benchmark::State& state) {
  const Setup& s = Shared();
  for (auto _ : state) {
    Status st = VerifyShare(s.publics[0].key, s.blinded.element, s.answers[0]);
    HITO_ASSERT(st.ok());
  }
}
BENCHMARK(BM_VerifyShare);

Output ClientSide(const Setup& s, const Blinded& blinded,
                  std::span<const EvaluationShare> answers) {
  auto combined = VerifyAndCombine(s.publics, blinded.element, answers, kThreshold);
  HITO_ASSERT(combined.ok());
  auto out = FinalizeCombined(kInput, blinded.blind, combined->element);
  HITO_ASSERT(out.ok());
  return *out;
}

void BM_ClientEvaluate(benchmark::State& state) {
  const Setup& s = Shared();
  for (auto _ : state) {
    // A fresh blind each time, as a real client; the answers are to the shared blinded
    // element, so the timed work is the client's own (blind, 3 verifications, combine,
    // finalize) and not the validators'.
    auto b = Blind(kInput);
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(ClientSide(s, s.blinded, s.answers));
  }
  state.counters["validators"] = kValidators;
  state.counters["threshold"] = kThreshold;
}
BENCHMARK(BM_ClientEvaluate);

void BM_EndToEnd(benchmark::State& state) {
  const Setup& s = Shared();
  for (auto _ : state) {
    auto b = Blind(kInput);
    HITO_ASSERT(b.ok());
    std::vector<EvaluationShare> answers;
    for (const KeyShare& k : s.shares) answers.push_back(*PartialEvaluate(k, b->element));
    benchmark::DoNotOptimize(ClientSide(s, *b, answers));
  }
}
BENCHMARK(BM_EndToEnd);

}  // namespace
}  // namespace hito::zk::oprf
