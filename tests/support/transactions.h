// Signed transactions for tests: a transfer from a test key with the fields a test cares
// about set and the rest defaulted (to KeyFor(200), fee 1000, amount 1), and a governance
// proposal likewise (fee 1000, a text action).
#ifndef HITO_TESTS_SUPPORT_TRANSACTIONS_H_
#define HITO_TESTS_SUPPORT_TRANSACTIONS_H_

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/ed25519.h"
#include "consensus/types/transaction.h"

namespace hito::testing {

struct TransferSpec {
  std::string chain_id = "test-chain";
  uint64_t nonce = 0;
  uint64_t fee = 1000;
  uint64_t amount = 1;
  consensus::types::AccountId to{};  // zero: AccountOf(KeyFor(200))
};
consensus::types::Transfer MakeTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec);
// The encoded transaction of MakeTransfer.
Bytes SignedTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec);

struct ProposalSpec {
  std::string chain_id = "test-chain";
  uint64_t nonce = 0;
  uint64_t fee = 1000;
  uint64_t deposit = 0;  // must equal the chain's proposal_deposit to be accepted
  consensus::types::Action action = consensus::types::TextProposal{Bytes{'t'}};
};
consensus::types::Transaction MakeProposal(const Ed25519PrivateKey& from, const ProposalSpec& spec);
// The encoded transaction of MakeProposal.
Bytes SignedProposal(const Ed25519PrivateKey& from, const ProposalSpec& spec);

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_TRANSACTIONS_H_
