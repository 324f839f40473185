// What the `hito` command files share: the global flags, a command's result, and the
// registration of subcommands. Internal to wallet/ (cli.cc, cli_personhood.cc, cli_gov.cc); the
// public entry point is cli.h.
#ifndef HITO_WALLET_CLI_INTERNAL_H_
#define HITO_WALLET_CLI_INTERNAL_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "base/ed25519.h"
#include "base/status.h"
#include "consensus/types/transaction.h"
#include "wallet/cli.h"
#include "wallet/client.h"
#include "wallet/keystore.h"

namespace hito::wallet {

struct Globals {
  std::string node{kDefaultNodeAddress};
  std::string home;
  bool json = false;
};

// What a command produced: the JSON document and its human-readable rendering.
struct Output {
  nlohmann::ordered_json json;
  std::string text;
};

// A failure and whether it was the user's invocation (exit 2) or anything else (exit 1).
struct Failure {
  Status status;
  bool usage = false;
};

using CmdResult = std::variant<Output, Failure>;

inline Failure Usage(Status s) { return Failure{std::move(s), true}; }
inline Failure Fail(Status s) { return Failure{std::move(s), false}; }

// A parsed subcommand and what it runs. The arguments live in the closure, so each
// subcommand's options and its call sit in one function.
struct Command {
  CLI::App* app;
  std::function<CmdResult()> run;
};

// Asks for the passphrase and decrypts key `name` of `kind` (kAccount or kAttester).
Result<Ed25519PrivateKey> UnlockKey(const Globals& g, const std::string& name,
                                    SecretKind kind = SecretKind::kAccount);
// An address, or the name of an account key in the keystore; the "hito1..." address.
Result<std::string> ResolveAddress(const Globals& g, const std::string& arg);

// Below this many live members a claim or a ballot hides among few people: warn.
inline constexpr uint64_t kSmallAnonymitySet = 16;

// Asks for the passphrase and decrypts identity `name`.
Result<IdentitySecret> UnlockIdentity(const Globals& g, const std::string& name);

// A committed transaction: where it landed.
struct Committed {
  std::string tx_hash;
  uint64_t height = 0;
  uint32_t index = 0;
};
// Submits and waits for the commit. A transaction committed with a failing result is an
// error naming the reason code, like a refusal at admission.
Result<Committed> SubmitAndWait(NodeClient* client, const consensus::types::Transaction& tx);

// The personhood and UBI commands (cli_personhood.cc): `attester`, `identity`, `ubi`.
void AddPersonhoodCommands(CLI::App* app, const Globals& g, std::vector<Command>* out);
// The governance commands (cli_gov.cc): `gov propose|list|show|vote|tally|status`.
void AddGovernanceCommands(CLI::App* app, const Globals& g, std::vector<Command>* out);

}  // namespace hito::wallet

#endif  // HITO_WALLET_CLI_INTERNAL_H_
