// Deterministic test identities: keys from small numbers, their accounts, and the
// validator keys and sets the node and ledger tests share. The same number always gives
// the same key, so a failing test names the same validators on every run.
#ifndef HITO_TESTS_SUPPORT_KEYS_H_
#define HITO_TESTS_SUPPORT_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/ed25519.h"
#include "consensus/types/transaction.h"
#include "consensus/types/validator_set.h"

namespace hito::testing {

// A key from a small number: the seed is n repeated, its first byte 0x5e.
Ed25519PrivateKey KeyFor(uint8_t n);
consensus::types::AccountId AccountOf(const Ed25519PrivateKey& key);

// Validator i of the node tests: KeyFor(100 + i) (i < 156).
Ed25519PrivateKey ValidatorKey(size_t i);
// The set of the validators `ids` (ValidatorKey(id)), each of power 1.
consensus::types::ValidatorSet ValidatorSetOf(const std::vector<size_t>& ids);
// ValidatorSetOf({0, ..., n - 1}).
consensus::types::ValidatorSet FirstValidators(size_t n);

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_KEYS_H_
