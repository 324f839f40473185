// The simulator's only randomness: xoshiro256** seeded through splitmix64 from the run's
// seed, so a seed replays exactly on every machine (never std::random_device, never a
// standard distribution whose output differs between library versions).
#ifndef HITO_TESTS_SIM_BFT_RNG_H_
#define HITO_TESTS_SIM_BFT_RNG_H_

#include <cstdint>

namespace hito::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) {
      seed += 0x9e3779b97f4a7c15ULL;  // splitmix64
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }
  uint64_t Next() {  // xoshiro256**
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) (n > 0); the modulo bias is irrelevant for a simulation.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  // True with probability permille / 1000.
  bool Chance(uint64_t permille) { return Below(1000) < permille; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace hito::sim

#endif  // HITO_TESTS_SIM_BFT_RNG_H_
