// Genesis builders for ledger and node tests: a chain with a set of test validators
// (keys.h) and funded test accounts, dated kGenesisTimeMs.
#ifndef HITO_TESTS_SUPPORT_GENESIS_H_
#define HITO_TESTS_SUPPORT_GENESIS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "consensus/ledger/ledger.h"
#include "consensus/types/validator_set.h"

namespace hito::testing {

inline constexpr uint64_t kGenesisTimeMs = 1'700'000'000'000;

// (n, balance): the account of KeyFor(n) holds `balance`.
using FundedAccounts = std::vector<std::pair<uint8_t, uint64_t>>;

// A genesis with `validators` and the funded accounts.
consensus::ledger::Genesis MakeGenesis(const std::string& chain_id,
                                       consensus::types::ValidatorSet validators,
                                       const FundedAccounts& funded);
// A genesis with one validator (ValidatorKey(0), that is KeyFor(100)).
consensus::ledger::Genesis MakeGenesis(const std::string& chain_id, const FundedAccounts& funded);

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_GENESIS_H_
