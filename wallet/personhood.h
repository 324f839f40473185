// The wallet's side of personhood and UBI, without a network: attestations and their
// JSON form, registrations with their proof of possession, claim
// nullifiers computed locally, and claims proved against a snapshot.
//
// Secrets (identity scalars, attester keys) go in by const reference and
// every copy made here is wiped before returning; nothing here prints or logs. Pure
// functions apart from the provers' randomness; thread-safe.
#ifndef HITO_WALLET_PERSONHOOD_H_
#define HITO_WALLET_PERSONHOOD_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/personhood.h"
#include "wallet/keystore.h"
#include "zk/proof/triptych.h"
#include "zk/scalar.h"

namespace hito::wallet {

// The identity secret as a zk scalar, for the provers; the caller wipes it.
zk::Scalar IdentityScalar(const IdentitySecret& secret);

// 64 hex digits encoding a canonical, non-identity ristretto255 point.
Result<consensus::types::IdentityPoint> ParseIdentityPoint(std::string_view hex);

// Signs the attestation (chain id, identity, dedup tag, expiry) with the attester's key.
// The tag comes from the validators' OPRF (dedup_client.h). Checks the identity point.
Result<consensus::types::Attestation> MakeAttestation(std::string_view chain_id,
                                                      const Ed25519PrivateKey& attester,
                                                      const consensus::types::IdentityPoint& id,
                                                      const Hash32& dedup_tag,
                                                      uint64_t expiry_epoch);

// The attestation file (docs/cli.md): {"chain_id", "attester", "identity", "dedup_tag",
// "expiry_epoch", "signature", "bytes"}, hex for keys, points, hashes and bytes.
inline constexpr size_t kAttestationFileMaxBytes = 16 * 1024;
nlohmann::ordered_json AttestationToJson(const consensus::types::Attestation& a);
// Strict: every field present with its type, "bytes" decodes canonically and agrees with
// every other field, the identity is a canonical non-identity point and the attester's
// signature verifies. kInvalidArgument naming the field otherwise.
Result<consensus::types::Attestation> AttestationFromJson(std::string_view text);

// The registration for `a`, with a Schnorr proof of possession of the identity secret
// over types::PossessionMessage(a). kInvalidArgument if a.identity is not secret's point.
Result<consensus::types::Registration> BuildRegistration(const consensus::types::Attestation& a,
                                                         const IdentitySecret& secret);

// The nullifier of a claim for `epoch`: J = r^-1 * ContextBase(chain_id,
// ClaimContext(epoch)), the tag the claim's proof carries.
Hash32 LocalNullifier(const IdentitySecret& secret, std::string_view chain_id, uint64_t epoch);

// Proves membership at `position` of `set` (the snapshot of (epoch, cohort)) bound to
// ClaimMessage(chain_id, epoch, cohort, recipient). kInvalidArgument if that member is
// not the secret's point.
Result<consensus::types::Claim> BuildClaim(const zk::proof::membership::PreparedSet& set,
                                           uint64_t position, const IdentitySecret& secret,
                                           std::string_view chain_id, uint64_t epoch,
                                           uint32_t cohort, const Hash32& recipient);

}  // namespace hito::wallet

#endif  // HITO_WALLET_PERSONHOOD_H_
