// Deterministic simulation of a validator network running the real node code: per
// validator a BftDriver with its Wal and DurableSigner, and a ChainApp over a Store, a Mempool
// and CommitEvents (sim_node.h), on a simulated transport and clock.
//
// Many validators live in one process and one thread on a simulated clock and network
// driven by one seeded PRNG (tests/sim/bft/rng.h): message delays, drops, duplicates and
// reordering, partitions and heals, crashes and restarts (a restarted validator keeps only
// what its machine had made durable, torn log tails included, and power can fail at a
// durability point), Byzantine validators below a third of the power modelled as twins
// (two nodes sharing one key, each talking to a different half of the honest validators)
// that also propose malformed blocks and send junk (hostile.h), and a validator set
// change at a height fixed in genesis (new powers, a validator added, one removed, or the
// whole set swapped for new keys; keys outside a height's set follow the chain without
// signing). After every call into a node the checker verifies what its store holds:
// agreement, validity, commits, evidence and state roots; after the fault phase the
// network heals and every honest validator must commit new heights within a bounded
// simulated time. A run is a pure function of its options: a seed replays exactly. Not
// thread-safe; one Simulation per thread.
#ifndef HITO_TESTS_SIM_BFT_SIM_H_
#define HITO_TESTS_SIM_BFT_SIM_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "tests/sim/bft/hostile.h"

namespace hito::sim {

// The malformed blocks the CI runs: every kind.
inline constexpr uint32_t kDefaultBadBlocks = kAllBadBlocks;

struct SimOptions {
  uint64_t seed = 1;
  uint32_t validators = 4;
  // Length of the fault phase, in simulation steps (events processed); 0 = default
  // (1500 + 150 * validators: the real node code costs about 2.5 times the CPU per step
  // that the engine alone did, so the suite keeps its seed counts and CI time).
  uint64_t steps = 0;
  // After the heal, each honest validator must decide this many heights beyond the
  // highest height any honest validator had reached ...
  uint32_t heights_after_heal = 2;
  // ... within this much simulated time.
  uint64_t liveness_bound_ms = 180'000;
  // Turn off Byzantine twins (for a baseline).
  bool byzantine = true;
  // Malformed blocks twins may propose: a bit mask over BadBlock (hostile.h).
  uint32_t bad_blocks = kDefaultBadBlocks;
  // Twins also send junk evidence, messages signed by non-validators and vote floods.
  bool hostile = true;
  bool verbose = false;
};

struct SimReport {
  Status status;  // OK, or the first violated invariant
  uint64_t steps = 0;
  uint64_t sim_time_ms = 0;
  uint64_t min_height = 0;  // lowest honest chain height at the end
  uint64_t max_height = 0;
  uint32_t byzantine = 0;  // validators modelled as twins
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t evidence = 0;  // (node, piece) pairs: equivocations honest nodes detected
  // Distinct pieces in blocks honest validators committed (each names a twin; a piece may
  // come from a peer's report rather than an own detection).
  uint64_t evidence_committed = 0;
  uint64_t max_round = 0;
  uint64_t txs_ok = 0;      // transactions executed successfully by the lowest honest validator
  uint64_t bad_blocks = 0;  // malformed proposals twins sent
  uint64_t junk = 0;        // junk messages twins sent (evidence, outsiders, floods)
  // The validator set change of the run: "powers", "add", "remove" or "swap".
  std::string set_change;
};

SimReport RunSimulation(const SimOptions& options);

// The command that replays one run exactly.
std::string ReplayCommand(const SimOptions& options);

}  // namespace hito::sim

#endif  // HITO_TESTS_SIM_BFT_SIM_H_
