// Keystore: encrypt/decrypt round trips through real files in a temp home, refusal of a
// wrong passphrase and of every kind of tampering (ciphertext, header fields, rename),
// name validation against path traversal, 0600/0700 permissions, the weak-KDF switch,
// and hex seed-file parsing (good, bad hex, wrong length). Identity secrets and attester
// keys: their round trips, their own directories, and refusal of a file moved between
// kinds or whose identity point was swapped.
#include "wallet/keystore.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/hash.h"
#include "base/hex.h"

namespace hito::wallet {
namespace {

namespace fs = std::filesystem;

class KeystoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitCrypto();
    char tmpl[] = "/tmp/hito_keystore_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    home_ = tmpl;
  }
  void TearDown() override { fs::remove_all(home_); }

  std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  // Adds key "alice" with the fast KDF and passphrase "pw".
  Ed25519PublicKey AddAlice(Keystore& ks) {
    auto key = Ed25519PrivateKey::Generate();
    EXPECT_TRUE(ks.Add("alice", key, SecretString("pw"), KdfStrength::kInsecureFast).ok());
    return key.public_key();
  }
  // Rewrites one JSON field of alice's file.
  void Tamper(Keystore& ks, const std::function<void(nlohmann::json&)>& edit) {
    auto j = nlohmann::json::parse(ReadFile(ks.KeyPath("alice")));
    edit(j);
    WriteFile(ks.KeyPath("alice"), j.dump());
  }

  std::string home_;
};

TEST_F(KeystoreTest, RoundTripRecoversTheSameKey) {
  Keystore ks(home_);
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(ks.Add("alice", key, SecretString("correct horse"), KdfStrength::kInsecureFast).ok());
  auto opened = ks.Open("alice", SecretString("correct horse"), /*allow_weak_kdf=*/true);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->public_key(), key.public_key());
  EXPECT_EQ(opened->seed(), key.seed());
  auto info = ks.Info("alice");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->public_key, key.public_key());
}

TEST_F(KeystoreTest, FileDoesNotContainTheSeed) {
  Keystore ks(home_);
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(ks.Add("alice", key, SecretString("pw"), KdfStrength::kInsecureFast).ok());
  std::string text = ReadFile(ks.KeyPath("alice"));
  EXPECT_EQ(text.find(HexEncode(key.seed())), std::string::npos);
  EXPECT_NE(text.find(HexEncode(key.public_key())), std::string::npos);
}

TEST_F(KeystoreTest, ModerateKdfRoundTripAndParameters) {
  Keystore ks(home_);
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(ks.Add("strong", key, SecretString("pw"), KdfStrength::kModerate).ok());
  auto j = nlohmann::json::parse(ReadFile(ks.KeyPath("strong")));
  EXPECT_EQ(j["kdf"]["alg"], "argon2id13");
  EXPECT_EQ(j["kdf"]["opslimit"].get<uint64_t>(), ParamsFor(KdfStrength::kModerate).opslimit);
  EXPECT_EQ(j["kdf"]["memlimit"].get<uint64_t>(), ParamsFor(KdfStrength::kModerate).memlimit);
  auto opened = ks.Open("strong", SecretString("pw"), /*allow_weak_kdf=*/false);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->public_key(), key.public_key());
}

TEST_F(KeystoreTest, WeakKdfFileRefusedUnlessAllowed) {
  Keystore ks(home_);
  AddAlice(ks);
  auto r = ks.Open("alice", SecretString("pw"), /*allow_weak_kdf=*/false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("HITO_KEYSTORE_INSECURE_FAST_KDF"), std::string::npos);
}

TEST_F(KeystoreTest, KdfStrengthFromEnvNeedsExactlyOne) {
  ::unsetenv("HITO_KEYSTORE_INSECURE_FAST_KDF");
  EXPECT_EQ(KdfStrengthFromEnv(), KdfStrength::kModerate);
  ::setenv("HITO_KEYSTORE_INSECURE_FAST_KDF", "yes", 1);
  EXPECT_EQ(KdfStrengthFromEnv(), KdfStrength::kModerate);
  ::setenv("HITO_KEYSTORE_INSECURE_FAST_KDF", "1", 1);
  EXPECT_EQ(KdfStrengthFromEnv(), KdfStrength::kInsecureFast);
  ::unsetenv("HITO_KEYSTORE_INSECURE_FAST_KDF");
}

TEST_F(KeystoreTest, WrongPassphraseRefused) {
  Keystore ks(home_);
  AddAlice(ks);
  auto r = ks.Open("alice", SecretString("not pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("wrong passphrase"), std::string::npos);
}

TEST_F(KeystoreTest, EmptyPassphraseRefusedForNewKey) {
  Keystore ks(home_);
  auto s =
      ks.Add("alice", Ed25519PrivateKey::Generate(), SecretString(""), KdfStrength::kInsecureFast);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST_F(KeystoreTest, DuplicateNameRefused) {
  Keystore ks(home_);
  AddAlice(ks);
  auto s = ks.Add("alice", Ed25519PrivateKey::Generate(), SecretString("pw"),
                  KdfStrength::kInsecureFast);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
}

TEST_F(KeystoreTest, TamperedCiphertextRefused) {
  Keystore ks(home_);
  AddAlice(ks);
  Tamper(ks, [](nlohmann::json& j) {
    std::string ct = j["cipher"]["ciphertext"];
    ct[0] = ct[0] == '0' ? '1' : '0';
    j["cipher"]["ciphertext"] = ct;
  });
  auto r = ks.Open("alice", SecretString("pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(KeystoreTest, TamperedNonceRefused) {
  Keystore ks(home_);
  AddAlice(ks);
  Tamper(ks, [](nlohmann::json& j) {
    std::string n = j["cipher"]["nonce"];
    n[5] = n[5] == 'a' ? 'b' : 'a';
    j["cipher"]["nonce"] = n;
  });
  EXPECT_FALSE(ks.Open("alice", SecretString("pw"), true).ok());
}

TEST_F(KeystoreTest, TamperedPublicKeyRefused) {
  // A swapped public key would make `keys show` print someone else's address; the AD
  // binds it, so opening fails.
  Keystore ks(home_);
  AddAlice(ks);
  auto other = Ed25519PrivateKey::Generate();
  Tamper(ks, [&](nlohmann::json& j) { j["public_key"] = HexEncode(other.public_key()); });
  auto r = ks.Open("alice", SecretString("pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(KeystoreTest, TamperedVersionAndKdfRefused) {
  Keystore ks(home_);
  AddAlice(ks);
  std::string original = ReadFile(ks.KeyPath("alice"));
  Tamper(ks, [](nlohmann::json& j) { j["version"] = 2; });
  auto r = ks.Open("alice", SecretString("pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);

  WriteFile(ks.KeyPath("alice"), original);
  Tamper(ks, [](nlohmann::json& j) { j["kdf"]["opslimit"] = 2; });
  EXPECT_FALSE(ks.Open("alice", SecretString("pw"), true).ok());

  WriteFile(ks.KeyPath("alice"), original);
  Tamper(ks, [](nlohmann::json& j) { j["kdf"]["memlimit"] = uint64_t{1} << 40; });
  r = ks.Open("alice", SecretString("pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);  // out of range, never allocated

  WriteFile(ks.KeyPath("alice"), original);
  EXPECT_TRUE(ks.Open("alice", SecretString("pw"), true).ok());
}

TEST_F(KeystoreTest, RenamedFileRefused) {
  Keystore ks(home_);
  AddAlice(ks);
  fs::rename(ks.KeyPath("alice"), ks.KeyPath("bob"));
  auto r = ks.Open("bob", SecretString("pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
}

TEST_F(KeystoreTest, RenamedFileWithEditedNameFailsAuthentication) {
  Keystore ks(home_);
  AddAlice(ks);
  auto j = nlohmann::json::parse(ReadFile(ks.KeyPath("alice")));
  j["name"] = "bob";
  WriteFile(ks.KeyPath("bob"), j.dump());
  auto r = ks.Open("bob", SecretString("pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(KeystoreTest, TruncatedAndGarbageFilesRefused) {
  Keystore ks(home_);
  AddAlice(ks);
  std::string original = ReadFile(ks.KeyPath("alice"));
  WriteFile(ks.KeyPath("alice"), original.substr(0, original.size() / 2));
  auto r = ks.Open("alice", SecretString("pw"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  WriteFile(ks.KeyPath("alice"), "\x01\x02garbage");
  EXPECT_EQ(ks.Info("alice").status().code(), StatusCode::kDataLoss);
  WriteFile(ks.KeyPath("alice"), "{}");
  EXPECT_EQ(ks.Info("alice").status().code(), StatusCode::kDataLoss);
}

TEST_F(KeystoreTest, NamesValidated) {
  for (const char* bad :
       {"", "../evil", "a/b", "..", ".", ".hidden", "-rf", "a b", "é", "name.json", "x\n"}) {
    EXPECT_FALSE(ValidateKeyName(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateKeyName(std::string(65, 'a')).ok());
  for (const char* good : {"a", "alice", "dev-key_1", "A9"}) {
    EXPECT_TRUE(ValidateKeyName(good).ok()) << good;
  }
  EXPECT_TRUE(ValidateKeyName(std::string(64, 'a')).ok());
  Keystore ks(home_);
  auto s = ks.Add("../escape", Ed25519PrivateKey::Generate(), SecretString("pw"),
                  KdfStrength::kInsecureFast);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(fs::path(home_) / "escape.json"));
  EXPECT_EQ(ks.Open("../../etc/passwd", SecretString("pw"), true).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(KeystoreTest, FilePermissionsArePrivate) {
  Keystore ks(home_);
  AddAlice(ks);
  struct stat st {};
  ASSERT_EQ(::stat(ks.KeyPath("alice").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(ks.KeysDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(ks.KeysDir())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(KeystoreTest, ListAndDelete) {
  Keystore ks(home_);
  auto list = ks.List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  auto pk_alice = AddAlice(ks);
  auto bob = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(ks.Add("bob", bob, SecretString("pw2"), KdfStrength::kInsecureFast).ok());
  list = ks.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alice");
  EXPECT_EQ((*list)[0].public_key, pk_alice);
  EXPECT_EQ((*list)[1].name, "bob");
  EXPECT_TRUE(ks.Delete("alice").ok());
  EXPECT_EQ(ks.Delete("alice").code(), StatusCode::kNotFound);
  EXPECT_EQ(ks.Info("alice").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ks.List()->size(), 1u);
}

TEST_F(KeystoreTest, AtomicWriteRefusesToOverwrite) {
  std::string path = home_ + "/f";
  ASSERT_TRUE(WriteFileAtomic(path, "one", false).ok());
  EXPECT_EQ(WriteFileAtomic(path, "two", false).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(path), "one");
  ASSERT_TRUE(WriteFileAtomic(path, "three", true).ok());
  EXPECT_EQ(ReadFile(path), "three");
}

TEST_F(KeystoreTest, SeedFileImport) {
  auto key = Ed25519PrivateKey::Generate();
  std::string path = home_ + "/dev.key";
  WriteFile(path, "  " + HexEncode(key.seed()) + "\n");
  auto seed = ReadSeedFile(path);
  ASSERT_TRUE(seed.ok()) << seed.status().ToString();
  EXPECT_EQ(*seed, key.seed());
  EXPECT_EQ(Ed25519PrivateKey::FromSeed(*seed).public_key(), key.public_key());
}

TEST_F(KeystoreTest, SeedFileErrors) {
  std::string path = home_ + "/bad.key";
  WriteFile(path, std::string(63, 'a'));
  auto r = ReadSeedFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected 64 hex digits"), std::string::npos);
  WriteFile(path, std::string(66, 'a'));
  EXPECT_FALSE(ReadSeedFile(path).ok());
  WriteFile(path, std::string(62, 'a') + "zz");
  r = ReadSeedFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not hexadecimal"), std::string::npos);
  WriteFile(path, "");
  EXPECT_FALSE(ReadSeedFile(path).ok());
  EXPECT_EQ(ReadSeedFile(home_ + "/missing").status().code(), StatusCode::kNotFound);
}

TEST_F(KeystoreTest, IdentityRoundTripRecoversTheSameSecretAndPoint) {
  Keystore ks(home_, SecretKind::kIdentity);
  IdentitySecret secret = IdentitySecret::Generate();
  ASSERT_TRUE(ks.AddIdentity("me", secret, SecretString("pw"), KdfStrength::kInsecureFast).ok());
  EXPECT_EQ(ks.KeyPath("me"), home_ + "/identities/me.json");
  auto info = ks.Info("me");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->public_key, secret.Point());
  auto opened = ks.OpenIdentity("me", SecretString("pw"), /*allow_weak_kdf=*/true);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->bytes(), secret.bytes());
  // The file names the point under "identity" and holds neither the secret nor its hex.
  std::string text = ReadFile(ks.KeyPath("me"));
  EXPECT_NE(text.find("\"identity\": \"" + HexEncode(secret.Point()) + "\""), std::string::npos);
  EXPECT_EQ(text.find(HexEncode(secret.bytes())), std::string::npos);
  EXPECT_EQ(ks.OpenIdentity("me", SecretString("wrong"), true).status().code(),
            StatusCode::kPermissionDenied);
  // Identities are not account keys.
  EXPECT_EQ(Keystore(home_).Info("me").status().code(), StatusCode::kNotFound);
}

TEST_F(KeystoreTest, IdentityWithSwappedPointRefused) {
  Keystore ks(home_, SecretKind::kIdentity);
  IdentitySecret secret = IdentitySecret::Generate();
  ASSERT_TRUE(ks.AddIdentity("me", secret, SecretString("pw"), KdfStrength::kInsecureFast).ok());
  auto j = nlohmann::json::parse(ReadFile(ks.KeyPath("me")));
  j["identity"] = HexEncode(IdentitySecret::Generate().Point());
  WriteFile(ks.KeyPath("me"), j.dump());
  auto r = ks.OpenIdentity("me", SecretString("pw"), true);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
}

TEST_F(KeystoreTest, FileMovedBetweenKindsRefused) {
  Keystore keys(home_);
  Keystore attesters(home_, SecretKind::kAttester);
  auto key = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(attesters.Add("att", key, SecretString("pw"), KdfStrength::kInsecureFast).ok());
  EXPECT_EQ(attesters.KeyPath("att"), home_ + "/attesters/att.json");
  auto opened = attesters.Open("att", SecretString("pw"), true);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->public_key(), key.public_key());
  // The same bytes in keys/ fail authentication: the label differs.
  fs::create_directories(keys.KeysDir());
  fs::copy_file(attesters.KeyPath("att"), keys.KeyPath("att"));
  EXPECT_EQ(keys.Open("att", SecretString("pw"), true).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(IdentitySecretTest, FromBytesRefusesZeroAndNonCanonical) {
  InitCrypto();
  std::array<uint8_t, 32> zero{};
  EXPECT_EQ(IdentitySecret::FromBytes(zero).status().code(), StatusCode::kInvalidArgument);
  std::array<uint8_t, 32> big{};
  big.fill(0xff);  // > l
  EXPECT_EQ(IdentitySecret::FromBytes(big).status().code(), StatusCode::kInvalidArgument);
  std::array<uint8_t, 32> one{};
  one[0] = 1;
  auto s = IdentitySecret::FromBytes(one);
  ASSERT_TRUE(s.ok());
  std::array<uint8_t, 32> base{};
  ASSERT_EQ(crypto_scalarmult_ristretto255_base(base.data(), one.data()), 0);
  EXPECT_EQ(s->Point(), base);
}

TEST(SecretStringTest, MoveLeavesSourceEmpty) {
  SecretString a(std::string("secret passphrase that is long enough to allocate"));
  SecretString b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checks the moved-from state
  EXPECT_EQ(b.str(), "secret passphrase that is long enough to allocate");
}

}  // namespace
}  // namespace hito::wallet
