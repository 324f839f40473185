// The ledger's key layout and record encodings (docs/protocol/state.md).
//
// Every record lives in the key-value store under a one-letter prefix:
//   a/<account id:32>  account       balance:u64 nonce:u64 [epoch:u64]     (tree leaf)
//   p/params           params        version:u8(=1) min_fee:u64, or
//                                    version:u8(=2) min_fee:u64 epoch_blocks:u64
//                                    demurrage_ppm_per_epoch:u32           (tree leaf)
//   p/chain_id         chain id      the chain id's bytes                  (tree leaf)
//   s/supply           total supply  u64 [fraction:u64 epoch:u64]          (tree leaf)
//   m/height           metadata      u64, height of the last applied block
//   m/root             metadata      32 bytes, the state tree's root
//   t/...              state tree nodes (state_tree.h)
// Bracketed fields are present only when nonzero (an account settled at epoch 0, a supply
// with no fraction that has not decayed, version 1 params for the default epoch length
// and no demurrage), so a ledger with demurrage off writes the same bytes as before it
// existed; decoders refuse the long form with the fields zero (one encoding per value).
// Integers are big-endian. Each tree leaf is keyed by StateTreeKey(kv key) and holds
// StateValueHash(record bytes), so the root commits to every consensus record. The
// metadata records are derived (the root) or carried by block headers (the height) and
// are not leaves.
#ifndef HITO_CONSENSUS_LEDGER_RECORDS_H_
#define HITO_CONSENSUS_LEDGER_RECORDS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "consensus/ledger/demurrage.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/state_tree.h"

namespace hito::consensus::ledger {

inline constexpr std::string_view kAccountPrefix = "a/";
inline constexpr std::string_view kParamsKey = "p/params";
inline constexpr std::string_view kChainIdKey = "p/chain_id";
inline constexpr std::string_view kSupplyKey = "s/supply";
inline constexpr std::string_view kHeightKey = "m/height";
inline constexpr std::string_view kRootKey = "m/root";

inline constexpr uint8_t kParamsVersion = 1;
inline constexpr uint8_t kParamsVersionDemurrage = 2;
inline constexpr size_t kAccountRecordBytes = 16;       // settled at epoch 0
inline constexpr size_t kAccountRecordEpochBytes = 24;  // settled at a later epoch

Bytes AccountKey(const types::AccountId& id);
Bytes KeyBytes(std::string_view key);

Bytes EncodeAccount(const Account& account);
// The record's size: kAccountRecordBytes when account.epoch is 0, else 24.
size_t AccountRecordSize(const Account& account);
// The same bytes, written into `out` of AccountRecordSize(account) bytes (the ledger
// encodes records in place).
void EncodeAccountTo(const Account& account, std::span<uint8_t> out);
// Strict: 16 bytes, or 24 with a nonzero epoch. Errors are kDataLoss (state is trusted
// data: a bad record means a corrupt store, not bad input).
Result<Account> DecodeAccount(ByteView bytes);
// The supply record: 8 bytes (the units) while fraction and epoch are 0, else 24.
Bytes EncodeSupply(const demurrage::SupplyState& supply);
Result<demurrage::SupplyState> DecodeSupply(ByteView bytes);
Bytes EncodeParams(const Params& params);
Result<Params> DecodeParams(ByteView bytes);
Bytes EncodeU64(uint64_t v);
Result<uint64_t> DecodeU64(std::string_view what, ByteView bytes);

// The state tree key of a record: BLAKE2b-256 "hito/v1/state-key" of its kv key.
Hash32 StateTreeKey(ByteView kv_key);
// The value hash a tree leaf holds: BLAKE2b-256 "hito/v1/state-value" of the record.
Hash32 StateValueHash(ByteView record);

// True iff `proof` shows that under `root` the record at `kv_key` is `record` (or that
// there is none, when `record` is nullopt). For light clients; needs no storage.
[[nodiscard]] bool VerifyRecordProof(const Hash32& root, ByteView kv_key,
                                     const std::optional<Bytes>& record, const StateProof& proof);

}  // namespace hito::consensus::ledger

#endif  // HITO_CONSENSUS_LEDGER_RECORDS_H_
