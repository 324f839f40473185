// DurableSigner: the validator's signer of proposals and votes, which never signs twice.
//
// Before a signature leaves this class, the signer durably records the last signed
// (height, round, step) with a hash of the signed bytes and the signature (a file written
// atomically: temp file, fsync, rename, fsync of the directory). It refuses anything at
// a lower (height, round, step), and anything different at the same one; asked to sign
// the very same bytes again (a restart replaying its WAL) it returns the recorded
// signature. So a crash at any point can never make the validator equivocate. The record
// also carries the lock (the last non-nil precommit of the height), so a restart restores
// it even when the WAL lost it. A failure to persist returns an error and no signature.
// Thread-safe.
#ifndef HITO_NODE_IO_DURABLE_SIGNER_H_
#define HITO_NODE_IO_DURABLE_SIGNER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/ed25519.h"
#include "base/mutex.h"
#include "base/status.h"
#include "consensus/types/vote.h"
#include "node/io/env.h"

namespace hito::node::io {

// Order of steps within a round, as the paper's: propose < prevote < precommit.
enum class SignStep : uint8_t { kPropose = 1, kPrevote = 2, kPrecommit = 3 };

struct SignState {
  uint64_t height = 0;
  uint32_t round = 0;
  SignStep step = SignStep::kPropose;
  Hash32 sign_bytes_hash{};
  Ed25519Signature signature{};
  bool empty = true;  // nothing signed yet
  // The lock at `height`: the round and block of the last non-nil precommit signed at
  // that height (kept across later signatures of the same height, cleared by the first
  // signature of a higher one). The WAL may lose it to a cut tail; this record cannot.
  bool has_lock = false;
  uint32_t lock_round = 0;
  Hash32 lock_block_hash{};
};

// Version 1 when there is no lock (the format before the lock was kept), version 2 (the
// same fields, then the lock's round and block hash) when there is one.
Bytes EncodeSignState(const SignState& s);
Result<SignState> DecodeSignState(ByteView bytes);

// The hash a SignState keeps of the signed bytes (sign_bytes_hash).
Hash32 SignBytesHash(ByteView sign_bytes);

class DurableSigner {
 public:
  // Loads the record at `state_path` (a missing file means nothing was signed; a present
  // but unreadable one is an error: the operator must look, not the node guess).
  static Result<std::unique_ptr<DurableSigner>> Open(Env* env, std::string state_path,
                                                     Ed25519PrivateKey key, std::string chain_id);

  const Ed25519PublicKey& public_key() const { return key_.public_key(); }

  // Fill in the signature. kFailedPrecondition (reason in the message) on a conflict.
  Status SignProposal(consensus::types::Proposal* p);
  Status SignVote(consensus::types::Vote* v);

  SignState last() const;

 private:
  DurableSigner(Env* env, std::string path, Ed25519PrivateKey key, std::string chain_id)
      : env_(env), path_(std::move(path)), key_(std::move(key)), chain_id_(std::move(chain_id)) {}
  // `locks` is the block of a non-nil precommit.
  Result<Ed25519Signature> Sign(uint64_t height, uint32_t round, SignStep step,
                                const Bytes& sign_bytes, const std::optional<Hash32>& locks);

  Env* env_;
  std::string path_;
  Ed25519PrivateKey key_;
  std::string chain_id_;
  mutable Mutex mu_;
  SignState last_ GUARDED_BY(mu_);
};

}  // namespace hito::node::io

#endif  // HITO_NODE_IO_DURABLE_SIGNER_H_
