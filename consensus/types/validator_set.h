// The validator set: who may sign votes and with what voting power.
#ifndef HITO_CONSENSUS_TYPES_VALIDATOR_SET_H_
#define HITO_CONSENSUS_TYPES_VALIDATOR_SET_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"

namespace hito::consensus::types {

struct Validator {
  Ed25519PublicKey public_key{};
  uint64_t power = 0;  // > 0
  friend bool operator==(const Validator&, const Validator&) = default;
};

// Validators in canonical order: sorted by public key bytes, no duplicates, power > 0,
// total power below 2^62 so 3 * total never overflows. Index i of the set is the
// validator's position in votes and commits.
class ValidatorSet {
 public:
  ValidatorSet() = default;
  // Validates and sorts; fails on duplicates, zero power, too many or too much power.
  static Result<ValidatorSet> Create(std::vector<Validator> validators);

  const std::vector<Validator>& validators() const { return validators_; }
  size_t size() const { return validators_.size(); }
  uint64_t total_power() const { return total_power_; }
  std::optional<uint32_t> IndexOf(const Ed25519PublicKey& pk) const;
  // Smallest power strictly above two thirds of the total.
  uint64_t QuorumPower() const { return total_power_ * 2 / 3 + 1; }
  // BLAKE2b-256 "hito/v1/validators" of the canonical encoding.
  Hash32 Hash() const;

  friend bool operator==(const ValidatorSet&, const ValidatorSet&) = default;

 private:
  std::vector<Validator> validators_;
  uint64_t total_power_ = 0;
};

Bytes EncodeValidatorSet(const ValidatorSet& set);
Result<ValidatorSet> DecodeValidatorSet(ByteView bytes);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_VALIDATOR_SET_H_
