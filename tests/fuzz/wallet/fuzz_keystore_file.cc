// Fuzzes the keystore's key-file parser and the seed-file reader through their public
// entry points, on a real file in a private temp directory (the parsers read files):
//  - Keystore::Info on the input as key file "fuzz": a structurally valid file must name
//    the key it is stored as; anything else must be a clean error.
//  - ReadSeedFile on the input: a seed that reads must be the input's hex, trimmed of
//    surrounding whitespace, lowercased.
// No decryption is attempted (a hostile file could ask for an expensive KDF; Open bounds
// the cost, and the AEAD itself is libsodium's).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "base/hex.h"
#include "tests/fuzz/fuzz_text.h"
#include "wallet/keystore.h"

namespace {

void Fail(const char* why) {
  std::fprintf(stderr, "fuzz_keystore_file: %s\n", why);
  std::abort();
}

const std::string& Home() {
  static const std::string home = [] {
    std::string base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/hito_fuzz_keystore_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp failed");
    std::filesystem::create_directories(tmpl + "/keys");
    std::atexit([] { std::filesystem::remove_all(Home()); });
    return tmpl;
  }();
  return home;
}

void WriteAll(const std::string& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) Fail("cannot write the input file");
}

std::string TrimLower(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return hito::fuzz::AsciiLower(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  hito::wallet::Keystore ks(Home());
  WriteAll(ks.KeyPath("fuzz"), in);
  hito::Result<hito::wallet::KeyInfo> info = ks.Info("fuzz");
  if (info.ok() && info->name != "fuzz") Fail("Info accepted a file holding another key name");

  const std::string seed_path = Home() + "/seed.key";
  WriteAll(seed_path, in);
  hito::Result<hito::Ed25519Seed> seed = hito::wallet::ReadSeedFile(seed_path);
  if (seed.ok() && hito::HexEncode(*seed) != TrimLower(in)) {
    Fail("ReadSeedFile returned a seed that is not the file's hex");
  }
  return 0;
}
