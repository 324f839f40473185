// Ed25519 keys and signatures (RFC 8032) through libsodium.
//
// Verification follows libsodium 1.0.18's crypto_sign_verify_detached, whose rules are
// consensus-relevant and pinned by tests: S must be canonical (< L), small-order public
// keys and small-order R are rejected, and a non-canonical R or A encoding is rejected.
// The secret key lives in libsodium guarded memory semantics: wiped on destruction.
#ifndef HITO_BASE_ED25519_H_
#define HITO_BASE_ED25519_H_

#include <array>

#include "base/bytes.h"
#include "base/status.h"

namespace hito {

using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;
using Ed25519Seed = std::array<uint8_t, 32>;

// A signing key. Move-only; the secret is wiped when the object dies.
class Ed25519PrivateKey {
 public:
  static Ed25519PrivateKey Generate();
  static Ed25519PrivateKey FromSeed(const Ed25519Seed& seed);
  Ed25519PrivateKey(Ed25519PrivateKey&& other) noexcept;
  Ed25519PrivateKey& operator=(Ed25519PrivateKey&& other) noexcept;
  Ed25519PrivateKey(const Ed25519PrivateKey&) = delete;
  Ed25519PrivateKey& operator=(const Ed25519PrivateKey&) = delete;
  ~Ed25519PrivateKey();

  const Ed25519PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed (RFC 8032 "private key"). Handle as a secret.
  Ed25519Seed seed() const;
  Ed25519Signature Sign(ByteView message) const;

 private:
  Ed25519PrivateKey() = default;
  std::array<uint8_t, 64> secret_{};  // libsodium layout: seed || public key
  Ed25519PublicKey public_key_{};
};

// True iff `sig` is a valid signature of `message` under `pk` by libsodium's rules.
[[nodiscard]] bool Ed25519Verify(const Ed25519PublicKey& pk, ByteView message,
                                 const Ed25519Signature& sig);

}  // namespace hito

#endif  // HITO_BASE_ED25519_H_
