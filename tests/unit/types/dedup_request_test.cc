// DedupEvalRequest (consensus/types/dedup_request.h): the signing bytes bind every field
// (chain id, attester, blinded element, epoch, nonce) and open with their own label, and
// a signature verifies only for the exact request it was made over (another chain,
// another element, epoch, nonce or attester key is refused).
#include "consensus/types/dedup_request.h"

#include <gtest/gtest.h>

#include "consensus/types/codec.h"
#include "tests/support/keys.h"

namespace hito::consensus::types {
namespace {

DedupEvalRequest Signed(const Ed25519PrivateKey& key) {
  DedupEvalRequest r;
  r.chain_id = "hito-test";
  r.blinded_element.fill(0x42);
  r.epoch = 7;
  r.nonce = 99;
  SignDedupEvalRequest(&r, key);
  return r;
}

TEST(DedupRequestTest, SigningBytesAreLabelledAndBindEveryField) {
  const Ed25519PrivateKey key = testing::KeyFor(1);
  const DedupEvalRequest r = Signed(key);
  Writer w;
  WriteSigningLabel(&w, "hito/v1/dedup-eval-sign");
  w.String("hito-test");
  w.Fixed(key.public_key());
  w.Fixed(r.blinded_element);
  w.U64(7);
  w.U64(99);
  EXPECT_EQ(DedupEvalSigningBytes(r), w.bytes());
  EXPECT_EQ(r.attester, key.public_key());
}

TEST(DedupRequestTest, SignatureVerifiesForTheRequestItWasMadeOver) {
  const Ed25519PrivateKey key = testing::KeyFor(1);
  EXPECT_TRUE(VerifyDedupEvalRequest(Signed(key)));
}

TEST(DedupRequestTest, AnyChangedFieldIsRefused) {
  const Ed25519PrivateKey key = testing::KeyFor(1);
  const DedupEvalRequest good = Signed(key);
  DedupEvalRequest r = good;
  r.chain_id = "hito-other";  // replayed on another chain
  EXPECT_FALSE(VerifyDedupEvalRequest(r));
  r = good;
  r.blinded_element[0] ^= 1;
  EXPECT_FALSE(VerifyDedupEvalRequest(r));
  r = good;
  r.epoch = 8;
  EXPECT_FALSE(VerifyDedupEvalRequest(r));
  r = good;
  r.nonce = 100;
  EXPECT_FALSE(VerifyDedupEvalRequest(r));
  r = good;
  r.attester = testing::KeyFor(2).public_key();  // claimed by another attester
  EXPECT_FALSE(VerifyDedupEvalRequest(r));
  r = good;
  r.signature[5] ^= 0x10;
  EXPECT_FALSE(VerifyDedupEvalRequest(r));
}

TEST(DedupRequestTest, ASignatureByAnotherKeyIsRefused) {
  DedupEvalRequest r = Signed(testing::KeyFor(3));
  r.attester = testing::KeyFor(1).public_key();
  EXPECT_FALSE(VerifyDedupEvalRequest(r));
}

}  // namespace
}  // namespace hito::consensus::types
