#include "tests/support/genesis.h"

#include "tests/support/keys.h"

namespace hito::testing {

consensus::ledger::Genesis MakeGenesis(const std::string& chain_id,
                                       consensus::types::ValidatorSet validators,
                                       const FundedAccounts& funded) {
  consensus::ledger::Genesis g;
  g.chain_id = chain_id;
  g.time_ms = kGenesisTimeMs;
  g.validators = std::move(validators);
  for (const auto& [n, balance] : funded) g.accounts.push_back({AccountOf(KeyFor(n)), balance});
  return g;
}

consensus::ledger::Genesis MakeGenesis(const std::string& chain_id, const FundedAccounts& funded) {
  return MakeGenesis(chain_id, FirstValidators(1), funded);
}

}  // namespace hito::testing
