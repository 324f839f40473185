// hito_loadgen: a load generator for a local hitod (loopback only).
//
// It reads the dev account's seed, funds K fresh sender accounts from it, then T threads
// submit signed transfers from those senders (consecutive nonces, no waiting) to a fixed
// set of receivers for a bounded duration or count. Each thread drives its senders with
// asynchronous gRPC calls on a completion queue, at most one outstanding call per sender
// (so nonces arrive in order), and the whole run keeps at most --max-inflight
// submitted-but-uncommitted transfers (closed loop, so latency measures the chain, not a
// queue the generator built). A StreamBlocks subscriber sees every committed block and
// matches its transaction hashes with their submit times: committed transfers/s and the
// submit -> commit-seen latency (p50, p90, p99, max) come from there. Prints a summary, or
// JSON with --json. Every loop and wait is bounded.
//
// --batch K (K > 1) groups each thread's senders K at a time and submits the next
// transfer of every sender of a group in one SubmitTransactions call (one outstanding
// call per group, so still one per sender); per-item refusals are handled like the
// unary call's. --nodes a,b,c,d spreads the senders (or groups) over several nodes of one
// chain (a multi-validator devnet); funding and the block stream use the first node.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "tests/bench/loadgen/load_common.h"
#include "wallet/client.h"
#include "wallet/keystore.h"
#include "wallet/transfer.h"

namespace hito::loadgen {
namespace {

namespace types = consensus::types;

struct Options {
  std::string node = "127.0.0.1:9090";
  std::string nodes;                 // comma-separated; overrides --node
  std::vector<std::string> targets;  // parsed from --nodes or --node
  uint32_t batch = 1;
  std::string seed_file;
  uint32_t senders = 64;
  uint32_t threads = 4;
  uint32_t duration_s = 20;
  uint64_t count = 0;  // 0 = as many as fit in the duration
  uint32_t max_inflight = 6000;
  uint64_t fee = wallet::kDefaultFee;
  uint32_t memo_bytes = 0;  // kMemoMaxLen gives the largest valid transfers
  uint32_t drain_s = 30;
  bool json = false;
};

Bytes Transfer(const std::string& chain_id, const Ed25519PrivateKey& from, uint64_t nonce,
               const types::AccountId& to, uint64_t amount, uint64_t fee,
               const std::string& memo = "") {
  wallet::TransferRequest req;
  req.chain_id = chain_id;
  req.nonce = nonce;
  req.to = to;
  req.amount = amount;
  req.fee = fee;
  req.memo = memo;
  auto tx = wallet::BuildSignedTransfer(req, from);
  if (!tx.ok()) Die(tx.status().ToString());
  return types::EncodeTransaction(*tx);
}

// Funds the senders from the dev account and waits until every funding transfer commits.
void FundSenders(wallet::NodeClient& client, const std::string& chain_id,
                 const Ed25519PrivateKey& dev, const std::vector<Ed25519PrivateKey>& senders,
                 uint64_t each) {
  auto acct = client.GetAccount(wallet::AddressOf(dev.public_key()));
  if (!acct.ok()) Die(acct.status().ToString());
  uint64_t nonce = acct->nonce();
  for (size_t i = 0; i < senders.size(); ++i) {
    Bytes tx =
        Transfer(chain_id, dev, nonce + i, types::AccountIdFromPublicKey(senders[i].public_key()),
                 each, wallet::kDefaultFee);
    Status s = i + 1 == senders.size() ? client.SubmitAndWait(tx, std::chrono::seconds(30)).status()
                                       : client.Submit(tx).status();
    if (!s.ok()) Die("funding sender " + std::to_string(i) + ": " + s.ToString());
  }
  for (const auto& s : senders) {
    auto a = client.GetAccount(wallet::AddressOf(s.public_key()));
    if (!a.ok() || a->balance() < each) Die("a funding transfer did not commit");
  }
}

// One submitting thread: it owns senders t, t+T, ... and groups them into slots of
// --batch senders (one sender per slot without batching). Each slot has at most one
// outstanding asynchronous call (a second one could overtake the first and arrive with a
// nonce gap) carrying the next nonce of each of its senders; a sender's nonce advances
// when its transfer was admitted. Slot j goes to node j % nodes.
void SubmitLoop(const Options& o, uint32_t t, const std::string& chain_id,
                const std::vector<Ed25519PrivateKey>& senders,
                const std::vector<types::AccountId>& receivers,
                const std::vector<std::vector<Bytes>>& presigned, Clock::time_point end,
                Inflight* inflight, CommitStats* stats) {
  struct Call {
    grpc::ClientContext ctx;
    v1::SubmitTransactionResponse resp;
    v1::SubmitTransactionsResponse batch_resp;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::SubmitTransactionResponse>> rpc;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::SubmitTransactionsResponse>> batch_rpc;
    std::vector<std::string> hashes;
    std::vector<size_t> who;  // indices into `mine`, one per transfer in the call
  };
  const bool batched = o.batch > 1;
  std::vector<std::unique_ptr<v1::TxService::Stub>> stubs;
  for (size_t n = 0; n < o.targets.size(); ++n) {
    stubs.push_back(v1::TxService::NewStub(
        NewChannel(o.targets[n], static_cast<int>(t * o.targets.size() + n))));
  }
  grpc::CompletionQueue cq;
  std::mt19937_64 rng(t + 1);
  std::vector<size_t> mine;
  for (size_t i = t; i < senders.size(); i += o.threads) mine.push_back(i);
  std::vector<uint64_t> nonces(mine.size(), 0);
  std::vector<bool> exhausted(mine.size(), false);
  const size_t per_slot = batched ? o.batch : 1;
  std::vector<std::vector<size_t>> slots;
  for (size_t k = 0; k < mine.size(); k += per_slot) {
    std::vector<size_t> slot;
    for (size_t j = k; j < std::min(mine.size(), k + per_slot); ++j) slot.push_back(j);
    slots.push_back(std::move(slot));
  }
  std::vector<std::unique_ptr<Call>> calls(slots.size());
  std::vector<Clock::time_point> not_before(slots.size(), Clock::time_point{});
  size_t outstanding = 0;
  bool stopping = false;
  bool node_gone = false;

  // Sender k's next transfer, or nothing if it has none left.
  auto next_tx = [&](size_t k) -> std::optional<Bytes> {
    if (o.count > 0) {
      const auto& pre = presigned[mine[k]];
      if (nonces[k] >= pre.size()) return std::nullopt;
      return pre[nonces[k]];
    }
    return Transfer(chain_id, senders[mine[k]], nonces[k], receivers[rng() % receivers.size()],
                    1 + rng() % 1000, o.fee, std::string(o.memo_bytes, 'm'));
  };
  // Starts slot j's next call; false if none of its senders has a transfer left.
  auto issue = [&](size_t j) {
    auto call = std::make_unique<Call>();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitTransactionsRequest breq;
    v1::SubmitTransactionRequest req;
    const Clock::time_point now = Clock::now();
    for (size_t k : slots[j]) {
      if (exhausted[k]) continue;
      std::optional<Bytes> tx = next_tx(k);
      if (!tx) {
        exhausted[k] = true;
        continue;
      }
      call->hashes.push_back(std::string(AsChars(types::TransactionHash(*tx))));
      call->who.push_back(k);
      inflight->Add(call->hashes.back(), now);
      if (batched) {
        breq.add_txs(std::string(AsChars(*tx)));
      } else {
        req.set_tx_bytes(std::string(AsChars(*tx)));
      }
    }
    if (call->who.empty()) return false;
    auto& stub = stubs[(t + j * o.threads) % stubs.size()];
    if (batched) {
      call->batch_rpc = stub->AsyncSubmitTransactions(&call->ctx, breq, &cq);
      call->batch_rpc->Finish(&call->batch_resp, &call->status, reinterpret_cast<void*>(j));
    } else {
      call->rpc = stub->AsyncSubmitTransaction(&call->ctx, req, &cq);
      call->rpc->Finish(&call->resp, &call->status, reinterpret_cast<void*>(j));
    }
    calls[j] = std::move(call);
    ++outstanding;
    return true;
  };
  auto refused = [&](const std::string& reason) { stats->Refused(reason); };

  for (;;) {
    Clock::time_point now = Clock::now();
    if (!stopping && (now >= end || node_gone || (o.count > 0 && stats->submitted >= o.count))) {
      stopping = true;
    }
    if (!stopping) {
      for (size_t j = 0; j < slots.size(); ++j) {
        if (calls[j] || now < not_before[j]) continue;
        if (inflight->size() >= o.max_inflight) break;
        if (!issue(j)) not_before[j] = Clock::time_point::max();
      }
    }
    if (outstanding == 0 &&
        (stopping || std::all_of(not_before.begin(), not_before.end(),
                                 [](auto tp) { return tp == Clock::time_point::max(); }))) {
      break;
    }
    void* tag = nullptr;
    bool ok = false;
    auto r = cq.AsyncNext(
        &tag, &ok,
        std::chrono::system_clock::now() + std::chrono::milliseconds(outstanding ? 20 : 2));
    if (r != grpc::CompletionQueue::GOT_EVENT) continue;
    auto j = reinterpret_cast<size_t>(tag);
    std::unique_ptr<Call> call = std::move(calls[j]);
    --outstanding;
    if (!call->status.ok()) {
      // The whole call failed: nothing of it was admitted.
      for (const std::string& h : call->hashes) inflight->Remove(h);
      if (call->status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++stats->busy_retries;
        not_before[j] = Clock::now() + std::chrono::milliseconds(5);
        continue;
      }
      std::string reason = wallet::ReasonOf(call->status);
      refused(reason.empty() ? call->status.error_message() : reason);
      not_before[j] = Clock::now() + std::chrono::milliseconds(50);
      if (call->status.error_code() == grpc::StatusCode::UNAVAILABLE) node_gone = true;
      continue;
    }
    if (!batched) {
      ++nonces[call->who[0]];
      ++stats->submitted;
      continue;
    }
    const auto& results = call->batch_resp.results();
    for (size_t i = 0; i < call->who.size(); ++i) {
      if (i < static_cast<size_t>(results.size()) && results[static_cast<int>(i)].accepted()) {
        ++nonces[call->who[i]];
        ++stats->submitted;
        continue;
      }
      inflight->Remove(call->hashes[i]);
      const std::string reason = i < static_cast<size_t>(results.size())
                                     ? results[static_cast<int>(i)].reason()
                                     : std::string("MISSING_RESULT");
      if (IsPoolBusy(reason)) {
        ++stats->busy_retries;
        not_before[j] = Clock::now() + std::chrono::milliseconds(5);
      } else {
        refused(reason);
        not_before[j] = Clock::now() + std::chrono::milliseconds(50);
      }
    }
  }
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

int Run(const Options& o) {
  InitCrypto();
  // As in hitod (node/rpc/server.cc): no deadlock-cycle graph on gRPC's every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  for (const std::string& n : o.targets) {
    if (!IsLoopback(n)) Die("node " + n + " is not a loopback address (127.x, localhost, [::1])");
  }
  auto seed = wallet::ReadSeedFile(o.seed_file);
  if (!seed.ok()) Die(seed.status().ToString());
  Ed25519PrivateKey dev = Ed25519PrivateKey::FromSeed(*seed);
  SecureWipe(seed->data(), seed->size());

  wallet::NodeClient client(o.node);
  auto st = client.GetStatus();
  if (!st.ok()) Die(st.status().ToString());
  const std::string chain_id = st->chain_id();
  auto dev_acct = client.GetAccount(wallet::AddressOf(dev.public_key()));
  if (!dev_acct.ok()) Die(dev_acct.status().ToString());

  std::vector<Ed25519PrivateKey> senders;
  for (uint32_t i = 0; i < o.senders; ++i) senders.push_back(Ed25519PrivateKey::Generate());
  uint64_t each = std::min<uint64_t>(10'000'000'000ull, dev_acct->balance() / (2 * o.senders + 2));
  if (each < 1'000'000) Die("the dev account cannot fund that many senders");
  FundSenders(client, chain_id, dev, senders, each);
  // The other nodes must have the funding block too before they get transfers.
  for (size_t n = 1; n < o.targets.size(); ++n) {
    wallet::NodeClient other(o.targets[n]);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto a = other.GetAccount(wallet::AddressOf(senders.back().public_key()));
      if (a.ok() && a->balance() >= each) break;
      if (Clock::now() > deadline) Die("node " + o.targets[n] + " did not see the funding");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::vector<types::AccountId> receivers(1024);
  for (size_t i = 0; i < receivers.size(); ++i) {
    receivers[i] = DomainHash("hito/v1/loadgen-receiver", AsBytes(std::to_string(i)));
  }

  // With --count, every transfer is built and signed before the clock starts, so the
  // generator's signing does not compete with the node for the CPU during the window.
  // presigned[i][n] is sender i's transfer with nonce n.
  std::vector<std::vector<Bytes>> presigned(senders.size());
  if (o.count > 0) {
    std::mt19937_64 rng(42);
    for (uint64_t n = 0; n < o.count; ++n) {
      size_t i = n % senders.size();
      presigned[i].push_back(Transfer(chain_id, senders[i], presigned[i].size(),
                                      receivers[rng() % receivers.size()], 1 + rng() % 1000, o.fee,
                                      std::string(o.memo_bytes, 'm')));
    }
  }

  st = client.GetStatus();
  if (!st.ok()) Die(st.status().ToString());
  const Clock::time_point end = Clock::now() + std::chrono::seconds(o.duration_s);
  nlohmann::ordered_json summary =
      RunLoad(o.node, st->height() + 1, o.threads, std::chrono::seconds(o.drain_s),
              [&](uint32_t t, Inflight* inflight, CommitStats* stats) {
                SubmitLoop(o, t, chain_id, senders, receivers, presigned, end, inflight, stats);
              });

  nlohmann::ordered_json j;
  j["node"] = o.node;
  j["nodes"] = o.targets;
  j["batch"] = o.batch;
  j["chain_id"] = chain_id;
  j["senders"] = o.senders;
  j["threads"] = o.threads;
  j["max_inflight"] = o.max_inflight;
  j.update(summary);
  PrintSummary(j, "transfers", o.json);
  return j["committed"].get<uint64_t>() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace hito::loadgen

int main(int argc, char** argv) {
  hito::loadgen::Options o;
  CLI::App app{"hito_loadgen: committed transfers/s and commit latency of a local hitod"};
  app.add_option("--node", o.node, "hitod gRPC address (loopback only)")->capture_default_str();
  app.add_option("--seed-file", o.seed_file, "dev account seed (hitod dev writes <home>/dev.key)")
      ->required();
  app.add_option("--senders", o.senders, "sender accounts")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "submitting threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "seconds of submitting")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  app.add_option("--count", o.count, "stop after this many transfers (0: duration only)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--max-inflight", o.max_inflight, "submitted but not yet committed, at most")
      ->check(CLI::Range(1, 200000))
      ->capture_default_str();
  app.add_option("--fee", o.fee, "fee per transfer, base units")->capture_default_str();
  app.add_option("--memo-bytes", o.memo_bytes,
                 "memo length of every load transfer (256, the limit: the largest transfers)")
      ->check(CLI::Range(uint32_t{0}, static_cast<uint32_t>(hito::consensus::types::kMemoMaxLen)))
      ->capture_default_str();
  app.add_option("--drain", o.drain_s, "seconds to wait for the last commits")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  app.add_option("--nodes", o.nodes,
                 "comma-separated gRPC addresses of several nodes of one chain; senders are "
                 "spread over them, funding and the block stream use the first");
  app.add_option("--batch", o.batch,
                 "transfers per SubmitTransactions call (1: one SubmitTransaction per transfer)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_flag("--json", o.json, "print the summary as JSON");
  CLI11_PARSE(app, argc, argv);
  if (!o.nodes.empty()) {
    o.targets = hito::loadgen::SplitList(o.nodes);
    if (o.targets.empty()) {
      std::cerr << "error: --nodes lists no address\n";
      return 1;
    }
    o.node = o.targets[0];
  } else {
    o.targets.push_back(o.node);
  }
  if (o.threads > o.senders) o.threads = o.senders;
  return hito::loadgen::Run(o);
}
