// Lowercase hexadecimal encoding, and a strict decoder.
#ifndef HITO_BASE_HEX_H_
#define HITO_BASE_HEX_H_

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace hito {

std::string HexEncode(ByteView bytes);
// Accepts upper or lower case digits; rejects odd lengths and any other character.
Result<Bytes> HexDecode(std::string_view hex);
// Decodes exactly 32 bytes.
Result<Hash32> HexDecode32(std::string_view hex);

}  // namespace hito

#endif  // HITO_BASE_HEX_H_
