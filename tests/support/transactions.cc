#include "tests/support/transactions.h"

#include "tests/support/keys.h"

namespace hito::testing {

namespace types = consensus::types;

types::Transfer MakeTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec) {
  types::Transfer t;
  t.chain_id = spec.chain_id;
  t.sender = from.public_key();
  t.nonce = spec.nonce;
  t.fee = spec.fee;
  t.to = spec.to;
  if (t.to == types::AccountId{}) t.to = AccountOf(KeyFor(200));
  t.amount = spec.amount;
  types::SignTransfer(&t, from);
  return t;
}

Bytes SignedTransfer(const Ed25519PrivateKey& from, const TransferSpec& spec) {
  return types::EncodeTransaction(types::Transaction{MakeTransfer(from, spec)});
}

types::Transaction MakeProposal(const Ed25519PrivateKey& from, const ProposalSpec& spec) {
  types::GovernanceProposal p;
  p.chain_id = spec.chain_id;
  p.nonce = spec.nonce;
  p.fee = spec.fee;
  p.deposit = spec.deposit;
  p.action = spec.action;
  types::SignProposal(&p, from);
  return types::Transaction{p};
}

Bytes SignedProposal(const Ed25519PrivateKey& from, const ProposalSpec& spec) {
  return types::EncodeTransaction(MakeProposal(from, spec));
}

}  // namespace hito::testing
