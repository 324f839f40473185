// Wallet transfer building: a signed transfer built by the wallet encodes, decodes
// strictly (DecodeTransaction) and verifies (VerifyTransferSignature) with the consensus
// types; any edit after signing breaks the signature; bad requests are refused with a
// reason; amount parsing is strict; addresses are bech32m "hito1...".
#include "wallet/transfer.h"

#include <gtest/gtest.h>

#include "base/bech32m.h"
#include "base/hash.h"
#include "consensus/types/limits.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;

TransferRequest Request(const Ed25519PrivateKey& to_key) {
  TransferRequest r;
  r.chain_id = "hito-test";
  r.nonce = 7;
  r.fee = 1000;
  r.to = types::AccountIdFromPublicKey(to_key.public_key());
  r.amount = 123'456;
  r.memo = "rent";
  return r;
}

TEST(TransferTest, SignedTransferDecodesAndVerifies) {
  InitCrypto();
  auto from = Ed25519PrivateKey::Generate();
  auto to = Ed25519PrivateKey::Generate();
  auto tx = BuildSignedTransfer(Request(to), from);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  Bytes bytes = types::EncodeTransaction(*tx);
  auto decoded = types::DecodeTransaction(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, *tx);
  EXPECT_EQ(decoded->kind(), types::TxKind::kTransfer);
  const auto& t = std::get<types::Transfer>(decoded->body);
  EXPECT_TRUE(types::VerifyTransferSignature(t));
  EXPECT_EQ(t.sender, from.public_key());
  EXPECT_EQ(t.nonce, 7u);
  EXPECT_EQ(t.fee, 1000u);
  EXPECT_EQ(t.amount, 123'456u);
  EXPECT_EQ(t.chain_id, "hito-test");
  EXPECT_EQ(t.to, types::AccountIdFromPublicKey(to.public_key()));
  EXPECT_EQ(std::string(AsChars(t.memo)), "rent");
  EXPECT_EQ(types::TransactionHash(bytes), types::TransactionHash(*decoded));
}

TEST(TransferTest, EditsAfterSigningBreakTheSignature) {
  InitCrypto();
  auto from = Ed25519PrivateKey::Generate();
  auto to = Ed25519PrivateKey::Generate();
  auto tx = BuildSignedTransfer(Request(to), from);
  ASSERT_TRUE(tx.ok());
  const auto& orig = std::get<types::Transfer>(tx->body);
  auto edited = [&](auto edit) {
    types::Transfer t = orig;
    edit(t);
    return types::VerifyTransferSignature(t);
  };
  EXPECT_FALSE(edited([](types::Transfer& t) { t.amount += 1; }));
  EXPECT_FALSE(edited([](types::Transfer& t) { t.nonce += 1; }));
  EXPECT_FALSE(edited([](types::Transfer& t) { t.fee -= 1; }));
  EXPECT_FALSE(edited([](types::Transfer& t) { t.chain_id = "hito-other"; }));
  EXPECT_FALSE(edited([](types::Transfer& t) { t.to[0] ^= 1; }));
  EXPECT_FALSE(edited([](types::Transfer& t) { t.memo.push_back('!'); }));
  EXPECT_FALSE(edited([](types::Transfer& t) { t.signature[10] ^= 0x40; }));
  EXPECT_FALSE(
      edited([](types::Transfer& t) { t.sender = Ed25519PrivateKey::Generate().public_key(); }));
}

TEST(TransferTest, SignedBytesWithAFlippedByteAreRejected) {
  InitCrypto();
  auto from = Ed25519PrivateKey::Generate();
  auto tx = BuildSignedTransfer(Request(Ed25519PrivateKey::Generate()), from);
  ASSERT_TRUE(tx.ok());
  Bytes bytes = types::EncodeTransaction(*tx);
  // Flip the last signature byte: still decodes, no longer verifies.
  bytes.back() ^= 1;
  auto d = types::DecodeTransaction(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(types::VerifyTransferSignature(std::get<types::Transfer>(d->body)));
  // Truncated and extended bytes do not decode.
  Bytes cut(bytes.begin(), bytes.end() - 1);
  EXPECT_FALSE(types::DecodeTransaction(cut).ok());
  Bytes longer = types::EncodeTransaction(*tx);
  longer.push_back(0);
  EXPECT_FALSE(types::DecodeTransaction(longer).ok());
}

TEST(TransferTest, BadRequestsRefused) {
  InitCrypto();
  auto from = Ed25519PrivateKey::Generate();
  auto to = Ed25519PrivateKey::Generate();
  auto r = Request(to);
  r.amount = 0;
  EXPECT_EQ(BuildSignedTransfer(r, from).status().code(), StatusCode::kInvalidArgument);
  r = Request(to);
  r.memo = std::string(types::kMemoMaxLen + 1, 'x');
  EXPECT_EQ(BuildSignedTransfer(r, from).status().code(), StatusCode::kInvalidArgument);
  r.memo = std::string(types::kMemoMaxLen, 'x');
  EXPECT_TRUE(BuildSignedTransfer(r, from).ok());
  r = Request(to);
  r.chain_id = "";
  EXPECT_FALSE(BuildSignedTransfer(r, from).ok());
  r = Request(to);
  r.to = types::AccountIdFromPublicKey(from.public_key());
  auto self = BuildSignedTransfer(r, from);
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.status().message().find("same account"), std::string::npos);
}

TEST(TransferTest, AddressesAreBech32mAndRoundTrip) {
  InitCrypto();
  auto key = Ed25519PrivateKey::Generate();
  std::string addr = AddressOf(key.public_key());
  EXPECT_EQ(addr.rfind("hito1", 0), 0u);
  auto id = DecodeAddress(addr);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, types::AccountIdFromPublicKey(key.public_key()));
}

TEST(TransferTest, ParseUnitsIsStrict) {
  EXPECT_EQ(*ParseUnits("0", "x"), 0u);
  EXPECT_EQ(*ParseUnits("1000000", "x"), 1'000'000u);
  EXPECT_EQ(*ParseUnits("18446744073709551615", "x"), UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", "1.5", "1e6", " 1", "0x10", "18446744073709551616",
                          "123456789012345678901"}) {
    EXPECT_FALSE(ParseUnits(bad, "--amount").ok()) << bad;
  }
}

}  // namespace
}  // namespace hito::wallet
