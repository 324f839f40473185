// The `hito` command line: parsing, dispatch and output of every command.
//
// RunCli is main() without the process: it parses argv, runs one command, writes its
// result to stdout (text, or JSON with --json; docs/cli.md fixes the JSON shapes) and any
// failure as one line "error: ..." to stderr, and returns the exit code: 0 success,
// 1 failure (node refusal, network, keystore), 2 usage (bad flags or arguments).
#ifndef HITO_WALLET_CLI_H_
#define HITO_WALLET_CLI_H_

#include <string_view>

namespace hito::wallet {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The node address used when --node is not given: hitod's default gRPC address.
inline constexpr std::string_view kDefaultNodeAddress = "127.0.0.1:9090";

int RunCli(int argc, char** argv);

}  // namespace hito::wallet

#endif  // HITO_WALLET_CLI_H_
