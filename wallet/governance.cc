#include "wallet/governance.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "base/assert.h"
#include "base/hex.h"
#include "wallet/personhood.h"
#include "zk/scalar.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;
using Json = nlohmann::ordered_json;

// Names as docs/protocol/governance.md numbers them: kParamNames[id - 1].
constexpr std::array<std::string_view, types::kParamIdMax> kParamNames{
    "ubi_per_epoch",          "max_claims_per_block",
    "max_attestation_epochs", "attester_quota_per_epoch",
    "claim_window",           "round_epochs",
    "voice_credits",          "quorum_ppm",
    "proposal_deposit",       "max_proposals_per_round",
    "dedup_quota_per_epoch"};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <typename T>
std::optional<T> ParseDecimal(std::string_view s) {
  if (!AllDigits(s)) return std::nullopt;
  T v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// |v| as an unsigned magnitude: 2^63 for INT64_MIN, without signed overflow.
uint64_t Magnitude(int64_t v) {
  return v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

// One "ID=VOTE" argument of a ballot of round `round`.
Result<types::BallotEntry> ParseBallotEntry(std::string_view arg, uint64_t round) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgumentError("vote '" + std::string(arg) + "' is not ID=VOTE (e.g. " +
                                FormatProposalId(round - 1, 0) + "=+3)");
  }
  HITO_ASSIGN_OR_RETURN(ProposalRef ref, ParseProposalId(arg.substr(0, eq)));
  if (ref.round.has_value() && *ref.round != round - 1) {
    return InvalidArgumentError("proposal " + FormatProposalId(*ref.round, ref.index) +
                                " is not voted in round " + std::to_string(round) +
                                ": a ballot of round " + std::to_string(round) +
                                " votes on the proposals of round " + std::to_string(round - 1));
  }
  HITO_ASSIGN_OR_RETURN(int64_t vote, ParseVote(arg.substr(eq + 1)));
  return types::BallotEntry{ref.index, vote};
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
bool IsValidUtf8(const Bytes& b) {
  size_t i = 0;
  while (i < b.size()) {
    const uint8_t c = b[i];
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1, cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3, cp = c & 0x07u;
    } else {
      return false;
    }
    if (b.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((b[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b[i + k] & 0x3fu);
    }
    if (extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return false;
    if (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) return false;
    i += extra + 1;
  }
  return true;
}

std::string TextOf(const Bytes& b) { return std::string(b.begin(), b.end()); }

struct ActionJsonVisitor {
  Json operator()(const types::ParamChange& a) const {
    return Json{{"type", "param"}, {"param", ParamName(a.param)}, {"value", a.value}};
  }
  Json operator()(const types::AddAttester& a) const {
    return Json{{"type", "add_attester"}, {"attester", HexEncode(a.attester)}};
  }
  Json operator()(const types::RemoveAttester& a) const {
    return Json{{"type", "remove_attester"}, {"attester", HexEncode(a.attester)}};
  }
  Json operator()(const types::AddValidator& a) const {
    return Json{
        {"type", "add_validator"}, {"validator", HexEncode(a.validator)}, {"power", a.power}};
  }
  Json operator()(const types::RemoveValidator& a) const {
    return Json{{"type", "remove_validator"}, {"validator", HexEncode(a.validator)}};
  }
  Json operator()(const types::ValidatorPower& a) const {
    return Json{
        {"type", "validator_power"}, {"validator", HexEncode(a.validator)}, {"power", a.power}};
  }
  Json operator()(const types::EvidenceRemoval& a) const {
    return Json{{"type", "evidence_removal"}, {"evidence", HexEncode(a.evidence)}};
  }
  Json operator()(const types::RevokeIdentity& a) const {
    return Json{{"type", "revoke_identity"}, {"identity", HexEncode(a.identity)}};
  }
  // Text is opaque bytes on chain: JSON gets it as a string only when it is UTF-8.
  Json operator()(const types::TextProposal& a) const {
    Json j{{"type", "text"}};
    j["text"] = IsValidUtf8(a.text) ? Json(TextOf(a.text)) : Json(nullptr);
    j["text_hex"] = HexEncode(a.text);
    return j;
  }
};

struct ActionTextVisitor {
  std::string operator()(const types::ParamChange& a) const {
    return "set " + ParamName(a.param) + " to " + std::to_string(a.value);
  }
  std::string operator()(const types::AddAttester& a) const {
    return "accredit attester " + HexEncode(a.attester);
  }
  std::string operator()(const types::RemoveAttester& a) const {
    return "withdraw attester " + HexEncode(a.attester);
  }
  std::string operator()(const types::AddValidator& a) const {
    return "add validator " + HexEncode(a.validator) + " with power " + std::to_string(a.power);
  }
  std::string operator()(const types::RemoveValidator& a) const {
    return "remove validator " + HexEncode(a.validator);
  }
  std::string operator()(const types::ValidatorPower& a) const {
    return "set the power of validator " + HexEncode(a.validator) + " to " +
           std::to_string(a.power);
  }
  std::string operator()(const types::EvidenceRemoval& a) const {
    return "remove the validator of evidence " + HexEncode(a.evidence);
  }
  std::string operator()(const types::RevokeIdentity& a) const {
    return "revoke identity " + HexEncode(a.identity);
  }
  // Quoted with JSON escapes, so control characters cannot reach the terminal raw.
  std::string operator()(const types::TextProposal& a) const {
    if (!IsValidUtf8(a.text)) return "text (hex) " + HexEncode(a.text);
    return "text " + Json(TextOf(a.text)).dump();
  }
};

Status CheckAction(const types::Action& action) {
  if (const auto* t = std::get_if<types::TextProposal>(&action)) {
    if (t->text.size() > types::kProposalTextMaxLen) {
      return InvalidArgumentError("text is longer than " +
                                  std::to_string(types::kProposalTextMaxLen) + " bytes");
    }
  }
  const uint64_t* power = nullptr;
  if (const auto* a = std::get_if<types::AddValidator>(&action)) power = &a->power;
  if (const auto* a = std::get_if<types::ValidatorPower>(&action)) power = &a->power;
  if (power != nullptr && *power == 0) return InvalidArgumentError("power must be at least 1");
  return Status::Ok();
}

}  // namespace

Result<uint16_t> ParseParamName(std::string_view name) {
  for (size_t i = 0; i < kParamNames.size(); ++i) {
    if (kParamNames[i] == name) return static_cast<uint16_t>(i + 1);
  }
  return InvalidArgumentError("unknown parameter '" + std::string(name) +
                              "'; governance can change: " + ParamNameList());
}

std::string ParamName(uint16_t id) {
  if (id >= 1 && id <= kParamNames.size()) return std::string(kParamNames[id - 1]);
  return "param#" + std::to_string(id);
}

std::string ParamNameList() {
  std::string out;
  for (std::string_view n : kParamNames) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

Result<ProposalRef> ParseProposalId(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgumentError("proposal ID '" + std::string(text) + "' " + std::string(why) +
                                " (expected ROUND.INDEX, e.g. 3.0, or a bare INDEX)");
  };
  ProposalRef ref;
  std::string_view index_text = text;
  if (const size_t dot = text.find('.'); dot != std::string_view::npos) {
    std::optional<uint64_t> round = ParseDecimal<uint64_t>(text.substr(0, dot));
    if (!round) return bad("has a bad round");
    ref.round = *round;
    index_text = text.substr(dot + 1);
  }
  std::optional<uint32_t> index = ParseDecimal<uint32_t>(index_text);
  if (!index) return bad("has a bad index");
  ref.index = *index;
  return ref;
}

std::string FormatProposalId(uint64_t round, uint32_t index) {
  return std::to_string(round) + "." + std::to_string(index);
}

Result<int64_t> ParseVote(std::string_view text) {
  const auto bad = [&] {
    return InvalidArgumentError("vote '" + std::string(text) +
                                "' is not an integer between -2^63 and 2^63-1 (e.g. +3, -2, 0)");
  };
  const bool negative = !text.empty() && text.front() == '-';
  const bool has_sign = !text.empty() && (text.front() == '-' || text.front() == '+');
  std::optional<uint64_t> magnitude = ParseDecimal<uint64_t>(text.substr(has_sign ? 1 : 0));
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (!magnitude || *magnitude > limit) return bad();
  if (negative) return static_cast<int64_t>(uint64_t{0} - *magnitude);  // two's complement
  return static_cast<int64_t>(*magnitude);
}

Result<std::vector<types::BallotEntry>> ParseBallotEntries(const std::vector<std::string>& args,
                                                           uint64_t round) {
  if (round == 0) return InvalidArgumentError("round 0 has no proposals to vote on");
  if (args.empty()) return InvalidArgumentError("a ballot needs at least one ID=VOTE");
  if (args.size() > types::kBallotEntriesMax) {
    return InvalidArgumentError("a ballot holds at most " +
                                std::to_string(types::kBallotEntriesMax) + " votes");
  }
  std::vector<types::BallotEntry> entries;
  for (const std::string& arg : args) {
    HITO_ASSIGN_OR_RETURN(types::BallotEntry e, ParseBallotEntry(arg, round));
    entries.push_back(e);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index == entries[i - 1].index) {
      return InvalidArgumentError("proposal " + FormatProposalId(round - 1, entries[i].index) +
                                  " is voted twice; give each proposal one vote");
    }
  }
  return entries;
}

std::optional<uint64_t> VoiceCreditsSpent(const std::vector<types::BallotEntry>& entries) {
  uint64_t sum = 0;
  for (const types::BallotEntry& e : entries) {
    const uint64_t m = Magnitude(e.vote);
    uint64_t square = 0;
    if (__builtin_mul_overflow(m, m, &square)) return std::nullopt;
    if (__builtin_add_overflow(sum, square, &sum)) return std::nullopt;
  }
  return sum;
}

Status CheckVoiceCredits(const std::vector<types::BallotEntry>& entries, uint64_t voice_credits) {
  const std::optional<uint64_t> spent = VoiceCreditsSpent(entries);
  if (spent.has_value() && *spent <= voice_credits) return Status::Ok();
  const std::string sum = spent ? std::to_string(*spent) : "more than 2^64-1";
  return FailedPreconditionError("TX_BALLOT_OVER_BUDGET: the votes cost " + sum +
                                 " voice credits (the sum of their squares), over the round's "
                                 "budget of " +
                                 std::to_string(voice_credits));
}

Result<types::GovernanceProposal> BuildSignedProposal(const ProposalRequest& req,
                                                      const Ed25519PrivateKey& key) {
  HITO_RETURN_IF_ERROR(types::ValidateChainId("chain id", req.chain_id));
  HITO_RETURN_IF_ERROR(CheckAction(req.action));
  types::GovernanceProposal p;
  p.chain_id = req.chain_id;
  p.nonce = req.nonce;
  p.fee = req.fee;
  p.deposit = req.deposit;
  p.action = req.action;
  types::SignProposal(&p, key);
  HITO_ASSERT(types::VerifyProposalSignature(p));
  return p;
}

Result<types::Ballot> BuildBallot(const zk::proof::membership::PreparedSet& set, uint64_t position,
                                  const IdentitySecret& secret, std::string_view chain_id,
                                  uint64_t round, uint32_t cohort,
                                  std::vector<types::BallotEntry> entries) {
  if (position >= set.size() || set.padded()[position].bytes() != secret.Point()) {
    return InvalidArgumentError("this identity is not member " + std::to_string(position) +
                                " of the snapshot of cohort " + std::to_string(cohort) +
                                " that round " + std::to_string(round) + " votes with");
  }
  Bytes message = types::BallotMessage(chain_id, round, cohort, entries);
  zk::Scalar x = IdentityScalar(secret);
  auto proof = zk::proof::membership::Prove(set, position, x, chain_id, types::BallotContext(round),
                                            message);
  x.Wipe();
  if (!proof.ok()) return proof.status();
  types::Ballot b;
  b.round = round;
  b.cohort = cohort;
  b.entries = std::move(entries);
  b.proof = proof->Encode();
  return b;
}

Json ActionToJson(const types::Action& action) { return std::visit(ActionJsonVisitor{}, action); }

std::string DescribeAction(const types::Action& action) {
  return std::visit(ActionTextVisitor{}, action);
}

}  // namespace hito::wallet
