// Helpers shared by node/ tests: temp dirs, keys, signed transfers, a genesis.
#ifndef HITO_TESTS_UNIT_NODE_TESTING_H_
#define HITO_TESTS_UNIT_NODE_TESTING_H_

#include <filesystem>
#include <string>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/transaction.h"

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

}  // namespace hito::node::testing

#endif  // HITO_TESTS_UNIT_NODE_TESTING_H_
