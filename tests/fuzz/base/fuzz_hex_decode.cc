// Fuzzes HexDecode and HexDecode32. Hex accepts either case, so the format is canonical up
// to case: a string that decodes must re-encode to itself lowercased, and HexDecode32
// must accept exactly the 64-digit strings HexDecode accepts, with the same bytes.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/hex.h"
#include "tests/fuzz/fuzz_text.h"

namespace {

void Fail(const char* why) {
  std::fprintf(stderr, "fuzz_hex_decode: %s\n", why);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  hito::Result<hito::Bytes> b = hito::HexDecode(in);
  hito::Result<hito::Hash32> h = hito::HexDecode32(in);
  if (b.ok()) {
    if (b->size() * 2 != size) Fail("decoded length is not half the input length");
    if (hito::HexEncode(*b) != hito::fuzz::AsciiLower(in))
      Fail("decoded input does not re-encode to itself");
  }
  const bool want32 = b.ok() && b->size() == 32;
  if (h.ok() != want32) Fail("HexDecode32 disagrees with HexDecode on acceptance");
  if (h.ok() && !std::equal(h->begin(), h->end(), b->begin())) {
    Fail("HexDecode32 disagrees with HexDecode on the bytes");
  }
  return 0;
}
