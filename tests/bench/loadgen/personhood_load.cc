// hito_loadgen_personhood: registrations and UBI claims against local hitod processes.
//
//   claims         Claims by test identities (a chain made with `hitod dev|testnet
//                  --identities N`, whose secrets file it reads). Identity i claims for
//                  its own fixed recipient (LoadClaimRecipient). Proofs come from the
//                  on-disk ClaimCache when it holds them and are proved (in parallel) and
//                  cached otherwise, all before the clock starts; each cohort's first
//                  claim is committed before the clock too (it makes every node build
//                  the set's tables). The verification floor is measured in the same
//                  run (FloorProbe: BatchVerify of 64 of these proofs against the
//                  cohort's set on one thread, the shape of bench_zk's
//                  BM_BatchVerify/16384/64, just before the timed run), so
//                  floor = cores / (validators x time per proof) claims per second.
//   registrations  Fresh identities registered by the dev attester (attester.key); every
//                  attestation and registration is built before the clock starts.
//
// Both submit in SubmitTransactions batches from --concurrency threads, spread over
// --nodes, keep at most --max-inflight uncommitted, and count commits on the first node's
// block stream (load_common.h). Every loop and wait is bounded.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/personhood.h"
#include "consensus/types/transaction.h"
#include "hito/v1/tx.grpc.pb.h"
#include "tests/bench/loadgen/claim_cache.h"
#include "tests/bench/loadgen/load_common.h"
#include "wallet/client.h"
#include "wallet/keystore.h"
#include "wallet/personhood.h"
#include "wallet/snapshot.h"
#include "zk/proof/triptych.h"

namespace hito::loadgen {
namespace {

namespace types = consensus::types;
namespace membership = zk::proof::membership;

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

struct ClaimOptions {
  std::string secrets_file;
  std::string cache_dir = "loadgen-cache";
  uint64_t first = 0;
  uint64_t count = 2'000;
  uint32_t cohorts = 1;        // claim first..first+count-1 of each of cohorts 0..cohorts-1
  int64_t epoch = -1;          // -1: the current epoch
  uint32_t prove_threads = 0;  // 0: one per core
  uint32_t validators = 0;     // 0: the number of --nodes
  bool prove_only = false;
  bool warmup = true;
};

struct RegistrationOptions {
  std::string attester_key;
  uint64_t count = 10'000;
  uint64_t expires_in = 1'000;
};

Result<std::vector<std::array<uint8_t, 32>>> ReadSecrets(const std::string& path) {
  HITO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::array<uint8_t, 32>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    HITO_ASSIGN_OR_RETURN(Hash32 r, HexDecode32(line));
    out.push_back(r);
  }
  return out;
}

// ---------------------------------------------------------------------- submitting

// One submitting thread: takes the next batch of `txs` (shared cursor), submits it to
// node (batch number % nodes), retries items the pool was too full for, and keeps the run
// under max_inflight.
void SubmitWorker(const SubmitOptions& o, uint32_t t, const std::vector<Bytes>& txs,
                  std::atomic<size_t>* cursor, Inflight* inflight, CommitStats* stats) {
  std::vector<std::unique_ptr<v1::TxService::Stub>> stubs;
  for (size_t n = 0; n < o.targets.size(); ++n) {
    stubs.push_back(v1::TxService::NewStub(
        NewChannel(o.targets[n], static_cast<int>(t * o.targets.size() + n))));
  }
  std::vector<size_t> retry;
  for (uint64_t call = 0;; ++call) {
    std::vector<size_t> items;
    std::swap(items, retry);
    while (items.size() < o.batch) {
      const size_t i = cursor->fetch_add(1);
      if (i >= txs.size()) break;
      items.push_back(i);
    }
    if (items.empty()) return;
    for (int waited = 0; inflight->size() >= o.max_inflight && waited < 60'000; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    v1::SubmitTransactionsRequest req;
    std::vector<std::string> hashes;
    const Clock::time_point now = Clock::now();
    for (size_t i : items) {
      hashes.push_back(std::string(AsChars(types::TransactionHash(txs[i]))));
      inflight->Add(hashes.back(), now);
      req.add_txs(std::string(AsChars(txs[i])));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::SubmitTransactionsResponse resp;
    grpc::Status s =
        stubs[(t + call * o.concurrency) % stubs.size()]->SubmitTransactions(&ctx, req, &resp);
    for (size_t k = 0; k < items.size(); ++k) {
      const bool accepted = s.ok() && k < static_cast<size_t>(resp.results_size()) &&
                            resp.results(static_cast<int>(k)).accepted();
      if (accepted) {
        ++stats->submitted;
        continue;
      }
      inflight->Remove(hashes[k]);
      std::string reason = !s.ok() ? "RPC_" + std::to_string(s.error_code())
                           : k < static_cast<size_t>(resp.results_size())
                               ? resp.results(static_cast<int>(k)).reason()
                               : std::string("MISSING_RESULT");
      if (IsPoolBusy(reason) || s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++stats->busy_retries;
        retry.push_back(items[k]);
      } else {
        stats->Refused(reason);
      }
    }
    if (!retry.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Submits every transaction of `txs` and follows the commits; the run's summary.
nlohmann::ordered_json SubmitAll(const SubmitOptions& o, const std::vector<Bytes>& txs) {
  wallet::NodeClient client(o.targets[0]);
  auto st = client.GetStatus();
  if (!st.ok()) Die(st.status().ToString());
  std::atomic<size_t> cursor{0};
  nlohmann::ordered_json summary =
      RunLoad(o.targets[0], st->height() + 1, o.concurrency, std::chrono::seconds(o.drain_s),
              [&](uint32_t t, Inflight* inflight, CommitStats* stats) {
                SubmitWorker(o, t, txs, &cursor, inflight, stats);
              });
  nlohmann::ordered_json j;
  j["nodes"] = o.targets;
  j["chain_id"] = st->chain_id();
  j["batch"] = o.batch;
  j["concurrency"] = o.concurrency;
  j.update(summary);
  return j;
}

// ---------------------------------------------------------------------- claims

struct CohortWork {
  uint32_t cohort = 0;
  std::vector<uint64_t> indices;  // identities of this cohort to claim
};

// Proves the claims of `missing` (identity indices of one cohort) on `threads` threads
// and appends each to the cache; returns them by index.
std::map<uint64_t, Bytes> ProveMissing(const std::vector<uint64_t>& missing,
                                       const membership::PreparedSet& set, uint64_t cohort_base,
                                       const std::vector<std::array<uint8_t, 32>>& secrets,
                                       const std::string& chain_id, uint64_t epoch, uint32_t cohort,
                                       const ClaimCache& cache, uint32_t threads) {
  std::map<uint64_t, Bytes> out;
  absl::Mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  auto work = [&] {
    for (size_t k = next.fetch_add(1); k < missing.size(); k = next.fetch_add(1)) {
      const uint64_t i = missing[k];
      Result<wallet::IdentitySecret> secret = wallet::IdentitySecret::FromBytes(secrets[i]);
      if (!secret.ok()) Die("identity " + std::to_string(i) + ": " + secret.status().ToString());
      Result<types::Claim> claim = wallet::BuildClaim(set, i - cohort_base, *secret, chain_id,
                                                      epoch, cohort, LoadClaimRecipient(i));
      if (!claim.ok()) Die("identity " + std::to_string(i) + ": " + claim.status().ToString());
      Bytes tx = types::EncodeTransaction(types::Transaction{*claim});
      absl::MutexLock lock(&mu);
      Status s = cache.Append(i, tx);
      if (!s.ok()) Die(s.ToString());
      out[i] = std::move(tx);
      const size_t n = ++done;
      if (n % 100 == 0 || n == missing.size()) {
        std::fprintf(stderr, "  cohort %u: proved %zu/%zu\n", cohort, n, missing.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < std::max<uint32_t>(1, threads); ++t) pool.emplace_back(work);
  for (auto& th : pool) th.join();
  return out;
}

// The verification floor's probe: BatchVerify of 64 of the run's claims against their
// cohort's prepared set on one thread, timed in thread CPU time as Google Benchmark times
// BM_BatchVerify; the fastest of 9 runs just before the timed run. The fastest, not the
// median: on a 2-core machine the node's background work (LevelDB compaction after a
// large genesis, the end of a block) slows single runs by up to 2x through the shared
// caches, and a slower probe would inflate the ratio; the fastest gives the highest
// floor, so the ratio errs low.
class FloorProbe {
 public:
  FloorProbe(const membership::PreparedSet& set, const std::string& chain_id,
             const std::vector<Bytes>& sample)
      : set_(set), chain_id_(chain_id) {
    for (const Bytes& tx : sample) {
      auto decoded = types::DecodeTransaction(tx);
      if (!decoded.ok()) Die("a cached claim does not decode");
      const auto& c = std::get<types::Claim>(decoded->body);
      auto p = membership::Proof::Decode(c.proof);
      if (!p.ok()) Die("a cached proof does not decode");
      proofs_.push_back(*p);
      messages_.push_back(types::ClaimMessage(chain_id, c.epoch, c.cohort, c.recipient));
      context_ = types::ClaimContext(c.epoch);
    }
    Verify();  // builds the set's tables, untimed
  }

  // Adds `runs` timings (seconds per proof).
  void Sample(int runs) {
    for (int r = 0; r < runs; ++r) {
      const double t0 = ThreadCpuSeconds();
      Verify();
      samples_.push_back((ThreadCpuSeconds() - t0) / static_cast<double>(proofs_.size()));
    }
  }
  double Fastest() const {
    return samples_.empty() ? 0 : *std::min_element(samples_.begin(), samples_.end());
  }
  const std::vector<double>& samples() const { return samples_; }

 private:
  static double ThreadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  void Verify() {
    std::vector<ByteView> views(messages_.begin(), messages_.end());
    membership::BatchResult res =
        membership::BatchVerify(set_, chain_id_, context_, views, proofs_);
    if (!res.status.ok()) Die("the probe's batch does not verify: " + res.status.ToString());
  }

  membership::PreparedSet set_;
  std::string chain_id_;
  std::string context_;
  std::vector<membership::Proof> proofs_;
  std::vector<Bytes> messages_;
  std::vector<double> samples_;
};

struct PreparedClaims {
  std::vector<Bytes> txs;
  std::vector<Bytes> warmup;  // one per cohort, committed before the clock starts
  std::unique_ptr<FloorProbe> floor;
  uint64_t proved_now = 0;
  uint64_t epoch = 0;
};

// Every claim of the run, from the cache or proved now, and the verification floor.
PreparedClaims PrepareClaims(const ClaimOptions& c, wallet::NodeClient& client,
                             const std::string& chain_id) {
  auto secrets = ReadSecrets(c.secrets_file);
  if (!secrets.ok()) Die(secrets.status().ToString());
  auto params = client.GetUbiParams();
  auto ep = client.GetEpoch();
  if (!params.ok() || !ep.ok()) Die("the node has no UBI (a chain without attesters?)");
  PreparedClaims out;
  out.epoch = c.epoch >= 0 ? static_cast<uint64_t>(c.epoch) : ep->epoch();
  const uint32_t bits = params->cohort_bits();
  std::map<uint32_t, CohortWork> cohorts;
  for (uint64_t k = 0; k < c.cohorts; ++k) {
    for (uint64_t i = (k << bits) + c.first; i < (k << bits) + c.first + c.count; ++i) {
      if (i >= secrets->size()) Die("the secrets file has no identity " + std::to_string(i));
      cohorts[static_cast<uint32_t>(i >> bits)].indices.push_back(i);
    }
  }
  wallet::SnapshotCache snapshots((std::filesystem::path(c.cache_dir) / "snapshots").string());
  wallet::NodeSnapshotSource source(&client);
  const uint32_t threads = c.prove_threads ? c.prove_threads : std::thread::hardware_concurrency();
  // Every snapshot first: proving takes minutes, and the epoch may leave the window (and
  // its snapshots be pruned) meanwhile; the proofs stay valid for a later chain with the
  // same registry.
  std::map<uint32_t, wallet::Snapshot> snaps;
  for (const auto& [cohort, work] : cohorts) {
    auto snap = snapshots.Get(&source, out.epoch, cohort);
    if (!snap.ok()) {
      Die("snapshot of cohort " + std::to_string(cohort) + ": " + snap.status().ToString());
    }
    snaps.emplace(cohort, std::move(*snap));
  }
  for (auto& [cohort, work] : cohorts) {
    const wallet::Snapshot* snap = &snaps.at(cohort);
    ClaimCache cache(c.cache_dir, {chain_id, out.epoch, cohort, snap->set.hash()});
    auto cached = cache.Load();
    if (!cached.ok()) Die(cached.status().ToString());
    std::vector<uint64_t> missing;
    for (uint64_t i : work.indices) {
      if (!cached->count(i)) missing.push_back(i);
    }
    if (!missing.empty()) {
      std::fprintf(stderr, "cohort %u: %zu claims cached, proving %zu (%s)\n", cohort,
                   cached->size(), missing.size(), cache.path().c_str());
      auto proved = ProveMissing(missing, snap->set, uint64_t{cohort} << bits, *secrets, chain_id,
                                 out.epoch, cohort, cache, threads);
      out.proved_now += proved.size();
      cached->merge(proved);
    }
    std::vector<Bytes> sample;
    for (uint64_t i : work.indices) {
      (i == work.indices.front() && c.warmup ? out.warmup : out.txs).push_back((*cached)[i]);
      if (!out.floor && sample.size() < 64) sample.push_back((*cached)[i]);
    }
    if (!out.floor && sample.size() == 64) {
      out.floor = std::make_unique<FloorProbe>(snap->set, chain_id, sample);
    }
  }
  return out;
}

int RunClaims(const SubmitOptions& o, const ClaimOptions& c) {
  wallet::NodeClient client(o.targets[0]);
  auto st = client.GetStatus();
  if (!st.ok()) Die(st.status().ToString());
  PreparedClaims claims = PrepareClaims(c, client, st->chain_id());
  if (c.prove_only) {
    nlohmann::ordered_json j;
    j["epoch"] = claims.epoch;
    j["claims_ready"] = claims.txs.size() + claims.warmup.size();
    j["proved_this_run"] = claims.proved_now;
    j["cache"] = c.cache_dir;
    std::cout << (o.json ? j.dump() : "claims ready: " + j.dump()) << "\n";
    return 0;
  }
  // The first verification against a set builds its tables on every node (about a second
  // at 2^14, once per set and node): one committed claim per cohort pays for it outside
  // the timed run.
  for (const Bytes& tx : claims.warmup) {
    auto done = client.SubmitAndWait(tx, std::chrono::seconds(60));
    if (!done.ok()) Die("warm-up claim: " + done.status().ToString());
  }
  if (claims.floor) claims.floor->Sample(9);
  nlohmann::ordered_json j = SubmitAll(o, claims.txs);
  const uint32_t cores = std::thread::hardware_concurrency();
  const uint32_t validators = c.validators ? c.validators : static_cast<uint32_t>(o.targets.size());
  double per_proof = 0;
  if (claims.floor) {
    per_proof = claims.floor->Fastest();
    std::vector<double> ms;
    for (double v : claims.floor->samples()) ms.push_back(std::round(v * 1e5) / 100);
    j["batch_verify_ms_per_proof_samples"] = ms;
  }
  const double floor = per_proof > 0 ? cores / (validators * per_proof) : 0;
  j["epoch"] = claims.epoch;
  j["claims"] = claims.txs.size();
  j["warmup_claims"] = claims.warmup.size();
  j["proved_this_run"] = claims.proved_now;
  j["batch_verify_ms_per_proof"] = per_proof * 1000;
  j["cores"] = cores;
  j["validators"] = validators;
  j["verification_floor_per_second"] = floor;
  j["ratio_to_floor"] = floor > 0 ? j["committed_per_second"].get<double>() / floor : 0;
  PrintSummary(j, "claims", o.json);
  return j["committed"].get<uint64_t>() > 0 ? 0 : 1;
}

// ---------------------------------------------------------------------- registrations

std::vector<Bytes> BuildRegistrations(const RegistrationOptions& r, const std::string& chain_id,
                                      uint64_t epoch) {
  auto attester = wallet::ReadSeedFile(r.attester_key);
  if (!attester.ok()) Die(attester.status().ToString());
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(*attester);
  SecureWipe(attester->data(), attester->size());
  // Handles unique to this run, so reruns on one chain register new people.
  const std::string run = HexEncode(Ed25519PrivateKey::Generate().public_key()).substr(0, 16);
  std::vector<Bytes> out;
  for (uint64_t i = 0; i < r.count; ++i) {
    wallet::IdentitySecret secret = wallet::IdentitySecret::Generate();
    // This measures registrations, not tag evaluation (hito_dedup_bench does that): the
    // ledger treats tags as opaque, so a distinct hash per person stands in for the
    // validators' OPRF output.
    const Hash32 tag = DomainHash("hito/v1/loadgen-tag", AsBytes(run + " " + std::to_string(i)));
    auto a = wallet::MakeAttestation(chain_id, key, secret.Point(), tag, epoch + r.expires_in);
    if (!a.ok()) Die(a.status().ToString());
    auto reg = wallet::BuildRegistration(*a, secret);
    if (!reg.ok()) Die(reg.status().ToString());
    out.push_back(types::EncodeTransaction(types::Transaction{*reg}));
  }
  return out;
}

int RunRegistrations(const SubmitOptions& o, const RegistrationOptions& r) {
  wallet::NodeClient client(o.targets[0]);
  auto st = client.GetStatus();
  auto ep = client.GetEpoch();
  if (!st.ok() || !ep.ok()) Die("the node has no registry (a chain without attesters?)");
  std::vector<Bytes> txs = BuildRegistrations(r, st->chain_id(), ep->epoch());
  nlohmann::ordered_json j = SubmitAll(o, txs);
  j["registrations"] = txs.size();
  PrintSummary(j, "registrations", o.json);
  return j["committed"].get<uint64_t>() > 0 ? 0 : 1;
}

void AddSubmitOptions(CLI::App* cmd, SubmitOptions* o) {
  cmd->add_option("--nodes", o->nodes,
                  "comma-separated gRPC addresses of the chain's nodes (loopback); batches go "
                  "round-robin, the first streams blocks")
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "transactions per SubmitTransactions call")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--concurrency", o->concurrency, "calls in flight (threads)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--max-inflight", o->max_inflight, "submitted but not yet committed, at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--drain", o->drain_s, "seconds to wait for the last commits")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "print the summary as JSON");
}

}  // namespace
}  // namespace hito::loadgen

int main(int argc, char** argv) {
  using namespace hito::loadgen;
  hito::InitCrypto();
  // As in hitod (node/rpc/server.cc): no deadlock-cycle graph on gRPC's every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"hito_loadgen_personhood: committed registrations/s and claims/s of local hitod"};
  app.require_subcommand(1);
  SubmitOptions o;
  ClaimOptions c;
  RegistrationOptions r;
  CLI::App* claims = app.add_subcommand("claims", "UBI claims by a test chain's identities");
  AddSubmitOptions(claims, &o);
  claims->add_option("--secrets", c.secrets_file, "identities.secrets of the test chain")
      ->required();
  claims->add_option("--cache", c.cache_dir, "proof and snapshot cache folder")
      ->capture_default_str();
  claims->add_option("--first", c.first, "first identity index")->capture_default_str();
  claims->add_option("--count", c.count, "identities that claim")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  claims
      ->add_option("--cohorts", c.cohorts,
                   "claim --first..--first+--count-1 within each of cohorts 0..K-1")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  claims->add_option("--epoch", c.epoch, "epoch claimed (default: the current one)");
  claims->add_option("--prove-threads", c.prove_threads, "proving threads (0: one per core)");
  claims->add_option("--validators", c.validators,
                     "validators, for the verification floor (default: the number of --nodes)");
  claims->add_flag("--prove-only", c.prove_only, "fill the cache and stop");
  claims->add_flag("!--no-warmup", c.warmup,
                   "time every claim (default: each cohort's first claim is committed before "
                   "the clock starts, so the nodes' set tables are built)");
  CLI::App* regs = app.add_subcommand("registrations", "registrations by the dev attester");
  AddSubmitOptions(regs, &o);
  regs->add_option("--attester-key", r.attester_key, "the dev attester's attester.key")->required();
  regs->add_option("--count", r.count, "registrations")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  o.targets = SplitList(o.nodes);
  if (o.targets.empty()) Die("--nodes lists no address");
  for (const std::string& n : o.targets) {
    if (!IsLoopback(n)) Die("node " + n + " is not a loopback address (127.x, localhost, [::1])");
  }
  if (claims->parsed()) return RunClaims(o, c);
  return RunRegistrations(o, r);
}
