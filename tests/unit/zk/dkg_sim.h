// An in-process run of the DKG and of resharing (zk/dkg.h) for tests, the benchmark and the
// fuzzer: members with deterministic Ed25519 keys, every member dealing, every member
// verifying every dealing and complaining about the bad ones, dealers answering the
// complaints from their kept polynomials, Qualify, and every member combining its share.
// Steps are separate so a test can corrupt one message between them. Test-only.
#ifndef HITO_TESTS_UNIT_ZK_DKG_SIM_H_
#define HITO_TESTS_UNIT_ZK_DKG_SIM_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ed25519.h"
#include "base/hash.h"
#include "zk/dkg.h"

namespace hito::zk::dkg::sim {

// n members whose keys come from (tag, index): the same tag gives the same keys.
struct Members {
  std::vector<Ed25519PrivateKey> keys;
  Committee committee;
};

inline Members MakeMembers(size_t n, uint8_t tag, uint16_t threshold = 0) {
  Members m;
  for (size_t i = 0; i < n; ++i) {
    Ed25519Seed seed{};
    seed[0] = tag;
    seed[1] = static_cast<uint8_t>(i);
    seed[2] = static_cast<uint8_t>(i >> 8);
    m.keys.push_back(Ed25519PrivateKey::FromSeed(seed));
    m.committee.keys.push_back(m.keys.back().public_key());
  }
  m.committee.threshold = threshold != 0 ? threshold : DefaultThreshold(n);
  return m;
}

inline SessionId SessionFor(std::string_view name) {
  return DomainHash("hito/v1/test/dkg-session", AsBytes(name));
}

// Every member verifies every dealing addressed to the committee; failures become
// complaints. D is Dealing or ReshareDealing.
template <typename D>
std::vector<Complaint> Complaints(const Members& m, const std::vector<D>& dealings) {
  std::vector<Complaint> out;
  for (const D& d : dealings) {
    for (uint16_t l = 1; l <= m.committee.size(); ++l) {
      Result<Scalar> s = VerifyReceivedShare(m.committee, d, l, m.keys[l - 1u]);
      if (s.ok()) {
        Scalar wiped = *s;
        wiped.Wipe();
      } else {
        out.push_back(Complaint{d.session, d.dealer, l});
      }
    }
  }
  return out;
}

// Honest dealers (those with a kept secret) answer every complaint against them.
inline std::vector<Justification> Answers(const std::map<uint16_t, DealerSecret>& secrets,
                                          const std::vector<Complaint>& complaints) {
  std::vector<Justification> out;
  for (const Complaint& c : complaints) {
    auto it = secrets.find(c.dealer);
    if (it != secrets.end()) out.push_back(it->second.Justify(c.complainer));
  }
  return out;
}

// Each member's combined share (or the error), index l at [l - 1].
template <typename Transcript>
std::vector<Result<Scalar>> CombineAll(const Members& m, const Transcript& t,
                                       const Outcome& outcome) {
  std::vector<Result<Scalar>> out;
  for (uint16_t l = 1; l <= m.committee.size(); ++l) {
    Result<std::vector<Scalar>> shares = CollectShares(m.committee, t, outcome, l, m.keys[l - 1u]);
    if (!shares.ok()) {
      out.push_back(shares.status());
      continue;
    }
    out.push_back(CombineShare(outcome, l, *shares));
  }
  return out;
}

// A whole honest DKG among m (dealers listed in `silent` do not deal).
struct DkgRun {
  DkgTranscript transcript;
  std::map<uint16_t, DealerSecret> secrets;
};

inline DkgRun DealAll(const Members& m, const SessionId& session,
                      const std::vector<uint16_t>& silent = {}) {
  DkgRun run;
  for (uint16_t j = 1; j <= m.committee.size(); ++j) {
    if (std::find(silent.begin(), silent.end(), j) != silent.end()) continue;
    auto dealt = Deal(session, j, m.committee);
    HITO_ASSERT(dealt.ok());
    run.transcript.dealings.push_back(std::move(dealt->dealing));
    run.secrets.emplace(j, std::move(dealt->secret));
  }
  return run;
}

// Old holders reshare their combined shares to `to`.
struct ReshareRun {
  ReshareTranscript transcript;
  std::map<uint16_t, DealerSecret> secrets;
};

inline ReshareRun ReshareAll(const std::vector<Scalar>& old_shares, const Members& to,
                             const SessionId& session) {
  ReshareRun run;
  for (size_t i = 0; i < old_shares.size(); ++i) {
    const auto index = static_cast<uint16_t>(i + 1);
    auto dealt = DealReshare(session, index, old_shares[i], to.committee);
    HITO_ASSERT(dealt.ok());
    run.transcript.dealings.push_back(std::move(dealt->dealing));
    run.secrets.emplace(index, std::move(dealt->secret));
  }
  return run;
}

}  // namespace hito::zk::dkg::sim

#endif  // HITO_TESTS_UNIT_ZK_DKG_SIM_H_
