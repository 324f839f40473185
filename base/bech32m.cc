// Bech32m (BIP-350), written from the BIP text: the BCH checksum over GF(32) of BIP-173
// with the final constant 0x2bc830a3 instead of 1.
#include "base/bech32m.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "base/assert.h"

namespace hito {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32mConst = 0x2bc830a3;
constexpr size_t kMaxLength = 90;
constexpr size_t kChecksumLength = 6;

// BIP-173 polymod: the remainder of the value sequence as a polynomial over GF(32)
// modulo the BCH generator.
uint32_t PolyMod(const Bytes& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

// hrp expanded as BIP-173 specifies: high bits of each character, 0, low bits.
Bytes HrpExpand(std::string_view hrp) {
  Bytes out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) >> 5));
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) & 31));
  return out;
}

int CharsetIndex(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kCharset[i] == c) return i;
  }
  return -1;
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string Bech32mEncode(std::string_view hrp, ByteView values5) {
  // Caller errors, not input errors: the encoder is only handed hrps and 5-bit values
  // the program built itself.
  HITO_ASSERT(!hrp.empty());
  std::string lower_hrp;
  lower_hrp.reserve(hrp.size());
  for (char c : hrp) {
    HITO_ASSERT(c >= 33 && c <= 126);
    lower_hrp.push_back(ToLower(c));
  }
  Bytes enc = HrpExpand(lower_hrp);
  for (uint8_t v : values5) {
    HITO_ASSERT(v < 32);
    enc.push_back(v);
  }
  enc.insert(enc.end(), kChecksumLength, 0);
  const uint32_t mod = PolyMod(enc) ^ kBech32mConst;

  std::string out = lower_hrp;
  out.push_back('1');
  for (uint8_t v : values5) out.push_back(kCharset[v]);
  for (size_t i = 0; i < kChecksumLength; ++i) {
    out.push_back(kCharset[(mod >> (5 * (5 - i))) & 31]);
  }
  return out;
}

Result<Bech32mData> Bech32mDecode(std::string_view str) {
  if (str.size() > kMaxLength) {
    return InvalidArgumentError("bech32m: string of " + std::to_string(str.size()) +
                                " characters exceeds the maximum of 90");
  }
  bool has_lower = false;
  bool has_upper = false;
  for (size_t i = 0; i < str.size(); ++i) {
    const auto c = static_cast<unsigned char>(str[i]);
    if (c < 33 || c > 126) {
      return InvalidArgumentError("bech32m: character out of range (byte " + std::to_string(c) +
                                  ") at position " + std::to_string(i));
    }
    if (c >= 'a' && c <= 'z') has_lower = true;
    if (c >= 'A' && c <= 'Z') has_upper = true;
  }
  if (has_lower && has_upper) return InvalidArgumentError("bech32m: mixed case");

  const size_t sep = str.rfind('1');
  if (sep == std::string_view::npos) return InvalidArgumentError("bech32m: no separator '1'");
  if (sep == 0) return InvalidArgumentError("bech32m: empty human-readable part");
  if (str.size() - sep - 1 < kChecksumLength) {
    return InvalidArgumentError("bech32m: data part shorter than the 6-character checksum");
  }

  Bech32mData result;
  result.hrp.reserve(sep);
  for (size_t i = 0; i < sep; ++i) result.hrp.push_back(ToLower(str[i]));

  Bytes values;
  values.reserve(str.size() - sep - 1);
  for (size_t i = sep + 1; i < str.size(); ++i) {
    const int v = CharsetIndex(ToLower(str[i]));
    if (v < 0) {
      return InvalidArgumentError(std::string("bech32m: invalid data character '") + str[i] +
                                  "' at position " + std::to_string(i));
    }
    values.push_back(static_cast<uint8_t>(v));
  }

  Bytes check = HrpExpand(result.hrp);
  check.insert(check.end(), values.begin(), values.end());
  if (PolyMod(check) != kBech32mConst) return InvalidArgumentError("bech32m: invalid checksum");

  values.resize(values.size() - kChecksumLength);
  result.values = std::move(values);
  return result;
}

Result<Bytes> ConvertBits(ByteView in, int from_bits, int to_bits, bool pad) {
  HITO_ASSERT(from_bits >= 1 && from_bits <= 8 && to_bits >= 1 && to_bits <= 8);
  const uint32_t maxv = (1u << to_bits) - 1;
  const uint32_t max_acc = (1u << (from_bits + to_bits - 1)) - 1;
  uint32_t acc = 0;
  int bits = 0;
  Bytes out;
  out.reserve(in.size() * static_cast<size_t>(from_bits) / static_cast<size_t>(to_bits) + 1);
  for (size_t i = 0; i < in.size(); ++i) {
    const uint32_t v = in[i];
    if ((v >> from_bits) != 0) {
      return InvalidArgumentError("convertbits: value " + std::to_string(v) + " at index " +
                                  std::to_string(i) + " does not fit in " +
                                  std::to_string(from_bits) + " bits");
    }
    acc = ((acc << from_bits) | v) & max_acc;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      out.push_back(static_cast<uint8_t>((acc >> bits) & maxv));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<uint8_t>((acc << (to_bits - bits)) & maxv));
  } else if (bits >= from_bits) {
    return InvalidArgumentError("convertbits: more than " + std::to_string(from_bits - 1) +
                                " bits of padding");
  } else if (((acc << (to_bits - bits)) & maxv) != 0) {
    return InvalidArgumentError("convertbits: non-zero padding bits");
  }
  return out;
}

std::string EncodeAddress(const Hash32& account_id) {
  Result<Bytes> values = ConvertBits(account_id, 8, 5, /*pad=*/true);
  HITO_ASSERT(values.ok());
  return Bech32mEncode(kAddressHrp, *values);
}

Result<Hash32> DecodeAddress(std::string_view address) {
  Result<Bech32mData> data = Bech32mDecode(address);
  if (!data.ok()) return data.status().WithContext("address");
  if (data->hrp != kAddressHrp) {
    return InvalidArgumentError("address: human-readable part is \"" + data->hrp +
                                "\", expected \"hito\"");
  }
  // 32 bytes = 256 bits = 52 five-bit values (4 padding bits).
  if (data->values.size() != 52) {
    return InvalidArgumentError("address: " + std::to_string(data->values.size()) +
                                " data characters, expected 52 (a 32-byte account id)");
  }
  Result<Bytes> bytes = ConvertBits(data->values, 5, 8, /*pad=*/false);
  if (!bytes.ok()) return bytes.status().WithContext("address");
  HITO_ASSERT(bytes->size() == 32);
  Hash32 out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace hito
