// The dedup OPRF key set of a chain (ledger::DedupKeySet, in genesis.json) and each
// validator's secret share of it (`dedup.share` in its home): checking a set against the
// genesis validators, dealing one for dev and test chains, and the share file.
//
// Dealing is a trusted dealer: the process that deals knows the key k for a moment (it
// is wiped before DealDedupKeys returns) and writes every validator's share. That is for
// `hitod dev` and `hitod testnet` only; a real network runs the distributed key
// generation (docs/protocol/dkg.md), whose shares the node writes sealed
// (WriteSealedDedupShare).
//
// Functions here do file I/O where they say so and return errors as values; thread-safe.
#ifndef HITO_NODE_CONFIG_DEDUP_KEYS_H_
#define HITO_NODE_CONFIG_DEDUP_KEYS_H_

#include <cstdint>
#include <filesystem>
#include <vector>

#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/validator_set.h"
#include "zk/oprf.h"

namespace hito::node::config {

// Refuses, naming what is wrong: a threshold outside 1..number of shares; shares that are
// not exactly one per genesis validator (by key); an index outside
// 1..zk::oprf::kMaxParticipants or used twice; a group key or public share that is not a
// canonical non-identity element; a quota outside ledger::kDedupQuotaPerEpochMin..Max;
// and public shares inconsistent with the group key (the Lagrange combination at 0 of the
// first t public shares must be K, and every further K_j must lie on the same polynomial).
Status ValidateDedupKeys(const consensus::ledger::DedupKeySet& keys,
                         const consensus::types::ValidatorSet& validators);

// The threshold dev and test chains deal with for n validators: n - floor((n - 1) / 3),
// so evaluations go on with up to floor((n - 1) / 3) validators down (the number BFT
// tolerates) and fewer than t validators never hold the key: 1 of 1, 3 of 4, 5 of 7.
uint16_t DealtThreshold(size_t validators);

// A dealt key set and each validator's share (in the order of `validators`, index i + 1).
// The shares are secrets: the caller wipes them (KeyShare::Wipe) when written.
struct DealtDedupKeys {
  consensus::ledger::DedupKeySet keys;
  std::vector<zk::oprf::KeyShare> shares;
  void Wipe() {
    for (zk::oprf::KeyShare& s : shares) s.Wipe();
  }
};
// Deals a fresh random key t-of-n among `validators` (trusted dealer; see above).
Result<DealtDedupKeys> DealDedupKeys(const std::vector<Ed25519PublicKey>& validators,
                                     uint16_t threshold);

// The share held by `validator` in `keys`, or nullopt when it holds none.
std::optional<consensus::ledger::DedupValidatorShare> ShareOf(
    const consensus::ledger::DedupKeySet& keys, const Ed25519PublicKey& validator);

// The share file comes in two forms, both mode 0600:
// - dealt (hitod dev / testnet): the secret scalar k_i as 64 hex digits, like
//   validator.key;
// - sealed (a share the node combined from a DKG or resharing): the line
//   kSealedShareHeader, then the hex of k_i sealed with crypto_box_seal to the X25519 form
//   of the validator's own key, bound to the key set's group key and K_i. A copy of the
//   file alone (a backup, a support bundle) does not give the share away; with
//   validator.key beside it, it does, as the validator key does itself.
inline constexpr std::string_view kSealedShareHeader = "hito-dedup-share-sealed-v1";
Status WriteDedupShareFile(const std::filesystem::path& path, const zk::Scalar& secret);
// Replaces `path` atomically with `share` sealed to `validator_key`, bound to
// `group_key` and share.public_share.
Status WriteSealedDedupShare(const std::filesystem::path& path, const Hash32& group_key,
                             const zk::oprf::KeyShare& share,
                             const Ed25519PrivateKey& validator_key);
// Reads `path` in either form and checks it against `validator`'s public share in
// `keys`: k_i * G must be K_i (a share file from another chain, another validator or an
// earlier key set is refused). `validator_key` opens a sealed file (null: a sealed file
// is refused). The returned share is a secret: the caller wipes it.
Result<zk::oprf::KeyShare> LoadDedupShare(const std::filesystem::path& path,
                                          const consensus::ledger::DedupKeySet& keys,
                                          const Ed25519PublicKey& validator,
                                          const Ed25519PrivateKey* validator_key = nullptr);

}  // namespace hito::node::config

#endif  // HITO_NODE_CONFIG_DEDUP_KEYS_H_
