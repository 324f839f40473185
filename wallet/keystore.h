// The wallet's encrypted keystore: one file per named secret, in one directory per kind
// of secret under <home>: keys/ (Ed25519 account keys), attesters/ (attesters' Ed25519
// keys) and identities/ (personhood identity scalars).
//
// A key file is JSON (docs/cli.md, "Keystore format"): the name, the format version, the
// public part in clear (public key or identity point, so `list/show` need no passphrase),
// the Argon2id parameters and salt, and the 32-byte secret (Ed25519 seed or ristretto255
// scalar) encrypted with XChaCha20-Poly1305 under a key derived from the passphrase by
// Argon2id (libsodium crypto_pwhash). The associated data binds the kind, the format
// version, the name, the public part and the KDF parameters, so a file that was renamed,
// edited, truncated or moved to another kind's directory fails to open instead of
// yielding a wrong secret.
//
// Files are written 0600 atomically (temporary file, fsync, link into place, fsync of the
// directory); the keys/ directory is 0700. Secrets (passphrase, derived key, seed) are
// wiped with sodium_memzero after use. Not thread-safe; one CLI process uses it at a time.
#ifndef HITO_WALLET_KEYSTORE_H_
#define HITO_WALLET_KEYSTORE_H_

#include <array>
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

// What a keystore holds; each kind has its own directory and associated-data label.
enum class SecretKind {
  kAccount,   // Ed25519 account keys, <home>/keys/
  kAttester,  // attesters' Ed25519 keys, <home>/attesters/
  kIdentity,  // personhood identity scalars, <home>/identities/
};

// A personhood identity's secret r: a canonical, non-zero ristretto255 scalar; its
// identity point is P = r*G. Wiped on destruction; move-only.
class IdentitySecret {
 public:
  // Uniform non-zero scalar from libsodium (crypto_core_ristretto255_scalar_random).
  static IdentitySecret Generate();
  // kInvalidArgument unless the 32 little-endian bytes are canonical (< l) and non-zero.
  static Result<IdentitySecret> FromBytes(const std::array<uint8_t, 32>& b);

  IdentitySecret(IdentitySecret&& o) noexcept : b_(o.b_) { o.Wipe(); }
  IdentitySecret& operator=(IdentitySecret&& o) noexcept;
  IdentitySecret(const IdentitySecret&) = delete;
  IdentitySecret& operator=(const IdentitySecret&) = delete;
  ~IdentitySecret() { Wipe(); }

  // Little-endian canonical encoding. Handle as a secret.
  const std::array<uint8_t, 32>& bytes() const { return b_; }
  // P = r*G, the 32-byte ristretto255 encoding.
  std::array<uint8_t, 32> Point() const;

 private:
  IdentitySecret() = default;
  void Wipe();
  std::array<uint8_t, 32> b_{};
};

struct KeyInfo {
  std::string name;
  // The Ed25519 public key; for SecretKind::kIdentity, the identity point P.
  Ed25519PublicKey public_key{};
};

// A keystore rooted at `home` holding secrets of one kind.
class Keystore {
 public:
  explicit Keystore(std::string home, SecretKind kind = SecretKind::kAccount)
      : home_(std::move(home)), kind_(kind) {}

  // Encrypts `key` under `passphrase` and writes it as `name`. Fails with kAlreadyExists
  // if the name is taken. `strength` picks the Argon2id cost written into the file.
  // REQUIRES kind kAccount or kAttester.
  Status Add(std::string_view name, const Ed25519PrivateKey& key, const SecretString& passphrase,
             KdfStrength strength);
  // Decrypts key `name`. A wrong passphrase or a file that was altered fails with
  // kPermissionDenied / kDataLoss naming the cause. A file whose KDF cost is below
  // kModerate opens only when `allow_weak_kdf` (the CLI passes the env switch).
  // REQUIRES kind kAccount or kAttester.
  Result<Ed25519PrivateKey> Open(std::string_view name, const SecretString& passphrase,
                                 bool allow_weak_kdf) const;
  // The same for identity secrets (the public part stored is P). REQUIRES kind kIdentity.
  Status AddIdentity(std::string_view name, const IdentitySecret& secret,
                     const SecretString& passphrase, KdfStrength strength);
  Result<IdentitySecret> OpenIdentity(std::string_view name, const SecretString& passphrase,
                                      bool allow_weak_kdf) const;
  // Public information only; no passphrase needed.
  Result<KeyInfo> Info(std::string_view name) const;
  // All keys, sorted by name. Unreadable files are reported as an error.
  Result<std::vector<KeyInfo>> List() const;
  Status Delete(std::string_view name);

  std::string KeysDir() const;
  std::string KeyPath(std::string_view name) const;
  SecretKind kind() const { return kind_; }

 private:
  Status AddSecret(std::string_view name, const std::array<uint8_t, 32>& secret,
                   const std::array<uint8_t, 32>& public_part, const SecretString& passphrase,
                   KdfStrength strength);
  // Decrypts into *secret (wiped on failure) and returns the stored public part.
  Result<std::array<uint8_t, 32>> OpenSecret(std::string_view name, const SecretString& passphrase,
                                             bool allow_weak_kdf,
                                             std::array<uint8_t, 32>* secret) const;
  std::string NotFound(std::string_view name) const;

  std::string home_;
  SecretKind kind_;
};

// The seed-file reader and the atomic writer live in base (one home for file I/O below
// both node and wallet); named here too for the wallet's callers.
using ::hito::ReadSeedFile;
using ::hito::WriteFileAtomic;

}  // namespace hito::wallet

#endif  // HITO_WALLET_KEYSTORE_H_
