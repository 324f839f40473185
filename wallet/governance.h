// The wallet's side of governance, without a network: parameter names, proposal IDs and
// vote arguments as the user writes them, the ballot's voice-credit budget, signed
// proposals, ballots proved against a snapshot, and actions in readable form
// (docs/protocol/governance.md, docs/cli.md "Governance").
//
// A proposal ID is "<submission round>.<index>" (e.g. "3.0"); a ballot of round R votes on
// the proposals submitted in round R - 1. The identity secret goes in by const reference
// and every copy made here is wiped before returning. Pure functions apart from the
// prover's randomness; thread-safe.
#ifndef HITO_WALLET_GOVERNANCE_H_
#define HITO_WALLET_GOVERNANCE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/governance.h"
#include "wallet/keystore.h"
#include "zk/proof/triptych.h"

namespace hito::wallet {

// The id of a parameter a proposal may change, from its name ("ubi_per_epoch", ...);
// kInvalidArgument listing every name otherwise.
Result<uint16_t> ParseParamName(std::string_view name);
// The name of parameter `id`, or "param#<id>" for an id the chain does not know.
std::string ParamName(uint16_t id);
// Every parameter name, in id order, comma-separated.
std::string ParamNameList();

// A proposal named on the command line: "R.I", or a bare index "I" (round left open).
struct ProposalRef {
  std::optional<uint64_t> round;
  uint32_t index = 0;
};
// Strict: decimal digits only, round within 64 bits, index within 32 bits.
Result<ProposalRef> ParseProposalId(std::string_view text);
std::string FormatProposalId(uint64_t round, uint32_t index);

// A vote: an optional sign then decimal digits, within int64 ("+3", "-2", "0", "7").
Result<int64_t> ParseVote(std::string_view text);

// The "ID=VOTE" arguments of a ballot of round `round`: every ID must name a proposal of
// round - 1 (or be a bare index), no proposal twice, 1 to kBallotEntriesMax entries.
// Returns the entries sorted by index (the ballot's canonical order). kInvalidArgument
// naming the bad argument otherwise.
Result<std::vector<consensus::types::BallotEntry>> ParseBallotEntries(
    const std::vector<std::string>& args, uint64_t round);

// sum(v^2) over the entries, nullopt if it does not fit in 64 bits. |v| is taken as an
// unsigned magnitude (2^63 for INT64_MIN), so nothing overflows on the way.
std::optional<uint64_t> VoiceCreditsSpent(
    const std::vector<consensus::types::BallotEntry>& entries);
// kFailedPrecondition "TX_BALLOT_OVER_BUDGET: ..." naming the sum and the budget when the
// entries cost more than `voice_credits`.
Status CheckVoiceCredits(const std::vector<consensus::types::BallotEntry>& entries,
                         uint64_t voice_credits);

struct ProposalRequest {
  std::string chain_id;
  uint64_t nonce = 0;
  uint64_t fee = 0;
  uint64_t deposit = 0;  // must equal the chain's proposal_deposit
  consensus::types::Action action;
};
// The signed proposal; kInvalidArgument for a text over kProposalTextMaxLen or a
// validator power of 0 (the decoder would refuse both).
Result<consensus::types::GovernanceProposal> BuildSignedProposal(const ProposalRequest& req,
                                                                 const Ed25519PrivateKey& key);

// Proves membership at `position` of `set` (the snapshot of the round's first epoch for
// `cohort`) in context BallotContext(round), bound to BallotMessage(chain_id, round,
// cohort, entries). kInvalidArgument if that member is not the secret's point.
Result<consensus::types::Ballot> BuildBallot(const zk::proof::membership::PreparedSet& set,
                                             uint64_t position, const IdentitySecret& secret,
                                             std::string_view chain_id, uint64_t round,
                                             uint32_t cohort,
                                             std::vector<consensus::types::BallotEntry> entries);

// The action as JSON ({"type": "param", "param": "ubi_per_epoch", "value": 7000000}, keys
// and hashes as hex, text as a string) and as one readable line.
nlohmann::ordered_json ActionToJson(const consensus::types::Action& action);
std::string DescribeAction(const consensus::types::Action& action);

}  // namespace hito::wallet

#endif  // HITO_WALLET_GOVERNANCE_H_
