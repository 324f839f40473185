#include "base/hash.h"

#include <sodium.h>

#include "base/assert.h"

namespace hito {

// libsodium must be initialised once before use (CPU feature selection, RNG). Every
// program links hito_base, whose Hasher is used on every path that reaches libsodium.
void InitCrypto() { HITO_ASSERT(sodium_init() >= 0); }
namespace {
[[maybe_unused]] const bool kSodiumReady = (InitCrypto(), true);
}  // namespace

static_assert(sizeof(crypto_generichash_state) <= 384);

Hasher::Hasher(std::string_view label) {
  HITO_ASSERT(!label.empty() && label.size() <= 255);
  auto* st = reinterpret_cast<crypto_generichash_state*>(state_);
  HITO_ASSERT(crypto_generichash_init(st, nullptr, 0, 32) == 0);
  const uint8_t len = static_cast<uint8_t>(label.size());
  crypto_generichash_update(st, &len, 1);
  Update(label);
}

Hasher& Hasher::Update(ByteView data) {
  HITO_ASSERT(!finished_);
  auto* st = reinterpret_cast<crypto_generichash_state*>(state_);
  crypto_generichash_update(st, data.data(), data.size());
  return *this;
}

Hasher& Hasher::UpdateU64(uint64_t v) {
  uint8_t b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return Update(ByteView(b, 8));
}

Hash32 Hasher::Finish() {
  HITO_ASSERT(!finished_);
  finished_ = true;
  Hash32 out;
  auto* st = reinterpret_cast<crypto_generichash_state*>(state_);
  HITO_ASSERT(crypto_generichash_final(st, out.data(), out.size()) == 0);
  return out;
}

Hash32 DomainHash(std::string_view label, ByteView data) {
  return Hasher(label).Update(data).Finish();
}

}  // namespace hito
