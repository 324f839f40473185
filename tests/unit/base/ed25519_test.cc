// Ed25519 through libsodium 1.0.18: sign/verify basics, and the verification rules
// consensus depends on, pinned with signatures built here so that the curve equation
// holds and only the rule under test rejects them: non-canonical S (S + L), small-order
// public keys (identity, order 2, 4, 8), small-order R, non-canonical R and A encodings.
#include "base/ed25519.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <string>
#include <vector>

#include "base/hex.h"

namespace hito {
namespace {

using Point = std::array<uint8_t, 32>;
using Scalar = std::array<uint8_t, 32>;

Point P(std::string_view hex) { return *HexDecode32(hex); }

// Group order L, little-endian.
const Point kL = P("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
const Point kIdentity = P("0100000000000000000000000000000000000000000000000000000000000000");

// Encodings of the points of order 1, 2, 4 and 8 (checked below by multiplying them out).
struct SmallPoint {
  const char* hex;
  int order;
};
const SmallPoint kSmallOrder[] = {
    {"0100000000000000000000000000000000000000000000000000000000000000", 1},
    {"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", 2},
    {"0000000000000000000000000000000000000000000000000000000000000000", 4},
    {"0000000000000000000000000000000000000000000000000000000000000080", 4},
    {"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", 8},
    {"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", 8},
    {"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", 8},
    {"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", 8},
};

Ed25519Seed FixedSeed(uint8_t b) {
  Ed25519Seed s;
  s.fill(b);
  return s;
}

// 256-bit little-endian addition (no carry out: callers add numbers below 2^253).
Scalar AddLe(const Scalar& a, const Scalar& b) {
  Scalar r;
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    const unsigned s = a[i] + b[i] + carry;
    r[i] = static_cast<uint8_t>(s);
    carry = s >> 8;
  }
  EXPECT_EQ(carry, 0u);
  return r;
}

Scalar Reduce64(const std::array<uint8_t, 64>& wide) {
  Scalar r;
  crypto_core_ed25519_scalar_reduce(r.data(), wide.data());
  return r;
}

Scalar Reduce32(const Scalar& s) {
  std::array<uint8_t, 64> wide{};
  std::copy(s.begin(), s.end(), wide.begin());
  return Reduce64(wide);
}

// The RFC 8032 challenge k = SHA-512(R || A || M) mod L.
Scalar Challenge(const Point& r, const Point& a, ByteView m) {
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, r.data(), r.size());
  crypto_hash_sha512_update(&st, a.data(), a.size());
  crypto_hash_sha512_update(&st, m.data(), m.size());
  std::array<uint8_t, 64> h;
  crypto_hash_sha512_final(&st, h.data());
  return Reduce64(h);
}

// The secret scalar a of a seed (RFC 8032: clamped first half of SHA-512(seed)), mod L.
Scalar SecretScalar(const Ed25519Seed& seed) {
  std::array<uint8_t, 64> h;
  crypto_hash_sha512(h.data(), seed.data(), seed.size());
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  Scalar a;
  std::copy(h.begin(), h.begin() + 32, a.begin());
  sodium_memzero(h.data(), h.size());
  return Reduce32(a);
}

Ed25519Signature MakeSig(const Point& r, const Scalar& s) {
  Ed25519Signature sig;
  std::copy(r.begin(), r.end(), sig.begin());
  std::copy(s.begin(), s.end(), sig.begin() + 32);
  return sig;
}

// n * p by repeated addition with libsodium's point addition (which accepts any curve
// point, small order included).
Point MulSmall(const Point& p, int n) {
  Point acc = kIdentity;
  for (int i = 0; i < n; ++i) {
    Point next;
    EXPECT_EQ(crypto_core_ed25519_add(next.data(), acc.data(), p.data()), 0);
    acc = next;
  }
  return acc;
}

TEST(Ed25519Test, SignVerifyAndTamper) {
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(FixedSeed(7));
  const Bytes msg = {'h', 'i', 't', 'o'};
  Ed25519Signature sig = key.Sign(msg);
  EXPECT_TRUE(Ed25519Verify(key.public_key(), msg, sig));

  Bytes other = msg;
  other[0] ^= 1;
  EXPECT_FALSE(Ed25519Verify(key.public_key(), other, sig));
  for (size_t bit : {0u, 255u, 256u, 511u}) {
    Ed25519Signature bad = sig;
    bad[bit / 8] = static_cast<uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
    EXPECT_FALSE(Ed25519Verify(key.public_key(), msg, bad)) << "bit " << bit;
  }
  Ed25519PrivateKey other_key = Ed25519PrivateKey::FromSeed(FixedSeed(8));
  EXPECT_FALSE(Ed25519Verify(other_key.public_key(), msg, sig));
}

TEST(Ed25519Test, SeedRoundTripsAndKeysAreDeterministic) {
  Ed25519PrivateKey a = Ed25519PrivateKey::FromSeed(FixedSeed(1));
  Ed25519PrivateKey b = Ed25519PrivateKey::FromSeed(a.seed());
  EXPECT_EQ(a.public_key(), b.public_key());
  EXPECT_EQ(a.seed(), FixedSeed(1));
  Ed25519PrivateKey g = Ed25519PrivateKey::Generate();
  EXPECT_NE(g.public_key(), a.public_key());
  Ed25519PrivateKey moved = std::move(g);
  EXPECT_TRUE(Ed25519Verify(moved.public_key(), Bytes{1}, moved.Sign(Bytes{1})));
}

TEST(Ed25519Test, SecretScalarHelperMatchesLibsodiumPublicKey) {
  // Guards the constructions below: a*B must be the public key libsodium derives.
  const Ed25519Seed seed = FixedSeed(3);
  Point pk;
  const Scalar a = SecretScalar(seed);
  ASSERT_EQ(crypto_scalarmult_ed25519_base_noclamp(pk.data(), a.data()), 0);
  EXPECT_EQ(pk, Ed25519PrivateKey::FromSeed(seed).public_key());
}

TEST(Ed25519Test, NonCanonicalSIsRejected) {
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(FixedSeed(9));
  const Bytes msg = {1, 2, 3};
  const Ed25519Signature sig = key.Sign(msg);
  ASSERT_TRUE(Ed25519Verify(key.public_key(), msg, sig));

  Scalar s;
  std::copy(sig.begin() + 32, sig.end(), s.begin());
  const Scalar s_plus_l = AddLe(s, kL);
  ASSERT_NE(s_plus_l, s);
  // Same scalar mod L, so a verifier that reduced S would accept it.
  ASSERT_EQ(Reduce32(s_plus_l), s);
  Point r;
  std::copy(sig.begin(), sig.begin() + 32, r.begin());
  EXPECT_FALSE(Ed25519Verify(key.public_key(), msg, MakeSig(r, s_plus_l)));
}

TEST(Ed25519Test, SmallOrderConstantsHaveTheirOrder) {
  for (const SmallPoint& sp : kSmallOrder) {
    const Point p = P(sp.hex);
    EXPECT_EQ(MulSmall(p, sp.order), kIdentity) << sp.hex;
    if (sp.order > 1) EXPECT_NE(MulSmall(p, sp.order / 2), kIdentity) << sp.hex;
    EXPECT_EQ(crypto_core_ed25519_is_valid_point(p.data()), 0) << sp.hex;
  }
}

TEST(Ed25519Test, SmallOrderPublicKeysAreRejectedEvenWhenTheEquationHolds) {
  // R = r*B and S = r with a message chosen so that k = H(R || A || M) is a multiple of
  // ord(A): then k*A is the identity and [S]B = R + [k]A holds exactly. Only libsodium's
  // small-order public key rule rejects these.
  Scalar r{};
  r[0] = 42;
  Point big_r;
  ASSERT_EQ(crypto_scalarmult_ed25519_base_noclamp(big_r.data(), r.data()), 0);
  for (const SmallPoint& sp : kSmallOrder) {
    const Point a = P(sp.hex);
    Bytes msg = {0, 0};
    bool found = false;
    for (int i = 0; i < 4096 && !found; ++i) {
      msg[0] = static_cast<uint8_t>(i >> 8);
      msg[1] = static_cast<uint8_t>(i);
      const Scalar k = Challenge(big_r, a, msg);
      found = (k[0] % sp.order) == 0;
    }
    ASSERT_TRUE(found) << sp.hex;
    EXPECT_FALSE(Ed25519Verify(a, msg, MakeSig(big_r, r))) << sp.hex;
  }
}

TEST(Ed25519Test, SmallOrderRIsRejectedEvenWhenTheEquationHolds) {
  // With R the identity and S = k*a, [S]B = [k]A = R + [k]A holds exactly. With R of order
  // 2, 4 or 8 the cofactored equation 8[S]B = 8R + 8[k]A holds. libsodium rejects all.
  const Ed25519Seed seed = FixedSeed(11);
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(seed);
  const Point a_pt = key.public_key();
  const Scalar a = SecretScalar(seed);
  const Bytes msg = {'s', 'm', 'a', 'l', 'l'};
  for (const SmallPoint& sp : kSmallOrder) {
    const Point r = P(sp.hex);
    const Scalar k = Challenge(r, a_pt, msg);
    Scalar s;
    crypto_core_ed25519_scalar_mul(s.data(), k.data(), a.data());
    if (sp.order == 1) {
      Point sb, ka;
      ASSERT_EQ(crypto_scalarmult_ed25519_base_noclamp(sb.data(), s.data()), 0);
      ASSERT_EQ(crypto_scalarmult_ed25519_noclamp(ka.data(), k.data(), a_pt.data()), 0);
      ASSERT_EQ(sb, ka);  // the equation holds
    }
    EXPECT_FALSE(Ed25519Verify(a_pt, msg, MakeSig(r, s))) << sp.hex;
  }
}

TEST(Ed25519Test, NonCanonicalREncodingIsRejected) {
  // y = p + 3 encodes the same point as y = 3 (a point of large order, not in the
  // prime-order subgroup). libsodium compares R's bytes with the canonical encoding of
  // [S]B - [k]A, so a non-canonical R can never verify.
  const Point noncanonical = P("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  const Point canonical = P("0300000000000000000000000000000000000000000000000000000000000000");
  Point sum;
  ASSERT_EQ(crypto_core_ed25519_add(sum.data(), noncanonical.data(), kIdentity.data()), 0);
  ASSERT_EQ(sum, canonical);

  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(FixedSeed(12));
  const Bytes msg = {9};
  const Ed25519Signature sig = key.Sign(msg);
  Scalar s;
  std::copy(sig.begin() + 32, sig.end(), s.begin());
  EXPECT_FALSE(Ed25519Verify(key.public_key(), msg, MakeSig(noncanonical, s)));

  // The identity written as y = p + 1, with S = k*a so the equation holds for the point it
  // decodes to.
  const Point noncanonical_identity =
      P("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  ASSERT_EQ(crypto_core_ed25519_add(sum.data(), noncanonical_identity.data(), kIdentity.data()), 0);
  ASSERT_EQ(sum, kIdentity);
  const Scalar a = SecretScalar(FixedSeed(12));
  const Scalar k = Challenge(noncanonical_identity, key.public_key(), msg);
  crypto_core_ed25519_scalar_mul(s.data(), k.data(), a.data());
  EXPECT_FALSE(Ed25519Verify(key.public_key(), msg, MakeSig(noncanonical_identity, s)));
}

TEST(Ed25519Test, NonCanonicalPublicKeyEncodingIsRejected) {
  const Point noncanonical = P("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(FixedSeed(13));
  const Bytes msg = {9};
  EXPECT_FALSE(Ed25519Verify(noncanonical, msg, key.Sign(msg)));
}

}  // namespace
}  // namespace hito
