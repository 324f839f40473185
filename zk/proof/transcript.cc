#include "zk/proof/transcript.h"

#include <array>

namespace hito::zk::proof {
namespace {

constexpr std::string_view kTranscriptLabel = "hito/v1/transcript";
constexpr uint8_t kInit = 0x00;
constexpr uint8_t kAppend = 0x01;
constexpr uint8_t kChallenge = 0x02;

std::array<uint8_t, 8> U64Be(uint64_t v) {
  std::array<uint8_t, 8> out{};
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return out;
}

}  // namespace

Transcript::Transcript(std::string_view domain) {
  crypto_generichash_init(&state_, nullptr, 0, crypto_generichash_BYTES_MAX);
  AbsorbFramed(kInit, kTranscriptLabel);
  Absorb(U64Be(domain.size()));
  Absorb(AsBytes(domain));
}

void Transcript::Absorb(ByteView b) { crypto_generichash_update(&state_, b.data(), b.size()); }

void Transcript::AbsorbFramed(uint8_t kind, std::string_view label) {
  Absorb(ByteView(&kind, 1));
  Absorb(U64Be(label.size()));
  Absorb(AsBytes(label));
}

void Transcript::Append(std::string_view label, ByteView data) {
  AbsorbFramed(kAppend, label);
  Absorb(U64Be(data.size()));
  Absorb(data);
}

void Transcript::AppendU64(std::string_view label, uint64_t v) { Append(label, U64Be(v)); }

Scalar Transcript::ChallengeScalar(std::string_view label) {
  for (uint64_t ctr = 0;; ++ctr) {
    Transcript fork = *this;
    fork.AbsorbFramed(kChallenge, label);
    fork.Absorb(U64Be(ctr));
    std::array<uint8_t, 64> wide{};
    crypto_generichash_final(&fork.state_, wide.data(), wide.size());
    Scalar c = Scalar::FromUniformBytes(wide);
    if (c.IsZero()) continue;  // probability 2^-252; public data
    AbsorbFramed(kChallenge, label);
    Absorb(U64Be(ctr));
    Absorb(c.bytes());
    return c;
  }
}

}  // namespace hito::zk::proof
