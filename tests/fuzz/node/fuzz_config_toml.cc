// Fuzzes ParseConfigToml. TOML text is not canonical, so the round trip is on values: a
// config that parses must be written by ConfigToToml (what `hitod init` and `hitod testnet`
// write) as text that parses back to a config written identically.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "node/config/config.h"

namespace {

void Fail(const char* why, const std::string& detail) {
  std::fprintf(stderr, "fuzz_config_toml: %s\n%s\n", why, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  hito::Result<hito::node::config::NodeConfig> c = hito::node::config::ParseConfigToml(in);
  if (!c.ok()) return 0;
  const std::string written = hito::node::config::ConfigToToml(*c);
  hito::Result<hito::node::config::NodeConfig> again = hito::node::config::ParseConfigToml(written);
  if (!again.ok()) {
    Fail("ConfigToToml wrote a config that does not parse back", again.status().ToString());
  }
  if (hito::node::config::ConfigToToml(*again) != written) {
    Fail("the config read back differs from the one written", written);
  }
  return 0;
}
