// Fuzz target: arbitrary bytes decoded as each DKG message (zk/dkg.h: Dealing,
// ReshareDealing, Complaint, Justification). Must never crash; a decoded message must
// re-encode to the same bytes (one encoding per value), at most one decoder may accept a
// given input (the type tag), and a decoded message must go through the public decisions
// (Qualify with a fixed 4-member committee, CheckJustification) without crashing. Smoke-run
// in the suite (label fuzz).
#include <cstdint>
#include <cstdlib>

#include "tests/unit/zk/dkg_sim.h"
#include "zk/dkg.h"

namespace {

using namespace hito::zk::dkg;  // NOLINT(google-build-using-namespace): fuzz driver

const sim::Members& FixedMembers() {
  static const sim::Members m = [] {
    hito::InitCrypto();
    return sim::MakeMembers(4, 77);
  }();
  return m;
}

// A fixed honest dealing (dealer 1) of the fuzzed message's session.
Dealing FixedDealing(const SessionId& session) {
  auto d = Deal(session, 1, FixedMembers().committee);
  if (!d.ok()) std::abort();
  return d->dealing;
}

template <typename M>
bool Roundtrips(hito::ByteView in, M* out) {
  auto m = M::Decode(in);
  if (!m.ok()) return false;
  if (m->Encode() != hito::Bytes(in.begin(), in.end())) std::abort();  // not canonical
  *out = *m;
  return true;
}

void Exercise(const Dealing& d) {
  DkgTranscript t;
  t.dealings.push_back(d);
  t.dealings.push_back(FixedDealing(d.session));
  t.complaints.push_back(Complaint{d.session, d.dealer, 2});
  auto o = Qualify(d.session, FixedMembers().committee, t);
  if (o.ok()) std::abort();  // two dealers can never reach t = 3
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hito::ByteView in(data, size);
  Dealing dealing;
  ReshareDealing reshare;
  Complaint complaint;
  Justification justification;
  const int accepted = Roundtrips(in, &dealing) + Roundtrips(in, &reshare) +
                       Roundtrips(in, &complaint) + Roundtrips(in, &justification);
  if (accepted > 1) std::abort();
  if (size > 0 && data[0] == static_cast<uint8_t>(MessageType::kDealing) && accepted == 1) {
    Exercise(dealing);
  }
  if (size > 0 && data[0] == static_cast<uint8_t>(MessageType::kJustification) && accepted == 1) {
    if (CheckJustification(FixedDealing(justification.session), justification) &&
        justification.complainer > 4) {
      std::abort();  // no share of a 4-member dealing answers a non-member
    }
  }
  return 0;
}
