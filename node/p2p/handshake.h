// The mutual hello of the peer protocol (docs/protocol/p2p.md, "Handshake").
//
// Each side sends Hello{version, chain id, genesis hash, node key, height, nonce} at once,
// then, on receiving the other's Hello, HelloAuth{signature over HelloTranscript}. The
// transcript binds the signer's Hello and the other side's Hello (so both fresh nonces),
// with the signer's fields first, so a signature can neither be replayed on another
// connection nor reflected back to its author. ExchangeHellos runs that exchange on a
// stream; everything else here is a pure function. Thread-safe.
#ifndef HITO_NODE_P2P_HANDSHAKE_H_
#define HITO_NODE_P2P_HANDSHAKE_H_

#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "hito/p2p/v1/p2p.pb.h"

namespace hito::node::p2p {

// The peer protocol's generated code keeps its package's namespace.
namespace v1 = ::hito::p2p::v1;

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

// The wire form of a Hello, and back: kInvalidArgument naming a field of the wrong size
// (chain id over kChainIdMaxLen; genesis hash, node key or nonce not 32 bytes).
v1::Hello HelloToProto(const HelloInfo& h);
Result<HelloInfo> HelloFromProto(const v1::Hello& p);

// A node key's first 8 bytes in hex, as logs and refusals name a peer.
std::string ShortKey(const Ed25519PublicKey& k);

using MessageReader = grpc::internal::ReaderInterface<v1::PeerMessage>;
using MessageWriter = grpc::internal::WriterInterface<v1::PeerMessage>;

// Runs the hello on a fresh stream as `ours` (its nonce is drawn here, from libsodium):
// sends our Hello, reads theirs and checks it (HelloFromProto, CheckCompatible, and
// `expected_key` when we dialed a configured peer), sends our HelloAuth, reads and
// verifies theirs. Returns the peer's Hello. Errors: kUnavailable when the stream ended
// or a write failed (the connection closed, nothing proved); any other code is a refusal
// of what the peer sent, with the field in the message.
Result<HelloInfo> ExchangeHellos(HelloInfo ours, const Ed25519PrivateKey& key,
                                 const std::optional<Ed25519PublicKey>& expected_key,
                                 MessageReader* r, MessageWriter* w);

}  // namespace hito::node::p2p

#endif  // HITO_NODE_P2P_HANDSHAKE_H_
