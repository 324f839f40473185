#include "wallet/personhood.h"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "base/hex.h"
#include "zk/point.h"
#include "zk/proof/sigma.h"
#include "zk/scalar.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;
using Json = nlohmann::ordered_json;

Status BadField(std::string_view field, std::string_view why) {
  return InvalidArgumentError("attestation: field '" + std::string(field) + "' " +
                              std::string(why));
}

// A string field holding exactly `n` bytes as hex.
template <size_t N>
Result<std::array<uint8_t, N>> HexField(const nlohmann::json& j, std::string_view field) {
  auto it = j.find(std::string(field));
  if (it == j.end() || !it->is_string()) return BadField(field, "is missing or not a string");
  auto b = HexDecode(it->get<std::string>());
  if (!b.ok() || b->size() != N) {
    return BadField(field, "must be " + std::to_string(2 * N) + " hex digits");
  }
  std::array<uint8_t, N> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

// Every field other than "bytes" must agree with the decoded canonical bytes.
Status CheckFieldsAgree(const nlohmann::json& j, const types::Attestation& a) {
  auto chain = j.find("chain_id");
  if (chain == j.end() || !chain->is_string()) return BadField("chain_id", "is missing");
  if (chain->get<std::string>() != a.chain_id) return BadField("chain_id", "disagrees with bytes");
  HITO_ASSIGN_OR_RETURN(auto attester, HexField<32>(j, "attester"));
  if (attester != a.attester) return BadField("attester", "disagrees with bytes");
  HITO_ASSIGN_OR_RETURN(auto identity, HexField<32>(j, "identity"));
  if (identity != a.identity) return BadField("identity", "disagrees with bytes");
  HITO_ASSIGN_OR_RETURN(auto tag, HexField<32>(j, "dedup_tag"));
  if (tag != a.dedup_tag) return BadField("dedup_tag", "disagrees with bytes");
  HITO_ASSIGN_OR_RETURN(auto sig, HexField<64>(j, "signature"));
  if (sig != a.signature) return BadField("signature", "disagrees with bytes");
  auto expiry = j.find("expiry_epoch");
  if (expiry == j.end() || !expiry->is_number_unsigned()) {
    return BadField("expiry_epoch", "is missing or not a non-negative integer");
  }
  if (expiry->get<uint64_t>() != a.expiry_epoch) {
    return BadField("expiry_epoch", "disagrees with bytes");
  }
  return Status::Ok();
}

}  // namespace

zk::Scalar IdentityScalar(const IdentitySecret& secret) {
  auto s = zk::Scalar::Decode(secret.bytes());
  // IdentitySecret holds only canonical non-zero scalars.
  HITO_ASSERT(s.ok());
  return *s;
}

Result<types::IdentityPoint> ParseIdentityPoint(std::string_view hex) {
  auto b = HexDecode32(hex);
  if (!b.ok()) return InvalidArgumentError("identity must be 64 hex digits");
  if (!zk::Point::Decode(*b).ok()) {
    return InvalidArgumentError("identity is not a canonical non-identity ristretto255 point");
  }
  return *b;
}

Result<types::Attestation> MakeAttestation(std::string_view chain_id,
                                           const Ed25519PrivateKey& attester,
                                           const types::IdentityPoint& id, const Hash32& dedup_tag,
                                           uint64_t expiry_epoch) {
  if (!zk::Point::Decode(id).ok()) {
    return InvalidArgumentError("identity is not a canonical non-identity ristretto255 point");
  }
  types::Attestation a;
  a.chain_id = std::string(chain_id);
  a.attester = attester.public_key();
  a.identity = id;
  a.dedup_tag = dedup_tag;
  a.expiry_epoch = expiry_epoch;
  types::SignAttestation(&a, attester);
  return a;
}

Json AttestationToJson(const types::Attestation& a) {
  return Json{{"chain_id", a.chain_id},
              {"attester", HexEncode(a.attester)},
              {"identity", HexEncode(a.identity)},
              {"dedup_tag", HexEncode(a.dedup_tag)},
              {"expiry_epoch", a.expiry_epoch},
              {"signature", HexEncode(a.signature)},
              {"bytes", HexEncode(types::EncodeAttestation(a))}};
}

Result<types::Attestation> AttestationFromJson(std::string_view text) {
  if (text.size() > kAttestationFileMaxBytes) {
    return InvalidArgumentError("attestation: larger than " +
                                std::to_string(kAttestationFileMaxBytes) + " bytes");
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("attestation: not a JSON object");
  }
  auto bytes_it = j.find("bytes");
  if (bytes_it == j.end() || !bytes_it->is_string()) {
    return BadField("bytes", "is missing or not a string");
  }
  auto bytes = HexDecode(bytes_it->get<std::string>());
  if (!bytes.ok()) return BadField("bytes", "is not hex");
  auto a = types::DecodeAttestation(*bytes);
  if (!a.ok()) return BadField("bytes", "does not decode: " + a.status().message());
  HITO_RETURN_IF_ERROR(CheckFieldsAgree(j, *a));
  if (!zk::Point::Decode(a->identity).ok()) {
    return BadField("identity", "is not a canonical non-identity ristretto255 point");
  }
  if (!types::VerifyAttestationSignature(*a)) {
    return BadField("signature", "does not verify under the attester's key");
  }
  return a;
}

Result<types::Registration> BuildRegistration(const types::Attestation& a,
                                              const IdentitySecret& secret) {
  if (secret.Point() != a.identity) {
    return InvalidArgumentError("the attestation is for another identity point");
  }
  zk::Scalar x = IdentityScalar(secret);
  Bytes message = types::PossessionMessage(a);
  auto proof = zk::proof::SchnorrProve(x, message);
  x.Wipe();
  if (!proof.ok()) return proof.status();
  types::Registration reg;
  reg.attestation = a;
  reg.possession = proof->Encode();
  return reg;
}

Hash32 LocalNullifier(const IdentitySecret& secret, std::string_view chain_id, uint64_t epoch) {
  zk::Scalar x = IdentityScalar(secret);
  zk::Scalar inverse = x.Invert();
  x.Wipe();
  zk::Point base = zk::proof::membership::ContextBase(chain_id, types::ClaimContext(epoch));
  Hash32 out = base.Mul(inverse).bytes();
  inverse.Wipe();
  return out;
}

Result<types::Claim> BuildClaim(const zk::proof::membership::PreparedSet& set, uint64_t position,
                                const IdentitySecret& secret, std::string_view chain_id,
                                uint64_t epoch, uint32_t cohort, const Hash32& recipient) {
  if (position >= set.size() || set.padded()[position].bytes() != secret.Point()) {
    return InvalidArgumentError("this identity is not member " + std::to_string(position) +
                                " of the snapshot of cohort " + std::to_string(cohort) +
                                " in epoch " + std::to_string(epoch));
  }
  Bytes message = types::ClaimMessage(chain_id, epoch, cohort, recipient);
  zk::Scalar x = IdentityScalar(secret);
  auto proof =
      zk::proof::membership::Prove(set, position, x, chain_id, types::ClaimContext(epoch), message);
  x.Wipe();
  if (!proof.ok()) return proof.status();
  types::Claim c;
  c.epoch = epoch;
  c.cohort = cohort;
  c.recipient = recipient;
  c.proof = proof->Encode();
  return c;
}

}  // namespace hito::wallet
