#include "tests/support/keys.h"

#include <utility>

#include "base/assert.h"

namespace hito::testing {

namespace types = consensus::types;

Ed25519PrivateKey KeyFor(uint8_t n) {
  Ed25519Seed seed{};
  seed.fill(n);
  seed[0] = 0x5e;
  return Ed25519PrivateKey::FromSeed(seed);
}

types::AccountId AccountOf(const Ed25519PrivateKey& key) {
  return types::AccountIdFromPublicKey(key.public_key());
}

Ed25519PrivateKey ValidatorKey(size_t i) {
  HITO_ASSERT(i < 156);
  return KeyFor(static_cast<uint8_t>(100 + i));
}

types::ValidatorSet ValidatorSetOf(const std::vector<size_t>& ids) {
  std::vector<types::Validator> vs;
  for (size_t i : ids) vs.push_back({ValidatorKey(i).public_key(), 1});
  return types::ValidatorSet::Create(std::move(vs)).value();
}

types::ValidatorSet FirstValidators(size_t n) {
  std::vector<size_t> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(i);
  return ValidatorSetOf(ids);
}

}  // namespace hito::testing
