// The governance commands of `hito`: `gov propose <action>`, `gov list`, `gov show`,
// `gov vote`, `gov tally`, `gov status` (docs/cli.md "Governance").
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/bech32m.h"
#include "base/hex.h"
#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "wallet/cli_internal.h"
#include "wallet/client.h"
#include "wallet/governance.h"
#include "wallet/keystore.h"
#include "wallet/personhood.h"
#include "wallet/snapshot.h"
#include "wallet/transfer.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;
using Json = nlohmann::ordered_json;

// ListProposals' largest page; max_proposals_per_round is at most 256, so one page holds a
// round, and the paging loop is bounded anyway.
constexpr uint32_t kProposalPage = 256;
constexpr int kProposalPagesMax = 64;

// ballots x 10^6 and quorum_ppm x live, as the ledger compares them.
__extension__ typedef unsigned __int128 U128;

std::string Hex(const std::string& bytes) { return HexEncode(AsBytes(bytes)); }

std::string Signed(int64_t v) { return (v > 0 ? "+" : "") + std::to_string(v); }

// ---------------------------------------------------------------------------- reading

// Every proposal submitted in `round`, in index order.
Result<std::vector<v1::ProposalView>> ListRound(NodeClient* client, uint64_t round) {
  std::vector<v1::ProposalView> out;
  std::string token;
  for (int page = 0; page < kProposalPagesMax; ++page) {
    HITO_ASSIGN_OR_RETURN(auto resp, client->ListProposals(round, kProposalPage, token));
    for (const auto& p : resp.items()) out.push_back(p);
    token = resp.next_page_token();
    if (token.empty()) return out;
  }
  return DataLossError("list proposals: round " + std::to_string(round) + " did not end within " +
                       std::to_string(kProposalPagesMax) + " pages");
}

Result<v1::ProposalView> FindProposal(NodeClient* client, uint64_t round, uint32_t index) {
  HITO_ASSIGN_OR_RETURN(auto views, ListRound(client, round));
  if (index >= views.size()) {
    return NotFoundError("PROPOSAL_NOT_FOUND: no proposal " + FormatProposalId(round, index) +
                         ": round " + std::to_string(round) + " has " +
                         std::to_string(views.size()) + " proposals");
  }
  return views[index];
}

// A proposal named on the command line; a bare index names one of the proposals being
// voted now (submitted in the round before the current one).
Result<v1::ProposalView> ResolveProposal(NodeClient* client, const ProposalRef& ref,
                                         uint64_t current_round) {
  if (!ref.round.has_value() && current_round == 0) {
    return FailedPreconditionError("round 0 votes on no proposals; name one as ROUND.INDEX");
  }
  return FindProposal(client, ref.round.value_or(current_round - 1), ref.index);
}

// ---------------------------------------------------------------------------- rendering

// "submitted" (voted next round), "voting", "no-quorum", "rejected", "executed",
// "not-executed".
std::string StatusName(const v1::ProposalView& p, uint64_t current_round) {
  switch (p.status()) {
    case v1::PROPOSAL_OPEN:
      return p.round() >= current_round ? "submitted" : "voting";
    case v1::PROPOSAL_NO_QUORUM:
      return "no-quorum";
    case v1::PROPOSAL_REJECTED:
      return "rejected";
    case v1::PROPOSAL_EXECUTED:
      return "executed";
    case v1::PROPOSAL_NOT_EXECUTED:
      return "not-executed";
    default:
      return "unknown";
  }
}

// true passed, false failed (no quorum or rejected), null not decided yet.
Json PassedJson(const v1::ProposalView& p) {
  if (p.status() == v1::PROPOSAL_EXECUTED || p.status() == v1::PROPOSAL_NOT_EXECUTED) return true;
  if (p.status() == v1::PROPOSAL_NO_QUORUM || p.status() == v1::PROPOSAL_REJECTED) return false;
  return nullptr;
}

// The action decoded from its canonical bytes; a node sending bytes that do not decode
// gets them shown as hex rather than trusted.
Result<types::Action> ActionOf(const v1::ProposalView& p) {
  return types::DecodeAction(AsBytes(p.action()));
}

Json ProposalJson(const v1::ProposalView& p, uint64_t current_round) {
  auto action = ActionOf(p);
  return Json{{"id", FormatProposalId(p.round(), p.index())},
              {"round", p.round()},
              {"index", p.index()},
              {"proposer", p.proposer()},
              {"action", action.ok() ? ActionToJson(*action) : Json(nullptr)},
              {"action_name", p.action_name()},
              {"action_hex", Hex(p.action())},
              {"deposit", p.deposit()},
              {"tally", p.tally()},
              {"ballots", p.ballots()},
              {"status", StatusName(p, current_round)},
              {"reason", p.reason().empty() ? Json(nullptr) : Json(p.reason())},
              {"passed", PassedJson(p)},
              {"voted_in_round", p.round() + 1}};
}

std::string ActionText(const v1::ProposalView& p) {
  auto action = ActionOf(p);
  if (!action.ok()) return p.action_name() + " (undecodable: " + Hex(p.action()) + ")";
  return DescribeAction(*action);
}

std::string ProposalLine(const v1::ProposalView& p, uint64_t current_round) {
  std::string status = StatusName(p, current_round);
  if (!p.reason().empty()) status += " (" + p.reason() + ")";
  return FormatProposalId(p.round(), p.index()) + "  " + status + "  tally " + Signed(p.tally()) +
         " from " + std::to_string(p.ballots()) + " ballots  " + ActionText(p);
}

// ---------------------------------------------------------------------------- status

Json ParamsJson(const v1::GovernanceParams& p) {
  return Json{{"round_epochs", p.round_epochs()},
              {"voice_credits", p.voice_credits()},
              {"quorum_ppm", p.quorum_ppm()},
              {"proposal_deposit", p.proposal_deposit()},
              {"max_proposals_per_round", p.max_proposals_per_round()}};
}

CmdResult GovStatus(const Globals& g) {
  NodeClient client(g.node);
  auto gov = client.GetGovernance();
  if (!gov.ok()) return Fail(gov.status());
  const uint64_t r = gov->round();
  Json j{{"height", gov->height()},
         {"epoch", gov->epoch()},
         {"round", r},
         {"round_start_epoch", gov->round_start_epoch()},
         {"round_epochs", gov->round_epochs()},
         {"next_round_height", gov->next_round_height()},
         {"voice_credits", gov->voice_credits()},
         {"live", gov->live()},
         {"voters", gov->voters()},
         {"proposals", gov->proposals()},
         {"escrow", gov->escrow()},
         {"voting_on_round", r == 0 ? Json(nullptr) : Json(r - 1)},
         {"params", ParamsJson(gov->params())}};
  std::ostringstream t;
  t << "round:            " << r << " (epochs " << gov->round_start_epoch() << ".."
    << gov->round_start_epoch() + gov->round_epochs() - 1 << ", now epoch " << gov->epoch()
    << ", height " << gov->height() << ")\nnext round at:    height " << gov->next_round_height()
    << "\nvoting on:        "
    << (r == 0 ? std::string("nothing (round 0)")
               : "the proposals of round " + std::to_string(r - 1))
    << "\nvoice credits:    " << gov->voice_credits()
    << " per ballot\nlive identities:  " << gov->live() << " (" << gov->voters()
    << " have voted)\nsubmitted now:    " << gov->proposals() << " proposals, voted in round "
    << r + 1 << "\nquorum:           " << gov->params().quorum_ppm() << " ppm of live identities"
    << "\ndeposit:          " << gov->params().proposal_deposit() << " units (escrow "
    << gov->escrow() << ")";
  return Output{j, t.str()};
}

// ---------------------------------------------------------------------------- list, show

CmdResult GovList(const Globals& g, const std::string& round_arg) {
  std::optional<uint64_t> only;
  if (!round_arg.empty()) {
    auto r = ParseUnits(round_arg, "--round");
    if (!r.ok()) return Usage(r.status());
    only = *r;
  }
  NodeClient client(g.node);
  auto gov = client.GetGovernance();
  if (!gov.ok()) return Fail(gov.status());
  const uint64_t current = gov->round();
  std::vector<uint64_t> rounds;
  if (only) {
    rounds.push_back(*only);
  } else {
    if (current > 0) rounds.push_back(current - 1);
    rounds.push_back(current);
  }
  Output out{Json::array(), ""};
  for (uint64_t r : rounds) {
    auto views = ListRound(&client, r);
    if (!views.ok()) return Fail(views.status());
    out.text += "round " + std::to_string(r) + ": " + std::to_string(views->size()) +
                " proposals, voted in round " + std::to_string(r + 1) + "\n";
    for (const auto& p : *views) {
      out.json.push_back(ProposalJson(p, current));
      out.text += "  " + ProposalLine(p, current) + "\n";
    }
  }
  out.text.pop_back();
  return out;
}

CmdResult GovShow(const Globals& g, const std::string& id) {
  auto ref = ParseProposalId(id);
  if (!ref.ok()) return Usage(ref.status());
  NodeClient client(g.node);
  auto gov = client.GetGovernance();
  if (!gov.ok()) return Fail(gov.status());
  auto p = ResolveProposal(&client, *ref, gov->round());
  if (!p.ok()) return Fail(p.status());
  std::ostringstream t;
  t << "proposal:  " << FormatProposalId(p->round(), p->index()) << "\nproposer:  " << p->proposer()
    << "\naction:    " << ActionText(*p) << "\ndeposit:   " << p->deposit()
    << " units\nvoted in:  round " << p->round() + 1
    << "\nstatus:    " << StatusName(*p, gov->round())
    << (p->reason().empty() ? "" : " (" + p->reason() + ")")
    << "\ntally:     " << Signed(p->tally()) << " from " << p->ballots() << " ballots";
  return Output{ProposalJson(*p, gov->round()), t.str()};
}

// ---------------------------------------------------------------------------- tally

// The live count a proposal's quorum is measured against: recorded once decided, the
// open round's while it is voted, unknown before its voting round opens.
std::optional<uint64_t> LiveFor(const v1::ProposalView& p, const v1::GetGovernanceResponse& gov) {
  if (p.status() != v1::PROPOSAL_OPEN) return p.live();
  if (p.round() + 1 == gov.round()) return gov.live();
  return std::nullopt;
}

CmdResult GovTally(const Globals& g, const std::string& id) {
  auto ref = ParseProposalId(id);
  if (!ref.ok()) return Usage(ref.status());
  NodeClient client(g.node);
  auto gov = client.GetGovernance();
  if (!gov.ok()) return Fail(gov.status());
  auto p = ResolveProposal(&client, *ref, gov->round());
  if (!p.ok()) return Fail(p.status());
  const std::optional<uint64_t> live = LiveFor(*p, *gov);
  const uint32_t quorum_ppm = gov->params().quorum_ppm();
  // As the ledger decides: ballots x 10^6 >= quorum_ppm x live, in 128 bits, live >= 1.
  const auto scaled = static_cast<U128>(p->ballots()) * 1'000'000u;
  Json turnout = nullptr, reached = nullptr;
  if (live.has_value() && *live > 0) {
    turnout = static_cast<uint64_t>(scaled / *live);
    reached = scaled >= static_cast<U128>(quorum_ppm) * *live;
  }
  Json j{{"id", FormatProposalId(p->round(), p->index())},
         {"voted_in_round", p->round() + 1},
         {"tally", p->tally()},
         {"ballots", p->ballots()},
         {"live", live ? Json(*live) : Json(nullptr)},
         {"turnout_ppm", turnout},
         {"quorum_ppm", quorum_ppm},
         {"quorum_reached", reached},
         {"status", StatusName(*p, gov->round())},
         {"reason", p->reason().empty() ? Json(nullptr) : Json(p->reason())},
         {"passed", PassedJson(*p)}};
  std::ostringstream t;
  t << "proposal " << j["id"].get<std::string>() << ": " << ActionText(*p)
    << "\ntally:    " << Signed(p->tally()) << "\nballots:  " << p->ballots() << " of "
    << (live ? std::to_string(*live) : std::string("?")) << " live identities (quorum "
    << quorum_ppm << " ppm: "
    << (reached.is_null()     ? "n/a"
        : reached.get<bool>() ? "reached"
                              : "not reached")
    << ")\nstatus:   " << j["status"].get<std::string>()
    << (p->reason().empty() ? "" : " (" + p->reason() + ")");
  return Output{j, t.str()};
}

// ---------------------------------------------------------------------------- propose

struct ProposeArgs {
  std::string from;
  std::string fee = std::to_string(kDefaultFee);
  std::string name;      // param
  std::string value;     // param
  std::string key;       // attester or validator, hex
  std::string power;     // validator
  std::string evidence;  // hash hex
  std::string identity;  // point hex
  std::string text;
};

using ActionParser = Result<types::Action> (*)(const ProposeArgs&);

Result<Ed25519PublicKey> ParseKeyHex(const std::string& hex, std::string_view flag) {
  auto b = HexDecode32(hex);
  if (!b.ok()) return InvalidArgumentError(std::string(flag) + " must be 64 hex digits");
  return *b;
}

Result<uint64_t> ParsePower(const std::string& text) {
  HITO_ASSIGN_OR_RETURN(uint64_t p, ParseUnits(text, "--power"));
  if (p == 0) return InvalidArgumentError("--power must be at least 1");
  return p;
}

// Where a committed proposal was recorded: the last proposal of `proposer` with this
// action in the rounds from `first_round` to the current one (a proposal lands in the
// round of the block that commits it, which may have begun after it was signed).
Result<std::pair<uint64_t, uint32_t>> LocateProposal(NodeClient* client,
                                                     const std::string& proposer,
                                                     const types::Action& action,
                                                     uint64_t first_round) {
  HITO_ASSIGN_OR_RETURN(auto gov, client->GetGovernance());
  const std::string bytes = std::string(AsChars(types::EncodeAction(action)));
  for (uint64_t r = gov.round() + 1; r-- > first_round;) {
    HITO_ASSIGN_OR_RETURN(auto views, ListRound(client, r));
    for (auto it = views.rbegin(); it != views.rend(); ++it) {
      if (it->proposer() == proposer && it->action() == bytes) return std::pair{r, it->index()};
    }
  }
  return DataLossError("the proposal was committed but is not among the proposals of rounds " +
                       std::to_string(first_round) + ".." + std::to_string(gov.round()));
}

CmdResult GovPropose(const Globals& g, const ProposeArgs& a, const ActionParser& parse) {
  if (Status s = ValidateKeyName(a.from); !s.ok()) return Usage(s.WithContext("--from"));
  auto fee = ParseUnits(a.fee, "--fee");
  if (!fee.ok()) return Usage(fee.status());
  auto action = parse(a);
  if (!action.ok()) return Usage(action.status());
  auto key = UnlockKey(g, a.from);
  if (!key.ok()) return Fail(key.status());
  NodeClient client(g.node);
  auto st = client.GetStatus();
  if (!st.ok()) return Fail(st.status());
  auto gov = client.GetGovernance();
  if (!gov.ok()) return Fail(gov.status());
  const std::string from = AddressOf(key->public_key());
  auto acct = client.GetAccount(from);
  if (!acct.ok()) return Fail(acct.status());
  auto p = BuildSignedProposal(
      {st->chain_id(), acct->nonce(), *fee, gov->params().proposal_deposit(), *action}, *key);
  if (!p.ok()) return Usage(p.status());
  auto c = SubmitAndWait(&client, types::Transaction{*p});
  if (!c.ok()) return Fail(c.status());
  auto where = LocateProposal(&client, from, *action, gov->round());
  if (!where.ok()) return Fail(where.status().WithContext("transaction " + c->tx_hash));
  const auto [round, index] = *where;
  const std::string id = FormatProposalId(round, index);
  Json j{{"id", id},
         {"round", round},
         {"index", index},
         {"tx", c->tx_hash},
         {"height", c->height},
         {"votes_in_round", round + 1},
         {"deposit", p->deposit}};
  return Output{j, "proposal " + id + " committed in " + c->tx_hash + " at height " +
                       std::to_string(c->height) + " (deposit " + std::to_string(p->deposit) +
                       " units escrowed); voted in round " + std::to_string(round + 1)};
}

// ---------------------------------------------------------------------------- vote

struct VoteArgs {
  std::string name;
  std::string round;
  std::vector<std::string> votes;
};

// What a ballot run reads from the node before proving.
struct BallotInputs {
  std::string chain_id;
  v1::GetGovernanceResponse gov;
  v1::GetIdentityResponse identity;
  uint32_t cohort_bits = 0;
};

Result<BallotInputs> ReadBallotInputs(NodeClient* client, const types::IdentityPoint& point) {
  BallotInputs in;
  HITO_ASSIGN_OR_RETURN(auto st, client->GetStatus());
  in.chain_id = st.chain_id();
  HITO_ASSIGN_OR_RETURN(in.gov, client->GetGovernance());
  // The registry's, not UBI's: governance needs the registry, not UBI.
  HITO_ASSIGN_OR_RETURN(auto registry, client->GetRegistry());
  in.cohort_bits = registry.cohort_bits();
  HITO_ASSIGN_OR_RETURN(in.identity, client->GetIdentity(point));
  return in;
}

// The chain-dependent checks, all before proving: the round is the open one, every entry
// names an existing proposal of round - 1, and the votes fit the round's budget.
Status CheckBallotAgainstChain(NodeClient* client, const BallotInputs& in, uint64_t round,
                               const std::vector<types::BallotEntry>& entries) {
  const uint64_t open = in.gov.round();
  if (round != open) {
    return FailedPreconditionError("TX_ROUND_NOT_OPEN: round " + std::to_string(round) +
                                   " is not open for voting; the open round is " +
                                   std::to_string(open) + " (it votes on the proposals of round " +
                                   (open == 0 ? std::string("-") : std::to_string(open - 1)) + ")");
  }
  HITO_ASSIGN_OR_RETURN(auto page, client->ListProposals(round - 1, 1, ""));
  for (const types::BallotEntry& e : entries) {
    if (e.index >= page.proposals()) {
      return FailedPreconditionError(
          "TX_BALLOT_INVALID: no proposal " + FormatProposalId(round - 1, e.index) + ": round " +
          std::to_string(round - 1) + " has " + std::to_string(page.proposals()) + " proposals");
    }
  }
  return CheckVoiceCredits(entries, in.gov.voice_credits());
}

// The snapshot the round votes with (its first epoch, the identity's cohort) and the
// identity's position in it; warns on stderr when the set is small.
Result<std::pair<Snapshot, uint64_t>> BallotSnapshot(NodeClient* client, const Globals& g,
                                                     const BallotInputs& in,
                                                     const IdentitySecret& secret) {
  const uint64_t epoch = in.gov.round_start_epoch();
  const uint32_t cohort = in.identity.cohort();
  SnapshotCache cache(g.home + "/snapshots");
  NodeSnapshotSource source(client);
  HITO_ASSIGN_OR_RETURN(Snapshot snap, cache.Get(&source, epoch, cohort));
  const uint64_t position = in.identity.index() - (static_cast<uint64_t>(cohort) << in.cohort_bits);
  if (position >= snap.set.size() || snap.set.padded()[position].bytes() != secret.Point()) {
    return FailedPreconditionError(
        "TX_NO_SNAPSHOT: this identity is not in the snapshot of epoch " + std::to_string(epoch) +
        " that round " + std::to_string(in.gov.round()) + " votes with");
  }
  if (snap.live_members < kSmallAnonymitySet) {
    std::cerr << "warning: cohort " << cohort << " has " << snap.live_members
              << " live members; this ballot hides among few people\n";
  }
  return std::pair{std::move(snap), position};
}

Output BallotOutput(const types::Ballot& b, const Committed& c, uint64_t voice_credits) {
  Json entries = Json::array();
  std::string votes;
  for (const types::BallotEntry& e : b.entries) {
    const std::string id = FormatProposalId(b.round - 1, e.index);
    entries.push_back(Json{{"id", id}, {"vote", e.vote}});
    votes += (votes.empty() ? "" : ", ") + id + " " + Signed(e.vote);
  }
  Json j{{"round", b.round},   {"nullifier", HexEncode(types::BallotNullifier(b))},
         {"tx", c.tx_hash},    {"height", c.height},
         {"entries", entries}, {"voice_credits_spent", VoiceCreditsSpent(b.entries).value_or(0)}};
  return Output{j, "ballot for round " + std::to_string(b.round) + " committed in " + c.tx_hash +
                       " at height " + std::to_string(c.height) + ": " + votes + " (" +
                       std::to_string(j["voice_credits_spent"].get<uint64_t>()) + " of " +
                       std::to_string(voice_credits) +
                       " voice credits); it replaces any ballot this identity cast earlier in "
                       "the round"};
}

CmdResult GovVote(const Globals& g, const VoteArgs& a) {
  if (Status s = ValidateKeyName(a.name); !s.ok()) return Usage(s);
  auto round = ParseUnits(a.round, "--round");
  if (!round.ok()) return Usage(round.status());
  auto entries = ParseBallotEntries(a.votes, *round);
  if (!entries.ok()) return Usage(entries.status());
  auto info = Keystore(g.home, SecretKind::kIdentity).Info(a.name);
  if (!info.ok()) return Fail(info.status());
  NodeClient client(g.node);
  auto in = ReadBallotInputs(&client, info->public_key);
  if (!in.ok()) return Fail(in.status());
  if (Status s = CheckBallotAgainstChain(&client, *in, *round, *entries); !s.ok()) return Fail(s);
  auto secret = UnlockIdentity(g, a.name);
  if (!secret.ok()) return Fail(secret.status());
  auto snap = BallotSnapshot(&client, g, *in, *secret);
  if (!snap.ok()) return Fail(snap.status());
  std::cerr << "proving the ballot for round " << *round << " (set of " << snap->first.set.size()
            << " members" << (snap->first.from_cache ? ", cached" : "") << ")...\n";
  auto ballot = BuildBallot(snap->first.set, snap->second, *secret, in->chain_id, *round,
                            in->identity.cohort(), *entries);
  if (!ballot.ok()) return Fail(ballot.status());
  auto c = SubmitAndWait(&client, types::Transaction{*ballot});
  if (!c.ok()) return Fail(c.status());
  return BallotOutput(*ballot, *c, in->gov.voice_credits());
}

// ---------------------------------------------------------------------------- parsing

Result<types::Action> ParamAction(const ProposeArgs& a) {
  HITO_ASSIGN_OR_RETURN(uint16_t id, ParseParamName(a.name));
  HITO_ASSIGN_OR_RETURN(uint64_t v, ParseUnits(a.value, "--value"));
  return types::Action{types::ParamChange{id, v}};
}
Result<types::Action> AddAttesterAction(const ProposeArgs& a) {
  HITO_ASSIGN_OR_RETURN(auto k, ParseKeyHex(a.key, "--attester"));
  return types::Action{types::AddAttester{k}};
}
Result<types::Action> RemoveAttesterAction(const ProposeArgs& a) {
  HITO_ASSIGN_OR_RETURN(auto k, ParseKeyHex(a.key, "--attester"));
  return types::Action{types::RemoveAttester{k}};
}
Result<types::Action> AddValidatorAction(const ProposeArgs& a) {
  HITO_ASSIGN_OR_RETURN(auto k, ParseKeyHex(a.key, "--validator"));
  HITO_ASSIGN_OR_RETURN(uint64_t p, ParsePower(a.power));
  return types::Action{types::AddValidator{k, p}};
}
Result<types::Action> RemoveValidatorAction(const ProposeArgs& a) {
  HITO_ASSIGN_OR_RETURN(auto k, ParseKeyHex(a.key, "--validator"));
  return types::Action{types::RemoveValidator{k}};
}
Result<types::Action> ValidatorPowerAction(const ProposeArgs& a) {
  HITO_ASSIGN_OR_RETURN(auto k, ParseKeyHex(a.key, "--validator"));
  HITO_ASSIGN_OR_RETURN(uint64_t p, ParsePower(a.power));
  return types::Action{types::ValidatorPower{k, p}};
}
Result<types::Action> EvidenceRemovalAction(const ProposeArgs& a) {
  auto h = HexDecode32(a.evidence);
  if (!h.ok()) return InvalidArgumentError("--evidence must be 64 hex digits");
  return types::Action{types::EvidenceRemoval{*h}};
}
Result<types::Action> RevokeIdentityAction(const ProposeArgs& a) {
  HITO_ASSIGN_OR_RETURN(auto p, ParseIdentityPoint(a.identity));
  return types::Action{types::RevokeIdentity{p}};
}
Result<types::Action> TextAction(const ProposeArgs& a) {
  if (a.text.empty()) return InvalidArgumentError("--text is empty");
  if (a.text.size() > types::kProposalTextMaxLen) {
    return InvalidArgumentError("--text is longer than " +
                                std::to_string(types::kProposalTextMaxLen) + " bytes");
  }
  return types::Action{types::TextProposal{Bytes(a.text.begin(), a.text.end())}};
}

// A required flag of a `gov propose` subcommand and the field it fills.
struct FlagSpec {
  const char* flag;
  std::string ProposeArgs::*field;
  const char* help;
};

// One `gov propose <action>` subcommand: its flags (besides --from and --fee) and how
// they make the action.
struct ProposeKind {
  const char* name;
  const char* help;
  std::vector<FlagSpec> flags;
  Result<types::Action> (*parse)(const ProposeArgs&);
};

std::vector<ProposeKind> ProposeKinds() {
  const FlagSpec attester{"--attester", &ProposeArgs::key, "attester Ed25519 public key (64 hex)"};
  const FlagSpec validator{"--validator", &ProposeArgs::key,
                           "validator Ed25519 public key (64 hex)"};
  const FlagSpec power{"--power", &ProposeArgs::power, "voting power (at least 1)"};
  return {
      {"param",
       "change a chain parameter",
       {{"--name", &ProposeArgs::name, "parameter name (docs/protocol/governance.md)"},
        {"--value", &ProposeArgs::value, "new value"}},
       ParamAction},
      {"add-attester", "accredit an attester", {attester}, AddAttesterAction},
      {"remove-attester", "withdraw an attester's accreditation", {attester}, RemoveAttesterAction},
      {"add-validator", "add a validator", {validator, power}, AddValidatorAction},
      {"remove-validator", "remove a validator", {validator}, RemoveValidatorAction},
      {"validator-power", "change a validator's power", {validator, power}, ValidatorPowerAction},
      {"evidence-removal",
       "remove the validator of recorded equivocation evidence",
       {{"--evidence", &ProposeArgs::evidence, "evidence hash (64 hex)"}},
       EvidenceRemovalAction},
      {"revoke-identity",
       "revoke a registered identity",
       {{"--identity", &ProposeArgs::identity, "identity point (64 hex)"}},
       RevokeIdentityAction},
      {"text",
       "a text proposal (no effect on the chain)",
       {{"--text", &ProposeArgs::text, "the text (1 to 1024 bytes)"}},
       TextAction},
  };
}

void AddPropose(CLI::App* gov, const Globals& g, std::vector<Command>* out) {
  CLI::App* propose = gov->add_subcommand("propose", "submit a proposal (escrows the deposit)");
  propose->require_subcommand(1);
  for (const ProposeKind& kind : ProposeKinds()) {
    auto a = std::make_shared<ProposeArgs>();
    CLI::App* cmd = propose->add_subcommand(kind.name, kind.help);
    cmd->add_option("--from", a->from, "proposing key name (pays fee and deposit)")->required();
    cmd->add_option("--fee", a->fee, "fee in base units (burned)")
        ->default_str(std::to_string(kDefaultFee));
    for (const FlagSpec& f : kind.flags) cmd->add_option(f.flag, (*a).*f.field, f.help)->required();
    auto parse = kind.parse;
    out->push_back({cmd, [&g, a, parse] { return GovPropose(g, *a, parse); }});
  }
}

void AddVote(CLI::App* gov, const Globals& g, std::vector<Command>* out) {
  auto a = std::make_shared<VoteArgs>();
  CLI::App* cmd = gov->add_subcommand("vote", "prove and submit an anonymous ballot");
  cmd->add_option("NAME", a->name, "identity")->required();
  cmd->add_option("--round", a->round, "the open voting round")->required();
  cmd->add_option("VOTES", a->votes, "ID=VOTE ... (e.g. 3.0=+3 3.1=-2, or 0=+3)")->required();
  out->push_back({cmd, [&g, a] { return GovVote(g, *a); }});
}

void AddIdCommand(CLI::App* gov, const Globals& g, std::vector<Command>* out, const char* name,
                  const char* help, CmdResult (*run)(const Globals&, const std::string&)) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = gov->add_subcommand(name, help);
  cmd->add_option("ID", *id, "proposal ID ROUND.INDEX (or INDEX: one voted now)")->required();
  out->push_back({cmd, [&g, id, run] { return run(g, *id); }});
}

}  // namespace

void AddGovernanceCommands(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  CLI::App* gov = app->add_subcommand("gov", "governance: proposals and anonymous ballots");
  gov->require_subcommand(1);
  AddPropose(gov, g, out);
  auto round = std::make_shared<std::string>();
  CLI::App* list = gov->add_subcommand("list", "proposals of a round (default: voted now and new)");
  list->add_option("--round", *round, "submission round");
  out->push_back({list, [&g, round] { return GovList(g, *round); }});
  AddIdCommand(gov, g, out, "show", "one proposal and its decoded action", GovShow);
  AddVote(gov, g, out);
  AddIdCommand(gov, g, out, "tally", "a proposal's tally, turnout, quorum and status", GovTally);
  CLI::App* st = gov->add_subcommand("status", "the round in progress and the parameters");
  out->push_back({st, [&g] { return GovStatus(g); }});
}

}  // namespace hito::wallet
