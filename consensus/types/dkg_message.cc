#include "consensus/types/dkg_message.h"

#include <string>
#include <utility>

#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kTxSignLabel = "hito/v1/tx-sign";

template <typename T>
Result<DkgPayload> DecodeAs(ByteView b) {
  HITO_ASSIGN_OR_RETURN(T m, T::Decode(b));
  return DkgPayload(std::move(m));
}

// Dispatches on the message type byte to the strict zk::dkg decoders.
Result<DkgPayload> DecodeDkgPayload(ByteView b) {
  if (b.empty()) return InvalidArgumentError("dkg.message: empty");
  switch (static_cast<zk::dkg::MessageType>(b[0])) {
    case zk::dkg::MessageType::kDealing:
      return DecodeAs<zk::dkg::Dealing>(b);
    case zk::dkg::MessageType::kComplaint:
      return DecodeAs<zk::dkg::Complaint>(b);
    case zk::dkg::MessageType::kJustification:
      return DecodeAs<zk::dkg::Justification>(b);
    case zk::dkg::MessageType::kReshareDealing:
      return DecodeAs<zk::dkg::ReshareDealing>(b);
  }
  return InvalidArgumentError("dkg.message: unknown message type " + std::to_string(b[0]));
}

}  // namespace

Bytes EncodeDkgPayload(const DkgPayload& payload) {
  return std::visit([](const auto& m) { return m.Encode(); }, payload);
}

const Hash32& DkgPayloadSession(const DkgPayload& payload) {
  return std::visit([](const auto& m) -> const Hash32& { return m.session; }, payload);
}

void WriteDkgUnsigned(Writer* w, const DkgMessage& m) {
  w->U8(kTxVersion);
  w->U8(static_cast<uint8_t>(TxKind::kDkg));
  w->String(m.chain_id);
  w->Fixed(m.sender);
  w->Fixed(m.session);
  w->VarBytes(EncodeDkgPayload(m.payload));
}

Status ReadDkgBody(Reader* r, DkgMessage* m) {
  HITO_RETURN_IF_ERROR(r->String("dkg.chain_id", kChainIdMaxLen, &m->chain_id));
  HITO_RETURN_IF_ERROR(ValidateChainId("dkg.chain_id", m->chain_id));
  HITO_RETURN_IF_ERROR(r->Fixed("dkg.sender", &m->sender));
  HITO_RETURN_IF_ERROR(r->Fixed("dkg.session", &m->session));
  Bytes message;
  HITO_RETURN_IF_ERROR(r->VarBytes("dkg.message", kTxMaxBytes, &message));
  HITO_ASSIGN_OR_RETURN(m->payload, DecodeDkgPayload(message));
  if (DkgPayloadSession(m->payload) != m->session) {
    return InvalidArgumentError("dkg.message: names another session than dkg.session");
  }
  HITO_RETURN_IF_ERROR(r->Fixed("dkg.signature", &m->signature));
  return Status::Ok();
}

Bytes DkgSigningBytes(const DkgMessage& m) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kTxSignLabel);
    WriteDkgUnsigned(w, m);
  });
}

void SignDkgMessage(DkgMessage* m, const Ed25519PrivateKey& key) {
  m->sender = key.public_key();
  m->signature = key.Sign(DkgSigningBytes(*m));
}

bool VerifyDkgSignature(const DkgMessage& m) {
  return Ed25519Verify(m.sender, DkgSigningBytes(m), m.signature);
}

}  // namespace hito::consensus::types
