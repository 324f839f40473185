// Domain-separated BLAKE2b-256 (libsodium crypto_generichash).
//
// Every hash in the protocol names its purpose: the digest of `data` under label L is
// BLAKE2b-256(len(L) as one byte || L || data), with L of the form "hito/v1/<purpose>".
// The length prefix keeps one label from being a prefix of another's input.
#ifndef HITO_BASE_HASH_H_
#define HITO_BASE_HASH_H_

#include <string_view>

#include "base/bytes.h"

namespace hito {

// Incremental form; not thread-safe. Label must be 1..255 bytes.
class Hasher {
 public:
  explicit Hasher(std::string_view label);
  Hasher& Update(ByteView data);
  Hasher& Update(std::string_view data) { return Update(AsBytes(data)); }
  Hasher& UpdateU64(uint64_t v);  // 8 bytes big-endian
  // Finishes the hash; the Hasher must not be used afterwards.
  Hash32 Finish();

 private:
  alignas(64) unsigned char state_[384];
  bool finished_ = false;
};

// Initialises libsodium (idempotent, thread-safe). Also run at static initialisation;
// programs call it first in main to be explicit.
void InitCrypto();

Hash32 DomainHash(std::string_view label, ByteView data);

}  // namespace hito

#endif  // HITO_BASE_HASH_H_
