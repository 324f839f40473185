// Transactions: what they contain, their one canonical encoding, hash and signing bytes.
//
// Encoding (docs/protocol/encoding.md):
//   tx        = version:u8(=1) kind:u8 body
//   transfer  = chain_id:str sender:pubkey32 nonce:u64 fee:u64 to:account32 amount:u64
//               memo:bytes(<=256) signature:sig64
//   register  = attestation possession:bytes64              (personhood.h)
//   revoke    = chain_id:str attester:pubkey32 identity:point32 signature:sig64
//   claim     = epoch:u64 cohort:u32 recipient:account32 proof:bytes   (personhood.h)
//   proposal  = chain_id:str sender:pubkey32 nonce:u64 fee:u64 deposit:u64 action
//               signature:sig64                                     (governance.h)
//   ballot    = round:u64 cohort:u32 entries proof:bytes              (governance.h)
//   dkg       = chain_id:str sender:pubkey32 session:hash32 message:bytes
//               signature:sig64                                    (dkg_message.h)
// The signature covers SigningBytes(tx): a domain label, then the encoding of every field
// except the signature, so it binds the chain id, nonce and fee. The hash covers the full
// encoding, signature included. Registrations and revocations carry no account, fee or
// nonce: the attestation (or the attester's signature) is the authorisation. Kind 7 is a
// reserved number whose body is defined later; the decoder refuses it with kUnimplemented.
#ifndef HITO_CONSENSUS_TYPES_TRANSACTION_H_
#define HITO_CONSENSUS_TYPES_TRANSACTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/dkg_message.h"
#include "consensus/types/governance.h"
#include "consensus/types/personhood.h"

namespace hito::consensus::types {

inline constexpr uint8_t kTxVersion = 1;

enum class TxKind : uint8_t {
  kTransfer = 1,
  kRegister = 2,   // personhood registration with an attestation
  kClaim = 3,      // UBI claim with a membership proof
  kProposal = 4,   // governance proposal with a deposit
  kBallot = 5,     // anonymous quadratic ballot
  kRevoke = 6,     // an attester revokes an identity it issued
  kValidator = 7,  // validator set actions (reserved)
  kDkg = 8,        // one message of a dedup-key DKG or resharing run
};
std::string_view TxKindName(TxKind kind);

// An account id: BLAKE2b-256 under "hito/v1/address" of the owner's Ed25519 public key.
using AccountId = Hash32;
AccountId AccountIdFromPublicKey(const Ed25519PublicKey& pk);

struct Transfer {
  std::string chain_id;
  Ed25519PublicKey sender{};
  uint64_t nonce = 0;  // the sender account's nonce before this transaction
  uint64_t fee = 0;    // burned
  AccountId to{};
  uint64_t amount = 0;
  Bytes memo;  // at most kMemoMaxLen bytes, opaque
  Ed25519Signature signature{};

  friend bool operator==(const Transfer&, const Transfer&) = default;
};

struct Transaction {
  std::variant<Transfer, Registration, Revocation, Claim, GovernanceProposal, Ballot, DkgMessage>
      body;

  TxKind kind() const;
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

Bytes EncodeTransaction(const Transaction& tx);
// Strict: exactly one encoding decodes; errors are kInvalidArgument naming the field,
// or kUnimplemented for the reserved kind 7.
Result<Transaction> DecodeTransaction(ByteView bytes);

// BLAKE2b-256 "hito/v1/tx" of the full encoding.
Hash32 TransactionHash(ByteView encoded);
inline Hash32 TransactionHash(const Transaction& tx) {
  return TransactionHash(EncodeTransaction(tx));
}

// The bytes the sender signs: label "hito/v1/tx-sign" framing, then every field but the
// signature.
Bytes TransferSigningBytes(const Transfer& t);
// Fills t->signature.
void SignTransfer(Transfer* t, const Ed25519PrivateKey& key);
[[nodiscard]] bool VerifyTransferSignature(const Transfer& t);

// The signed, nonce'd, fee-paying kinds (transfers and governance proposals) share one
// nonce sequence per sender: their chain id, sender key and nonce, pointing into `tx`;
// nullopt for the personhood kinds and ballots.
struct SignedFields {
  const std::string* chain_id = nullptr;
  const Ed25519PublicKey* sender = nullptr;
  uint64_t nonce = 0;
};
std::optional<SignedFields> SignedFieldsOf(const Transaction& tx);
// The transfer's, proposal's or DKG message's signature; false for the other kinds.
[[nodiscard]] bool VerifySenderSignature(const Transaction& tx);

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_TRANSACTION_H_
