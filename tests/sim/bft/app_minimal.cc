// The minimal deterministic app, used while hito_ledger is not built: its state root is a
// hash chain over every executed block's transactions.
#include "base/hash.h"
#include "tests/sim/bft/app.h"

namespace hito::sim {
namespace {

class MinimalApp : public App {
 public:
  explicit MinimalApp(uint64_t genesis_seed) {
    Hasher h("hito/v1/sim-genesis");
    h.UpdateU64(genesis_seed);
    root_ = h.Finish();
  }
  Hash32 StateRoot() const override { return root_; }
  std::vector<Bytes> BuildTxs(uint32_t proc, Rng& rng) override {
    std::vector<Bytes> txs;
    const uint64_t n = rng.Below(4);
    for (uint64_t i = 0; i < n; ++i) {
      Bytes tx = {'s', 'i', 'm', static_cast<uint8_t>(proc), static_cast<uint8_t>(proc >> 8)};
      for (int b = 0; b < 8; ++b) tx.push_back(static_cast<uint8_t>(counter_ >> (8 * b)));
      ++counter_;
      txs.push_back(std::move(tx));
    }
    if (txs.empty()) txs.push_back(Bytes{'e', static_cast<uint8_t>(proc)});
    return txs;
  }
  Status CheckTxs(const std::vector<Bytes>& txs) const override {
    for (const Bytes& tx : txs) {
      if (tx.empty() || tx.size() > 64) return InvalidArgumentError("sim tx: bad size");
    }
    return Status::Ok();
  }
  Result<Hash32> Execute(const types::BlockHeader& header, const std::vector<Bytes>& txs) override {
    Hasher h("hito/v1/sim-state");
    h.Update(ByteView(root_.data(), root_.size()));
    h.UpdateU64(header.height);
    const Hash32 tx_root = types::TxRoot(txs);
    h.Update(ByteView(tx_root.data(), tx_root.size()));
    root_ = h.Finish();
    txs_ok_ += txs.size();
    return root_;
  }
  uint64_t txs_ok() const override { return txs_ok_; }
  std::string_view kind() const override { return "minimal"; }

 private:
  Hash32 root_{};
  uint64_t counter_ = 0;
  uint64_t txs_ok_ = 0;
};

}  // namespace

std::unique_ptr<App> MakeApp(const std::string& chain_id, uint64_t genesis_seed) {
  (void)chain_id;
  return std::make_unique<MinimalApp>(genesis_seed);
}

}  // namespace hito::sim
