// Constant-time check of the DKG's secret paths, run under valgrind memcheck: the dealer's
// polynomial coefficients (dealing, drawn or derived from its key) and a member's received shares
// (combining) are marked undefined (VALGRIND_MAKE_MEM_UNDEFINED), so memcheck reports any branch or
// memory address computed from them. The library marks defined only what the protocol publishes
// (the commitments, the sealed shares, x*G before it is compared with K_l; zk/dkg.cc Declassify).
// Exit status 1 on a valgrind error or a wrong result. Not a GoogleTest binary, to keep valgrind's
// view free of framework noise.
#include <sodium.h>

#include <cstdio>
#include <vector>

#include "tests/unit/zk/ct_valgrind.h"
#include "tests/unit/zk/dkg_sim.h"
#include "zk/dkg.h"

namespace hito::zk::dkg {
namespace {

using ct_test::Poison;

// Dealer 1 deals with poisoned coefficients; everything it publishes must be defined.
bool DealIsConstantTime(const sim::Members& m, const SessionId& session,
                        std::vector<Scalar>* coefficients) {
  for (Scalar& a : *coefficients) Poison(&a);
  auto d = dkg_internal::DealWithCoefficients(MessageType::kDealing, session, 1, m.committee,
                                              *coefficients);
  if (!d.ok()) {
    std::fprintf(stderr, "deal failed: %s\n", d.status().ToString().c_str());
    return false;
  }
  Dealing dealing;
  static_cast<DealingFields&>(dealing) = *d;
  const Bytes enc = dealing.Encode();
  if (VALGRIND_CHECK_MEM_IS_DEFINED(enc.data(), enc.size()) != 0) {
    std::fprintf(stderr, "dealing bytes not all published\n");
    return false;
  }
  for (Scalar& a : *coefficients) ct_test::Declassify(&a);
  return true;
}

// Dealer 1 derives its polynomial from a poisoned validator key (spec section 2.1), deals
// it and derives it again for a justification: the dealing bytes must be defined, and the
// justification (declassified, as it is published) must check against the dealing.
bool DerivedDealIsConstantTime(const sim::Members& m, const SessionId& session) {
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(m.keys[0].seed());
  Poison(&key);
  auto d = DealDerived(session, 1, m.committee, key);
  if (!d.ok()) {
    std::fprintf(stderr, "derived deal failed: %s\n", d.status().ToString().c_str());
    return false;
  }
  const Bytes enc = d->dealing.Encode();
  if (VALGRIND_CHECK_MEM_IS_DEFINED(enc.data(), enc.size()) != 0) {
    std::fprintf(stderr, "derived dealing bytes not all published\n");
    return false;
  }
  auto again = DeriveDealerSecret(MessageType::kDealing, session, 1, m.committee, key, nullptr);
  ct_test::Declassify(&key);
  if (!again.ok()) return false;
  Justification j = again->Justify(2);
  ct_test::Declassify(&j.share);
  if (!CheckJustification(d->dealing, j)) {
    std::fprintf(stderr, "derived secret does not answer for its dealing\n");
    return false;
  }
  return true;
}

// Member `me` combines poisoned shares; the combined share must match K_me.
bool CombineIsConstantTime(const Outcome& outcome, uint16_t me, std::vector<Scalar> shares) {
  for (Scalar& s : shares) Poison(&s);
  auto x = CombineShare(outcome, me, shares);
  if (!x.ok()) {
    std::fprintf(stderr, "combine failed: %s\n", x.status().ToString().c_str());
    return false;
  }
  // A wrong share: refused, revealing only that.
  shares[0] = shares[0] + Scalar::One();
  if (CombineShare(outcome, me, shares).ok()) {
    std::fprintf(stderr, "combine accepted a wrong share\n");
    return false;
  }
  return true;
}

bool RunOnce(size_t n) {
  const sim::Members m = sim::MakeMembers(n, 40);
  const SessionId session = sim::SessionFor("ct/" + std::to_string(n));
  std::vector<Scalar> coefficients(m.committee.threshold);
  for (Scalar& a : coefficients) a = Scalar::Random();
  if (!DealIsConstantTime(m, session, &coefficients)) return false;
  if (!DerivedDealIsConstantTime(m, session)) return false;
  sim::DkgRun run = sim::DealAll(m, session);
  auto outcome = Qualify(session, m.committee, run.transcript);
  if (!outcome.ok()) return false;
  for (uint16_t me = 1; me <= m.committee.size(); ++me) {
    auto shares = CollectShares(m.committee, run.transcript, *outcome, me, m.keys[me - 1u]);
    if (!shares.ok() || !CombineIsConstantTime(*outcome, me, *shares)) return false;
  }
  return true;
}

}  // namespace
}  // namespace hito::zk::dkg

int main() {
  hito::InitCrypto();
  using hito::zk::dkg::RunOnce;
  bool ok = RunOnce(4) && RunOnce(7);
  std::printf("%s\n", ok ? "ct dkg: ok" : "ct dkg: FAILED");
  if (!RUNNING_ON_VALGRIND) std::printf("(not running under valgrind: no timing checks)\n");
  return ok ? 0 : 1;
}
