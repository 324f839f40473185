// Identities for test and benchmark chains (`hitod dev|testnet --identities N`).
//
// Identity i's secret is derived from i alone, by a public rule, so everyone can compute
// it: these identities exist so that a chain can start with a large registry whose
// snapshots are the same on every run (a load generator proves its claims once and
// reuses the proofs). A real chain never has them; a genesis that lists them is for
// testing only (docs/decisions.md).
//
// Pure functions apart from file writes; thread-safe.
#ifndef HITO_NODE_CONFIG_TEST_IDENTITIES_H_
#define HITO_NODE_CONFIG_TEST_IDENTITIES_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/ledger/ledger.h"

namespace hito::node::config {

// At most 2^20 identities (16 full cohorts of 2^16): the genesis file lists each.
inline constexpr uint64_t kTestIdentitiesMax = uint64_t{1} << 20;

// Identity i's secret scalar r_i: BLAKE2b-512 (unkeyed) over the label's length byte,
// the label "hito/v1/test-identity" and i (8 bytes, big-endian, as Hasher::UpdateU64),
// reduced mod l (crypto_core_ristretto255_scalar_reduce). Canonical and, with
// overwhelming probability, non-zero; TestIdentities checks.
std::array<uint8_t, 32> TestIdentitySecret(uint64_t i);

// Identities 0..count-1 for genesis: point r_i*G, dedup tag BLAKE2b-256 over
// "hito/v1/test-identity-tag" and i, registered by `attester` with `expiry_epoch`.
// kInvalidArgument when count exceeds kTestIdentitiesMax.
Result<std::vector<consensus::ledger::GenesisIdentity>> TestIdentities(
    uint64_t count, const Ed25519PublicKey& attester, uint64_t expiry_epoch);

// The personhood parameters a test chain with `count` identities gets on top of the dev
// ones (DevPersonhood), chosen by `hitod dev|testnet`: cohort_bits, epoch_blocks and
// claim_window when given (0 keeps the dev value; a claim window shorter than the
// governance round shortens the round to it), identities expiring at
// max_attestation_epochs.
struct TestRegistryOptions {
  bool any() const {
    return identities != 0 || cohort_bits != 0 || epoch_blocks != 0 || claim_window != 0;
  }
  uint64_t identities = 0;
  uint32_t cohort_bits = 0;
  uint64_t epoch_blocks = 0;
  uint64_t claim_window = 0;
};
Status ValidateTestRegistryOptions(const TestRegistryOptions& o);
// Applies `o` to `genesis`, whose dev attester (attesters[0]) registers the identities.
Status AddTestRegistry(const TestRegistryOptions& o, consensus::ledger::Genesis* genesis);

// The secrets file, for load generators: a comment line, then line i holds identity i's
// secret as 64 hex digits. Mode 0600, written atomically.
inline constexpr const char* kTestIdentitiesFile = "identities.secrets";
Status WriteTestIdentitySecrets(const std::filesystem::path& path, uint64_t count);

}  // namespace hito::node::config

#endif  // HITO_NODE_CONFIG_TEST_IDENTITIES_H_
