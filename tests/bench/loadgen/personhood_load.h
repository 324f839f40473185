// What the modes of hito_loadgen_personhood share: the submission options and the batch
// submitter, the test chain's secrets file, and the in-process verification floor.
// Registrations and claims live in personhood_load.cc (with main), governance ballots in
// ballot_load.cc.
#ifndef HITO_TESTS_BENCH_LOADGEN_PERSONHOOD_LOAD_H_
#define HITO_TESTS_BENCH_LOADGEN_PERSONHOOD_LOAD_H_

#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/proof/triptych.h"

namespace hito::loadgen {

struct SubmitOptions {
  std::string nodes = "127.0.0.1:9090";  // comma-separated; the first follows blocks
  std::vector<std::string> targets;
  // Each SubmitTransactions call is one mempool batch, verified with one BatchVerify
  // per cohort: larger batches spread its set MSM over more proofs (docs/perf/ubi.md).
  uint32_t batch = 128;
  uint32_t concurrency = 8;
  uint32_t max_inflight = 20'000;
  uint32_t drain_s = 60;
  bool json = false;
};
void AddSubmitOptions(CLI::App* cmd, SubmitOptions* o);

// identities.secrets of a test chain (`hitod dev|testnet --identities N`): one hex scalar
// a line, identity i on line i; '#' lines are comments.
Result<std::vector<std::array<uint8_t, 32>>> ReadSecrets(const std::string& path);

// Submits every transaction of `txs` in SubmitTransactions batches from o.concurrency
// threads, round-robin over o.targets, retrying the pool's busy refusals and counting
// the others by reason, and follows the commits on the first node's block stream; the
// run's summary (load_common.h's Summary plus nodes, chain id, batch and concurrency).
nlohmann::ordered_json SubmitAll(const SubmitOptions& o, const std::vector<Bytes>& txs);

// Runs prove(i) for every i of `indices` on `threads` threads (0: one per core), passes
// each result to append(i, tx) under a lock (the on-disk cache; a failure ends the run),
// prints progress on stderr as "<what>: proved n/total"; the results by index.
std::map<uint64_t, Bytes> ProveInParallel(
    const std::vector<uint64_t>& indices, uint32_t threads, const std::string& what,
    const std::function<Bytes(uint64_t)>& prove,
    const std::function<Status(uint64_t, const Bytes&)>& append);

// The verification floor's probe: BatchVerify of a sample of the run's proofs against
// their cohort's prepared set on one thread, timed in thread CPU time as Google
// Benchmark times BM_BatchVerify. The fastest of the runs is kept, not the median: on a
// 2-core machine the node's background work (LevelDB compaction after a large genesis,
// the end of a block) slows single runs by up to 2x through the shared caches, and a
// slower probe would inflate the ratio; the fastest gives the highest floor, so the
// ratio errs low.
class FloorProbe {
 public:
  // A probe of `proofs[i]`, each proving membership bound to `messages[i]` under
  // `context`, after one untimed BatchVerify (it builds the set's tables). Null, with a
  // warning on stderr, if that batch does not verify: a proof in the on-disk cache was
  // tampered with, which the node will refuse and the run report; there is then no floor.
  static std::unique_ptr<FloorProbe> Create(zk::proof::membership::PreparedSet set,
                                            std::string chain_id, std::string context,
                                            std::vector<Bytes> messages,
                                            std::vector<zk::proof::membership::Proof> proofs);

  // Adds `runs` timings (seconds per proof).
  void Sample(int runs);
  double Fastest() const;
  const std::vector<double>& samples() const { return samples_; }

 private:
  FloorProbe(zk::proof::membership::PreparedSet set, std::string chain_id, std::string context,
             std::vector<Bytes> messages, std::vector<zk::proof::membership::Proof> proofs);
  Status Verify();

  zk::proof::membership::PreparedSet set_;
  std::string chain_id_;
  std::string context_;
  std::vector<Bytes> messages_;
  std::vector<zk::proof::membership::Proof> proofs_;
  std::vector<double> samples_;
};

// Adds the floor's fields to a run's summary `j` (which holds committed_per_second):
// the probe's samples and fastest time per proof, cores, validators, the verification
// floor = cores / (validators x time per proof) and the ratio of committed/s to it.
// `probe` may be null (no sample: floor and ratio 0).
void AddFloorFields(const FloorProbe* probe, uint32_t validators, nlohmann::ordered_json* j);

// ---------------------------------------------------------------------- ballots

struct BallotOptions {
  std::string secrets_file;
  std::string dev_key;  // the funded dev account's seed: it submits the proposal
  std::string cache_dir = "loadgen-cache";
  uint64_t first = 0;
  uint64_t count = 1'000;
  uint64_t revotes = 0;        // identities first..first+revotes-1 vote again, replacing
  uint64_t round = 1;          // the round voted in; its proposal is submitted in round - 1
  uint32_t prove_threads = 0;  // 0: one per core
  uint32_t validators = 0;     // 0: the number of --nodes
  uint32_t round_wait_s = 600;
  bool prove_only = false;
};

// The `ballots` subcommand and its options.
CLI::App* AddBallotsCommand(CLI::App* app, SubmitOptions* o, BallotOptions* b);
// Runs it; the process exit code.
int RunBallots(const SubmitOptions& o, const BallotOptions& b);

}  // namespace hito::loadgen

#endif  // HITO_TESTS_BENCH_LOADGEN_PERSONHOOD_LOAD_H_
