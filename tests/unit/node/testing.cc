#include "tests/unit/node/testing.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "consensus/ledger/registry.h"
#include "consensus/types/personhood.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"

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

consensus::ledger::Genesis MakePersonhoodGenesis(
    const std::string& chain_id, const std::vector<std::pair<uint8_t, uint64_t>>& funded,
    const PersonhoodSpec& spec) {
  consensus::ledger::Genesis g = MakeGenesis(chain_id, funded);
  g.params.epoch_blocks = spec.epoch_blocks;
  g.attesters = {KeyFor(101).public_key()};
  g.registry.cohort_bits = spec.cohort_bits;
  g.registry.claim_window = spec.claim_window;
  g.ubi.max_claims_per_block = spec.max_claims_per_block;
  for (uint32_t i = 0; i < spec.citizens; ++i) {
    consensus::ledger::GenesisIdentity id;
    id.point = zk::Point::MulBase(CitizenSecret(i)).bytes();
    id.dedup_tag = types::DedupTag(types::DedupKey{1}, "citizen-" + std::to_string(i));
    id.attester = KeyFor(101).public_key();
    id.expiry_epoch = 1000;
    g.identities.push_back(id);
  }
  return g;
}

zk::Scalar CitizenSecret(uint64_t i) { return zk::Scalar::FromU64(7000 + i); }

types::Claim MakeClaim(const consensus::ledger::KvReader& state, const std::string& chain_id,
                       uint64_t i, uint64_t epoch, const types::AccountId& recipient) {
  namespace ledger = consensus::ledger;
  const ledger::RegistryStore store(&state);
  const ledger::RegistryParams rp = ledger::registry::ReadParams(store).value().value();
  types::Claim c;
  c.epoch = epoch;
  c.cohort = ledger::registry::CohortOf(rp, i);
  c.recipient = recipient;
  const Hash32 set_hash = ledger::registry::SnapshotHash(store, epoch, c.cohort).value().value();
  auto members = ledger::registry::SnapshotMembers(store, c.cohort, set_hash).value().value();
  std::vector<zk::Point> points;
  for (const auto& m : members) points.push_back(zk::Point::Decode(m).value());
  auto set = zk::proof::membership::PreparedSet::Create(points).value();
  const uint64_t position = i - (uint64_t{c.cohort} << rp.cohort_bits);
  c.proof = zk::proof::membership::Prove(set, position, CitizenSecret(i), chain_id,
                                         types::ClaimContext(epoch),
                                         types::ClaimMessage(chain_id, epoch, c.cohort, recipient))
                .value()
                .Encode();
  return c;
}

Bytes EncodeClaim(const types::Claim& claim) {
  return types::EncodeTransaction(types::Transaction{claim});
}

}  // namespace hito::node::testing
