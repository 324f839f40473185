#include "node/io/durable_signer.h"

#include <tuple>

#include "base/hash.h"
#include "consensus/types/codec.h"

namespace hito::node::io {

namespace types = consensus::types;

namespace {
constexpr uint8_t kSignStateVersionNoLock = 1;
constexpr uint8_t kSignStateVersion = 2;
}  // namespace

Hash32 SignBytesHash(ByteView sign_bytes) { return DomainHash("hito/v1/signer-bytes", sign_bytes); }

Bytes EncodeSignState(const SignState& s) {
  types::Writer w;
  // Version 1 without a lock, version 2 with one: each state has exactly one encoding.
  w.U8(s.has_lock ? kSignStateVersion : kSignStateVersionNoLock);
  w.Bool(!s.empty);
  w.U64(s.height);
  w.U32(s.round);
  w.U8(static_cast<uint8_t>(s.step));
  w.Fixed(s.sign_bytes_hash);
  w.Fixed(s.signature);
  if (s.has_lock) {
    w.U32(s.lock_round);
    w.Fixed(s.lock_block_hash);
  }
  Bytes body = std::move(w).bytes();
  // A checksum so a damaged record is reported rather than misread.
  const Hash32 check = DomainHash("hito/v1/signer-state", body);
  body.insert(body.end(), check.begin(), check.begin() + 8);
  return body;
}

Result<SignState> DecodeSignState(ByteView bytes) {
  if (bytes.size() < 8) return DataLossError("signer state: file too short");
  ByteView body = bytes.first(bytes.size() - 8);
  const Hash32 check = DomainHash("hito/v1/signer-state", body);
  if (!std::equal(check.begin(), check.begin() + 8, bytes.end() - 8)) {
    return DataLossError("signer state: checksum mismatch");
  }
  types::Reader r(body);
  SignState s;
  uint8_t version = 0, step = 0;
  bool present = false;
  HITO_RETURN_IF_ERROR(r.U8("signer state version", &version));
  if (version != kSignStateVersion && version != kSignStateVersionNoLock) {
    return DataLossError("signer state: unknown version " + std::to_string(version));
  }
  HITO_RETURN_IF_ERROR(r.Bool("signer state present", &present));
  HITO_RETURN_IF_ERROR(r.U64("signer state height", &s.height));
  HITO_RETURN_IF_ERROR(r.U32("signer state round", &s.round));
  HITO_RETURN_IF_ERROR(r.U8("signer state step", &step));
  if (step < 1 || step > 3) return DataLossError("signer state: bad step");
  s.step = static_cast<SignStep>(step);
  HITO_RETURN_IF_ERROR(r.Fixed("signer state hash", &s.sign_bytes_hash));
  HITO_RETURN_IF_ERROR(r.Fixed("signer state signature", &s.signature));
  if (version == kSignStateVersion) {
    if (!present) return DataLossError("signer state: lock without a signature");
    s.has_lock = true;
    HITO_RETURN_IF_ERROR(r.U32("signer state lock round", &s.lock_round));
    HITO_RETURN_IF_ERROR(r.Fixed("signer state lock block", &s.lock_block_hash));
  }
  HITO_RETURN_IF_ERROR(r.ExpectEnd("signer state"));
  s.empty = !present;
  return s;
}

Result<std::unique_ptr<DurableSigner>> DurableSigner::Open(Env* env, std::string state_path,
                                                           Ed25519PrivateKey key,
                                                           std::string chain_id) {
  std::unique_ptr<DurableSigner> signer(
      new DurableSigner(env, std::move(state_path), std::move(key), std::move(chain_id)));
  if (env->FileExists(signer->path_)) {
    HITO_ASSIGN_OR_RETURN(Bytes bytes, env->ReadFile(signer->path_));
    auto state = DecodeSignState(bytes);
    if (!state.ok()) return state.status().WithContext(signer->path_);
    MutexLock lock(signer->mu_);  // not shared yet; taken so the analysis sees it
    signer->last_ = *state;
  }
  return signer;
}

SignState DurableSigner::last() const {
  MutexLock lock(mu_);
  return last_;
}

Result<Ed25519Signature> DurableSigner::Sign(uint64_t height, uint32_t round, SignStep step,
                                             const Bytes& sign_bytes,
                                             const std::optional<Hash32>& locks) {
  MutexLock lock(mu_);
  const Hash32 hash = SignBytesHash(sign_bytes);
  if (!last_.empty) {
    const auto next = std::make_tuple(height, round, static_cast<uint8_t>(step));
    const auto prev = std::make_tuple(last_.height, last_.round, static_cast<uint8_t>(last_.step));
    if (next < prev) {
      return FailedPreconditionError("refusing to sign height " + std::to_string(height) +
                                     " round " + std::to_string(round) +
                                     ": already signed height " + std::to_string(last_.height) +
                                     " round " + std::to_string(last_.round));
    }
    if (next == prev) {
      if (hash == last_.sign_bytes_hash) return last_.signature;  // the same message again
      return FailedPreconditionError("refusing to sign a conflicting message at height " +
                                     std::to_string(height) + " round " + std::to_string(round));
    }
  }
  SignState next_state;
  next_state.empty = false;
  next_state.height = height;
  next_state.round = round;
  next_state.step = step;
  next_state.sign_bytes_hash = hash;
  next_state.signature = key_.Sign(sign_bytes);
  if (!last_.empty && last_.height == height && last_.has_lock) {
    next_state.has_lock = true;
    next_state.lock_round = last_.lock_round;
    next_state.lock_block_hash = last_.lock_block_hash;
  }
  if (locks) {
    next_state.has_lock = true;
    next_state.lock_round = round;
    next_state.lock_block_hash = *locks;
  }
  // Durable before the signature is released: this is the whole point of the class.
  HITO_RETURN_IF_ERROR(WriteFileAtomic(env_, path_, EncodeSignState(next_state)));
  last_ = next_state;
  return next_state.signature;
}

Status DurableSigner::SignProposal(types::Proposal* p) {
  if (p->proposer != key_.public_key()) {
    return InvalidArgumentError("proposal names another proposer");
  }
  HITO_ASSIGN_OR_RETURN(p->signature,
                        Sign(p->height, p->round, SignStep::kPropose,
                             types::ProposalSigningBytes(chain_id_, *p), std::nullopt));
  return Status::Ok();
}

Status DurableSigner::SignVote(types::Vote* v) {
  if (v->validator != key_.public_key())
    return InvalidArgumentError("vote names another validator");
  const SignStep step =
      v->type == types::VoteType::kPrevote ? SignStep::kPrevote : SignStep::kPrecommit;
  HITO_ASSIGN_OR_RETURN(v->signature,
                        Sign(v->height, v->round, step, types::VoteSigningBytes(chain_id_, *v),
                             step == SignStep::kPrecommit ? v->block_hash : std::nullopt));
  return Status::Ok();
}

}  // namespace hito::node::io
