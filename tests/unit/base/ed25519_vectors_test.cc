// RFC 8032 section 7.1 vectors from tests/vectors/ed25519.json: the public key and the
// signature come out byte for byte, the signature verifies, and one flipped bit of the
// message, signature or key makes verification fail.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "base/ed25519.h"
#include "base/hex.h"
#include "tests/support/vectors.h"

namespace hito {
namespace {

TEST(Ed25519VectorsTest, Rfc8032) {
  std::ifstream f(hito::testing::VectorPath("ed25519.json"));
  ASSERT_TRUE(f.good());
  const nlohmann::json j = nlohmann::json::parse(f);
  ASSERT_EQ(j.at("vectors").size(), 5u);
  for (const auto& v : j.at("vectors")) {
    const std::string name = v.at("name").get<std::string>();
    Result<Hash32> seed = HexDecode32(v.at("secret_key").get<std::string>());
    Result<Bytes> msg = HexDecode(v.at("message").get<std::string>());
    ASSERT_TRUE(seed.ok() && msg.ok()) << name;
    ASSERT_EQ(msg->size(), v.at("message_length").get<size_t>()) << name;

    Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(*seed);
    EXPECT_EQ(HexEncode(key.public_key()), v.at("public_key").get<std::string>()) << name;
    const Ed25519Signature sig = key.Sign(*msg);
    EXPECT_EQ(HexEncode(sig), v.at("signature").get<std::string>()) << name;
    EXPECT_TRUE(Ed25519Verify(key.public_key(), *msg, sig)) << name;

    Bytes bad_msg = *msg;
    if (bad_msg.empty()) {
      bad_msg.push_back(0);
    } else {
      bad_msg[bad_msg.size() / 2] ^= 0x01;
    }
    EXPECT_FALSE(Ed25519Verify(key.public_key(), bad_msg, sig)) << name;
    Ed25519Signature bad_sig = sig;
    bad_sig[5] ^= 0x10;
    EXPECT_FALSE(Ed25519Verify(key.public_key(), *msg, bad_sig)) << name;
    Ed25519PublicKey bad_pk = key.public_key();
    bad_pk[0] ^= 0x01;
    EXPECT_FALSE(Ed25519Verify(bad_pk, *msg, sig)) << name;
  }
}

}  // namespace
}  // namespace hito
