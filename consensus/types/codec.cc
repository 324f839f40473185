#include "consensus/types/codec.h"

#include <string>

#include "base/assert.h"
#include "consensus/types/limits.h"

namespace hito::consensus::types {
namespace {

Status Invalid(std::string_view what, const std::string& problem) {
  return InvalidArgumentError(std::string(what) + ": " + problem);
}

}  // namespace

Status ValidateChainId(std::string_view what, std::string_view chain_id) {
  if (chain_id.empty()) return Invalid(what, "chain id is empty");
  if (chain_id.size() > kChainIdMaxLen) {
    return Invalid(what, "chain id of " + std::to_string(chain_id.size()) +
                             " bytes exceeds the maximum of " + std::to_string(kChainIdMaxLen));
  }
  for (size_t i = 0; i < chain_id.size(); ++i) {
    const char c = chain_id[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return Invalid(what, "chain id byte " + std::to_string(static_cast<uint8_t>(c)) +
                               " at offset " + std::to_string(i) + " is not in [a-z0-9-]");
    }
  }
  return Status::Ok();
}

void WriteSigningLabel(Writer* w, std::string_view label) {
  HITO_ASSERT(!label.empty() && label.size() <= 255);
  w->U8(static_cast<uint8_t>(label.size()));
  w->Raw(AsBytes(label));
}

}  // namespace hito::consensus::types
