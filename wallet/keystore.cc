#include "wallet/keystore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/file_io.h"
#include "base/hash.h"
#include "base/hex.h"

namespace hito::wallet {
namespace {

constexpr std::string_view kKdfAlg = "argon2id13";
constexpr std::string_view kCipherAlg = "xchacha20poly1305-ietf";
constexpr std::string_view kKeyFileSuffix = ".json";
// Bounds on the KDF parameters a file may ask for, so a hostile file cannot make the
// CLI allocate unbounded memory or spin forever.
constexpr uint64_t kOpsLimitMax = 16;
constexpr uint64_t kMemLimitMax = 1ull << 30;  // 1 GiB (libsodium's SENSITIVE)
constexpr size_t kKeyFileMaxBytes = 16 * 1024;

std::string ErrnoText() { return std::strerror(errno); }

// What differs between the kinds of secret: directory, associated-data label, the JSON
// field of the public part, and the noun in messages. The account label predates the
// other kinds and stays as it was, so existing key files keep opening.
struct KindTraits {
  std::string_view dir;
  std::string_view ad_label;
  std::string_view public_field;
  std::string_view noun;
};

KindTraits TraitsOf(SecretKind kind) {
  switch (kind) {
    case SecretKind::kAccount:
      return {"keys", "hito/v1/keystore", "public_key", "key"};
    case SecretKind::kAttester:
      return {"attesters", "hito/v1/keystore/attester", "public_key", "attester"};
    case SecretKind::kIdentity:
      return {"identities", "hito/v1/keystore/identity", "identity", "identity"};
  }
  HITO_ASSERT(false);
  return {};
}

// Associated data: everything in the file's header, so any edit fails authentication.
std::string AssociatedData(std::string_view label, uint32_t version, std::string_view name,
                           std::string_view pk_hex, const KdfParams& kdf,
                           std::string_view salt_hex) {
  std::ostringstream ad;
  ad << label << '\n'
     << version << '\n'
     << name << '\n'
     << pk_hex << '\n'
     << kKdfAlg << '\n'
     << kdf.opslimit << '\n'
     << kdf.memlimit << '\n'
     << salt_hex << '\n'
     << kCipherAlg;
  return ad.str();
}

Status DeriveKey(const SecretString& passphrase, ByteView salt, const KdfParams& kdf,
                 uint8_t out[crypto_aead_xchacha20poly1305_ietf_KEYBYTES]) {
  if (crypto_pwhash(out, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, passphrase.str().data(),
                    passphrase.str().size(), salt.data(), kdf.opslimit,
                    static_cast<size_t>(kdf.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhaustedError("argon2id key derivation failed (out of memory?)");
  }
  return Status::Ok();
}

Status MakeDir(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return FailedPreconditionError(dir + " exists and is not a directory");
    }
    return Status::Ok();
  }
  return InternalError("mkdir " + dir + ": " + ErrnoText());
}

struct KeyFile {
  uint32_t version = 0;
  std::string name;
  std::string pk_hex;
  Ed25519PublicKey public_key{};
  KdfParams kdf;
  std::string salt_hex;
  Bytes salt;
  Bytes nonce;
  Bytes ciphertext;
};

// Parses and checks the structure of a key file; no decryption.
Result<KeyFile> ParseKeyFile(std::string_view text, std::string_view expected_name,
                             const KindTraits& kt) {
  auto bad = [&](const std::string& what) {
    return DataLossError(std::string(kt.noun) + " file '" + std::string(expected_name) +
                         "' is corrupt: " + what);
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  KeyFile f;
  try {
    f.version = j.at("version").get<uint32_t>();
    f.name = j.at("name").get<std::string>();
    f.pk_hex = j.at(std::string(kt.public_field)).get<std::string>();
    const auto& kdf = j.at("kdf");
    if (kdf.at("alg").get<std::string>() != kKdfAlg) return bad("unknown kdf");
    f.kdf.opslimit = kdf.at("opslimit").get<uint64_t>();
    f.kdf.memlimit = kdf.at("memlimit").get<uint64_t>();
    f.salt_hex = kdf.at("salt").get<std::string>();
    const auto& cipher = j.at("cipher");
    if (cipher.at("alg").get<std::string>() != kCipherAlg) return bad("unknown cipher");
    auto nonce = HexDecode(cipher.at("nonce").get<std::string>());
    auto ct = HexDecode(cipher.at("ciphertext").get<std::string>());
    auto salt = HexDecode(f.salt_hex);
    auto pk = HexDecode32(f.pk_hex);
    if (!nonce.ok() || !ct.ok() || !salt.ok() || !pk.ok()) return bad("bad hex field");
    f.nonce = std::move(nonce).value();
    f.ciphertext = std::move(ct).value();
    f.salt = std::move(salt).value();
    f.public_key = *pk;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("missing or mistyped field (") + e.what() + ")");
  }
  if (f.version != kKeystoreVersion) {
    return bad("unsupported version " + std::to_string(f.version));
  }
  if (f.name != expected_name) {
    return bad("it holds a " + std::string(kt.noun) + " named '" + f.name + "'");
  }
  if (f.salt.size() != crypto_pwhash_SALTBYTES) return bad("salt length");
  if (f.nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) return bad("nonce length");
  if (f.ciphertext.size() != sizeof(Ed25519Seed) + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return bad("ciphertext length");
  }
  if (f.kdf.opslimit < crypto_pwhash_OPSLIMIT_MIN || f.kdf.opslimit > kOpsLimitMax ||
      f.kdf.memlimit < crypto_pwhash_MEMLIMIT_MIN || f.kdf.memlimit > kMemLimitMax) {
    return bad("kdf parameters out of range");
  }
  return f;
}

}  // namespace

SecretString& SecretString::operator=(SecretString&& o) noexcept {
  if (this != &o) {
    Wipe();
    s_ = std::move(o.s_);
    o.Wipe();
  }
  return *this;
}

void SecretString::Wipe() {
  // Wipe the whole capacity: a short string lives in the object's inline buffer.
  s_.resize(s_.capacity());
  if (!s_.empty()) sodium_memzero(s_.data(), s_.size());
  s_.clear();
}

KdfParams ParamsFor(KdfStrength strength) {
  if (strength == KdfStrength::kInsecureFast) {
    return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  }
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

KdfStrength KdfStrengthFromEnv() {
  const char* v = std::getenv("HITO_KEYSTORE_INSECURE_FAST_KDF");
  return (v != nullptr && std::string_view(v) == "1") ? KdfStrength::kInsecureFast
                                                      : KdfStrength::kModerate;
}

Status ValidateKeyName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return InvalidArgumentError("key name must be 1 to 64 characters");
  }
  if (name.front() == '-') return InvalidArgumentError("key name must not start with '-'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      return InvalidArgumentError("key name '" + std::string(name) +
                                  "' may contain only letters, digits, '_' and '-'");
    }
  }
  return Status::Ok();
}

IdentitySecret IdentitySecret::Generate() {
  IdentitySecret s;
  do {
    crypto_core_ristretto255_scalar_random(s.b_.data());
  } while (sodium_is_zero(s.b_.data(), s.b_.size()) != 0);
  return s;
}

Result<IdentitySecret> IdentitySecret::FromBytes(const std::array<uint8_t, 32>& b) {
  // Canonical iff reducing the zero-extended value mod l leaves it unchanged.
  uint8_t wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = {};
  std::memcpy(wide, b.data(), b.size());
  IdentitySecret s;
  crypto_core_ristretto255_scalar_reduce(s.b_.data(), wide);
  sodium_memzero(wide, sizeof wide);
  if (sodium_memcmp(s.b_.data(), b.data(), b.size()) != 0) {
    return InvalidArgumentError("identity secret is not a canonical scalar");
  }
  if (sodium_is_zero(s.b_.data(), s.b_.size()) != 0) {
    return InvalidArgumentError("identity secret is zero");
  }
  return s;
}

IdentitySecret& IdentitySecret::operator=(IdentitySecret&& o) noexcept {
  if (this != &o) {
    b_ = o.b_;
    o.Wipe();
  }
  return *this;
}

std::array<uint8_t, 32> IdentitySecret::Point() const {
  std::array<uint8_t, 32> p{};
  // Fails only for a zero scalar, which FromBytes and Generate never make.
  const int rc = crypto_scalarmult_ristretto255_base(p.data(), b_.data());
  HITO_ASSERT(rc == 0);
  return p;
}

void IdentitySecret::Wipe() { sodium_memzero(b_.data(), b_.size()); }

std::string Keystore::KeysDir() const { return home_ + "/" + std::string(TraitsOf(kind_).dir); }

std::string Keystore::KeyPath(std::string_view name) const {
  return KeysDir() + "/" + std::string(name) + std::string(kKeyFileSuffix);
}

std::string Keystore::NotFound(std::string_view name) const {
  return "no " + std::string(TraitsOf(kind_).noun) + " named '" + std::string(name) + "' in " +
         KeysDir();
}

Status Keystore::AddSecret(std::string_view name, const std::array<uint8_t, 32>& secret,
                           const std::array<uint8_t, 32>& public_part,
                           const SecretString& passphrase, KdfStrength strength) {
  const KindTraits kt = TraitsOf(kind_);
  HITO_RETURN_IF_ERROR(ValidateKeyName(name));
  if (passphrase.empty()) return InvalidArgumentError("the passphrase must not be empty");
  HITO_RETURN_IF_ERROR(MakeDir(home_, 0700));
  HITO_RETURN_IF_ERROR(MakeDir(KeysDir(), 0700));
  const std::string exists =
      "a " + std::string(kt.noun) + " named '" + std::string(name) + "' already exists";
  if (::access(KeyPath(name).c_str(), F_OK) == 0) return AlreadyExistsError(exists);

  KdfParams kdf = ParamsFor(strength);
  uint8_t salt[crypto_pwhash_SALTBYTES];
  uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  std::string pk_hex = HexEncode(public_part);
  std::string salt_hex = HexEncode(ByteView(salt, sizeof salt));
  std::string ad = AssociatedData(kt.ad_label, kKeystoreVersion, name, pk_hex, kdf, salt_hex);

  uint8_t dk[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  HITO_RETURN_IF_ERROR(DeriveKey(passphrase, ByteView(salt, sizeof salt), kdf, dk));
  Bytes ct(secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(ct.data(), &ct_len, secret.data(), secret.size(),
                                             reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                                             nullptr, nonce, dk);
  sodium_memzero(dk, sizeof dk);
  HITO_ASSERT(ct_len == ct.size());

  nlohmann::ordered_json j;
  j["version"] = kKeystoreVersion;
  j["name"] = std::string(name);
  j[std::string(kt.public_field)] = pk_hex;
  j["kdf"] = {
      {"alg", kKdfAlg}, {"opslimit", kdf.opslimit}, {"memlimit", kdf.memlimit}, {"salt", salt_hex}};
  j["cipher"] = {{"alg", kCipherAlg},
                 {"nonce", HexEncode(ByteView(nonce, sizeof nonce))},
                 {"ciphertext", HexEncode(ct)}};
  Status s = WriteFileAtomic(KeyPath(name), j.dump(2) + "\n", /*replace=*/false);
  if (s.code() == StatusCode::kAlreadyExists) return AlreadyExistsError(exists);
  return s;
}

Result<std::array<uint8_t, 32>> Keystore::OpenSecret(std::string_view name,
                                                     const SecretString& passphrase,
                                                     bool allow_weak_kdf,
                                                     std::array<uint8_t, 32>* secret) const {
  const KindTraits kt = TraitsOf(kind_);
  HITO_RETURN_IF_ERROR(ValidateKeyName(name));
  auto text = ReadSmallFile(KeyPath(name), kKeyFileMaxBytes);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return NotFoundError(NotFound(name));
    return text.status();
  }
  HITO_ASSIGN_OR_RETURN(KeyFile f, ParseKeyFile(*text, name, kt));
  KdfParams moderate = ParamsFor(KdfStrength::kModerate);
  if (!allow_weak_kdf &&
      (f.kdf.opslimit < moderate.opslimit || f.kdf.memlimit < moderate.memlimit)) {
    return FailedPreconditionError(
        std::string(kt.noun) + " '" + std::string(name) +
        "' was written with an insecure test KDF; set HITO_KEYSTORE_INSECURE_FAST_KDF=1 to use it");
  }
  std::string ad = AssociatedData(kt.ad_label, f.version, f.name, f.pk_hex, f.kdf, f.salt_hex);
  uint8_t dk[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  HITO_RETURN_IF_ERROR(DeriveKey(passphrase, f.salt, f.kdf, dk));
  unsigned long long len = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      secret->data(), &len, nullptr, f.ciphertext.data(), f.ciphertext.size(),
      reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), f.nonce.data(), dk);
  sodium_memzero(dk, sizeof dk);
  if (rc != 0 || len != secret->size()) {
    sodium_memzero(secret->data(), secret->size());
    return PermissionDeniedError("cannot decrypt " + std::string(kt.noun) + " '" +
                                 std::string(name) +
                                 "': wrong passphrase or the key file was altered");
  }
  return f.public_key;
}

Status Keystore::Add(std::string_view name, const Ed25519PrivateKey& key,
                     const SecretString& passphrase, KdfStrength strength) {
  HITO_ASSERT(kind_ != SecretKind::kIdentity);
  Ed25519Seed seed = key.seed();
  Status s = AddSecret(name, seed, key.public_key(), passphrase, strength);
  sodium_memzero(seed.data(), seed.size());
  return s;
}

Result<Ed25519PrivateKey> Keystore::Open(std::string_view name, const SecretString& passphrase,
                                         bool allow_weak_kdf) const {
  HITO_ASSERT(kind_ != SecretKind::kIdentity);
  Ed25519Seed seed{};
  HITO_ASSIGN_OR_RETURN(Ed25519PublicKey stored,
                        OpenSecret(name, passphrase, allow_weak_kdf, &seed));
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (key.public_key() != stored) {
    return DataLossError(std::string(TraitsOf(kind_).noun) + " file '" + std::string(name) +
                         "' is corrupt: the seed does not match the public key");
  }
  return key;
}

Status Keystore::AddIdentity(std::string_view name, const IdentitySecret& secret,
                             const SecretString& passphrase, KdfStrength strength) {
  HITO_ASSERT(kind_ == SecretKind::kIdentity);
  return AddSecret(name, secret.bytes(), secret.Point(), passphrase, strength);
}

Result<IdentitySecret> Keystore::OpenIdentity(std::string_view name, const SecretString& passphrase,
                                              bool allow_weak_kdf) const {
  HITO_ASSERT(kind_ == SecretKind::kIdentity);
  std::array<uint8_t, 32> raw{};
  auto stored = OpenSecret(name, passphrase, allow_weak_kdf, &raw);
  if (!stored.ok()) return stored.status();
  auto secret = IdentitySecret::FromBytes(raw);
  sodium_memzero(raw.data(), raw.size());
  if (!secret.ok() || secret->Point() != *stored) {
    return DataLossError("identity file '" + std::string(name) +
                         "' is corrupt: the secret does not match the identity point");
  }
  return secret;
}

Result<KeyInfo> Keystore::Info(std::string_view name) const {
  HITO_RETURN_IF_ERROR(ValidateKeyName(name));
  auto text = ReadSmallFile(KeyPath(name), kKeyFileMaxBytes);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return NotFoundError(NotFound(name));
    return text.status();
  }
  HITO_ASSIGN_OR_RETURN(KeyFile f, ParseKeyFile(*text, name, TraitsOf(kind_)));
  return KeyInfo{f.name, f.public_key};
}

Result<std::vector<KeyInfo>> Keystore::List() const {
  std::vector<KeyInfo> out;
  DIR* d = ::opendir(KeysDir().c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return InternalError("open " + KeysDir() + ": " + ErrnoText());
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view fn(e->d_name);
    if (fn.size() <= kKeyFileSuffix.size() || !fn.ends_with(kKeyFileSuffix)) continue;
    std::string_view name = fn.substr(0, fn.size() - kKeyFileSuffix.size());
    if (!ValidateKeyName(name).ok()) continue;  // temporaries and foreign files
    names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    HITO_ASSIGN_OR_RETURN(KeyInfo info, Info(n));
    out.push_back(std::move(info));
  }
  return out;
}

Status Keystore::Delete(std::string_view name) {
  HITO_RETURN_IF_ERROR(ValidateKeyName(name));
  std::string path = KeyPath(name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return NotFoundError(NotFound(name));
    return InternalError("delete " + path + ": " + ErrnoText());
  }
  return FsyncDir(KeysDir());
}

}  // namespace hito::wallet
