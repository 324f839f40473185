#include "wallet/dedup_client.h"

#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <future>
#include <map>
#include <mutex>
#include <set>

#include "base/assert.h"
#include "consensus/types/dedup_request.h"
#include "hito/v1/dedup.grpc.pb.h"
#include "wallet/client.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;
namespace oprf = zk::oprf;
namespace pb = hito::v1;

// Serialises progress lines from the per-validator threads.
class Progress {
 public:
  explicit Progress(std::ostream* out) : out_(out) {}
  void Line(const std::string& s) {
    if (out_ == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    *out_ << "dedup: " << s << "\n" << std::flush;
  }

 private:
  std::ostream* out_;
  std::mutex mu_;
};

bool Retryable(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// One validator's answer, with up to opts.attempts attempts.
Result<pb::DedupEvaluateResponse> AskValidator(const std::string& addr,
                                               const pb::DedupEvaluateRequest& req,
                                               const DedupEvalOptions& opts) {
  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  auto stub = pb::DedupService::NewStub(channel);
  grpc::Status last;
  for (int attempt = 1; attempt <= opts.attempts; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + opts.attempt_timeout);
    pb::DedupEvaluateResponse resp;
    last = stub->Evaluate(&ctx, req, &resp);
    if (last.ok()) return resp;
    if (!Retryable(last)) break;
  }
  return FromGrpc(last, "validator " + addr);
}

Result<std::vector<oprf::PublicShare>> PublicShares(const pb::GetDedupKeysResponse& keys) {
  std::vector<oprf::PublicShare> out;
  for (const pb::DedupValidatorKey& v : keys.validators()) {
    if (v.index() == 0 || v.index() > oprf::kMaxParticipants) {
      return InvalidArgumentError("GetKeys: validator index out of range");
    }
    Result<zk::Point> k = zk::Point::Decode(AsBytes(v.public_share()));
    if (!k.ok()) return InvalidArgumentError("GetKeys: malformed public share");
    out.push_back({static_cast<uint16_t>(v.index()), *k});
  }
  if (keys.threshold() == 0 || keys.threshold() > out.size()) {
    return InvalidArgumentError("GetKeys: threshold outside 1..validators");
  }
  return out;
}

// Every validator asked in parallel; the decoded shares, first per index, in the order
// of opts.validators.
std::vector<oprf::EvaluationShare> Gather(const pb::DedupEvaluateRequest& req,
                                          const DedupEvalOptions& opts, Progress* progress) {
  std::vector<std::future<Result<pb::DedupEvaluateResponse>>> pending;
  for (const std::string& addr : opts.validators) {
    pending.push_back(std::async(std::launch::async,
                                 [&req, &opts, addr] { return AskValidator(addr, req, opts); }));
  }
  std::vector<oprf::EvaluationShare> shares;
  std::set<uint16_t> seen;
  for (size_t i = 0; i < pending.size(); ++i) {
    const std::string& addr = opts.validators[i];
    Result<pb::DedupEvaluateResponse> r = pending[i].get();
    if (!r.ok()) {
      progress->Line(addr + " did not answer: " + r.status().message());
      continue;
    }
    Result<oprf::EvaluationShare> s = oprf::EvaluationShare::Decode(AsBytes(r->share()));
    if (!s.ok() || s->index != r->index() || !seen.insert(s->index).second) {
      progress->Line(addr + " answered with a malformed or repeated share; left out");
      continue;
    }
    progress->Line(addr + " answered (share index " + std::to_string(s->index) + ")");
    shares.push_back(*s);
  }
  return shares;
}

}  // namespace

pb::DedupEvaluateRequest SignedDedupRequest(std::string_view chain_id, uint64_t epoch,
                                            uint64_t nonce, const Ed25519PrivateKey& attester,
                                            const zk::Point& blinded) {
  types::DedupEvalRequest r;
  r.chain_id = std::string(chain_id);
  r.blinded_element = blinded.bytes();
  r.epoch = epoch;
  r.nonce = nonce;
  types::SignDedupEvalRequest(&r, attester);
  pb::DedupEvaluateRequest req;
  req.set_attester(std::string(AsChars(r.attester)));
  req.set_blinded_element(std::string(AsChars(r.blinded_element)));
  req.set_epoch(r.epoch);
  req.set_nonce(r.nonce);
  req.set_signature(std::string(AsChars(r.signature)));
  return req;
}

Result<DedupEvalResult> EvaluateDedupTag(const pb::GetDedupKeysResponse& keys,
                                         std::string_view chain_id,
                                         const Ed25519PrivateKey& attester,
                                         const types::Handle& handle,
                                         const DedupEvalOptions& opts) {
  if (opts.validators.empty()) return InvalidArgumentError("no validators to ask");
  HITO_ASSIGN_OR_RETURN(std::vector<oprf::PublicShare> publics, PublicShares(keys));
  const auto t = static_cast<uint16_t>(keys.threshold());
  Progress progress(opts.progress);
  progress.Line("asking " + std::to_string(opts.validators.size()) + " validators (" +
                std::to_string(t) + " of " + std::to_string(publics.size()) + " needed)");
  const Bytes input = handle.Encode();
  HITO_ASSIGN_OR_RETURN(oprf::Blinded blinded, oprf::Blind(input));
  uint64_t nonce = 0;
  randombytes_buf(&nonce, sizeof(nonce));
  const pb::DedupEvaluateRequest req =
      SignedDedupRequest(chain_id, keys.epoch(), nonce, attester, blinded.element);
  std::vector<oprf::EvaluationShare> shares = Gather(req, opts, &progress);
  Result<oprf::Combined> combined = oprf::VerifyAndCombine(publics, blinded.element, shares, t);
  if (!combined.ok()) {
    blinded.Wipe();
    return FailedPreconditionError("dedup tag: " + std::to_string(shares.size()) + " of " +
                                   std::to_string(opts.validators.size()) +
                                   " validators answered, " + std::to_string(t) +
                                   " valid shares needed: " + combined.status().message());
  }
  for (uint16_t bad : combined->refused) {
    progress.Line("the share of validator index " + std::to_string(bad) +
                  " failed its proof; left out (report this validator)");
  }
  Result<oprf::Output> out = oprf::FinalizeCombined(input, blinded.blind, combined->element);
  blinded.Wipe();
  if (!out.ok()) return out.status();
  DedupEvalResult result;
  result.tag = oprf::TagOf(*out);
  result.used = combined->used;
  result.refused = combined->refused;
  result.answered = shares.size();
  return result;
}

Result<std::vector<std::string>> ParseValidatorList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string item(text.substr(start, end - start));
    if (item.empty() || item.rfind(':') == std::string::npos ||
        item.rfind(':') + 1 == item.size()) {
      return InvalidArgumentError("--validators: \"" + item +
                                  "\" is not HOST:PORT (list them separated by commas)");
    }
    out.push_back(std::move(item));
    start = end + 1;
  }
  if (out.empty()) return InvalidArgumentError("--validators: empty list");
  return out;
}

}  // namespace hito::wallet
