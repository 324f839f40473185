// Fuzzes ParseGenesisJson. JSON text is not canonical, so the round trip is on values: a
// genesis that parses must be written by GenesisToJson (what `hitod init` and `hitod
// testnet` write) as text that parses back to a genesis written identically, and its chain
// id must be one a block header can carry.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "consensus/types/codec.h"
#include "node/config/config.h"

namespace {

void Fail(const char* why, const std::string& detail) {
  std::fprintf(stderr, "fuzz_genesis_json: %s\n%s\n", why, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto g = hito::node::config::ParseGenesisJson(in);
  if (!g.ok()) return 0;
  if (!hito::consensus::types::ValidateChainId("chain_id", g->chain_id).ok()) {
    Fail("accepted a chain id no header can carry", g->chain_id);
  }
  const std::string written = hito::node::config::GenesisToJson(*g);
  auto again = hito::node::config::ParseGenesisJson(written);
  if (!again.ok()) {
    Fail("GenesisToJson wrote a genesis that does not parse back", again.status().ToString());
  }
  if (hito::node::config::GenesisToJson(*again) != written) {
    Fail("the genesis read back differs from the one written", written);
  }
  return 0;
}
