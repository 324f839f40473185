// BIP-350 vectors from tests/vectors/bech32m.json: every valid string decodes and
// re-encodes, every invalid string is rejected, and the segwit addresses go through a
// small segwit decoder written here (Bech32 for v0, Bech32m for v1+, program rules) so
// valid ones give the listed scriptPubKey and invalid ones fail.
#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/bech32m.h"
#include "base/hex.h"
#include "tests/support/vectors.h"

namespace hito {
namespace {

nlohmann::json Load() { return hito::testing::LoadVectors("bech32m.json"); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// BIP-173 (Bech32, constant 1) checksum check for witness v0, written here from the BIP
// since base/ implements only Bech32m. Input is already known to be one case.
uint32_t PolyMod(const Bytes& v) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t x : v) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ x;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

// Returns the checksum constant of a case-consistent string ("bech32" = 1, "bech32m" =
// 0x2bc830a3), or nullopt when neither or the string is malformed; fills hrp and values.
std::optional<uint32_t> ChecksumConstant(std::string_view str, std::string* hrp, Bytes* values) {
  const std::string s = Lower(std::string(str));
  const size_t sep = s.rfind('1');
  if (sep == std::string::npos || sep == 0 || s.size() - sep - 1 < 6) return std::nullopt;
  *hrp = s.substr(0, sep);
  Bytes enc;
  for (char c : *hrp) enc.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) >> 5));
  enc.push_back(0);
  for (char c : *hrp) enc.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) & 31));
  values->clear();
  for (size_t i = sep + 1; i < s.size(); ++i) {
    const size_t v = kCharset.find(s[i]);
    if (v == std::string_view::npos) return std::nullopt;
    values->push_back(static_cast<uint8_t>(v));
  }
  enc.insert(enc.end(), values->begin(), values->end());
  values->resize(values->size() - 6);
  return PolyMod(enc);
}

// BIP-350 segwit decoding; returns the scriptPubKey or an error.
Result<Bytes> DecodeSegwit(std::string_view expected_hrp, std::string_view addr) {
  std::string hrp;
  Bytes values;
  uint8_t version = 0;
  Result<Bech32mData> m = Bech32mDecode(addr);
  if (m.ok()) {
    hrp = m->hrp;
    values = m->values;
    if (values.empty()) return InvalidArgumentError("empty data");
    version = values[0];
    if (version == 0) return InvalidArgumentError("v0 must use bech32");
  } else {
    // Not valid Bech32m: the only other acceptable form is Bech32 for witness v0, with the
    // same character, length and case rules (checked by the Bech32m decoder's messages).
    if (addr.size() > 90) return InvalidArgumentError("too long");
    bool lower = false, upper = false;
    for (char c : addr) {
      if (c < 33 || c > 126) return InvalidArgumentError("bad character");
      lower |= (c >= 'a' && c <= 'z');
      upper |= (c >= 'A' && c <= 'Z');
    }
    if (lower && upper) return InvalidArgumentError("mixed case");
    std::optional<uint32_t> c = ChecksumConstant(addr, &hrp, &values);
    if (c != 1u) return m.status();
    if (values.empty()) return InvalidArgumentError("empty data");
    version = values[0];
    if (version != 0) return InvalidArgumentError("v1+ must use bech32m");
  }
  if (hrp != expected_hrp) return InvalidArgumentError("hrp");
  if (version > 16) return InvalidArgumentError("witness version");
  Result<Bytes> prog = ConvertBits(ByteView(values).subspan(1), 5, 8, false);
  if (!prog.ok()) return prog.status();
  if (prog->size() < 2 || prog->size() > 40) return InvalidArgumentError("program length");
  if (version == 0 && prog->size() != 20 && prog->size() != 32) {
    return InvalidArgumentError("v0 program length");
  }
  Bytes script;
  script.push_back(version == 0 ? 0 : static_cast<uint8_t>(0x50 + version));
  script.push_back(static_cast<uint8_t>(prog->size()));
  script.insert(script.end(), prog->begin(), prog->end());
  return script;
}

TEST(Bech32mVectorsTest, ValidStringsDecodeAndReencode) {
  const nlohmann::json j = Load();
  ASSERT_EQ(j.at("valid_bech32m").size(), 7u);
  for (const auto& v : j.at("valid_bech32m")) {
    const std::string s = v.get<std::string>();
    Result<Bech32mData> d = Bech32mDecode(s);
    ASSERT_TRUE(d.ok()) << s << ": " << d.status().ToString();
    EXPECT_EQ(Bech32mEncode(d->hrp, d->values), Lower(s)) << s;
  }
}

TEST(Bech32mVectorsTest, InvalidStringsAreRejected) {
  const nlohmann::json j = Load();
  ASSERT_EQ(j.at("invalid_bech32m").size(), 14u);
  for (const auto& v : j.at("invalid_bech32m")) {
    Result<Bytes> raw = HexDecode(v.at("bytes_hex").get<std::string>());
    ASSERT_TRUE(raw.ok());
    Result<Bech32mData> d = Bech32mDecode(AsChars(*raw));
    EXPECT_FALSE(d.ok()) << v.at("reason").get<std::string>();
    if (!d.ok()) EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(Bech32mVectorsTest, ValidSegwitAddressesGiveTheirScriptPubKey) {
  const nlohmann::json j = Load();
  ASSERT_EQ(j.at("valid_segwit_addresses").size(), 8u);
  for (const auto& v : j.at("valid_segwit_addresses")) {
    const std::string addr = v.at("address").get<std::string>();
    const std::string hrp = Lower(addr.substr(0, 2));
    Result<Bytes> script = DecodeSegwit(hrp, addr);
    ASSERT_TRUE(script.ok()) << addr << ": " << script.status().ToString();
    EXPECT_EQ(HexEncode(*script), v.at("scriptpubkey_hex").get<std::string>()) << addr;
    // Bech32m addresses (v1+) must re-encode to the same string.
    if ((*script)[0] != 0) {
      Result<Bech32mData> d = Bech32mDecode(addr);
      ASSERT_TRUE(d.ok());
      EXPECT_EQ(Bech32mEncode(d->hrp, d->values), Lower(addr));
    }
  }
}

TEST(Bech32mVectorsTest, InvalidSegwitAddressesAreRejectedUnderBothHrps) {
  const nlohmann::json j = Load();
  ASSERT_EQ(j.at("invalid_segwit_addresses").size(), 15u);
  for (const auto& v : j.at("invalid_segwit_addresses")) {
    const std::string addr = v.at("address").get<std::string>();
    for (std::string_view hrp : {"bc", "tb"}) {
      EXPECT_FALSE(DecodeSegwit(hrp, addr).ok())
          << addr << " (" << v.at("reason").get<std::string>() << ")";
    }
  }
}

}  // namespace
}  // namespace hito
