// Transactions: canonical round trip, one rejection test per class of malformed bytes
// (truncation at every offset, trailing byte, oversize lengths, bad chain id, unknown
// version and kind, kind 7 reserved as UNIMPLEMENTED, kind 3 read as a claim), and
// signatures (every signed field is bound; a transfer signed for chain A fails on chain B).
#include "consensus/types/transaction.h"

#include <gtest/gtest.h>

#include "base/hex.h"
#include "consensus/types/limits.h"
#include "tests/unit/types/test_util.h"

namespace hito::consensus::types {
namespace {

using testing::HasMessage;
using testing::kChain;
using testing::SignedTransfer;

constexpr size_t kChainIdOffset = 2;               // version, kind
constexpr size_t kChainBytes = 4 + kChain.size();  // length prefix + chain id
constexpr size_t kMemoLenOffset = kChainIdOffset + kChainBytes + 32 + 8 + 8 + 32 + 8;

Bytes Encoded() { return EncodeTransaction(Transaction{SignedTransfer()}); }

TEST(TransactionTest, RoundTrip) {
  const Transaction tx{SignedTransfer()};
  const Bytes enc = EncodeTransaction(tx);
  EXPECT_EQ(enc.size(), 2 + kChainBytes + 32 + 8 + 8 + 32 + 8 + 4 + 4 + 64);
  Result<Transaction> back = DecodeTransaction(enc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, tx);
  EXPECT_EQ(back->kind(), TxKind::kTransfer);
  EXPECT_EQ(EncodeTransaction(*back), enc);
  EXPECT_EQ(TransactionHash(*back), TransactionHash(enc));
}

TEST(TransactionTest, RoundTripEdgeValues) {
  Transfer t = SignedTransfer();
  t.chain_id = std::string(kChainIdMaxLen, 'z');
  t.memo = Bytes(kMemoMaxLen, 0xff);
  t.nonce = t.fee = t.amount = ~uint64_t{0};
  Result<Transaction> back = DecodeTransaction(EncodeTransaction(Transaction{t}));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(std::get<Transfer>(back->body), t);
  t.memo.clear();
  t.chain_id = "a";
  back = DecodeTransaction(EncodeTransaction(Transaction{t}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<Transfer>(back->body), t);
}

TEST(TransactionTest, RejectsTruncationAtEveryOffsetAndTrailingBytes) {
  testing::ExpectStrict(Encoded(), [](ByteView b) { return DecodeTransaction(b); });
}

TEST(TransactionTest, TruncationNamesTheField) {
  const Bytes enc = Encoded();
  Result<Transaction> r = DecodeTransaction(ByteView(enc.data(), enc.size() - 1));
  EXPECT_TRUE(HasMessage(r.status(), "transfer.signature: truncated")) << r.status().ToString();
  r = DecodeTransaction(ByteView(enc.data(), kMemoLenOffset - 3));
  EXPECT_TRUE(HasMessage(r.status(), "transfer.amount: truncated")) << r.status().ToString();
}

TEST(TransactionTest, RejectsMemoLengthOverLimit) {
  Bytes enc = Encoded();
  testing::PutU32(&enc, kMemoLenOffset, static_cast<uint32_t>(kMemoMaxLen + 1));
  Result<Transaction> r = DecodeTransaction(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasMessage(r.status(), "transfer.memo: length 257 exceeds the maximum of 256"))
      << r.status().ToString();
  testing::PutU32(&enc, kMemoLenOffset, 0xffffffffu);
  EXPECT_TRUE(HasMessage(DecodeTransaction(enc).status(), "transfer.memo: length"));
}

TEST(TransactionTest, RejectsLengthPrefixBeyondInput) {
  Bytes enc = Encoded();
  testing::PutU32(&enc, kMemoLenOffset, 200);  // within the limit, more than what is left
  Result<Transaction> r = DecodeTransaction(enc);
  EXPECT_TRUE(HasMessage(r.status(), "transfer.memo: truncated")) << r.status().ToString();
}

TEST(TransactionTest, RejectsChainIdOverLimitAndBadCharacters) {
  Bytes enc = Encoded();
  testing::PutU32(&enc, kChainIdOffset, static_cast<uint32_t>(kChainIdMaxLen + 1));
  EXPECT_TRUE(HasMessage(DecodeTransaction(enc).status(), "transfer.chain_id: length 65"));

  for (char bad : {'A', '_', ' ', '.', '\0', '\xff'}) {
    Transfer t = SignedTransfer();
    t.chain_id[3] = bad;
    Result<Transaction> r = DecodeTransaction(EncodeTransaction(Transaction{t}));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(HasMessage(r.status(), "transfer.chain_id: chain id byte"))
        << r.status().ToString();
  }
  Transfer t = SignedTransfer();
  t.chain_id.clear();
  EXPECT_TRUE(HasMessage(DecodeTransaction(EncodeTransaction(Transaction{t})).status(),
                         "transfer.chain_id: chain id is empty"));
}

TEST(TransactionTest, RejectsUnknownVersion) {
  for (int v : {0, 2, 255}) {
    Bytes enc = Encoded();
    enc[0] = static_cast<uint8_t>(v);
    Result<Transaction> r = DecodeTransaction(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasMessage(r.status(), "transaction.version: unknown version"));
  }
}

TEST(TransactionTest, RejectsUnknownKind) {
  for (int k : {0, 9, 255}) {
    Bytes enc = Encoded();
    enc[1] = static_cast<uint8_t>(k);
    Result<Transaction> r = DecodeTransaction(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasMessage(r.status(), "transaction.kind: unknown kind " + std::to_string(k)));
  }
}

TEST(TransactionTest, RejectsTheReservedKindAsUnimplementedNamingIt) {
  EXPECT_EQ(TxKindName(TxKind::kProposal), "proposal");
  EXPECT_EQ(TxKindName(TxKind::kBallot), "ballot");
  const std::pair<TxKind, const char*> reserved[] = {{TxKind::kValidator, "validator"}};
  for (const auto& [kind, name] : reserved) {
    EXPECT_EQ(TxKindName(kind), name);
    Bytes enc = Encoded();
    enc[1] = static_cast<uint8_t>(kind);
    Result<Transaction> r = DecodeTransaction(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
    EXPECT_TRUE(HasMessage(r.status(), name)) << r.status().ToString();
  }
}

// Kind 3 is implemented: a transfer's body under the claim kind is read as a claim and
// refused as a malformed one, not as a reserved kind.
TEST(TransactionTest, TransferBodyUnderTheClaimKindIsAMalformedClaim) {
  Bytes enc = Encoded();
  enc[1] = static_cast<uint8_t>(TxKind::kClaim);
  Result<Transaction> r = DecodeTransaction(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasMessage(r.status(), "claim.")) << r.status().ToString();
}

TEST(TransactionTest, RejectsInputOverTxMaxBytes) {
  Bytes big = Encoded();
  big.resize(kTxMaxBytes + 1, 0);
  Result<Transaction> r = DecodeTransaction(big);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasMessage(r.status(), "exceeds the maximum of 65536"));
}

TEST(TransactionTest, SignatureVerifiesAndEveryFieldIsBound) {
  const Transfer good = SignedTransfer();
  ASSERT_TRUE(VerifyTransferSignature(good));
  std::vector<Transfer> tampered(8, good);
  tampered[0].chain_id = "hito-test-2";
  tampered[1].sender = testing::Key(9).public_key();
  tampered[2].nonce += 1;
  tampered[3].fee -= 1;
  tampered[4].to[0] ^= 1;
  tampered[5].amount += 1;
  tampered[6].memo.push_back('!');
  tampered[7].signature[63] ^= 0x01;
  for (size_t i = 0; i < tampered.size(); ++i) {
    EXPECT_FALSE(VerifyTransferSignature(tampered[i])) << "field " << i;
  }
}

TEST(TransactionTest, TransferSignedForChainAFailsOnChainB) {
  Transfer a = SignedTransfer("chain-a");
  ASSERT_TRUE(VerifyTransferSignature(a));
  Transfer on_b = a;
  on_b.chain_id = "chain-b";
  EXPECT_FALSE(VerifyTransferSignature(on_b));
  // The signing bytes start with the framed label, then the unsigned encoding.
  const Bytes sb = TransferSigningBytes(a);
  const std::string label = "hito/v1/tx-sign";
  ASSERT_GT(sb.size(), label.size() + 1);
  EXPECT_EQ(sb[0], label.size());
  EXPECT_EQ(std::string(sb.begin() + 1, sb.begin() + 1 + static_cast<long>(label.size())), label);
  const Bytes enc = EncodeTransaction(Transaction{a});
  EXPECT_TRUE(
      std::equal(enc.begin(), enc.end() - 64, sb.begin() + 1 + static_cast<long>(label.size())));
}

TEST(TransactionTest, HashCoversSignatureAndIsDomainSeparated) {
  Transfer t = SignedTransfer();
  const Bytes enc = EncodeTransaction(Transaction{t});
  EXPECT_EQ(TransactionHash(enc), DomainHash("hito/v1/tx", enc));
  Transfer t2 = t;
  t2.signature[0] ^= 1;
  EXPECT_NE(TransactionHash(Transaction{t2}), TransactionHash(enc));
}

TEST(TransactionTest, AccountIdIsDomainHashOfPublicKey) {
  const Ed25519PublicKey pk = testing::Key(4).public_key();
  EXPECT_EQ(AccountIdFromPublicKey(pk), DomainHash("hito/v1/address", pk));
  EXPECT_NE(AccountIdFromPublicKey(pk), AccountIdFromPublicKey(testing::Key(5).public_key()));
}

}  // namespace
}  // namespace hito::consensus::types
