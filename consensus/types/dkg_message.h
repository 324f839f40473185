// DKG transactions (kind 8): one message of a key generation or resharing run of the dedup
// OPRF key (zk/dkg.h, docs/protocol/dkg.md), carried on chain and signed by the validator
// that sends it (docs/protocol/dedup-dkg.md).
//
//   dkg = chain_id:str sender:pubkey32 session:hash32 message:bytes(<= kTxMaxBytes) sig:sig64
//
// `message` is one zk::dkg encoding (dealing, complaint, justification or reshare dealing),
// decoded strictly; its own session field must equal `session`. The signature covers
// DkgSigningBytes: label "hito/v1/tx-sign" framing, then every field but the signature.
// There is no fee and no nonce: only members of the open session may send, and the ledger
// accepts each (role, dealer, complainer) slot once, so replays and spam are refused by
// state. Whether the sender may send this message is the ledger's question (dkg.h).
#ifndef HITO_CONSENSUS_TYPES_DKG_MESSAGE_H_
#define HITO_CONSENSUS_TYPES_DKG_MESSAGE_H_

#include <string>
#include <variant>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/codec.h"
#include "zk/dkg.h"

namespace hito::consensus::types {

using DkgPayload = std::variant<zk::dkg::Dealing, zk::dkg::Complaint, zk::dkg::Justification,
                                zk::dkg::ReshareDealing>;

struct DkgMessage {
  std::string chain_id;
  Ed25519PublicKey sender{};  // the validator key of a session member
  Hash32 session{};
  DkgPayload payload;
  Ed25519Signature signature{};

  friend bool operator==(const DkgMessage&, const DkgMessage&) = default;
};

// The payload's own encoding (its first byte is its zk::dkg::MessageType).
Bytes EncodeDkgPayload(const DkgPayload& payload);
// The session the payload names.
const Hash32& DkgPayloadSession(const DkgPayload& payload);

Bytes DkgSigningBytes(const DkgMessage& m);
void SignDkgMessage(DkgMessage* m, const Ed25519PrivateKey& key);
[[nodiscard]] bool VerifyDkgSignature(const DkgMessage& m);

// Bodies in place inside a transaction (transaction.cc).
void WriteDkgUnsigned(Writer* w, const DkgMessage& m);  // version and kind too
Status ReadDkgBody(Reader* r, DkgMessage* m);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_DKG_MESSAGE_H_
