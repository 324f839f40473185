// Bech32m (BIP-350) strings, and hito account addresses built on them.
//
// An address is bech32m with human-readable part "hito" over the 32-byte account id
// (the BLAKE2b-256 "hito/v1/address" hash of the Ed25519 public key). Decoding accepts
// only lowercase or only uppercase strings with a valid Bech32m checksum; the encoder
// always writes lowercase.
#ifndef HITO_BASE_BECH32M_H_
#define HITO_BASE_BECH32M_H_

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace hito {

struct Bech32mData {
  std::string hrp;  // lowercase
  Bytes values;     // 5-bit values, checksum removed
};

// Generic BIP-350 layer, on 5-bit values. Decode enforces the BIP's rules (length <= 90,
// printable characters 33..126, no mixed case, separator position, checksum constant).
std::string Bech32mEncode(std::string_view hrp, ByteView values5);
Result<Bech32mData> Bech32mDecode(std::string_view str);

// Regrouping between 8-bit bytes and 5-bit values; `pad` as in BIP-173 convertbits.
Result<Bytes> ConvertBits(ByteView in, int from_bits, int to_bits, bool pad);

inline constexpr std::string_view kAddressHrp = "hito";

// Encodes a 32-byte account id as "hito1...".
std::string EncodeAddress(const Hash32& account_id);
// Decodes "hito1..." into the 32-byte account id; any other hrp, length or padding fails.
Result<Hash32> DecodeAddress(std::string_view address);

}  // namespace hito

#endif  // HITO_BASE_BECH32M_H_
