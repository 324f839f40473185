#include "node/config/test_identities.h"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "base/file_io.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/ledger/registry.h"

namespace hito::node::config {

namespace ledger = consensus::ledger;

namespace {

constexpr std::string_view kSecretLabel = "hito/v1/test-identity";
constexpr std::string_view kTagLabel = "hito/v1/test-identity-tag";

}  // namespace

std::array<uint8_t, 32> TestIdentitySecret(uint64_t i) {
  // The same framing as Hasher (length byte, label, then data), widened to 64 bytes so the
  // reduction mod l is uniform.
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 64);
  const uint8_t len = static_cast<uint8_t>(kSecretLabel.size());
  crypto_generichash_update(&st, &len, 1);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kSecretLabel.data()),
                            kSecretLabel.size());
  uint8_t be[8];
  for (int k = 7; k >= 0; --k) be[k] = static_cast<uint8_t>(i >> (8 * (7 - k)));
  crypto_generichash_update(&st, be, sizeof be);
  uint8_t wide[64];
  crypto_generichash_final(&st, wide, sizeof wide);
  std::array<uint8_t, 32> r{};
  crypto_core_ristretto255_scalar_reduce(r.data(), wide);
  return r;
}

Result<std::vector<ledger::GenesisIdentity>> TestIdentities(uint64_t count,
                                                            const Ed25519PublicKey& attester,
                                                            uint64_t expiry_epoch) {
  if (count > kTestIdentitiesMax) {
    return InvalidArgumentError("--identities must be at most " +
                                std::to_string(kTestIdentitiesMax));
  }
  std::vector<ledger::GenesisIdentity> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const std::array<uint8_t, 32> r = TestIdentitySecret(i);
    ledger::GenesisIdentity g;
    if (sodium_is_zero(r.data(), r.size()) ||
        crypto_scalarmult_ristretto255_base(g.point.data(), r.data()) != 0) {
      return InternalError("test identity " + std::to_string(i) + " has a zero secret");
    }
    g.dedup_tag = Hasher(kTagLabel).UpdateU64(i).Finish();
    g.attester = attester;
    g.expiry_epoch = expiry_epoch;
    out.push_back(g);
  }
  return out;
}

Status ValidateTestRegistryOptions(const TestRegistryOptions& o) {
  if (o.identities > kTestIdentitiesMax) {
    return InvalidArgumentError("--identities must be at most " +
                                std::to_string(kTestIdentitiesMax));
  }
  if (o.cohort_bits > ledger::kCohortBitsMax) {
    return InvalidArgumentError("--cohort-bits must be 0.." +
                                std::to_string(ledger::kCohortBitsMax));
  }
  if (o.claim_window > ledger::kSnapshotWindowMax) {
    return InvalidArgumentError("--claim-window must be at most " +
                                std::to_string(ledger::kSnapshotWindowMax));
  }
  return Status::Ok();
}

Status AddTestRegistry(const TestRegistryOptions& o, ledger::Genesis* genesis) {
  HITO_RETURN_IF_ERROR(ValidateTestRegistryOptions(o));
  if (genesis->attesters.empty()) {
    return InvalidArgumentError("a test registry needs the dev attester in genesis");
  }
  if (o.cohort_bits != 0) genesis->registry.cohort_bits = static_cast<uint8_t>(o.cohort_bits);
  if (o.epoch_blocks != 0) genesis->params.epoch_blocks = o.epoch_blocks;
  if (o.claim_window != 0) genesis->registry.claim_window = o.claim_window;
  HITO_RETURN_IF_ERROR(ledger::ValidateRegistryParams(genesis->registry));
  // A round must fit in the claim window (its snapshot stays in state for the round).
  if (genesis->governance) {
    genesis->governance->round_epochs =
        std::min(genesis->governance->round_epochs, genesis->registry.claim_window);
  }
  HITO_ASSIGN_OR_RETURN(genesis->identities,
                        TestIdentities(o.identities, genesis->attesters[0],
                                       genesis->registry.max_attestation_epochs));
  return Status::Ok();
}

Status WriteTestIdentitySecrets(const std::filesystem::path& path, uint64_t count) {
  std::string text =
      "# hito test identities (public by construction, never for a real chain): line i+2 "
      "holds identity i's secret scalar, hex\n";
  text.reserve(text.size() + count * 65);
  for (uint64_t i = 0; i < count; ++i) {
    const std::array<uint8_t, 32> r = TestIdentitySecret(i);
    text += HexEncode(ByteView(r.data(), r.size()));
    text += '\n';
  }
  return WriteFileAtomic(path, text, /*replace=*/false);
}

}  // namespace hito::node::config
