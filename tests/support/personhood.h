// Personhood fixtures for node tests: a genesis with an attester and citizens registered
// at genesis (so they claim from epoch 0), each citizen's secret, and a citizen's UBI
// claim or governance ballot proved against its cohort's snapshot in a ledger state.
#ifndef HITO_TESTS_SUPPORT_PERSONHOOD_H_
#define HITO_TESTS_SUPPORT_PERSONHOOD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/governance.h"
#include "consensus/types/personhood.h"
#include "consensus/types/transaction.h"
#include "tests/support/genesis.h"
#include "zk/scalar.h"

namespace hito::testing {

// A genesis as MakeGenesis(chain_id, funded), plus the attester KeyFor(101) and
// `citizens` genesis identities (secret CitizenSecret(i) at index i), in cohorts of
// 2^cohort_bits (16: proofs with m = 2, fast to make), claimable from epoch 0.
struct PersonhoodSpec {
  uint32_t citizens = 20;
  uint8_t cohort_bits = 4;
  uint64_t epoch_blocks = 1000;
  uint64_t claim_window = 4;
  uint32_t max_claims_per_block = 2048;
};
consensus::ledger::Genesis MakePersonhoodGenesis(const std::string& chain_id,
                                                 const FundedAccounts& funded,
                                                 const PersonhoodSpec& spec = {});
zk::Scalar CitizenSecret(uint64_t i);
// Citizen i's claim for `epoch` to `recipient`, proved against its cohort's snapshot of
// that epoch in `state` (fresh randomness: two calls give two nullifier-equal claims).
consensus::types::Claim MakeClaim(const consensus::ledger::KvReader& state,
                                  const std::string& chain_id, uint64_t i, uint64_t epoch,
                                  const consensus::types::AccountId& recipient);
Bytes EncodeClaim(const consensus::types::Claim& claim);

// Citizen i's ballot in the round open in `state` (or `round`), declared for `cohort`
// (default: its own), proved against `set_cohort`'s snapshot (default: its own) of the
// open round's first epoch in the context of `context_round` (default: the ballot's
// round). The overrides make dishonest ballots for negative tests.
struct BallotOverrides {
  std::optional<uint64_t> round;
  std::optional<uint32_t> cohort;
  std::optional<uint32_t> set_cohort;
  std::optional<uint64_t> context_round;
};
consensus::types::Ballot MakeBallot(const consensus::ledger::KvReader& state,
                                    const std::string& chain_id, uint64_t i,
                                    std::vector<consensus::types::BallotEntry> entries,
                                    const BallotOverrides& o = {});

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_PERSONHOOD_H_
