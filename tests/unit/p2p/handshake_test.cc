// Covers the hello transcript of node/p2p/handshake.h: a signature verifies only for the
// exact pair of Hellos it was made over (fresh nonces, order, every field), cannot be
// reflected back to its author, and CheckCompatible refuses another chain or genesis. A
// Hello survives its wire form, and HelloFromProto refuses each field of the wrong size.
// (ExchangeHellos runs over real streams in peer_network_test.)
#include "node/p2p/handshake.h"

#include <gtest/gtest.h>

#include "tests/unit/types/test_util.h"

namespace hito::node::p2p {
namespace {

using consensus::types::testing::H;
using consensus::types::testing::Key;

HelloInfo MakeHello(const Ed25519PrivateKey& k, std::string_view nonce) {
  HelloInfo h;
  h.chain_id = "hito-test-1";
  h.genesis_hash = H("genesis");
  h.node_key = k.public_key();
  h.height = 5;
  h.nonce = H(nonce);
  return h;
}

TEST(Handshake, SignatureBindsBothHellos) {
  Ed25519PrivateKey a = Key(1), b = Key(2);
  HelloInfo ha = MakeHello(a, "na"), hb = MakeHello(b, "nb");
  Ed25519Signature sig = SignHello(ha, hb, a);
  EXPECT_TRUE(VerifyHello(ha, hb, sig));
  // Replayed on a connection where the other side chose a different nonce.
  HelloInfo hb2 = MakeHello(b, "nb-other");
  EXPECT_FALSE(VerifyHello(ha, hb2, sig));
  // Our own nonce changed.
  HelloInfo ha2 = MakeHello(a, "na-other");
  EXPECT_FALSE(VerifyHello(ha2, hb, sig));
  // Reflection: a's signature presented as if b had signed the same pair.
  EXPECT_FALSE(VerifyHello(hb, ha, sig));
  // Any field change breaks it.
  HelloInfo hh = ha;
  hh.height = 6;
  EXPECT_FALSE(VerifyHello(hh, hb, sig));
  hh = ha;
  hh.chain_id = "hito-test-2";
  EXPECT_FALSE(VerifyHello(hh, hb, sig));
  // A signature by another key for a's hello.
  EXPECT_FALSE(VerifyHello(ha, hb, SignHello(ha, hb, b)));
}

TEST(Handshake, CheckCompatible) {
  Ed25519PrivateKey a = Key(1), b = Key(2);
  HelloInfo ha = MakeHello(a, "na"), hb = MakeHello(b, "nb");
  EXPECT_TRUE(CheckCompatible(ha, hb).ok());
  HelloInfo bad = hb;
  bad.chain_id = "other";
  EXPECT_NE(CheckCompatible(ha, bad).message().find("chain_id"), std::string::npos);
  bad = hb;
  bad.genesis_hash = H("other-genesis");
  EXPECT_NE(CheckCompatible(ha, bad).message().find("genesis_hash"), std::string::npos);
  bad = hb;
  bad.protocol_version = 2;
  EXPECT_NE(CheckCompatible(ha, bad).message().find("protocol_version"), std::string::npos);
  EXPECT_NE(CheckCompatible(ha, MakeHello(a, "x")).message().find("own key"), std::string::npos);
}

TEST(Handshake, HelloWireFormRoundTripsAndRefusesBadFieldSizes) {
  const HelloInfo h = MakeHello(Key(1), "n");
  Result<HelloInfo> back = HelloFromProto(HelloToProto(h));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->chain_id, h.chain_id);
  EXPECT_EQ(back->genesis_hash, h.genesis_hash);
  EXPECT_EQ(back->node_key, h.node_key);
  EXPECT_EQ(back->height, h.height);
  EXPECT_EQ(back->nonce, h.nonce);
  EXPECT_EQ(back->protocol_version, h.protocol_version);

  const auto refused = [](const v1::Hello& p, std::string_view field) {
    Result<HelloInfo> r = HelloFromProto(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().ToString();
  };
  v1::Hello p = HelloToProto(h);
  p.set_chain_id(std::string(65, 'c'));
  refused(p, "chain_id");
  p = HelloToProto(h);
  p.set_genesis_hash(std::string(31, 'g'));
  refused(p, "genesis_hash");
  p = HelloToProto(h);
  p.set_node_key(std::string(33, 'k'));
  refused(p, "node_key");
  p = HelloToProto(h);
  p.clear_nonce();
  refused(p, "nonce");
}

}  // namespace
}  // namespace hito::node::p2p
