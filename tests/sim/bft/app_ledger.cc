// The real ledger behind each simulated validator: genesis funds a few accounts whose keys
// the simulation holds, proposers put signed transfers in their blocks, and every block is
// executed by consensus::ledger::Ledger on a MemoryKv. State roots are the ledger's own.
#include <array>
#include <map>

#include "base/hash.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/limits.h"
#include "consensus/types/transaction.h"
#include "tests/sim/bft/app.h"

namespace hito::sim {
namespace {

namespace ledger = consensus::ledger;

constexpr uint32_t kAccounts = 8;
constexpr uint64_t kGenesisBalance = 1'000'000 * types::kUnitsPerHito;

class LedgerApp : public App {
 public:
  LedgerApp(const std::string& chain_id, uint64_t genesis_seed)
      : chain_id_(chain_id), ledger_(chain_id, &kv_) {
    ledger::Genesis g;
    g.chain_id = chain_id;
    g.time_ms = 0;
    for (uint32_t i = 0; i < kAccounts; ++i) {
      Hasher h("hito/v1/sim-account");
      h.UpdateU64(genesis_seed);
      h.UpdateU64(i);
      seeds_[i] = h.Finish();
      const auto key = Ed25519PrivateKey::FromSeed(seeds_[i]);
      g.accounts.push_back({types::AccountIdFromPublicKey(key.public_key()), kGenesisBalance});
    }
    auto out = ledger::Ledger::InitGenesis(g);
    HITO_ASSERT(out.ok());
    kv_.Apply(out->changes);
    root_ = out->state_root;
  }

  Hash32 StateRoot() const override { return root_; }

  // One to three transfers from random funded accounts at their committed nonces; the
  // proc id goes in the memo so twins build different blocks. Transfers that lose a
  // nonce race with another proposer's block are recorded as rejected by the ledger.
  std::vector<Bytes> BuildTxs(uint32_t proc, Rng& rng) override {
    std::vector<Bytes> txs;
    std::map<uint32_t, uint64_t> used;
    const uint64_t n = rng.Range(1, 3);
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t from = static_cast<uint32_t>(rng.Below(kAccounts));
      const uint32_t to = (from + 1 + static_cast<uint32_t>(rng.Below(kAccounts - 1))) % kAccounts;
      const auto key = Ed25519PrivateKey::FromSeed(seeds_[from]);
      const auto to_key = Ed25519PrivateKey::FromSeed(seeds_[to]);
      auto account = ledger_.GetAccount(types::AccountIdFromPublicKey(key.public_key()));
      if (!account.ok()) continue;
      types::Transfer t;
      t.chain_id = chain_id_;
      t.sender = key.public_key();
      t.nonce = account->nonce + used[from]++;
      t.fee = 1000;
      t.to = types::AccountIdFromPublicKey(to_key.public_key());
      t.amount = rng.Range(1, 1000);
      t.memo = Bytes{'p', static_cast<uint8_t>(proc), static_cast<uint8_t>(proc >> 8)};
      types::SignTransfer(&t, key);
      txs.push_back(types::EncodeTransaction(types::Transaction{t}));
    }
    return txs;
  }

  Status CheckTxs(const std::vector<Bytes>& txs) const override {
    if (txs.size() > types::kBlockMaxTxs) return InvalidArgumentError("too many txs");
    for (const Bytes& tx : txs) {
      auto decoded = types::DecodeTransaction(tx);
      if (!decoded.ok()) return decoded.status().WithContext("block transaction");
    }
    return Status::Ok();
  }

  Result<Hash32> Execute(const types::BlockHeader& header, const std::vector<Bytes>& txs) override {
    std::vector<types::Transaction> decoded;
    for (const Bytes& tx : txs) {
      HITO_ASSIGN_OR_RETURN(types::Transaction t, types::DecodeTransaction(tx));
      decoded.push_back(std::move(t));
    }
    HITO_ASSIGN_OR_RETURN(ledger::BlockOutcome out,
                          ledger_.ApplyBlock(header, decoded, ledger::SignatureCheck::kVerify));
    kv_.Apply(out.changes);
    root_ = out.state_root;
    for (const auto& r : out.results) txs_ok_ += r.ok() ? 1 : 0;
    return root_;
  }

  uint64_t txs_ok() const override { return txs_ok_; }
  std::string_view kind() const override { return "ledger"; }

 private:
  std::string chain_id_;
  ledger::MemoryKv kv_;
  ledger::Ledger ledger_;
  std::array<Ed25519Seed, kAccounts> seeds_{};
  Hash32 root_{};
  uint64_t txs_ok_ = 0;
};

}  // namespace

std::unique_ptr<App> MakeApp(const std::string& chain_id, uint64_t genesis_seed) {
  return std::make_unique<LedgerApp>(chain_id, genesis_seed);
}

}  // namespace hito::sim
