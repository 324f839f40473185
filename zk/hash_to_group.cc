#include "zk/hash_to_group.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace hito::zk {
namespace {

constexpr size_t kBInBytes = 64;   // SHA-512 output
constexpr size_t kSInBytes = 128;  // SHA-512 block

std::array<uint8_t, 64> Expand64(ByteView msg, ByteView dst) {
  Bytes out = ExpandMessageXmdSha512(msg, dst, 64);
  std::array<uint8_t, 64> a{};
  std::copy(out.begin(), out.end(), a.begin());
  SecureWipe(out.data(), out.size());
  return a;
}

}  // namespace

Bytes ExpandMessageXmdSha512(ByteView msg, ByteView dst, size_t len_in_bytes) {
  HITO_ASSERT(!dst.empty());
  HITO_ASSERT(len_in_bytes >= 1 && len_in_bytes <= 255 * kBInBytes);
  // Section 5.3.3: an oversize DST is replaced by H("H2C-OVERSIZE-DST-" || DST).
  std::array<uint8_t, 64> short_dst{};
  if (dst.size() > 255) {
    static constexpr char kPrefix[] = "H2C-OVERSIZE-DST-";
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, reinterpret_cast<const uint8_t*>(kPrefix), sizeof(kPrefix) - 1);
    crypto_hash_sha512_update(&st, dst.data(), dst.size());
    crypto_hash_sha512_final(&st, short_dst.data());
    dst = ByteView(short_dst);
  }
  const size_t ell = (len_in_bytes + kBInBytes - 1) / kBInBytes;
  const uint8_t dst_len = static_cast<uint8_t>(dst.size());
  const std::array<uint8_t, kSInBytes> z_pad{};
  const std::array<uint8_t, 3> l_i_b_0 = {static_cast<uint8_t>(len_in_bytes >> 8),
                                          static_cast<uint8_t>(len_in_bytes & 0xff), 0};

  // b_0 = H(Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime)
  std::array<uint8_t, kBInBytes> b0{};
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, z_pad.data(), z_pad.size());
  crypto_hash_sha512_update(&st, msg.data(), msg.size());
  crypto_hash_sha512_update(&st, l_i_b_0.data(), l_i_b_0.size());
  crypto_hash_sha512_update(&st, dst.data(), dst.size());
  crypto_hash_sha512_update(&st, &dst_len, 1);
  crypto_hash_sha512_final(&st, b0.data());

  Bytes out;
  out.reserve(ell * kBInBytes);
  // b_i = H(strxor(b_0, b_{i-1}) || I2OSP(i, 1) || DST_prime), with b_1's input b_0.
  std::array<uint8_t, kBInBytes> prev{};
  for (size_t i = 1; i <= ell; ++i) {
    std::array<uint8_t, kBInBytes> in{};
    for (size_t j = 0; j < kBInBytes; ++j) in[j] = static_cast<uint8_t>(b0[j] ^ prev[j]);
    const uint8_t idx = static_cast<uint8_t>(i);
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, in.data(), in.size());
    crypto_hash_sha512_update(&st, &idx, 1);
    crypto_hash_sha512_update(&st, dst.data(), dst.size());
    crypto_hash_sha512_update(&st, &dst_len, 1);
    crypto_hash_sha512_final(&st, prev.data());
    out.insert(out.end(), prev.begin(), prev.end());
  }
  out.resize(len_in_bytes);
  SecureWipe(b0.data(), b0.size());
  SecureWipe(prev.data(), prev.size());
  SecureWipe(&st, sizeof(st));
  return out;
}

Point HashToGroup(ByteView msg, ByteView dst) {
  std::array<uint8_t, 64> u = Expand64(msg, dst);
  Point p = Point::FromUniformBytes(u);
  SecureWipe(u.data(), u.size());
  return p;
}

Scalar HashToScalar(ByteView msg, ByteView dst) {
  std::array<uint8_t, 64> u = Expand64(msg, dst);
  Scalar s = Scalar::FromUniformBytes(u);
  SecureWipe(u.data(), u.size());
  return s;
}

}  // namespace hito::zk
