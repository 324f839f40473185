#include "node/rpc/dedup.h"

#include <algorithm>
#include <utility>

#include "base/assert.h"
#include "base/hex.h"
#include "consensus/ledger/registry.h"
#include "consensus/types/dedup_request.h"
#include "node/rpc/errors.h"

namespace hito::node::rpc {
namespace {

namespace ledger = consensus::ledger;
namespace registry = consensus::ledger::registry;
namespace types = consensus::types;
namespace pb = hito::v1;

std::string AsString(ByteView b) { return std::string(AsChars(b)); }

template <size_t N>
grpc::Status FixedField(const std::string& bytes, std::string_view field,
                        std::array<uint8_t, N>* out) {
  if (bytes.size() != N) {
    return InvalidArgument(std::string(field) + " must be " + std::to_string(N) + " bytes, got " +
                           std::to_string(bytes.size()));
  }
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return grpc::Status::OK;
}

grpc::Status Refuse(std::string_view reason, const std::string& message,
                    const std::map<std::string, std::string>& md = {}) {
  return RpcError(grpc::StatusCode::FAILED_PRECONDITION, reason, message, md);
}

}  // namespace

DedupQuota::Taken DedupQuota::Take(const Ed25519PublicKey& attester, uint64_t epoch,
                                   uint32_t per_epoch) {
  MutexLock lock(mu_);
  if (epoch > epoch_) {
    epoch_ = epoch;
    counts_.clear();
  }
  // The caller's epoch never runs behind the latest seen by more than a racing read; such
  // a request is counted in the latest epoch.
  Count& c = counts_[attester];
  if (c.evaluations >= per_epoch) {
    ++c.refused;
    return {false, c.evaluations};
  }
  ++c.evaluations;
  return {true, c.evaluations};
}

std::map<Ed25519PublicKey, DedupQuota::Count> DedupQuota::Counts(uint64_t epoch) const {
  MutexLock lock(mu_);
  if (epoch != epoch_) return {};
  return counts_;
}

// ---------------------------------------------------------------------------------------

DedupRpc::DedupRpc(std::string chain_id, const store::Store* store,
                   const dedup::DedupKeyring* keyring)
    : chain_id_(std::move(chain_id)), store_(store), keyring_(keyring) {}

std::shared_ptr<const dedup::DedupKeys> DedupRpc::Keys() const {
  return keyring_ != nullptr ? keyring_->Current() : nullptr;
}

grpc::Status DedupRpc::Disabled() const {
  return Refuse("DEDUP_DISABLED",
                "this chain holds no dedup key set (none in genesis, or its distributed key "
                "generation has not formed one yet)");
}

grpc::Status DedupRpc::Current(Epoch* out) const {
  std::shared_ptr<const store::StateView> state = store_->State();
  const ledger::Ledger l(chain_id_, state.get());
  Result<ledger::Params> params = l.GetParams();
  if (!params.ok()) return InternalRpcError(params.status());
  Result<std::optional<ledger::RegistryParams>> rp = l.GetRegistryParams();
  if (!rp.ok()) return InternalRpcError(rp.status());
  out->epoch = ledger::EpochOf(*params, state->height());
  // Without a registry no attester is accredited, so no quota is ever reached.
  out->quota_per_epoch = *rp ? (*rp)->dedup_quota_per_epoch : ledger::kDefaultDedupQuotaPerEpoch;
  HITO_ASSERT(out->quota_per_epoch >= ledger::kDedupQuotaPerEpochMin);
  return grpc::Status::OK;
}

grpc::Status DedupRpc::GetKeys(const pb::GetDedupKeysRequest&,
                               pb::GetDedupKeysResponse* resp) const {
  const std::shared_ptr<const dedup::DedupKeys> current = Keys();
  if (!current) return Disabled();
  const ledger::DedupKeySet& keys = current->keys;
  Epoch now;
  if (grpc::Status s = Current(&now); !s.ok()) return s;
  resp->set_group_key(AsString(keys.group_key));
  resp->set_threshold(keys.threshold);
  std::vector<ledger::DedupValidatorShare> shares = keys.shares;
  std::sort(shares.begin(), shares.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  for (const ledger::DedupValidatorShare& s : shares) {
    pb::DedupValidatorKey* v = resp->add_validators();
    v->set_validator(AsString(s.validator));
    v->set_index(s.index);
    v->set_public_share(AsString(s.public_share));
  }
  resp->set_quota_per_epoch(now.quota_per_epoch);
  resp->set_epoch(now.epoch);
  resp->set_this_index(current->share ? current->share->index : 0);
  return grpc::Status::OK;
}

grpc::Status DedupRpc::CheckRequest(const pb::DedupEvaluateRequest& req, uint64_t epoch,
                                    Ed25519PublicKey* attester, zk::Point* blinded) const {
  types::DedupEvalRequest r;
  r.chain_id = chain_id_;
  r.epoch = req.epoch();
  r.nonce = req.nonce();
  if (auto s = FixedField(req.attester(), "attester", &r.attester); !s.ok()) return s;
  if (auto s = FixedField(req.blinded_element(), "blinded_element", &r.blinded_element); !s.ok())
    return s;
  if (auto s = FixedField(req.signature(), "signature", &r.signature); !s.ok()) return s;
  Result<zk::Point> b = zk::Point::Decode(r.blinded_element);
  if (!b.ok() || b->IsIdentity()) {
    return InvalidArgument("blinded_element is not a canonical non-identity ristretto255 element");
  }
  if (!types::VerifyDedupEvalRequest(r)) {
    return Refuse("DEDUP_BAD_SIGNATURE", "the request's signature does not verify for attester " +
                                             HexEncode(r.attester) + " on chain " + chain_id_);
  }
  std::shared_ptr<const store::StateView> state = store_->State();
  const ledger::RegistryStore rs(state.get());
  Result<bool> accredited = registry::IsAttester(rs, r.attester);
  if (!accredited.ok()) return InternalRpcError(accredited.status());
  if (!*accredited) {
    return Refuse("DEDUP_NOT_ACCREDITED", HexEncode(r.attester) +
                                              " is not an accredited attester at height " +
                                              std::to_string(state->height()));
  }
  if (r.epoch + 1 < epoch || r.epoch > epoch + 1) {
    return Refuse("DEDUP_WRONG_EPOCH",
                  "request for epoch " + std::to_string(r.epoch) + "; the current epoch is " +
                      std::to_string(epoch),
                  {{"epoch", std::to_string(epoch)}});
  }
  *attester = r.attester;
  *blinded = *b;
  return grpc::Status::OK;
}

grpc::Status DedupRpc::Count(grpc::Status s) {
  if (!s.ok()) refused_total_.fetch_add(1);
  return s;
}

grpc::Status DedupRpc::Evaluate(const pb::DedupEvaluateRequest& req,
                                pb::DedupEvaluateResponse* resp) {
  const std::shared_ptr<const dedup::DedupKeys> current = Keys();
  if (!current) return Count(Disabled());
  if (!current->share) {
    return Count(Refuse("DEDUP_NO_SHARE", "this node holds no share of the dedup key"));
  }
  const zk::oprf::KeyShare& my_share = *current->share;
  Epoch now;
  if (grpc::Status s = Current(&now); !s.ok()) return Count(s);
  const uint64_t epoch = now.epoch;
  Ed25519PublicKey attester{};
  zk::Point blinded;
  if (grpc::Status s = CheckRequest(req, epoch, &attester, &blinded); !s.ok()) return Count(s);
  const DedupQuota::Taken taken = quota_.Take(attester, epoch, now.quota_per_epoch);
  if (!taken.granted) {
    return Count(RpcError(grpc::StatusCode::RESOURCE_EXHAUSTED, "DEDUP_QUOTA_EXHAUSTED",
                          "attester " + HexEncode(attester) + " has used its " +
                              std::to_string(now.quota_per_epoch) + " evaluations of epoch " +
                              std::to_string(epoch),
                          {{"epoch", std::to_string(epoch)}}));
  }
  Result<zk::oprf::EvaluationShare> share = zk::oprf::PartialEvaluate(my_share, blinded);
  if (!share.ok()) return Count(InternalRpcError(share.status()));
  const auto encoded = share->Encode();
  resp->set_index(my_share.index);
  resp->set_share(AsString(encoded));
  resp->set_epoch(epoch);
  resp->set_used(taken.used);
  evaluations_total_.fetch_add(1);
  return grpc::Status::OK;
}

grpc::Status DedupRpc::GetStatus(const pb::GetDedupStatusRequest& req,
                                 pb::GetDedupStatusResponse* resp) const {
  const std::shared_ptr<const dedup::DedupKeys> current = Keys();
  if (!current) return Disabled();
  std::optional<Ed25519PublicKey> only;
  if (!req.attester().empty()) {
    Ed25519PublicKey k{};
    if (auto s = FixedField(req.attester(), "attester", &k); !s.ok()) return s;
    only = k;
  }
  Epoch now;
  if (grpc::Status s = Current(&now); !s.ok()) return s;
  resp->set_epoch(now.epoch);
  resp->set_index(current->share ? current->share->index : 0);
  resp->set_quota_per_epoch(now.quota_per_epoch);
  for (const auto& [attester, count] : quota_.Counts(now.epoch)) {
    if (only && attester != *only) continue;
    pb::DedupAttesterCount* c = resp->add_attesters();
    c->set_attester(AsString(attester));
    c->set_evaluations(count.evaluations);
    c->set_refused_quota(count.refused);
  }
  resp->set_evaluations_total(evaluations_total_.load());
  resp->set_refused_total(refused_total_.load());
  return grpc::Status::OK;
}

}  // namespace hito::node::rpc
