// hito_dedup_bench: figures of the validators' dedup OPRF service on a running chain
// (loopback only; docs/perf/dedup-oprf.md, "Service figures").
//
//   latency:     --runs N full client evaluations of distinct handles, as `hito attester
//                attest` does them (wallet/dedup_client.h: blind, ask every validator in
//                parallel, verify each share's proof, combine t, finalise), one after the
//                other; prints the median, p90 and max wall time per evaluation.
//   throughput:  --threads T closed-loop clients send signed Evaluate requests for one
//                blinded element to one validator (--target) for --seconds S; prints
//                answered evaluations/s (refusals, e.g. the quota, are counted apart).
//
// The attester key comes from --attester-key (a seed file such as the testnet's
// attester.key); the key set and epoch from DedupService.GetKeys of --node. Every loop is
// bounded by --runs or --seconds.
#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "base/file_io.h"
#include "consensus/types/dedup_request.h"
#include "consensus/types/handle.h"
#include "hito/v1/dedup.grpc.pb.h"
#include "wallet/client.h"
#include "wallet/dedup_client.h"
#include "zk/oprf.h"

namespace hito::bench {
namespace {

namespace types = consensus::types;
namespace pb = hito::v1;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode = "latency";
  std::string node = "127.0.0.1:26600";
  std::string validators;
  std::string target;
  std::string attester_key;
  uint32_t runs = 50;
  uint32_t threads = 4;
  uint32_t seconds = 10;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int Latency(const Options& o, const Ed25519PrivateKey& key, const pb::GetDedupKeysResponse& keys,
            const std::string& chain_id) {
  wallet::DedupEvalOptions opts;
  auto list = wallet::ParseValidatorList(o.validators.empty() ? o.node : o.validators);
  if (!list.ok()) return std::fprintf(stderr, "%s\n", list.status().ToString().c_str()), 2;
  opts.validators = *list;
  std::vector<double> ms;
  for (uint32_t i = 0; i < o.runs; ++i) {
    auto handle = types::Handle::Parse("passport:FRA:BENCH" + std::to_string(i)).value();
    const auto start = Clock::now();
    auto r = wallet::EvaluateDedupTag(keys, chain_id, key, handle, opts);
    const auto took = Clock::now() - start;
    if (!r.ok()) return std::fprintf(stderr, "run %u: %s\n", i, r.status().ToString().c_str()), 1;
    ms.push_back(Ms(took));
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "latency: %zu evaluations with %zu validators (t = %u): median %.1f ms, p90 %.1f ms, "
      "max %.1f ms\n",
      ms.size(), opts.validators.size(), keys.threshold(), ms[ms.size() / 2],
      ms[ms.size() * 9 / 10], ms.back());
  return 0;
}

int Throughput(const Options& o, const Ed25519PrivateKey& key, const pb::GetDedupKeysResponse& keys,
               const std::string& chain_id) {
  const std::string target = o.target.empty() ? o.node : o.target;
  auto blinded = zk::oprf::Blind(types::Handle::Parse("passport:FRA:BENCH").value().Encode());
  const auto req = wallet::SignedDedupRequest(chain_id, keys.epoch(), 1, key, blinded->element);
  blinded->Wipe();
  std::atomic<uint64_t> answered{0}, refused{0};
  const auto deadline = Clock::now() + std::chrono::seconds(o.seconds);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < o.threads; ++t) {
    threads.emplace_back([&] {
      auto stub = pb::DedupService::NewStub(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
      while (Clock::now() < deadline) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        pb::DedupEvaluateResponse resp;
        (stub->Evaluate(&ctx, req, &resp).ok() ? answered : refused).fetch_add(1);
      }
    });
  }
  const auto start = Clock::now();
  for (auto& th : threads) th.join();
  const double s = Ms(Clock::now() - start) / 1000.0;
  std::printf(
      "throughput: %s, %u client threads, %.1f s: %.0f evaluations/s answered "
      "(%llu answered, %llu refused)\n",
      target.c_str(), o.threads, s, static_cast<double>(answered.load()) / s,
      static_cast<unsigned long long>(answered.load()),
      static_cast<unsigned long long>(refused.load()));
  return refused.load() == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"hito_dedup_bench: dedup OPRF service latency and throughput"};
  app.add_option("--mode", o.mode, "latency | throughput")->capture_default_str();
  app.add_option("--node", o.node, "node for GetKeys (and the default target)")
      ->capture_default_str();
  app.add_option("--validators", o.validators, "latency: HOST:PORT,... to ask");
  app.add_option("--target", o.target, "throughput: the validator to load (default --node)");
  app.add_option("--attester-key", o.attester_key, "an accredited attester's seed file")
      ->required();
  app.add_option("--runs", o.runs, "latency: evaluations")->capture_default_str();
  app.add_option("--threads", o.threads, "throughput: client threads")->capture_default_str();
  app.add_option("--seconds", o.seconds, "throughput: duration")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (sodium_init() < 0) return 1;
  if (o.runs == 0 || o.threads == 0 || o.seconds == 0 || o.seconds > 600) {
    std::fprintf(stderr, "--runs, --threads must be positive, --seconds 1..600\n");
    return 2;
  }
  auto seed = ReadSeedFile(o.attester_key);
  if (!seed.ok()) return std::fprintf(stderr, "%s\n", seed.status().ToString().c_str()), 2;
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(*seed);
  SecureWipe(seed->data(), seed->size());
  wallet::NodeClient client(o.node);
  auto st = client.GetStatus();
  auto keys = client.GetDedupKeys();
  if (!st.ok() || !keys.ok()) {
    std::fprintf(stderr, "%s\n", (st.ok() ? keys.status() : st.status()).ToString().c_str());
    return 1;
  }
  if (o.mode == "latency") return Latency(o, key, *keys, st->chain_id());
  if (o.mode == "throughput") return Throughput(o, key, *keys, st->chain_id());
  std::fprintf(stderr, "--mode must be latency or throughput\n");
  return 2;
}

}  // namespace
}  // namespace hito::bench

int main(int argc, char** argv) { return hito::bench::Main(argc, argv); }
