// The wallet's encrypted keystore: one file per named Ed25519 key under <home>/keys/.
//
// A key file is JSON (docs/cli.md, "Keystore format"): the name, the format version, the
// public key in clear (so `keys list/show` need no passphrase), the Argon2id parameters
// and salt, and the 32-byte Ed25519 seed encrypted with XChaCha20-Poly1305 under a key
// derived from the passphrase by Argon2id (libsodium crypto_pwhash). The associated data
// binds the format version, the name, the public key and the KDF parameters, so a file
// that was renamed, edited or truncated fails to open instead of yielding a wrong key.
//
// Files are written 0600 atomically (temporary file, fsync, link into place, fsync of the
// directory); the keys/ directory is 0700. Secrets (passphrase, derived key, seed) are
// wiped with sodium_memzero after use. Not thread-safe; one CLI process uses it at a time.
#ifndef HITO_WALLET_KEYSTORE_H_
#define HITO_WALLET_KEYSTORE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "base/file_io.h"
#include "base/status.h"

namespace hito::wallet {

// A string holding a secret (a passphrase); wiped when destroyed. Move-only.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { o.Wipe(); }
  SecretString& operator=(SecretString&& o) noexcept;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { Wipe(); }

  const std::string& str() const { return s_; }
  bool empty() const { return s_.empty(); }

 private:
  void Wipe();
  std::string s_;
};

// Argon2id cost. kModerate is libsodium's OPSLIMIT/MEMLIMIT_MODERATE (3 passes, 256 MiB),
// the default. kInsecureFast (1 pass, 8 KiB) exists for tests and is used only when the
// environment variable HITO_KEYSTORE_INSECURE_FAST_KDF is exactly "1".
enum class KdfStrength { kModerate, kInsecureFast };

struct KdfParams {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;  // bytes
};
KdfParams ParamsFor(KdfStrength strength);

// The strength selected by the environment (see KdfStrength).
KdfStrength KdfStrengthFromEnv();

inline constexpr uint32_t kKeystoreVersion = 1;

// Key names: 1..64 characters from [A-Za-z0-9_-], not starting with '-'. This keeps
// every name a plain file name (no '/', no '.', no traversal) and a plain CLI argument.
Status ValidateKeyName(std::string_view name);

struct KeyInfo {
  std::string name;
  Ed25519PublicKey public_key{};
};

// A keystore rooted at `home` (keys live in home/keys/).
class Keystore {
 public:
  explicit Keystore(std::string home) : home_(std::move(home)) {}

  // Encrypts `key` under `passphrase` and writes it as `name`. Fails with kAlreadyExists
  // if the name is taken. `strength` picks the Argon2id cost written into the file.
  Status Add(std::string_view name, const Ed25519PrivateKey& key, const SecretString& passphrase,
             KdfStrength strength);
  // Decrypts key `name`. A wrong passphrase or a file that was altered fails with
  // kPermissionDenied / kDataLoss naming the cause. A file whose KDF cost is below
  // kModerate opens only when `allow_weak_kdf` (the CLI passes the env switch).
  Result<Ed25519PrivateKey> Open(std::string_view name, const SecretString& passphrase,
                                 bool allow_weak_kdf) const;
  // Public information only; no passphrase needed.
  Result<KeyInfo> Info(std::string_view name) const;
  // All keys, sorted by name. Unreadable files are reported as an error.
  Result<std::vector<KeyInfo>> List() const;
  Status Delete(std::string_view name);

  std::string KeysDir() const;
  std::string KeyPath(std::string_view name) const;

 private:
  std::string home_;
};

// The seed-file reader and the atomic writer live in base (one home for file I/O below
// both node and wallet); named here too for the wallet's callers.
using ::hito::ReadSeedFile;
using ::hito::WriteFileAtomic;

}  // namespace hito::wallet

#endif  // HITO_WALLET_KEYSTORE_H_
