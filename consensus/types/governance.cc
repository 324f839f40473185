#include "consensus/types/governance.h"

#include <algorithm>
#include <type_traits>

#include "base/assert.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"

namespace hito::consensus::types {
namespace {

constexpr std::string_view kProposalSignLabel = "hito/v1/proposal-sign";
constexpr std::string_view kBallotMessageLabel = "hito/v1/ballot-message";
constexpr std::string_view kBallotContextPrefix = "vote/";

void WriteActionBody(Writer* w, const Action& a) {
  w->U8(static_cast<uint8_t>(ActionTagOf(a)));
  std::visit(
      [w](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ParamChange>) {
          w->U16(x.param);
          w->U64(x.value);
        } else if constexpr (std::is_same_v<T, AddAttester> || std::is_same_v<T, RemoveAttester>) {
          w->Fixed(x.attester);
        } else if constexpr (std::is_same_v<T, AddValidator> || std::is_same_v<T, ValidatorPower>) {
          w->Fixed(x.validator);
          w->U64(x.power);
        } else if constexpr (std::is_same_v<T, RemoveValidator>) {
          w->Fixed(x.validator);
        } else if constexpr (std::is_same_v<T, EvidenceRemoval>) {
          w->Fixed(x.evidence);
        } else if constexpr (std::is_same_v<T, RevokeIdentity>) {
          w->Fixed(x.identity);
        } else {
          static_assert(std::is_same_v<T, TextProposal>);
          w->VarBytes(x.text);
        }
      },
      a);
}

Status ReadPower(Reader* r, std::string_view what, uint64_t* power) {
  HITO_RETURN_IF_ERROR(r->U64(what, power));
  if (*power == 0) return InvalidArgumentError(std::string(what) + ": power must be >= 1");
  return Status::Ok();
}

Status ReadActionBody(Reader* r, Action* a) {
  uint8_t tag = 0;
  HITO_RETURN_IF_ERROR(r->U8("proposal.action.tag", &tag));
  switch (static_cast<ActionTag>(tag)) {
    case ActionTag::kParam: {
      auto& p = a->emplace<ParamChange>();
      HITO_RETURN_IF_ERROR(r->U16("proposal.action.param", &p.param));
      return r->U64("proposal.action.value", &p.value);
    }
    case ActionTag::kAddAttester:
      return r->Fixed("proposal.action.attester", &a->emplace<AddAttester>().attester);
    case ActionTag::kRemoveAttester:
      return r->Fixed("proposal.action.attester", &a->emplace<RemoveAttester>().attester);
    case ActionTag::kAddValidator: {
      auto& v = a->emplace<AddValidator>();
      HITO_RETURN_IF_ERROR(r->Fixed("proposal.action.validator", &v.validator));
      return ReadPower(r, "proposal.action.power", &v.power);
    }
    case ActionTag::kRemoveValidator:
      return r->Fixed("proposal.action.validator", &a->emplace<RemoveValidator>().validator);
    case ActionTag::kValidatorPower: {
      auto& v = a->emplace<ValidatorPower>();
      HITO_RETURN_IF_ERROR(r->Fixed("proposal.action.validator", &v.validator));
      return ReadPower(r, "proposal.action.power", &v.power);
    }
    case ActionTag::kEvidenceRemoval:
      return r->Fixed("proposal.action.evidence", &a->emplace<EvidenceRemoval>().evidence);
    case ActionTag::kRevokeIdentity:
      return r->Fixed("proposal.action.identity", &a->emplace<RevokeIdentity>().identity);
    case ActionTag::kText:
      return r->VarBytes("proposal.action.text", kProposalTextMaxLen,
                         &a->emplace<TextProposal>().text);
  }
  return InvalidArgumentError("proposal.action.tag: unknown action " + std::to_string(tag));
}

}  // namespace

ActionTag ActionTagOf(const Action& a) { return static_cast<ActionTag>(a.index() + 1); }

std::string_view ActionName(ActionTag tag) {
  switch (tag) {
    case ActionTag::kParam:
      return "param";
    case ActionTag::kAddAttester:
      return "add_attester";
    case ActionTag::kRemoveAttester:
      return "remove_attester";
    case ActionTag::kAddValidator:
      return "add_validator";
    case ActionTag::kRemoveValidator:
      return "remove_validator";
    case ActionTag::kValidatorPower:
      return "validator_power";
    case ActionTag::kEvidenceRemoval:
      return "evidence_removal";
    case ActionTag::kRevokeIdentity:
      return "revoke_identity";
    case ActionTag::kText:
      return "text";
  }
  return "unknown";
}

Bytes EncodeAction(const Action& a) {
  return EncodeWith([&](Writer* w) { WriteActionBody(w, a); });
}

Result<Action> DecodeAction(ByteView bytes) {
  return DecodeWhole<Action>(bytes, "proposal.action", ReadActionBody);
}

void WriteProposalUnsigned(Writer* w, const GovernanceProposal& p) {
  w->U8(kTxVersion);
  w->U8(static_cast<uint8_t>(TxKind::kProposal));
  w->String(p.chain_id);
  w->Fixed(p.sender);
  w->U64(p.nonce);
  w->U64(p.fee);
  w->U64(p.deposit);
  WriteActionBody(w, p.action);
}

Status ReadProposalBody(Reader* r, GovernanceProposal* p) {
  HITO_RETURN_IF_ERROR(r->String("proposal.chain_id", kChainIdMaxLen, &p->chain_id));
  HITO_RETURN_IF_ERROR(ValidateChainId("proposal.chain_id", p->chain_id));
  HITO_RETURN_IF_ERROR(r->Fixed("proposal.sender", &p->sender));
  HITO_RETURN_IF_ERROR(r->U64("proposal.nonce", &p->nonce));
  HITO_RETURN_IF_ERROR(r->U64("proposal.fee", &p->fee));
  HITO_RETURN_IF_ERROR(r->U64("proposal.deposit", &p->deposit));
  HITO_RETURN_IF_ERROR(ReadActionBody(r, &p->action));
  return r->Fixed("proposal.signature", &p->signature);
}

Bytes ProposalSigningBytes(const GovernanceProposal& p) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kProposalSignLabel);
    WriteProposalUnsigned(w, p);
  });
}

void SignProposal(GovernanceProposal* p, const Ed25519PrivateKey& key) {
  p->sender = key.public_key();
  p->signature = key.Sign(ProposalSigningBytes(*p));
}

bool VerifyProposalSignature(const GovernanceProposal& p) {
  return Ed25519Verify(p.sender, ProposalSigningBytes(p), p.signature);
}

std::string BallotContext(uint64_t round) {
  std::string out(kBallotContextPrefix);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((round >> shift) & 0xff));
  }
  return out;
}

void WriteBallotEntries(Writer* w, const std::vector<BallotEntry>& entries) {
  w->U32(static_cast<uint32_t>(entries.size()));
  for (const BallotEntry& e : entries) {
    w->U32(e.index);
    w->U64(static_cast<uint64_t>(e.vote));
  }
}

Status ReadBallotEntries(Reader* r, std::string_view what, std::vector<BallotEntry>* entries) {
  const std::string count_what = std::string(what) + ".count";
  uint32_t n = 0;
  HITO_RETURN_IF_ERROR(r->Count(count_what, kBallotEntriesMax, 12, &n));
  if (n == 0) return InvalidArgumentError(count_what + ": a ballot holds at least one entry");
  entries->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    BallotEntry& e = (*entries)[i];
    HITO_RETURN_IF_ERROR(r->U32(std::string(what) + ".index", &e.index));
    uint64_t bits = 0;
    HITO_RETURN_IF_ERROR(r->U64(std::string(what) + ".vote", &bits));
    e.vote = static_cast<int64_t>(bits);  // two's complement (C++20)
    if (i > 0 && e.index <= (*entries)[i - 1].index) {
      return InvalidArgumentError(std::string(what) +
                                  ".index: indices must be strictly increasing");
    }
  }
  return Status::Ok();
}

Bytes BallotMessage(std::string_view chain_id, uint64_t round, uint32_t cohort,
                    const std::vector<BallotEntry>& entries) {
  return EncodeWith([&](Writer* w) {
    WriteSigningLabel(w, kBallotMessageLabel);
    w->String(chain_id);
    w->U64(round);
    w->U32(cohort);
    WriteBallotEntries(w, entries);
  });
}

Hash32 BallotNullifier(const Ballot& b) {
  HITO_ASSERT(b.proof.size() >= 32);
  Hash32 out;
  std::copy(b.proof.begin(), b.proof.begin() + 32, out.begin());
  return out;
}

void WriteBallotBody(Writer* w, const Ballot& b) {
  w->U64(b.round);
  w->U32(b.cohort);
  WriteBallotEntries(w, b.entries);
  w->VarBytes(b.proof);
}

Status ReadBallotBody(Reader* r, Ballot* b) {
  HITO_RETURN_IF_ERROR(r->U64("ballot.round", &b->round));
  HITO_RETURN_IF_ERROR(r->U32("ballot.cohort", &b->cohort));
  HITO_RETURN_IF_ERROR(ReadBallotEntries(r, "ballot.entries", &b->entries));
  HITO_RETURN_IF_ERROR(r->VarBytes("ballot.proof", kBallotProofMaxBytes, &b->proof));
  const size_t n = b->proof.size();
  if (n < kBallotProofMinBytes || n % 32 != 0 || (n / 32 - 8) % 5 != 0) {
    return InvalidArgumentError("ballot.proof: " + std::to_string(n) +
                                " bytes is not the size of a membership proof");
  }
  return Status::Ok();
}

}  // namespace hito::consensus::types
