// Where the CLI gets a keystore passphrase from.
//
// HITO_PASSPHRASE, when set (even empty), is used as is: for scripts and tests. Otherwise
// the passphrase is read from the controlling terminal (/dev/tty) with echo turned off,
// and, for a new key, asked twice. With neither, the call fails with a clear error
// rather than reading a secret from a pipe.
#ifndef HITO_WALLET_PASSPHRASE_H_
#define HITO_WALLET_PASSPHRASE_H_

#include <string_view>

#include "base/status.h"
#include "wallet/keystore.h"

namespace hito::wallet {

enum class PassphraseUse { kUnlock, kNewKey };

Result<SecretString> GetPassphrase(std::string_view key_name, PassphraseUse use);

}  // namespace hito::wallet

#endif  // HITO_WALLET_PASSPHRASE_H_
