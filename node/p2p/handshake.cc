#include "node/p2p/handshake.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "base/hex.h"
#include "consensus/types/limits.h"

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

template <size_t N>
bool CopyFixed(const std::string& s, std::array<uint8_t, N>* out) {
  if (s.size() != N) return false;
  std::copy(s.begin(), s.end(), out->begin());
  return true;
}

std::string Str(ByteView b) { return std::string(AsChars(b)); }

// Reads the peer's Hello and checks it against ours.
Result<HelloInfo> ReadHello(const HelloInfo& ours, const std::optional<Ed25519PublicKey>& expected,
                            MessageReader* r) {
  v1::PeerMessage in;
  if (!r->Read(&in)) return UnavailableError("stream ended before hello");
  if (!in.has_hello()) return InvalidArgumentError("first message is not a hello");
  HITO_ASSIGN_OR_RETURN(HelloInfo theirs, HelloFromProto(in.hello()));
  HITO_RETURN_IF_ERROR(CheckCompatible(ours, theirs));
  if (expected && *expected != theirs.node_key) {
    return FailedPreconditionError("hello: node_key " + ShortKey(theirs.node_key) +
                                   ", configured " + ShortKey(*expected));
  }
  return theirs;
}

// Reads the peer's HelloAuth and verifies it over both Hellos.
Status ReadHelloAuth(const HelloInfo& ours, const HelloInfo& theirs, MessageReader* r) {
  v1::PeerMessage in;
  if (!r->Read(&in)) return UnavailableError("stream ended before hello_auth");
  Ed25519Signature sig{};
  if (!in.has_hello_auth() || !CopyFixed(in.hello_auth().signature(), &sig)) {
    return InvalidArgumentError("second message is not a 64-byte hello_auth");
  }
  if (!VerifyHello(theirs, ours, sig)) {
    return UnauthenticatedError("hello_auth: invalid signature");
  }
  return Status::Ok();
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

v1::Hello HelloToProto(const HelloInfo& h) {
  v1::Hello p;
  p.set_protocol_version(h.protocol_version);
  p.set_chain_id(h.chain_id);
  p.set_genesis_hash(Str(h.genesis_hash));
  p.set_node_key(Str(h.node_key));
  p.set_height(h.height);
  p.set_nonce(Str(h.nonce));
  return p;
}

Result<HelloInfo> HelloFromProto(const v1::Hello& p) {
  HelloInfo h;
  h.protocol_version = p.protocol_version();
  if (p.chain_id().size() > consensus::types::kChainIdMaxLen) {
    return InvalidArgumentError("hello: chain_id longer than kChainIdMaxLen");
  }
  h.chain_id = p.chain_id();
  if (!CopyFixed(p.genesis_hash(), &h.genesis_hash)) {
    return InvalidArgumentError("hello: genesis_hash must be 32 bytes");
  }
  if (!CopyFixed(p.node_key(), &h.node_key)) {
    return InvalidArgumentError("hello: node_key must be 32 bytes");
  }
  if (!CopyFixed(p.nonce(), &h.nonce)) return InvalidArgumentError("hello: nonce must be 32 bytes");
  h.height = p.height();
  return h;
}

std::string ShortKey(const Ed25519PublicKey& k) { return HexEncode(ByteView(k.data(), 8)); }

Result<HelloInfo> ExchangeHellos(HelloInfo ours, const Ed25519PrivateKey& key,
                                 const std::optional<Ed25519PublicKey>& expected_key,
                                 MessageReader* r, MessageWriter* w) {
  randombytes_buf(ours.nonce.data(), ours.nonce.size());
  v1::PeerMessage out;
  *out.mutable_hello() = HelloToProto(ours);
  if (!w->Write(out)) return UnavailableError("could not send hello");
  HITO_ASSIGN_OR_RETURN(HelloInfo theirs, ReadHello(ours, expected_key, r));
  out.Clear();
  out.mutable_hello_auth()->set_signature(Str(SignHello(ours, theirs, key)));
  if (!w->Write(out)) return UnavailableError("could not send hello_auth");
  HITO_RETURN_IF_ERROR(ReadHelloAuth(ours, theirs, r));
  return theirs;
}

}  // namespace hito::node::p2p
