#include "consensus/types/validator_set.h"

#include <algorithm>
#include <string>

#include "base/checked.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/codec.h"
#include "consensus/types/internal.h"
#include "consensus/types/limits.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kValidatorsLabel = "hito/v1/validators";
// Total power stays below 2^62, so 3 * total (quorum arithmetic) cannot overflow.
constexpr uint64_t kTotalPowerLimit = uint64_t{1} << 62;
constexpr size_t kValidatorBytes = 32 + 8;

// Checks a list already in the order it will be used: count, power, strict key order and
// total. `what` prefixes the messages.
Status CheckCanonical(std::string_view what, const std::vector<Validator>& vs, uint64_t* total) {
  if (vs.empty()) return InvalidArgumentError(std::string(what) + ": no validators");
  if (vs.size() > kValidatorsMax) {
    return InvalidArgumentError(std::string(what) + ": " + std::to_string(vs.size()) +
                                " validators exceed the maximum of " +
                                std::to_string(kValidatorsMax));
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < vs.size(); ++i) {
    const std::string at = internal::Index(internal::Field(what, "validators"), i);
    if (vs[i].power == 0) return InvalidArgumentError(at + ".power: must be positive");
    if (i > 0 && !(vs[i - 1].public_key < vs[i].public_key)) {
      if (vs[i - 1].public_key == vs[i].public_key) {
        return InvalidArgumentError(at + ".public_key: duplicate validator " +
                                    HexEncode(vs[i].public_key));
      }
      return InvalidArgumentError(at +
                                  ".public_key: not in canonical order (public keys must be "
                                  "strictly increasing)");
    }
    std::optional<uint64_t> next = CheckedAdd(sum, vs[i].power);
    if (!next || *next >= kTotalPowerLimit) {
      return InvalidArgumentError(at + ".power: total power reaches 2^62");
    }
    sum = *next;
  }
  *total = sum;
  return Status::Ok();
}

// The list as encoded; DecodeValidatorSet checks it is canonical after.
Status ReadValidators(Reader* r, std::vector<Validator>* vs) {
  uint32_t n = 0;
  HITO_RETURN_IF_ERROR(r->Count("validator_set.count", kValidatorsMax, kValidatorBytes, &n));
  vs->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string at = internal::Index("validator_set.validators", i);
    Validator& v = (*vs)[i];
    HITO_RETURN_IF_ERROR(r->Fixed(internal::Field(at, "public_key"), &v.public_key));
    HITO_RETURN_IF_ERROR(r->U64(internal::Field(at, "power"), &v.power));
  }
  return Status::Ok();
}

}  // namespace

Result<ValidatorSet> ValidatorSet::Create(std::vector<Validator> validators) {
  std::sort(validators.begin(), validators.end(),
            [](const Validator& a, const Validator& b) { return a.public_key < b.public_key; });
  ValidatorSet set;
  HITO_RETURN_IF_ERROR(CheckCanonical("validator_set", validators, &set.total_power_));
  set.validators_ = std::move(validators);
  return set;
}

std::optional<uint32_t> ValidatorSet::IndexOf(const Ed25519PublicKey& pk) const {
  auto it = std::lower_bound(
      validators_.begin(), validators_.end(), pk,
      [](const Validator& v, const Ed25519PublicKey& key) { return v.public_key < key; });
  if (it == validators_.end() || it->public_key != pk) return std::nullopt;
  return static_cast<uint32_t>(it - validators_.begin());
}

Hash32 ValidatorSet::Hash() const {
  return DomainHash(kValidatorsLabel, EncodeValidatorSet(*this));
}

Bytes EncodeValidatorSet(const ValidatorSet& set) {
  return EncodeWith([&](Writer* w) {
    w->U32(static_cast<uint32_t>(set.size()));
    for (const Validator& v : set.validators()) {
      w->Fixed(v.public_key);
      w->U64(v.power);
    }
  });
}

Result<ValidatorSet> DecodeValidatorSet(ByteView bytes) {
  HITO_ASSIGN_OR_RETURN(std::vector<Validator> vs, DecodeWhole<std::vector<Validator>>(
                                                       bytes, "validator_set", ReadValidators));
  uint64_t total = 0;
  HITO_RETURN_IF_ERROR(CheckCanonical("validator_set", vs, &total));
  // Already canonical, so Create keeps the order and recomputes the same total.
  return ValidatorSet::Create(std::move(vs));
}

}  // namespace hito::consensus::types
