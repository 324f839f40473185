#include "base/ed25519.h"

#include <sodium.h>

#include <utility>

#include "base/assert.h"

namespace hito {

Ed25519PrivateKey Ed25519PrivateKey::Generate() {
  Ed25519PrivateKey k;
  HITO_ASSERT(crypto_sign_keypair(k.public_key_.data(), k.secret_.data()) == 0);
  return k;
}

Ed25519PrivateKey Ed25519PrivateKey::FromSeed(const Ed25519Seed& seed) {
  Ed25519PrivateKey k;
  HITO_ASSERT(crypto_sign_seed_keypair(k.public_key_.data(), k.secret_.data(), seed.data()) == 0);
  return k;
}

Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&& other) noexcept
    : secret_(other.secret_), public_key_(other.public_key_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_key_ = other.public_key_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

Ed25519PrivateKey::~Ed25519PrivateKey() { sodium_memzero(secret_.data(), secret_.size()); }

Ed25519Seed Ed25519PrivateKey::seed() const {
  Ed25519Seed s;
  HITO_ASSERT(crypto_sign_ed25519_sk_to_seed(s.data(), secret_.data()) == 0);
  return s;
}

Ed25519Signature Ed25519PrivateKey::Sign(ByteView message) const {
  Ed25519Signature sig;
  HITO_ASSERT(crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                                   secret_.data()) == 0);
  return sig;
}

bool Ed25519Verify(const Ed25519PublicKey& pk, ByteView message, const Ed25519Signature& sig) {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), pk.data()) == 0;
}

}  // namespace hito
