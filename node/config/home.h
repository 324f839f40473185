// The node's home folder: its paths, `hitod init`, and the validator's key file.
//
// Layout of a home (docs/operator.md):
//   config.toml     operator settings (NodeConfig, config_toml.h)
//   genesis.json    chain id, genesis time, validator set, funded accounts, params
//                   (genesis_json.h)
//   validator.key   the validator's Ed25519 seed, hex, mode 0600; never logged
//   dev.key         (dev chains only) the funded dev account's seed, hex, mode 0600
//   attester.key    (dev chains only) the dev attester's seed, hex, mode 0600
//   dedup.share     (validators of a chain with attesters) this validator's secret share
//                   of the dedup OPRF key, hex, mode 0600 (dedup_keys.h); dev and test
//                   chains deal it, a real network's comes from the DKG
//   identities.secrets  (dev chains with test identities only) their public-by-rule
//                   secrets, for load generators (test_identities.h)
//   data/           LevelDB (blocks and state)
// Seed files and plain files are read and written by base/file_io.h. Functions here do
// file I/O and return errors as values; none is thread-safe with respect to the same home.
#ifndef HITO_NODE_CONFIG_HOME_H_
#define HITO_NODE_CONFIG_HOME_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/ed25519.h"
#include "base/file_io.h"
#include "base/status.h"
#include "consensus/ledger/ledger.h"
#include "node/config/config_toml.h"
#include "node/config/test_identities.h"

namespace hito::node::config {

using ::hito::ReadFile;
using ::hito::WriteFile;
using ::hito::WriteSeedFile;

// The key held by a seed file (base's ReadSeedFile, then the key; the seed is wiped).
Result<Ed25519PrivateKey> ReadSeedFile(const std::filesystem::path& path);

// The chain id of a new chain (init, testnet): 1..kChainIdMaxLen bytes of [a-z0-9-].
Status ValidateNewChainId(std::string_view chain_id);

// Creates `dir` (and its parents) with mode 0700. It may exist only as an empty
// directory: anything else is kAlreadyExists ("refusing to overwrite: ...").
Status CreateEmptyPrivateDir(const std::filesystem::path& dir);

struct HomePaths {
  std::filesystem::path home;
  std::filesystem::path config() const { return home / "config.toml"; }
  std::filesystem::path genesis() const { return home / "genesis.json"; }
  std::filesystem::path validator_key() const { return home / "validator.key"; }
  std::filesystem::path dev_key() const { return home / "dev.key"; }
  std::filesystem::path attester_key() const { return home / "attester.key"; }
  std::filesystem::path dedup_share() const { return home / "dedup.share"; }
  std::filesystem::path test_identities() const { return home / kTestIdentitiesFile; }
  std::filesystem::path data() const { return home / "data"; }
};

struct InitOptions {
  std::string chain_id = "hito-local";
  uint64_t genesis_time_ms = 0;  // 0 = now
  // Extra funded accounts besides the validator's own.
  std::vector<consensus::ledger::GenesisAccount> accounts;
  // When set, a dev account is created, funded and its seed written to dev.key, and a
  // dev attester is accredited (DevPersonhood) with its seed written to attester.key;
  // the dedup key is dealt 1-of-1 to the validator (dedup.share, a trusted dealer).
  bool dev_account = false;
  // With dev_account: a large deterministic registry for tests and benchmarks.
  TestRegistryOptions test_registry;
  NodeConfig config;
};

// The balance `init` gives the validator's account and the dev account: 1e9 HITO.
inline constexpr uint64_t kInitBalance = 1'000'000'000ull * 1'000'000ull;

// The personhood parameters of dev and local test chains: `attester` accredited, epochs
// of kDevEpochBlocks blocks (seconds at the default 1 s block interval, so a newcomer
// registers and claims within a minute), cohorts of 2^kDevCohortBits members, a claim
// window of kDevClaimWindow epochs, and quotas and attestation lifetimes generous enough
// for load tests, and governance with rounds of kDevRoundEpochs epochs (or claim_window,
// if a test registry makes that shorter) and the default voting parameters
// (docs/decisions.md).
inline constexpr uint64_t kDevEpochBlocks = 8;
inline constexpr uint8_t kDevCohortBits = 6;
inline constexpr uint64_t kDevClaimWindow = 4;
inline constexpr uint64_t kDevRoundEpochs = 4;
void DevPersonhood(const Ed25519PublicKey& attester, consensus::ledger::Genesis* genesis);

struct InitResult {
  std::string validator_address;
  std::string dev_address;          // empty unless dev_account
  std::string attester_public_key;  // hex; empty unless dev_account
};

// Creates a home. Refuses (kAlreadyExists) when the folder holds any of the home files.
// The folder itself may exist if it is empty.
Result<InitResult> InitHome(const std::filesystem::path& home, const InitOptions& options);

}  // namespace hito::node::config

#endif  // HITO_NODE_CONFIG_HOME_H_
