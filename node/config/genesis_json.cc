#include "node/config/genesis_json.h"

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "base/bech32m.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/codec.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "node/config/dedup_keys.h"

namespace hito::node::config {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;

// A non-negative JSON integer (nlohmann would convert -5 to 2^64 - 5 silently).
Result<uint64_t> JsonU64(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number_unsigned())
    return InvalidArgumentError(what + " must be a non-negative integer");
  return v.get<uint64_t>();
}

// A JSON list of {"public_key": hex, "power": n} as a validator set.
Result<types::ValidatorSet> ParseValidatorSet(const nlohmann::json& list, const std::string& what) {
  if (!list.is_array()) return InvalidArgumentError(what + " must be a list");
  std::vector<types::Validator> vals;
  for (const auto& v : list) {
    types::Validator val;
    Result<Hash32> pk = HexDecode32(v.at("public_key").get<std::string>());
    if (!pk.ok()) return pk.status().WithContext(what + ": public_key");
    val.public_key = *pk;
    HITO_ASSIGN_OR_RETURN(val.power, JsonU64(v.at("power"), what + ": power"));
    vals.push_back(val);
  }
  Result<types::ValidatorSet> set = types::ValidatorSet::Create(std::move(vals));
  if (!set.ok()) return set.status().WithContext(what);
  if (set->size() == 0) return InvalidArgumentError(what + ": no validators");
  return set;
}

// Refuses any key of `obj` outside `allowed`, naming it: a misspelt parameter would
// otherwise silently take its default on a chain that lives for years.
Status OnlyKeys(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                const std::string& what) {
  if (!obj.is_object()) return InvalidArgumentError(what + " must be an object");
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidArgumentError(what + ": unknown key \"" + key + "\"");
    }
  }
  return Status::Ok();
}

// An optional unsigned field of `obj` in [lo, hi]; absent keeps *out.
template <typename T>
Status OptionalUint(const nlohmann::json& obj, const std::string& key, uint64_t lo, uint64_t hi,
                    const std::string& what, T* out) {
  if (!obj.contains(key)) return Status::Ok();
  const std::string name = what + "." + key;
  HITO_ASSIGN_OR_RETURN(uint64_t v, JsonU64(obj.at(key), "genesis: " + name));
  if (v < lo || v > hi) {
    return InvalidArgumentError("genesis: " + name + " must be " + std::to_string(lo) + ".." +
                                std::to_string(hi) + ", got " + std::to_string(v));
  }
  *out = static_cast<T>(v);
  return Status::Ok();
}

Status ParseParams(const nlohmann::json& p, ledger::Params* out) {
  HITO_RETURN_IF_ERROR(OptionalUint(p, "min_fee", 0, UINT64_MAX, "params", &out->min_fee));
  HITO_RETURN_IF_ERROR(
      OptionalUint(p, "epoch_blocks", 1, UINT64_MAX, "params", &out->epoch_blocks));
  HITO_RETURN_IF_ERROR(OptionalUint(p, "demurrage_ppm_per_epoch", 0,
                                    ledger::demurrage::kMaxPpmPerEpoch, "params",
                                    &out->demurrage_ppm_per_epoch));
  return OnlyKeys(p, {"min_fee", "epoch_blocks", "demurrage_ppm_per_epoch"}, "genesis: params");
}

Status ParseRegistryParams(const nlohmann::json& r, ledger::RegistryParams* out) {
  HITO_RETURN_IF_ERROR(OnlyKeys(
      r, {"cohort_bits", "max_attestation_epochs", "attester_quota_per_epoch", "claim_window"},
      "genesis: registry"));
  HITO_RETURN_IF_ERROR(
      OptionalUint(r, "cohort_bits", 0, ledger::kCohortBitsMax, "registry", &out->cohort_bits));
  HITO_RETURN_IF_ERROR(OptionalUint(r, "max_attestation_epochs", 1,
                                    ledger::kMaxAttestationEpochsMax, "registry",
                                    &out->max_attestation_epochs));
  HITO_RETURN_IF_ERROR(OptionalUint(r, "attester_quota_per_epoch", 1, UINT32_MAX, "registry",
                                    &out->attester_quota_per_epoch));
  HITO_RETURN_IF_ERROR(OptionalUint(r, "claim_window", 1, ledger::kSnapshotWindowMax, "registry",
                                    &out->claim_window));
  const Status valid = ledger::ValidateRegistryParams(*out);
  if (!valid.ok()) return valid.WithContext("genesis: registry");
  return Status::Ok();
}

Status ParseUbiParams(const nlohmann::json& u, ledger::UbiParams* out) {
  HITO_RETURN_IF_ERROR(OnlyKeys(u, {"ubi_per_epoch", "max_claims_per_block"}, "genesis: ubi"));
  HITO_RETURN_IF_ERROR(OptionalUint(u, "ubi_per_epoch", 0, UINT64_MAX, "ubi", &out->ubi_per_epoch));
  HITO_RETURN_IF_ERROR(OptionalUint(u, "max_claims_per_block", 1, ledger::kMaxClaimsPerBlockMax,
                                    "ubi", &out->max_claims_per_block));
  const Status valid = ledger::ValidateUbiParams(*out);
  if (!valid.ok()) return valid.WithContext("genesis: ubi");
  return Status::Ok();
}

Status ParseGovernanceParams(const nlohmann::json& v, const ledger::RegistryParams& rp,
                             ledger::GovernanceParams* out) {
  HITO_RETURN_IF_ERROR(OnlyKeys(v,
                                {"round_epochs", "voice_credits", "quorum_ppm", "proposal_deposit",
                                 "max_proposals_per_round"},
                                "genesis: governance"));
  HITO_RETURN_IF_ERROR(OptionalUint(v, "round_epochs", 1, ledger::kRoundEpochsMax, "governance",
                                    &out->round_epochs));
  HITO_RETURN_IF_ERROR(OptionalUint(v, "voice_credits", 1, ledger::kVoiceCreditsMax, "governance",
                                    &out->voice_credits));
  HITO_RETURN_IF_ERROR(
      OptionalUint(v, "quorum_ppm", 1, ledger::kQuorumPpmMax, "governance", &out->quorum_ppm));
  HITO_RETURN_IF_ERROR(OptionalUint(v, "proposal_deposit", 0, ledger::kProposalDepositMax,
                                    "governance", &out->proposal_deposit));
  HITO_RETURN_IF_ERROR(OptionalUint(v, "max_proposals_per_round", 1,
                                    ledger::kMaxProposalsPerRoundMax, "governance",
                                    &out->max_proposals_per_round));
  const Status valid = ledger::ValidateGovernanceParams(*out);
  if (!valid.ok()) return valid.WithContext("genesis: governance");
  // A round votes on its first epoch's snapshot, which the registry keeps claim_window
  // epochs: the ledger refuses such a genesis too, but the file is refused when read.
  if (out->round_epochs > rp.claim_window) {
    return InvalidArgumentError(
        "genesis: governance.round_epochs " + std::to_string(out->round_epochs) +
        " exceeds registry.claim_window " + std::to_string(rp.claim_window));
  }
  return Status::Ok();
}

Result<Hash32> Hex32Field(const nlohmann::json& v, const std::string& what) {
  if (!v.is_string()) return InvalidArgumentError(what + " must be a string of 64 hex digits");
  Result<Hash32> h = HexDecode32(v.get<std::string>());
  if (!h.ok()) return h.status().WithContext(what);
  return h;
}

// "identities": [{"identity", "dedup_tag", "attester", "expiry_epoch"}, ...], hex for the
// first three. The ledger checks the rest (accredited attester, canonical point, no tag
// or point twice) when it writes genesis.
Status ParseIdentities(const nlohmann::json& list, ledger::Genesis* g) {
  if (!list.is_array()) return InvalidArgumentError("genesis: identities must be a list");
  g->identities.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string what = "genesis: identities[" + std::to_string(i) + "]";
    const nlohmann::json& e = list[i];
    if (!e.is_object()) return InvalidArgumentError(what + " must be an object");
    HITO_RETURN_IF_ERROR(OnlyKeys(e, {"identity", "dedup_tag", "attester", "expiry_epoch"}, what));
    ledger::GenesisIdentity id;
    HITO_ASSIGN_OR_RETURN(id.point, Hex32Field(e.at("identity"), what + ".identity"));
    HITO_ASSIGN_OR_RETURN(id.dedup_tag, Hex32Field(e.at("dedup_tag"), what + ".dedup_tag"));
    HITO_ASSIGN_OR_RETURN(id.attester, Hex32Field(e.at("attester"), what + ".attester"));
    HITO_ASSIGN_OR_RETURN(id.expiry_epoch, JsonU64(e.at("expiry_epoch"), what + ".expiry_epoch"));
    g->identities.push_back(id);
  }
  return Status::Ok();
}

// "dedup_oprf": {"group_key": hex, "threshold": t, "quota_per_epoch": q (optional),
//   "shares": [{"validator": hex, "index": i, "public_share": hex}, ...]}, checked against
// the genesis validators (ValidateDedupKeys).
Result<ledger::DedupKeySet> ParseDedupKeys(const nlohmann::json& d,
                                           const types::ValidatorSet& validators) {
  const std::string what = "genesis: dedup_oprf";
  HITO_RETURN_IF_ERROR(OnlyKeys(d, {"group_key", "threshold", "quota_per_epoch", "shares"}, what));
  ledger::DedupKeySet keys;
  HITO_ASSIGN_OR_RETURN(keys.group_key, Hex32Field(d.at("group_key"), what + ".group_key"));
  HITO_RETURN_IF_ERROR(
      OptionalUint(d, "threshold", 1, zk::oprf::kMaxParticipants, "dedup_oprf", &keys.threshold));
  if (!d.contains("threshold")) return InvalidArgumentError(what + ": threshold missing");
  HITO_RETURN_IF_ERROR(OptionalUint(d, "quota_per_epoch", ledger::kDedupQuotaPerEpochMin,
                                    ledger::kDedupQuotaPerEpochMax, "dedup_oprf",
                                    &keys.quota_per_epoch));
  const nlohmann::json& list = d.at("shares");
  if (!list.is_array()) return InvalidArgumentError(what + ".shares must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item = what + ".shares[" + std::to_string(i) + "]";
    HITO_RETURN_IF_ERROR(OnlyKeys(list[i], {"validator", "index", "public_share"}, item));
    ledger::DedupValidatorShare s;
    HITO_ASSIGN_OR_RETURN(s.validator, Hex32Field(list[i].at("validator"), item + ".validator"));
    HITO_RETURN_IF_ERROR(OptionalUint(list[i], "index", 1, zk::oprf::kMaxParticipants,
                                      "dedup_oprf.shares", &s.index));
    if (!list[i].contains("index")) return InvalidArgumentError(item + ": index missing");
    HITO_ASSIGN_OR_RETURN(s.public_share,
                          Hex32Field(list[i].at("public_share"), item + ".public_share"));
    keys.shares.push_back(s);
  }
  const Status valid = ValidateDedupKeys(keys, validators);
  if (!valid.ok()) return valid.WithContext(what);
  return keys;
}

nlohmann::ordered_json DedupKeysToJson(const ledger::DedupKeySet& keys) {
  nlohmann::ordered_json shares = nlohmann::ordered_json::array();
  for (const ledger::DedupValidatorShare& s : keys.shares) {
    shares.push_back({{"validator", HexEncode(s.validator)},
                      {"index", s.index},
                      {"public_share", HexEncode(s.public_share)}});
  }
  return {{"group_key", HexEncode(keys.group_key)},
          {"threshold", keys.threshold},
          {"quota_per_epoch", keys.quota_per_epoch},
          {"shares", std::move(shares)}};
}

// "dedup_dkg": {"phase_blocks": P (optional, default 20), "threshold": t (optional, default
// floor(2n/3) + 1), "quota_per_epoch": q (optional)}: the genesis validators generate the
// dedup key among themselves (docs/protocol/dedup-dkg.md); the chain has no key until
// that DKG decides at 3P. q is the initial registry parameter, as in dedup_oprf.
Result<ledger::DkgGenesis> ParseDedupDkg(const nlohmann::json& d,
                                         const types::ValidatorSet& validators,
                                         uint32_t* quota_per_epoch) {
  const std::string what = "genesis: dedup_dkg";
  HITO_RETURN_IF_ERROR(OnlyKeys(d, {"phase_blocks", "threshold", "quota_per_epoch"}, what));
  HITO_RETURN_IF_ERROR(OptionalUint(d, "quota_per_epoch", ledger::kDedupQuotaPerEpochMin,
                                    ledger::kDedupQuotaPerEpochMax, "dedup_dkg", quota_per_epoch));
  ledger::DkgGenesis start;
  HITO_RETURN_IF_ERROR(OptionalUint(d, "phase_blocks", kDkgPhaseBlocksMinConfig,
                                    ledger::kDkgPhaseBlocksMax, "dedup_dkg", &start.phase_blocks));
  const size_t n = validators.validators().size();
  if (n > zk::oprf::kMaxParticipants) {
    return InvalidArgumentError(what + ": at most " + std::to_string(zk::oprf::kMaxParticipants) +
                                " validators can share the key, genesis has " + std::to_string(n));
  }
  // A majority at least: with fewer, a minority of the validators could evaluate alone.
  HITO_RETURN_IF_ERROR(OptionalUint(d, "threshold", n / 2 + 1, n, "dedup_dkg", &start.threshold));
  return start;
}

nlohmann::ordered_json DedupDkgToJson(const ledger::DkgGenesis& start, uint32_t quota_per_epoch) {
  nlohmann::ordered_json j = {{"phase_blocks", start.phase_blocks}};
  if (start.threshold != 0) j["threshold"] = start.threshold;
  j["quota_per_epoch"] = quota_per_epoch;
  return j;
}

// "attesters", "registry", "ubi", "identities" and "governance": none without "attesters"
// (the registry is enabled iff genesis accredits an attester; governance needs it).
Status ParsePersonhood(const nlohmann::json& j, ledger::Genesis* g) {
  if (!j.contains("attesters")) {
    for (const char* key :
         {"registry", "ubi", "identities", "governance", "dedup_oprf", "dedup_dkg"}) {
      if (j.contains(key)) {
        return InvalidArgumentError(std::string("genesis: ") + key +
                                    " given without attesters (the registry is enabled by "
                                    "accrediting at least one attester)");
      }
    }
    return Status::Ok();
  }
  const auto& list = j.at("attesters");
  if (!list.is_array() || list.empty()) {
    return InvalidArgumentError("genesis: attesters must be a non-empty list of hex keys");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string what = "genesis: attesters[" + std::to_string(i) + "]";
    HITO_ASSIGN_OR_RETURN(Hash32 key, Hex32Field(list[i], what));
    if (std::find(g->attesters.begin(), g->attesters.end(), key) != g->attesters.end()) {
      return InvalidArgumentError(what + ": listed twice");
    }
    g->attesters.push_back(key);
  }
  if (j.contains("registry"))
    HITO_RETURN_IF_ERROR(ParseRegistryParams(j.at("registry"), &g->registry));
  if (j.contains("ubi")) HITO_RETURN_IF_ERROR(ParseUbiParams(j.at("ubi"), &g->ubi));
  if (j.contains("identities")) HITO_RETURN_IF_ERROR(ParseIdentities(j.at("identities"), g));
  if (j.contains("governance")) {
    g->governance.emplace();
    HITO_RETURN_IF_ERROR(ParseGovernanceParams(j.at("governance"), g->registry, &*g->governance));
  }
  // Attesters take dedup tags from the validators' threshold OPRF: without its keys, dealt
  // or generated by the validators, no attestation could be made on this chain.
  const bool dealt = j.contains("dedup_oprf");
  const bool generated = j.contains("dedup_dkg");
  if (dealt && generated) {
    return InvalidArgumentError(
        "genesis: dedup_oprf and dedup_dkg are exclusive (a dealt key set, or a key the "
        "validators generate; docs/operator.md)");
  }
  if (!dealt && !generated) {
    return InvalidArgumentError(
        "genesis: attesters given without dedup_oprf or dedup_dkg (the validators' dedup "
        "key: dealt, as `hitod dev` and `hitod testnet` do, or generated by the validators; "
        "docs/operator.md)");
  }
  if (generated) {
    HITO_ASSIGN_OR_RETURN(g->dedup_dkg, ParseDedupDkg(j.at("dedup_dkg"), g->validators,
                                                      &g->registry.dedup_quota_per_epoch));
    return Status::Ok();
  }
  HITO_ASSIGN_OR_RETURN(g->dedup_keys, ParseDedupKeys(j.at("dedup_oprf"), g->validators));
  // dedup_oprf.quota_per_epoch is the initial value of the registry's parameter.
  g->registry.dedup_quota_per_epoch = g->dedup_keys->quota_per_epoch;
  return Status::Ok();
}

nlohmann::ordered_json PersonhoodToJson(const ledger::Genesis& g, nlohmann::ordered_json j) {
  nlohmann::ordered_json attesters = nlohmann::ordered_json::array();
  for (const Ed25519PublicKey& a : g.attesters) attesters.push_back(HexEncode(a));
  j["attesters"] = attesters;
  j["registry"] = {{"cohort_bits", g.registry.cohort_bits},
                   {"max_attestation_epochs", g.registry.max_attestation_epochs},
                   {"attester_quota_per_epoch", g.registry.attester_quota_per_epoch},
                   {"claim_window", g.registry.claim_window}};
  j["ubi"] = {{"ubi_per_epoch", g.ubi.ubi_per_epoch},
              {"max_claims_per_block", g.ubi.max_claims_per_block}};
  if (!g.identities.empty()) {
    nlohmann::ordered_json ids = nlohmann::ordered_json::array();
    for (const ledger::GenesisIdentity& id : g.identities) {
      ids.push_back({{"identity", HexEncode(id.point)},
                     {"dedup_tag", HexEncode(id.dedup_tag)},
                     {"attester", HexEncode(id.attester)},
                     {"expiry_epoch", id.expiry_epoch}});
    }
    j["identities"] = std::move(ids);
  }
  if (g.governance) {
    j["governance"] = {{"round_epochs", g.governance->round_epochs},
                       {"voice_credits", g.governance->voice_credits},
                       {"quorum_ppm", g.governance->quorum_ppm},
                       {"proposal_deposit", g.governance->proposal_deposit},
                       {"max_proposals_per_round", g.governance->max_proposals_per_round}};
  }
  if (g.dedup_keys) j["dedup_oprf"] = DedupKeysToJson(*g.dedup_keys);
  if (g.dedup_dkg) {
    j["dedup_dkg"] = DedupDkgToJson(*g.dedup_dkg, g.registry.dedup_quota_per_epoch);
  }
  return j;
}

}  // namespace

std::string GenesisToJson(const ledger::Genesis& g) {
  nlohmann::ordered_json j;
  j["chain_id"] = g.chain_id;
  j["genesis_time_ms"] = g.time_ms;
  nlohmann::ordered_json vals = nlohmann::ordered_json::array();
  for (const types::Validator& v : g.validators.validators()) {
    vals.push_back({{"public_key", HexEncode(v.public_key)}, {"power", v.power}});
  }
  j["validators"] = vals;
  if (!g.validator_schedule.empty()) {
    nlohmann::ordered_json sched = nlohmann::ordered_json::array();
    for (const ledger::ValidatorSetChange& c : g.validator_schedule) {
      nlohmann::ordered_json set = nlohmann::ordered_json::array();
      for (const types::Validator& v : c.set.validators()) {
        set.push_back({{"public_key", HexEncode(v.public_key)}, {"power", v.power}});
      }
      sched.push_back({{"height", c.height}, {"validators", set}});
    }
    j["validator_schedule"] = sched;
  }
  nlohmann::ordered_json accts = nlohmann::ordered_json::array();
  for (const ledger::GenesisAccount& a : g.accounts) {
    accts.push_back({{"address", EncodeAddress(a.account)}, {"balance", a.balance}});
  }
  j["accounts"] = accts;
  j["params"] = {{"min_fee", g.params.min_fee},
                 {"epoch_blocks", g.params.epoch_blocks},
                 {"demurrage_ppm_per_epoch", g.params.demurrage_ppm_per_epoch}};
  if (!g.attesters.empty()) j = PersonhoodToJson(g, std::move(j));
  return j.dump(2) + "\n";
}

Result<ledger::Genesis> ParseGenesisJson(std::string_view text) {
  ledger::Genesis g;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    HITO_RETURN_IF_ERROR(OnlyKeys(
        j,
        {"chain_id", "genesis_time_ms", "validators", "validator_schedule", "accounts", "params",
         "attesters", "registry", "ubi", "identities", "governance", "dedup_oprf", "dedup_dkg"},
        "genesis"));
    g.chain_id = j.at("chain_id").get<std::string>();
    if (g.chain_id.empty() || g.chain_id.size() > types::kChainIdMaxLen) {
      return InvalidArgumentError("genesis: chain_id must be 1.." +
                                  std::to_string(types::kChainIdMaxLen) + " bytes");
    }
    // The chain id goes into every header and transaction, whose decoders accept only
    // [a-z0-9-]: a genesis with any other id would start a chain nobody can decode.
    HITO_RETURN_IF_ERROR(types::ValidateChainId("genesis: chain_id", g.chain_id));
    HITO_ASSIGN_OR_RETURN(g.time_ms, JsonU64(j.at("genesis_time_ms"), "genesis: genesis_time_ms"));
    HITO_ASSIGN_OR_RETURN(g.validators,
                          ParseValidatorSet(j.at("validators"), "genesis: validators"));
    if (j.contains("validator_schedule")) {
      const auto& sched = j.at("validator_schedule");
      if (!sched.is_array())
        return InvalidArgumentError("genesis: validator_schedule must be a list");
      for (const auto& e : sched) {
        if (!e.is_object() || e.size() != 2 || !e.contains("height") || !e.contains("validators")) {
          return InvalidArgumentError(
              "genesis: each validator_schedule entry must be {\"height\", \"validators\"} "
              "and nothing else");
        }
        ledger::ValidatorSetChange change;
        HITO_ASSIGN_OR_RETURN(change.height,
                              JsonU64(e.at("height"), "genesis: validator_schedule height"));
        const std::string where =
            "genesis: validator_schedule height " + std::to_string(change.height);
        HITO_ASSIGN_OR_RETURN(change.set, ParseValidatorSet(e.at("validators"), where));
        g.validator_schedule.push_back(std::move(change));
      }
      // The ledger's rules (heights >= 2, increasing, bounded), checked here so a bad file
      // is refused when read, with the same message.
      Result<ledger::ValidatorSchedule> checked =
          ledger::GenesisValidatorSchedule(g.validators, g.validator_schedule);
      if (!checked.ok()) return checked.status();
    }
    for (const auto& a : j.at("accounts")) {
      ledger::GenesisAccount acct;
      Result<Hash32> id = DecodeAddress(a.at("address").get<std::string>());
      if (!id.ok()) return id.status().WithContext("genesis: account address");
      acct.account = *id;
      HITO_ASSIGN_OR_RETURN(acct.balance, JsonU64(a.at("balance"), "genesis: account balance"));
      g.accounts.push_back(acct);
    }
    if (j.contains("params")) HITO_RETURN_IF_ERROR(ParseParams(j.at("params"), &g.params));
    HITO_RETURN_IF_ERROR(ParsePersonhood(j, &g));
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("genesis: ") + e.what());
  }
  return g;
}

Hash32 GenesisHash(std::string_view genesis_file_bytes) {
  return DomainHash("hito/v1/genesis", AsBytes(genesis_file_bytes));
}

uint64_t GenesisTimeMsOrNow(uint64_t requested_ms) {
  if (requested_ms != 0) return requested_ms;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace hito::node::config
