#include "tests/unit/node/testing.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace hito::node::testing {

namespace types = consensus::types;

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "hito-node-test-XXXXXX").string();
  HITO_ASSERT(mkdtemp(tmpl.data()) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Ed25519PrivateKey KeyFor(uint8_t n) {
  Ed25519Seed seed{};
  seed.fill(n);
  seed[0] = 0x5e;
  return Ed25519PrivateKey::FromSeed(seed);
}

types::AccountId AccountOf(const Ed25519PrivateKey& key) {
  return types::AccountIdFromPublicKey(key.public_key());
}

types::Transfer MakeTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec) {
  types::Transfer t;
  t.chain_id = spec.chain_id;
  t.sender = from.public_key();
  t.nonce = spec.nonce;
  t.fee = spec.fee;
  t.to = spec.to;
  if (t.to == types::AccountId{}) t.to = AccountOf(KeyFor(200));
  t.amount = spec.amount;
  types::SignTransfer(&t, from);
  return t;
}

Bytes SignedTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec) {
  return types::EncodeTransaction(types::Transaction{MakeTransfer(from, spec)});
}

consensus::ledger::Genesis MakeGenesis(const std::string& chain_id,
                                       const std::vector<std::pair<uint8_t, uint64_t>>& funded) {
  consensus::ledger::Genesis g;
  g.chain_id = chain_id;
  g.time_ms = 1'700'000'000'000;
  g.validators = types::ValidatorSet::Create({{KeyFor(100).public_key(), 1}}).value();
  for (const auto& [n, balance] : funded) g.accounts.push_back({AccountOf(KeyFor(n)), balance});
  return g;
}

}  // namespace hito::node::testing
