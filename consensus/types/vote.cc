#include "consensus/types/vote.h"

#include <string>

#include "consensus/types/codec.h"
#include "consensus/types/internal.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kVoteSignLabel = "hito/v1/vote-sign";
constexpr std::string_view kProposalSignLabel = "hito/v1/proposal-sign";

void WriteOptionalHash(Writer* w, const std::optional<Hash32>& h) {
  w->Bool(h.has_value());
  if (h) w->Fixed(*h);
}

Status ReadOptionalHash(Reader* r, std::string_view what, std::optional<Hash32>* h) {
  bool present = false;
  HITO_RETURN_IF_ERROR(r->Bool(internal::Field(what, "has_block_hash"), &present));
  if (!present) {
    h->reset();
    return Status::Ok();
  }
  Hash32 v;
  HITO_RETURN_IF_ERROR(r->Fixed(internal::Field(what, "block_hash"), &v));
  *h = v;
  return Status::Ok();
}

// The vote's fields without the signature, in encoding order.
void WriteVoteUnsigned(Writer* w, const Vote& v) {
  w->U8(static_cast<uint8_t>(v.type));
  w->U64(v.height);
  w->U32(v.round);
  WriteOptionalHash(w, v.block_hash);
  w->Fixed(v.validator);
}

void WriteProposalUnsigned(Writer* w, const Proposal& p) {
  w->U64(p.height);
  w->U32(p.round);
  w->Bool(p.pol_round.has_value());
  if (p.pol_round) w->U32(*p.pol_round);
  w->Fixed(p.block_hash);
  w->Fixed(p.proposer);
}

Status ReadProposal(Reader* r, Proposal* p) {
  HITO_RETURN_IF_ERROR(r->U64("proposal.height", &p->height));
  HITO_RETURN_IF_ERROR(r->U32("proposal.round", &p->round));
  bool has_pol = false;
  HITO_RETURN_IF_ERROR(r->Bool("proposal.has_pol_round", &has_pol));
  if (has_pol) {
    uint32_t pol = 0;
    HITO_RETURN_IF_ERROR(r->U32("proposal.pol_round", &pol));
    p->pol_round = pol;
  }
  HITO_RETURN_IF_ERROR(r->Fixed("proposal.block_hash", &p->block_hash));
  HITO_RETURN_IF_ERROR(r->Fixed("proposal.proposer", &p->proposer));
  HITO_RETURN_IF_ERROR(r->Fixed("proposal.signature", &p->signature));
  return Status::Ok();
}

}  // namespace

namespace internal {

void WriteVote(Writer* w, const Vote& v) {
  WriteVoteUnsigned(w, v);
  w->Fixed(v.signature);
}

Status ReadVote(Reader* r, std::string_view what, Vote* v) {
  uint8_t type = 0;
  HITO_RETURN_IF_ERROR(r->U8(Field(what, "type"), &type));
  if (type != static_cast<uint8_t>(VoteType::kPrevote) &&
      type != static_cast<uint8_t>(VoteType::kPrecommit)) {
    return InvalidArgumentError(Field(what, "type") + ": unknown vote type " +
                                std::to_string(type));
  }
  v->type = static_cast<VoteType>(type);
  HITO_RETURN_IF_ERROR(r->U64(Field(what, "height"), &v->height));
  HITO_RETURN_IF_ERROR(r->U32(Field(what, "round"), &v->round));
  HITO_RETURN_IF_ERROR(ReadOptionalHash(r, what, &v->block_hash));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "validator"), &v->validator));
  HITO_RETURN_IF_ERROR(r->Fixed(Field(what, "signature"), &v->signature));
  return Status::Ok();
}

void WriteEvidence(Writer* w, const DuplicateVoteEvidence& e) {
  WriteVote(w, e.a);
  WriteVote(w, e.b);
}

Status ReadEvidence(Reader* r, std::string_view what, DuplicateVoteEvidence* e) {
  HITO_RETURN_IF_ERROR(ReadVote(r, Field(what, "a"), &e->a));
  HITO_RETURN_IF_ERROR(ReadVote(r, Field(what, "b"), &e->b));
  // One encoding per evidence: the two votes in byte order of their encodings.
  if (!(EncodeVote(e->a) < EncodeVote(e->b))) {
    return InvalidArgumentError(std::string(what) +
                                ": votes not in canonical order (encoding of a must sort "
                                "strictly before encoding of b)");
  }
  return Status::Ok();
}

void WriteProposalEvidence(Writer* w, const ConflictingProposalEvidence& e) {
  w->U8(kConflictingProposalEvidenceTag);
  w->Raw(EncodeProposal(e.a));
  w->Raw(EncodeProposal(e.b));
}

Status ReadProposalEvidence(Reader* r, std::string_view what, ConflictingProposalEvidence* e) {
  uint8_t tag = 0;
  HITO_RETURN_IF_ERROR(r->U8(Field(what, "tag"), &tag));
  if (tag != kConflictingProposalEvidenceTag) {
    return InvalidArgumentError(Field(what, "tag") + ": unknown evidence tag " +
                                std::to_string(tag));
  }
  HITO_RETURN_IF_ERROR(ReadProposal(r, &e->a));
  HITO_RETURN_IF_ERROR(ReadProposal(r, &e->b));
  if (!(EncodeProposal(e->a) < EncodeProposal(e->b))) {
    return InvalidArgumentError(std::string(what) +
                                ": proposals not in canonical order (encoding of a must sort "
                                "strictly before encoding of b)");
  }
  return Status::Ok();
}

}  // namespace internal

Bytes VoteSigningBytes(std::string_view chain_id, const Vote& v) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kVoteSignLabel);
    w->String(chain_id);
    WriteVoteUnsigned(w, v);
  });
}

void SignVote(std::string_view chain_id, Vote* v, const Ed25519PrivateKey& key) {
  v->signature = key.Sign(VoteSigningBytes(chain_id, *v));
}

bool VerifyVoteSignature(std::string_view chain_id, const Vote& v) {
  return Ed25519Verify(v.validator, VoteSigningBytes(chain_id, v), v.signature);
}

Bytes EncodeVote(const Vote& v) {
  return EncodeWith([&](Writer* w) { internal::WriteVote(w, v); });
}

Result<Vote> DecodeVote(ByteView bytes) {
  return DecodeWhole<Vote>(bytes, "vote",
                           [](Reader* r, Vote* v) { return internal::ReadVote(r, "vote", v); });
}

Bytes ProposalSigningBytes(std::string_view chain_id, const Proposal& p) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kProposalSignLabel);
    w->String(chain_id);
    WriteProposalUnsigned(w, p);
  });
}

void SignProposal(std::string_view chain_id, Proposal* p, const Ed25519PrivateKey& key) {
  p->signature = key.Sign(ProposalSigningBytes(chain_id, *p));
}

bool VerifyProposalSignature(std::string_view chain_id, const Proposal& p) {
  return Ed25519Verify(p.proposer, ProposalSigningBytes(chain_id, p), p.signature);
}

Bytes EncodeProposal(const Proposal& p) {
  return EncodeWith([&](Writer* w) {
    WriteProposalUnsigned(w, p);
    w->Fixed(p.signature);
  });
}

Result<Proposal> DecodeProposal(ByteView bytes) {
  return DecodeWhole<Proposal>(bytes, "proposal", ReadProposal);
}

Status VerifyEvidence(std::string_view chain_id, const DuplicateVoteEvidence& e) {
  const Vote& a = e.a;
  const Vote& b = e.b;
  if (a.validator != b.validator) {
    return InvalidArgumentError("evidence: votes are from different validators");
  }
  if (a.height != b.height || a.round != b.round || a.type != b.type) {
    return InvalidArgumentError("evidence: votes differ in height, round or type");
  }
  if (a.block_hash == b.block_hash) {
    return InvalidArgumentError("evidence: votes are for the same block hash");
  }
  if (!(EncodeVote(a) < EncodeVote(b))) {
    return InvalidArgumentError("evidence: votes not in canonical order");
  }
  if (!VerifyVoteSignature(chain_id, a)) {
    return InvalidArgumentError("evidence.a.signature: invalid");
  }
  if (!VerifyVoteSignature(chain_id, b)) {
    return InvalidArgumentError("evidence.b.signature: invalid");
  }
  return Status::Ok();
}

Status VerifyProposalEvidence(std::string_view chain_id, const ConflictingProposalEvidence& e) {
  const Proposal& a = e.a;
  const Proposal& b = e.b;
  if (a.proposer != b.proposer) {
    return InvalidArgumentError("evidence: proposals are from different validators");
  }
  if (a.height != b.height || a.round != b.round) {
    return InvalidArgumentError("evidence: proposals differ in height or round");
  }
  if (a.block_hash == b.block_hash && a.pol_round == b.pol_round) {
    return InvalidArgumentError("evidence: proposals propose the same thing");
  }
  if (!(EncodeProposal(a) < EncodeProposal(b))) {
    return InvalidArgumentError("evidence: proposals not in canonical order");
  }
  if (!VerifyProposalSignature(chain_id, a)) {
    return InvalidArgumentError("evidence.a.signature: invalid");
  }
  if (!VerifyProposalSignature(chain_id, b)) {
    return InvalidArgumentError("evidence.b.signature: invalid");
  }
  return Status::Ok();
}

Bytes EncodeProposalEvidence(const ConflictingProposalEvidence& e) {
  return EncodeWith([&](Writer* w) { internal::WriteProposalEvidence(w, e); });
}

Result<ConflictingProposalEvidence> DecodeProposalEvidence(ByteView bytes) {
  return DecodeWhole<ConflictingProposalEvidence>(
      bytes, "evidence", [](Reader* r, ConflictingProposalEvidence* e) {
        return internal::ReadProposalEvidence(r, "evidence", e);
      });
}

ConflictingProposalEvidence MakeProposalEvidence(Proposal first, Proposal second) {
  if (EncodeProposal(second) < EncodeProposal(first)) std::swap(first, second);
  return ConflictingProposalEvidence{std::move(first), std::move(second)};
}

Bytes EncodeEvidence(const DuplicateVoteEvidence& e) {
  return EncodeWith([&](Writer* w) { internal::WriteEvidence(w, e); });
}

Result<DuplicateVoteEvidence> DecodeEvidence(ByteView bytes) {
  return DecodeWhole<DuplicateVoteEvidence>(
      bytes, "evidence",
      [](Reader* r, DuplicateVoteEvidence* e) { return internal::ReadEvidence(r, "evidence", e); });
}

}  // namespace hito::consensus::types
