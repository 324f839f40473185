// Hashing to ristretto255 and to its scalar field, per RFC 9380 and RFC 9497.
//
// ExpandMessageXmdSha512 is expand_message_xmd (RFC 9380 section 5.3.1) with SHA-512.
// HashToGroup is the RFC 9380 suite ristretto255_XMD:SHA-512_R255MAP_RO_: 64 bytes from
// expand_message_xmd mapped with the RFC 9496 one-way map. HashToScalar expands 64 bytes
// and reduces them mod l (RFC 9497 section 4.1). Every caller passes its own DST naming
// its purpose (RFC 9380 section 3.1). Pure functions; thread-safe.
#ifndef HITO_ZK_HASH_TO_GROUP_H_
#define HITO_ZK_HASH_TO_GROUP_H_

#include <cstddef>

#include "base/bytes.h"
#include "zk/point.h"
#include "zk/scalar.h"

namespace hito::zk {

// REQUIRES a non-empty dst and 1 <= len_in_bytes <= 255 * 64 (HITO_ASSERT: these are
// fixed by the caller's protocol, never taken from input). A dst longer than 255 bytes is
// first hashed as RFC 9380 section 5.3.3 prescribes.
Bytes ExpandMessageXmdSha512(ByteView msg, ByteView dst, size_t len_in_bytes);

Point HashToGroup(ByteView msg, ByteView dst);
Scalar HashToScalar(ByteView msg, ByteView dst);

}  // namespace hito::zk

#endif  // HITO_ZK_HASH_TO_GROUP_H_
