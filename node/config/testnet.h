// `hitod testnet`: writes the homes of a local multi-validator chain.
//
// DIR/node0 .. DIR/node<N-1>: each a complete home (own validator.key, config.toml with
// loopback gRPC and p2p addresses and the list of every other node as a peer, the shared
// genesis.json). The genesis lists all N validators with power 1 and funds each
// validator's account and a dev account, whose seed goes to DIR/dev.key (hex, 0600), and
// accredits a dev attester (DevPersonhood, home.h) whose seed goes to DIR/attester.key
// (and, with `attesters` > 1, more: DIR/attester2.key, DIR/attester3.key, ...);
// with test identities (test_identities.h), their secrets go to DIR/identities.secrets.
// The dedup OPRF key is dealt t-of-N (DealtThreshold: 3 of 4) by this process, a trusted
// dealer, and each node's share written to its dedup.share (dedup_keys.h); or, with
// `dedup_dkg`, the genesis opens a DKG among the validators (genesis.json "dedup_dkg") and
// no home holds a share until the running nodes form the key.
// DIR/nodes.json lists each node's home, gRPC address, p2p address and public key. Node i
// is validator i of the set (its keys are sorted by public key, as a validator set is).
// Node i listens on gRPC base_port + 2i and p2p base_port + 2i + 1.
#ifndef HITO_NODE_CONFIG_TESTNET_H_
#define HITO_NODE_CONFIG_TESTNET_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "consensus/ledger/dkg.h"
#include "node/config/test_identities.h"

namespace hito::node::config {

struct TestnetOptions {
  uint32_t validators = 4;
  std::filesystem::path out;
  uint16_t base_port = 26600;
  std::string chain_id = "hito-testnet";
  uint64_t genesis_time_ms = 0;  // 0 = now
  // A large deterministic registry for tests and benchmarks; its secrets go to
  // DIR/identities.secrets.
  TestRegistryOptions test_registry;
  // Accredited attesters (1..kTestnetMaxAttesters).
  uint32_t attesters = 1;
  // The validators generate the dedup key (phases of dkg_phase_blocks blocks) instead of
  // this process dealing it.
  bool dedup_dkg = false;
  uint64_t dkg_phase_blocks = consensus::ledger::kDefaultDkgPhaseBlocks;
};

struct TestnetNode {
  std::filesystem::path home;
  std::string grpc_addr;
  std::string p2p_addr;
  std::string public_key;  // hex
};

inline constexpr uint32_t kTestnetMaxValidators = 100;
inline constexpr uint32_t kTestnetMaxAttesters = 16;

// DIR/attester.key for the first attester (i = 0), DIR/attester<i+1>.key for the others.
std::string TestnetAttesterKeyName(uint32_t i);

// Refuses (kAlreadyExists) when `out` exists and is not empty, like `init`.
Result<std::vector<TestnetNode>> WriteTestnet(const TestnetOptions& options);

}  // namespace hito::node::config

#endif  // HITO_NODE_CONFIG_TESTNET_H_
