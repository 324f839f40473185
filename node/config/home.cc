#include "node/config/home.h"

#include <sys/stat.h>

#include "base/bech32m.h"
#include "base/bytes.h"
#include "base/hex.h"
#include "consensus/types/codec.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "node/config/dedup_keys.h"
#include "node/config/genesis_json.h"
#include "node/config/test_identities.h"

namespace hito::node::config {

namespace ledger = consensus::ledger;
namespace types = consensus::types;

Result<Ed25519PrivateKey> ReadSeedFile(const std::filesystem::path& path) {
  HITO_ASSIGN_OR_RETURN(Ed25519Seed seed, ::hito::ReadSeedFile(path));
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(seed);
  SecureWipe(seed.data(), seed.size());
  return key;
}

Status ValidateNewChainId(std::string_view chain_id) {
  if (chain_id.empty() || chain_id.size() > types::kChainIdMaxLen) {
    return InvalidArgumentError("chain id must be 1.." + std::to_string(types::kChainIdMaxLen) +
                                " bytes");
  }
  // Headers and transactions carry it, and their decoders accept only [a-z0-9-].
  return types::ValidateChainId("chain id", chain_id);
}

Status CreateEmptyPrivateDir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec)) {
      return AlreadyExistsError(dir.string() + " exists and is not a directory");
    }
    if (!std::filesystem::is_empty(dir, ec)) {
      return AlreadyExistsError("refusing to overwrite: " + dir.string() + " is not empty");
    }
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  return Status::Ok();
}

void DevPersonhood(const Ed25519PublicKey& attester, ledger::Genesis* g) {
  g->attesters = {attester};
  g->params.epoch_blocks = kDevEpochBlocks;
  g->registry.cohort_bits = kDevCohortBits;
  g->registry.claim_window = kDevClaimWindow;
  // ~97 days of 8-second epochs, and far more registrations than a load test makes.
  g->registry.max_attestation_epochs = uint64_t{1} << 20;
  g->registry.attester_quota_per_epoch = 1'000'000;
  g->ubi = ledger::UbiParams{};
  g->governance = ledger::GovernanceParams{};
  g->governance->round_epochs = kDevRoundEpochs;
}

namespace {

// The dev chain's one validator gets the whole dedup key (1 of 1), dealt here.
Status DealDevDedupKey(const HomePaths& p, const Ed25519PublicKey& validator, ledger::Genesis* g) {
  HITO_ASSIGN_OR_RETURN(DealtDedupKeys dealt, DealDedupKeys({validator}, DealtThreshold(1)));
  const Status written = WriteDedupShareFile(p.dedup_share(), dealt.shares[0].secret);
  dealt.Wipe();
  HITO_RETURN_IF_ERROR(written);
  g->dedup_keys = std::move(dealt.keys);
  return Status::Ok();
}

}  // namespace

Result<InitResult> InitHome(const std::filesystem::path& home, const InitOptions& options) {
  HITO_RETURN_IF_ERROR(ValidateConfig(options.config));
  HITO_RETURN_IF_ERROR(ValidateTestRegistryOptions(options.test_registry));
  if (!options.dev_account && options.test_registry.identities > 0) {
    return InvalidArgumentError("test identities need the dev attester (a dev chain)");
  }
  HITO_RETURN_IF_ERROR(ValidateNewChainId(options.chain_id));
  HITO_RETURN_IF_ERROR(CreateEmptyPrivateDir(home));
  HomePaths p{home};

  Ed25519PrivateKey validator = Ed25519PrivateKey::Generate();
  HITO_RETURN_IF_ERROR(WriteSeedFile(p.validator_key(), validator.seed()));

  ledger::Genesis g;
  g.chain_id = options.chain_id;
  g.time_ms = GenesisTimeMsOrNow(options.genesis_time_ms);
  HITO_ASSIGN_OR_RETURN(g.validators, types::ValidatorSet::Create({{validator.public_key(), 1}}));
  InitResult out;
  types::AccountId validator_account = types::AccountIdFromPublicKey(validator.public_key());
  out.validator_address = EncodeAddress(validator_account);
  g.accounts.push_back({validator_account, kInitBalance});
  if (options.dev_account) {
    Ed25519PrivateKey dev = Ed25519PrivateKey::Generate();
    HITO_RETURN_IF_ERROR(WriteSeedFile(p.dev_key(), dev.seed()));
    types::AccountId dev_account = types::AccountIdFromPublicKey(dev.public_key());
    out.dev_address = EncodeAddress(dev_account);
    g.accounts.push_back({dev_account, kInitBalance});
    Ed25519PrivateKey attester = Ed25519PrivateKey::Generate();
    HITO_RETURN_IF_ERROR(WriteSeedFile(p.attester_key(), attester.seed()));
    out.attester_public_key = HexEncode(attester.public_key());
    DevPersonhood(attester.public_key(), &g);
    HITO_RETURN_IF_ERROR(DealDevDedupKey(p, validator.public_key(), &g));
    HITO_RETURN_IF_ERROR(AddTestRegistry(options.test_registry, &g));
    if (!g.identities.empty()) {
      HITO_RETURN_IF_ERROR(WriteTestIdentitySecrets(p.test_identities(), g.identities.size()));
    }
  }
  for (const ledger::GenesisAccount& a : options.accounts) g.accounts.push_back(a);

  HITO_RETURN_IF_ERROR(WriteFile(p.genesis(), GenesisToJson(g)));
  HITO_RETURN_IF_ERROR(WriteFile(p.config(), ConfigToToml(options.config)));
  return out;
}

}  // namespace hito::node::config
