#include "zk/proof/dot.h"

namespace hito::zk::internal {
namespace {

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;

}  // namespace

Limbs52 Limbs52::FromScalar(const Scalar& s) {
  std::array<uint64_t, 4> w{};
  for (size_t i = 0; i < 32; ++i) w[i / 8] |= uint64_t{s.bytes()[i]} << (8 * (i % 8));
  Limbs52 r;
  r.v[0] = w[0] & kMask52;
  r.v[1] = ((w[0] >> 52) | (w[1] << 12)) & kMask52;
  r.v[2] = ((w[1] >> 40) | (w[2] << 24)) & kMask52;
  r.v[3] = ((w[2] >> 28) | (w[3] << 36)) & kMask52;
  r.v[4] = w[3] >> 16;
  return r;
}

Scalar DotAccumulator::Finish() const {
  // Carry the columns (radix 2^52) into 10 limbs, then pack 512 bits little-endian.
  std::array<uint64_t, 10> limb{};
  U128 carry = 0;
  for (size_t c = 0; c < 9; ++c) {
    const U128 t = col_[c] + carry;
    limb[c] = static_cast<uint64_t>(t) & kMask52;
    carry = t >> 52;
  }
  limb[9] = static_cast<uint64_t>(carry);  // < 2^44 when the sum is below 2^512
  std::array<uint8_t, 64> out{};
  for (size_t bit = 0; bit < 512; bit += 8) {
    const size_t l = bit / 52, off = bit % 52;
    uint64_t v = limb[l] >> off;
    if (off > 44 && l + 1 < limb.size()) v |= limb[l + 1] << (52 - off);
    out[bit / 8] = static_cast<uint8_t>(v);
  }
  return Scalar::FromUniformBytes(out);
}

}  // namespace hito::zk::internal
