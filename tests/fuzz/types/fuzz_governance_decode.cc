// Fuzzes the governance decoders: a proposal's action alone (DecodeAction, the form the
// ledger stores) and whole proposal (kind 4) and ballot (kind 5) transactions built from
// the input. Any input that decodes must re-encode to exactly the same bytes; anything
// else must be rejected without a crash. The first byte chooses which decoder reads the
// rest.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"

namespace {

namespace types = hito::consensus::types;

void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_governance_decode: decoded %s does not re-encode to itself\n", what);
  std::abort();
}

bool Same(const hito::Bytes& a, hito::ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const hito::ByteView rest(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      hito::Result<types::Action> a = types::DecodeAction(rest);
      if (a.ok() && !Same(types::EncodeAction(*a), rest)) Fail("action");
      return 0;
    }
    default: {
      // Version 1, then kind 4 (proposal) or 5 (ballot), then the rest as the body.
      hito::Bytes tx = {types::kTxVersion,
                        static_cast<uint8_t>(data[0] % 3 == 1 ? types::TxKind::kProposal
                                                              : types::TxKind::kBallot)};
      tx.insert(tx.end(), rest.begin(), rest.end());
      hito::Result<types::Transaction> t = types::DecodeTransaction(tx);
      if (t.ok() && !Same(types::EncodeTransaction(*t), tx)) Fail("transaction");
      return 0;
    }
  }
}
