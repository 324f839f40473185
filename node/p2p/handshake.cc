#include "node/p2p/handshake.h"

#include <string_view>

#include "base/hex.h"

namespace hito::node::p2p {
namespace {

void PutU32(Bytes* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(Bytes* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutFramed(Bytes* out, ByteView b) {
  PutU32(out, static_cast<uint32_t>(b.size()));
  out->insert(out->end(), b.begin(), b.end());
}
void PutHello(Bytes* out, const HelloInfo& h) {
  PutU32(out, h.protocol_version);
  PutFramed(out, AsBytes(h.chain_id));
  out->insert(out->end(), h.genesis_hash.begin(), h.genesis_hash.end());
  out->insert(out->end(), h.node_key.begin(), h.node_key.end());
  PutU64(out, h.height);
  out->insert(out->end(), h.nonce.begin(), h.nonce.end());
}

}  // namespace

Bytes HelloTranscript(const HelloInfo& self, const HelloInfo& peer) {
  Bytes out;
  PutFramed(&out, AsBytes(std::string_view("hito/p2p/v1/hello")));
  PutHello(&out, self);
  PutHello(&out, peer);
  return out;
}

Ed25519Signature SignHello(const HelloInfo& self, const HelloInfo& peer,
                           const Ed25519PrivateKey& key) {
  return key.Sign(HelloTranscript(self, peer));
}

bool VerifyHello(const HelloInfo& peer, const HelloInfo& self, const Ed25519Signature& sig) {
  return Ed25519Verify(peer.node_key, HelloTranscript(peer, self), sig);
}

Status CheckCompatible(const HelloInfo& ours, const HelloInfo& theirs) {
  if (theirs.protocol_version != ours.protocol_version) {
    return FailedPreconditionError("hello: protocol_version " +
                                   std::to_string(theirs.protocol_version) + ", want " +
                                   std::to_string(ours.protocol_version));
  }
  if (theirs.chain_id != ours.chain_id) {
    return FailedPreconditionError("hello: chain_id \"" + theirs.chain_id + "\", want \"" +
                                   ours.chain_id + "\"");
  }
  if (theirs.genesis_hash != ours.genesis_hash) {
    return FailedPreconditionError("hello: genesis_hash " + HexEncode(theirs.genesis_hash) +
                                   ", want " + HexEncode(ours.genesis_hash));
  }
  if (theirs.node_key == ours.node_key) {
    return FailedPreconditionError("hello: node_key is our own key (self-connection)");
  }
  return Status::Ok();
}

}  // namespace hito::node::p2p
