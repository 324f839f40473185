// hito_sim: runs the deterministic consensus simulation for one seed or a range of seeds.
//
//   hito_sim --seed S --validators N [--steps K] [--no-byzantine] [--bad-blocks MASK]
//            [--no-hostile] [--verbose]
//   hito_sim --seeds FIRST-LAST --validators N [--steps K] [...]
//
// Exit status 0 when every run kept every invariant; otherwise each failing run prints its
// seed, the violated invariant and the command that replays it exactly, and the status is 1.
// The simulated validators run the real node code, which stops its process on a failure it
// cannot recover from (an abort): then the replay command of the run is printed first.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "tests/sim/bft/sim.h"

namespace {

bool ParseU64(const char* s, uint64_t* out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

// The replay command of the run in progress, for the abort handler.
char g_replay[256] = "";

extern "C" void PrintReplayOnAbort(int) {
  static const char kPrefix[] = "\nABORTED (a node stopped the process); replay with: ";
  (void)!write(2, kPrefix, sizeof kPrefix - 1);
  (void)!write(2, g_replay, std::strlen(g_replay));
  (void)!write(2, "\n", 1);
  std::signal(SIGABRT, SIG_DFL);
}

int Usage() {
  std::fprintf(stderr,
               "usage: hito_sim --seed S --validators N [--steps K] [--no-byzantine] "
               "[--bad-blocks MASK] [--no-hostile] [--verbose]\n"
               "       hito_sim --seeds FIRST-LAST --validators N [--steps K] [...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  hito::sim::SimOptions base;
  uint64_t first = 1;
  uint64_t last = 1;
  uint64_t validators = 4;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--seed") {
      if (!ParseU64(value, &first)) return Usage();
      last = first;
      ++i;
    } else if (arg == "--seeds") {
      if (value == nullptr) return Usage();
      const std::string range = value;
      const size_t dash = range.find('-');
      if (dash == std::string::npos || !ParseU64(range.substr(0, dash).c_str(), &first) ||
          !ParseU64(range.substr(dash + 1).c_str(), &last) || last < first) {
        return Usage();
      }
      ++i;
    } else if (arg == "--validators") {
      if (!ParseU64(value, &validators) || validators < 1 || validators > 128) return Usage();
      ++i;
    } else if (arg == "--steps") {
      if (!ParseU64(value, &base.steps)) return Usage();
      ++i;
    } else if (arg == "--bad-blocks") {
      uint64_t mask = 0;
      if (!ParseU64(value, &mask) || mask > hito::sim::kAllBadBlocks) return Usage();
      base.bad_blocks = static_cast<uint32_t>(mask);
      ++i;
    } else if (arg == "--no-hostile") {
      base.hostile = false;
    } else if (arg == "--no-byzantine") {
      base.byzantine = false;
    } else if (arg == "--verbose") {
      base.verbose = true;
    } else {
      return Usage();
    }
  }
  base.validators = static_cast<uint32_t>(validators);
  std::signal(SIGABRT, PrintReplayOnAbort);
  uint64_t failures = 0;
  uint64_t heights = 0;
  uint64_t evidence = 0;
  uint64_t byz_runs = 0;
  uint64_t max_round = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    hito::sim::SimOptions o = base;
    o.seed = seed;
    std::snprintf(g_replay, sizeof g_replay, "%s", hito::sim::ReplayCommand(o).c_str());
    const hito::sim::SimReport r = hito::sim::RunSimulation(o);
    heights += r.min_height;
    evidence += r.evidence;
    byz_runs += r.byzantine > 0 ? 1 : 0;
    if (r.max_round > max_round) max_round = r.max_round;
    if (first == last || !r.status.ok()) {
      std::printf(
          "seed %llu validators %u: %s (%llu steps, %llu ms simulated, heights "
          "%llu..%llu, set change %s, %u byzantine, %llu crashes, %llu partitions, %llu evidence, "
          "max round "
          "%llu, %llu txs executed, %llu bad blocks, %llu junk messages)\n",
          static_cast<unsigned long long>(seed), o.validators, r.status.ToString().c_str(),
          static_cast<unsigned long long>(r.steps), static_cast<unsigned long long>(r.sim_time_ms),
          static_cast<unsigned long long>(r.min_height),
          static_cast<unsigned long long>(r.max_height), r.set_change.c_str(), r.byzantine,
          static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.partitions),
          static_cast<unsigned long long>(r.evidence), static_cast<unsigned long long>(r.max_round),
          static_cast<unsigned long long>(r.txs_ok), static_cast<unsigned long long>(r.bad_blocks),
          static_cast<unsigned long long>(r.junk));
    }
    if (!r.status.ok()) {
      ++failures;
      std::printf("FAILED seed %llu; replay with: %s\n", static_cast<unsigned long long>(seed),
                  hito::sim::ReplayCommand(o).c_str());
    }
  }
  std::printf(
      "%llu runs (seeds %llu-%llu, %llu validators): %llu failed; %llu honest heights, %llu "
      "runs with twins, %llu evidence, max round %llu\n",
      static_cast<unsigned long long>(last - first + 1), static_cast<unsigned long long>(first),
      static_cast<unsigned long long>(last), static_cast<unsigned long long>(validators),
      static_cast<unsigned long long>(failures), static_cast<unsigned long long>(heights),
      static_cast<unsigned long long>(byz_runs), static_cast<unsigned long long>(evidence),
      static_cast<unsigned long long>(max_round));
  return failures == 0 ? 0 : 1;
}
