// The mutual hello of the peer protocol (docs/protocol/p2p.md, "Handshake").
//
// Each side sends Hello{version, chain id, genesis hash, node key, height, nonce} at once,
// then, on receiving the other's Hello, HelloAuth{signature over HelloTranscript}. The
// transcript binds the signer's Hello and the other side's Hello (so both fresh nonces),
// with the signer's fields first, so a signature can neither be replayed on another
// connection nor reflected back to its author. Pure functions; thread-safe.
#ifndef HITO_NODE_P2P_HANDSHAKE_H_
#define HITO_NODE_P2P_HANDSHAKE_H_

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"

namespace hito::node::p2p {

inline constexpr uint32_t kProtocolVersion = 1;

// A Hello as checked plain values.
struct HelloInfo {
  uint32_t protocol_version = kProtocolVersion;
  std::string chain_id;
  Hash32 genesis_hash{};
  Ed25519PublicKey node_key{};
  uint64_t height = 0;
  Hash32 nonce{};
};

// Bytes signed in HelloAuth by the owner of `self.node_key`: framed label
// "hito/p2p/v1/hello", then both Hellos, signer's first.
Bytes HelloTranscript(const HelloInfo& self, const HelloInfo& peer);
Ed25519Signature SignHello(const HelloInfo& self, const HelloInfo& peer,
                           const Ed25519PrivateKey& key);
// True iff `sig` is `peer.node_key`'s signature over HelloTranscript(peer, self).
[[nodiscard]] bool VerifyHello(const HelloInfo& peer, const HelloInfo& self,
                               const Ed25519Signature& sig);

// Checks a received Hello against ours: same version, chain id and genesis hash, and a
// different node key (a node never talks to itself). kFailedPrecondition naming the field.
Status CheckCompatible(const HelloInfo& ours, const HelloInfo& theirs);

}  // namespace hito::node::p2p

#endif  // HITO_NODE_P2P_HANDSHAKE_H_
