#include "consensus/types/transaction.h"

#include "base/hash.h"
#include "consensus/types/codec.h"
#include "consensus/types/internal.h"
#include "consensus/types/limits.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kTxLabel = "hito/v1/tx";
constexpr std::string_view kTxSignLabel = "hito/v1/tx-sign";
constexpr std::string_view kAddressLabel = "hito/v1/address";

// Everything but the signature: the shared prefix of the encoding and the signing bytes.
void WriteTransferUnsigned(Writer* w, const Transfer& t) {
  w->U8(kTxVersion);
  w->U8(static_cast<uint8_t>(TxKind::kTransfer));
  w->String(t.chain_id);
  w->Fixed(t.sender);
  w->U64(t.nonce);
  w->U64(t.fee);
  w->Fixed(t.to);
  w->U64(t.amount);
  w->VarBytes(t.memo);
}

Status ReadTransfer(Reader* r, Transfer* t) {
  HITO_RETURN_IF_ERROR(r->String("transfer.chain_id", kChainIdMaxLen, &t->chain_id));
  HITO_RETURN_IF_ERROR(ValidateChainId("transfer.chain_id", t->chain_id));
  HITO_RETURN_IF_ERROR(r->Fixed("transfer.sender", &t->sender));
  HITO_RETURN_IF_ERROR(r->U64("transfer.nonce", &t->nonce));
  HITO_RETURN_IF_ERROR(r->U64("transfer.fee", &t->fee));
  HITO_RETURN_IF_ERROR(r->Fixed("transfer.to", &t->to));
  HITO_RETURN_IF_ERROR(r->U64("transfer.amount", &t->amount));
  HITO_RETURN_IF_ERROR(r->VarBytes("transfer.memo", kMemoMaxLen, &t->memo));
  HITO_RETURN_IF_ERROR(r->Fixed("transfer.signature", &t->signature));
  return Status::Ok();
}

// Version and kind, then the body of that kind.
Status ReadTransaction(Reader* r, Transaction* tx) {
  uint8_t version = 0;
  HITO_RETURN_IF_ERROR(r->U8("transaction.version", &version));
  if (version != kTxVersion) {
    return InvalidArgumentError("transaction.version: unknown version " + std::to_string(version) +
                                " (expected " + std::to_string(kTxVersion) + ")");
  }
  uint8_t kind = 0;
  HITO_RETURN_IF_ERROR(r->U8("transaction.kind", &kind));
  switch (static_cast<TxKind>(kind)) {
    case TxKind::kTransfer:
      return ReadTransfer(r, &tx->body.emplace<Transfer>());
    case TxKind::kRegister:
      return ReadRegistrationBody(r, &tx->body.emplace<Registration>());
    case TxKind::kRevoke:
      return ReadRevocationBody(r, &tx->body.emplace<Revocation>());
    case TxKind::kClaim:
      return ReadClaimBody(r, &tx->body.emplace<Claim>());
    case TxKind::kProposal:
      return ReadProposalBody(r, &tx->body.emplace<GovernanceProposal>());
    case TxKind::kBallot:
      return ReadBallotBody(r, &tx->body.emplace<Ballot>());
    case TxKind::kDkg:
      return ReadDkgBody(r, &tx->body.emplace<DkgMessage>());
    default:
      break;
  }
  if (kind == static_cast<uint8_t>(TxKind::kValidator)) {
    return UnimplementedError(
        "transaction.kind: " + std::string(TxKindName(static_cast<TxKind>(kind))) + " (" +
        std::to_string(kind) + ") is reserved and not implemented yet");
  }
  return InvalidArgumentError("transaction.kind: unknown kind " + std::to_string(kind));
}

}  // namespace

std::string_view TxKindName(TxKind kind) {
  switch (kind) {
    case TxKind::kTransfer:
      return "transfer";
    case TxKind::kRegister:
      return "register";
    case TxKind::kClaim:
      return "claim";
    case TxKind::kProposal:
      return "proposal";
    case TxKind::kBallot:
      return "ballot";
    case TxKind::kRevoke:
      return "revoke";
    case TxKind::kValidator:
      return "validator";
    case TxKind::kDkg:
      return "dkg";
  }
  return "unknown";
}

AccountId AccountIdFromPublicKey(const Ed25519PublicKey& pk) {
  return DomainHash(kAddressLabel, pk);
}

TxKind Transaction::kind() const {
  if (std::holds_alternative<Registration>(body)) return TxKind::kRegister;
  if (std::holds_alternative<Revocation>(body)) return TxKind::kRevoke;
  if (std::holds_alternative<Claim>(body)) return TxKind::kClaim;
  if (std::holds_alternative<GovernanceProposal>(body)) return TxKind::kProposal;
  if (std::holds_alternative<Ballot>(body)) return TxKind::kBallot;
  if (std::holds_alternative<DkgMessage>(body)) return TxKind::kDkg;
  return TxKind::kTransfer;
}

Bytes EncodeTransaction(const Transaction& tx) {
  return EncodeWith([&](Writer* w) {
    if (const auto* t = std::get_if<Transfer>(&tx.body)) {
      WriteTransferUnsigned(w, *t);
      w->Fixed(t->signature);
    } else if (const auto* reg = std::get_if<Registration>(&tx.body)) {
      w->U8(kTxVersion);
      w->U8(static_cast<uint8_t>(TxKind::kRegister));
      WriteRegistrationBody(w, *reg);
    } else if (const auto* claim = std::get_if<Claim>(&tx.body)) {
      w->U8(kTxVersion);
      w->U8(static_cast<uint8_t>(TxKind::kClaim));
      WriteClaimBody(w, *claim);
    } else if (const auto* p = std::get_if<GovernanceProposal>(&tx.body)) {
      WriteProposalUnsigned(w, *p);
      w->Fixed(p->signature);
    } else if (const auto* b = std::get_if<Ballot>(&tx.body)) {
      w->U8(kTxVersion);
      w->U8(static_cast<uint8_t>(TxKind::kBallot));
      WriteBallotBody(w, *b);
    } else if (const auto* d = std::get_if<DkgMessage>(&tx.body)) {
      WriteDkgUnsigned(w, *d);
      w->Fixed(d->signature);
    } else {
      const Revocation& rev = std::get<Revocation>(tx.body);
      WriteRevocationUnsigned(w, rev);
      w->Fixed(rev.signature);
    }
  });
}

Result<Transaction> DecodeTransaction(ByteView bytes) {
  if (bytes.size() > kTxMaxBytes) {
    return InvalidArgumentError("transaction: " + std::to_string(bytes.size()) +
                                " bytes exceeds the maximum of " + std::to_string(kTxMaxBytes));
  }
  return DecodeWhole<Transaction>(bytes, "transaction", ReadTransaction);
}

Hash32 TransactionHash(ByteView encoded) { return DomainHash(kTxLabel, encoded); }

Bytes TransferSigningBytes(const Transfer& t) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kTxSignLabel);
    WriteTransferUnsigned(w, t);
  });
}

void SignTransfer(Transfer* t, const Ed25519PrivateKey& key) {
  t->signature = key.Sign(TransferSigningBytes(*t));
}

bool VerifyTransferSignature(const Transfer& t) {
  return Ed25519Verify(t.sender, TransferSigningBytes(t), t.signature);
}

std::optional<SignedFields> SignedFieldsOf(const Transaction& tx) {
  if (const auto* t = std::get_if<Transfer>(&tx.body)) {
    return SignedFields{&t->chain_id, &t->sender, t->nonce};
  }
  if (const auto* p = std::get_if<GovernanceProposal>(&tx.body)) {
    return SignedFields{&p->chain_id, &p->sender, p->nonce};
  }
  return std::nullopt;
}

bool VerifySenderSignature(const Transaction& tx) {
  if (const auto* t = std::get_if<Transfer>(&tx.body)) return VerifyTransferSignature(*t);
  if (const auto* p = std::get_if<GovernanceProposal>(&tx.body)) return VerifyProposalSignature(*p);
  if (const auto* d = std::get_if<DkgMessage>(&tx.body)) return VerifyDkgSignature(*d);
  return false;
}

}  // namespace hito::consensus::types
