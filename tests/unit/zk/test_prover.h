// Test-only provers for the membership proof (zk/proof/triptych.h). Production code cannot
// reach this header (it lives under tests/).
//
// SeededProverRng: a deterministic randomness source. Next() is the k-th scalar
// BLAKE2b-512(seed || u64(k)) mod l (members' secrets of the golden vectors); Fill() gives
// the next scalar's 32 bytes (fixed "fresh randomness" for the hedged Prove).
// ProveFromSeed: the golden-vector prover, the nonces drawn straight from a SeededProverRng
// in the documented order (no hedging), so the recorded proofs stay reproducible.
// ProveUnchecked: a prover with no witness check (any index below the padded size, any
// secret, any tag), to show that verifiers reject what an honest prover refuses to make.
#ifndef HITO_TESTS_UNIT_ZK_TEST_PROVER_H_
#define HITO_TESTS_UNIT_ZK_TEST_PROVER_H_

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"
#include "zk/proof/triptych_internal.h"
#include "zk/scalar.h"

namespace hito::zk::proof::membership::test_prover {

class SeededProverRng final : public ProverRng {
 public:
  explicit SeededProverRng(ByteView seed) : seed_(seed.begin(), seed.end()) {}

  Scalar Next() {
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 64);
    crypto_generichash_update(&st, seed_.data(), seed_.size());
    std::array<uint8_t, 8> ctr{};
    for (size_t i = 0; i < 8; ++i) ctr[i] = static_cast<uint8_t>(counter_ >> (56 - 8 * i));
    ++counter_;
    crypto_generichash_update(&st, ctr.data(), ctr.size());
    std::array<uint8_t, 64> wide{};
    crypto_generichash_final(&st, wide.data(), wide.size());
    return Scalar::FromUniformBytes(wide);
  }

  void Fill(std::span<uint8_t, 32> out) override {
    const Scalar s = Next();
    std::copy(s.bytes().begin(), s.bytes().end(), out.begin());
  }

 private:
  Bytes seed_;
  uint64_t counter_ = 0;
};

inline Point HonestTag(const Scalar& secret, std::string_view chain_id, std::string_view context) {
  return ContextBase(chain_id, context).Mul(secret.Invert());
}

inline Result<Proof> ProveFromSeed(const PreparedSet& set, uint64_t index, const Scalar& secret,
                                   std::string_view chain_id, std::string_view context,
                                   ByteView message, SeededProverRng& rng) {
  std::vector<Scalar> nonces(internal::NonceCount(set.m()));
  for (Scalar& n : nonces) n = rng.Next();
  return internal::ProveWithNonces(set, index, secret, chain_id, context, message,
                                   HonestTag(secret, chain_id, context), nonces);
}

// `tag` defaults to secret^-1 U_ctx; fresh random nonces.
inline Result<Proof> ProveUnchecked(const PreparedSet& set, uint64_t index, const Scalar& secret,
                                    std::string_view chain_id, std::string_view context,
                                    ByteView message, const Point* tag = nullptr) {
  std::vector<Scalar> nonces(internal::NonceCount(set.m()));
  for (Scalar& n : nonces) n = Scalar::Random();
  return internal::ProveWithNonces(set, index, secret, chain_id, context, message,
                                   tag ? *tag : HonestTag(secret, chain_id, context), nonces);
}

}  // namespace hito::zk::proof::membership::test_prover

#endif  // HITO_TESTS_UNIT_ZK_TEST_PROVER_H_
