// RoundTimeouts: Tendermint's round timeouts, one set for the state machine that schedules
// them and the node's config.toml that sets them (docs/protocol/consensus.md).
//
// Each grows linearly with the round, timeout_x(round) = x_base_ms + round * x_delta_ms, so
// that after enough rounds it exceeds the real message delay (Tendermint's liveness
// needs it). All validators of a chain should use the same values.
#ifndef HITO_CONSENSUS_BFT_ROUND_TIMEOUTS_H_
#define HITO_CONSENSUS_BFT_ROUND_TIMEOUTS_H_

#include <cstdint>

namespace hito::consensus::bft {

struct RoundTimeouts {
  uint32_t propose_base_ms = 3000;
  uint32_t propose_delta_ms = 500;
  uint32_t prevote_base_ms = 1000;
  uint32_t prevote_delta_ms = 500;
  uint32_t precommit_base_ms = 1000;
  uint32_t precommit_delta_ms = 500;
};

}  // namespace hito::consensus::bft

#endif  // HITO_CONSENSUS_BFT_ROUND_TIMEOUTS_H_
