// The consensus types' use of the canonical codec (base/codec.h): the names consensus
// code writes with, the chain-id rule and the signing label every signed byte string
// starts with (docs/protocol/encoding.md).
#ifndef HITO_CONSENSUS_TYPES_CODEC_H_
#define HITO_CONSENSUS_TYPES_CODEC_H_

#include <string_view>

#include "base/codec.h"
#include "base/status.h"

namespace hito::consensus::types {

using ::hito::DecodeWhole;
using ::hito::EncodeWith;
using ::hito::Reader;
using ::hito::Writer;

// Chain ids are 1..kChainIdMaxLen bytes of [a-z0-9-]. Fails with a message naming `what`.
Status ValidateChainId(std::string_view what, std::string_view chain_id);

// The framing that starts every byte string hito signs: len(label) as one byte, then the
// label (the same prefix DomainHash uses), so a signature for one purpose never verifies
// for another.
void WriteSigningLabel(Writer* w, std::string_view label);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_CODEC_H_
