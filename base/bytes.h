// Byte containers shared by every module.
#ifndef HITO_BASE_BYTES_H_
#define HITO_BASE_BYTES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hito {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
// A 32-byte digest (BLAKE2b-256), used for every hash in the protocol.
using Hash32 = std::array<uint8_t, 32>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(ByteView b) { return Bytes(b.begin(), b.end()); }

// Wipes memory that held a secret (sodium_memzero; not optimised away).
void SecureWipe(void* p, size_t n);

}  // namespace hito

#endif  // HITO_BASE_BYTES_H_
