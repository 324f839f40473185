// Helpers shared by node/ tests: temp dirs, keys, signed transfers, a genesis.
#ifndef HITO_TESTS_UNIT_NODE_TESTING_H_
#define HITO_TESTS_UNIT_NODE_TESTING_H_

#include <filesystem>
#include <string>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/transaction.h"
#include "zk/scalar.h"

namespace hito::node::testing {

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A deterministic key from a small number.
Ed25519PrivateKey KeyFor(uint8_t n);
consensus::types::AccountId AccountOf(const Ed25519PrivateKey& key);

struct TransferSpec {
  std::string chain_id = "test-chain";
  uint64_t nonce = 0;
  uint64_t fee = 1000;
  uint64_t amount = 1;
  consensus::types::AccountId to{};
};
consensus::types::Transfer MakeTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec);
Bytes SignedTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec);

// A genesis with one validator (KeyFor(100)) and the given funded keys.
consensus::ledger::Genesis MakeGenesis(const std::string& chain_id,
                                       const std::vector<std::pair<uint8_t, uint64_t>>& funded);

// Personhood: a genesis as MakeGenesis, plus the attester KeyFor(101) and `citizens`
// genesis identities (secret CitizenSecret(i) at index i), in cohorts of 2^cohort_bits
// (16: proofs with m = 2, fast to make), claimable from epoch 0.
struct PersonhoodSpec {
  uint32_t citizens = 20;
  uint8_t cohort_bits = 4;
  uint64_t epoch_blocks = 1000;
  uint64_t claim_window = 4;
  uint32_t max_claims_per_block = 2048;
};
consensus::ledger::Genesis MakePersonhoodGenesis(
    const std::string& chain_id, const std::vector<std::pair<uint8_t, uint64_t>>& funded,
    const PersonhoodSpec& spec = {});
zk::Scalar CitizenSecret(uint64_t i);
// Citizen i's claim for `epoch` to `recipient`, proved against its cohort's snapshot of
// that epoch in `state` (fresh randomness: two calls give two nullifier-equal claims).
consensus::types::Claim MakeClaim(const consensus::ledger::KvReader& state,
                                  const std::string& chain_id, uint64_t i, uint64_t epoch,
                                  const consensus::types::AccountId& recipient);
Bytes EncodeClaim(const consensus::types::Claim& claim);

}  // namespace hito::node::testing

#endif  // HITO_TESTS_UNIT_NODE_TESTING_H_
