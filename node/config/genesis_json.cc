#include "node/config/genesis_json.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/bech32m.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/types/codec.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"

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
  j["params"] = {{"min_fee", g.params.min_fee}};
  return j.dump(2) + "\n";
}

Result<ledger::Genesis> ParseGenesisJson(std::string_view text) {
  ledger::Genesis g;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
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
    if (j.contains("params")) {
      const auto& p = j.at("params");
      if (p.contains("min_fee")) {
        HITO_ASSIGN_OR_RETURN(g.params.min_fee, JsonU64(p.at("min_fee"), "genesis: min_fee"));
      }
    }
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
