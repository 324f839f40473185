// Fuzzes the bech32m layer and account addresses (what a user pastes into `hito send`,
// what an RPC caller puts in GetAccountRequest.address, what genesis.json lists).
// Bech32m strings are canonical up to case: a string that decodes must re-encode to
// itself lowercased, for Bech32mDecode and for DecodeAddress. The input bytes also go
// through ConvertBits 8 -> 5 -> 8, which must give them back.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/bech32m.h"
#include "tests/fuzz/fuzz_text.h"

namespace {

void Fail(const char* why) {
  std::fprintf(stderr, "fuzz_address_decode: %s\n", why);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  hito::Result<hito::Bech32mData> d = hito::Bech32mDecode(in);
  if (d.ok()) {
    for (uint8_t v : d->values) {
      if (v >= 32) Fail("Bech32mDecode returned a value that is not 5 bits");
    }
    if (hito::Bech32mEncode(d->hrp, d->values) != hito::fuzz::AsciiLower(in)) {
      Fail("Bech32mDecode: decoded input does not re-encode to itself");
    }
  }
  hito::Result<hito::Hash32> id = hito::DecodeAddress(in);
  if (id.ok()) {
    if (!d.ok()) Fail("DecodeAddress accepted a string Bech32mDecode rejects");
    if (hito::EncodeAddress(*id) != hito::fuzz::AsciiLower(in)) {
      Fail("DecodeAddress: decoded input does not re-encode to itself");
    }
  }
  const hito::ByteView bytes(data, size);
  hito::Result<hito::Bytes> five = hito::ConvertBits(bytes, 8, 5, /*pad=*/true);
  if (!five.ok()) Fail("ConvertBits 8->5 with padding failed on bytes");
  hito::Result<hito::Bytes> eight = hito::ConvertBits(*five, 5, 8, /*pad=*/false);
  if (!eight.ok() || *eight != hito::Bytes(bytes.begin(), bytes.end())) {
    Fail("ConvertBits 8->5->8 does not give the bytes back");
  }
  return 0;
}
