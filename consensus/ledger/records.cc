#include "consensus/ledger/records.h"

#include <string>

#include "base/assert.h"
#include "base/hash.h"

namespace hito::consensus::ledger {
namespace {

constexpr std::string_view kStateKeyLabel = "hito/v1/state-key";
constexpr std::string_view kStateValueLabel = "hito/v1/state-value";

void PutU64(Bytes* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<uint8_t>(v >> shift));
}

uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Bytes AccountKey(const types::AccountId& id) {
  Bytes key;
  key.reserve(kAccountPrefix.size() + id.size());
  key.insert(key.end(), kAccountPrefix.begin(), kAccountPrefix.end());
  key.insert(key.end(), id.begin(), id.end());
  return key;
}

Bytes KeyBytes(std::string_view key) { return ToBytes(AsBytes(key)); }

Bytes EncodeAccount(const Account& account) {
  Bytes out(AccountRecordSize(account));
  EncodeAccountTo(account, out);
  return out;
}

size_t AccountRecordSize(const Account& account) {
  return account.epoch == 0 ? kAccountRecordBytes : kAccountRecordEpochBytes;
}

void EncodeAccountTo(const Account& account, std::span<uint8_t> out) {
  HITO_ASSERT(out.size() == AccountRecordSize(account));
  for (int i = 0; i < 8; ++i) {
    const int shift = 56 - 8 * i;
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(account.balance >> shift);
    out[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(account.nonce >> shift);
    if (account.epoch != 0) {
      out[static_cast<size_t>(16 + i)] = static_cast<uint8_t>(account.epoch >> shift);
    }
  }
}

Result<Account> DecodeAccount(ByteView bytes) {
  if (bytes.size() == kAccountRecordBytes) {
    return Account{GetU64(bytes.data()), GetU64(bytes.data() + 8), 0};
  }
  if (bytes.size() == kAccountRecordEpochBytes) {
    const uint64_t epoch = GetU64(bytes.data() + 16);
    if (epoch == 0) return DataLossError("account record: 24-byte form with epoch 0");
    return Account{GetU64(bytes.data()), GetU64(bytes.data() + 8), epoch};
  }
  return DataLossError("account record: " + std::to_string(bytes.size()) +
                       " bytes, expected 16 or 24");
}

Bytes EncodeSupply(const demurrage::SupplyState& supply) {
  const uint64_t fraction = static_cast<uint64_t>(supply.scaled);
  Bytes out;
  PutU64(&out, supply.Units());
  if (fraction != 0 || supply.epoch != 0) {
    PutU64(&out, fraction);
    PutU64(&out, supply.epoch);
  }
  return out;
}

Result<demurrage::SupplyState> DecodeSupply(ByteView bytes) {
  if (bytes.size() != 8 && bytes.size() != 24) {
    return DataLossError("supply record: " + std::to_string(bytes.size()) +
                         " bytes, expected 8 or 24");
  }
  demurrage::SupplyState s;
  s.scaled = demurrage::U128{GetU64(bytes.data())} << 64;
  if (bytes.size() == 24) {
    s.scaled |= GetU64(bytes.data() + 8);
    s.epoch = GetU64(bytes.data() + 16);
    if (s.epoch == 0 && static_cast<uint64_t>(s.scaled) == 0) {
      return DataLossError("supply record: 24-byte form with fraction and epoch 0");
    }
  }
  return s;
}

Bytes EncodeParams(const Params& params) {
  Bytes out;
  const bool v1 = params.epoch_blocks == kDefaultEpochBlocks && params.demurrage_ppm_per_epoch == 0;
  out.push_back(v1 ? kParamsVersion : kParamsVersionDemurrage);
  PutU64(&out, params.min_fee);
  if (!v1) {
    PutU64(&out, params.epoch_blocks);
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<uint8_t>(params.demurrage_ppm_per_epoch >> shift));
    }
  }
  return out;
}

Result<Params> DecodeParams(ByteView bytes) {
  Params p;
  if (bytes.size() == 9 && bytes[0] == kParamsVersion) {
    p.min_fee = GetU64(bytes.data() + 1);
    return p;
  }
  if (bytes.size() != 21 || bytes[0] != kParamsVersionDemurrage) {
    return DataLossError("params record: not a version 1 (9 bytes) or 2 (21 bytes) record");
  }
  p.min_fee = GetU64(bytes.data() + 1);
  p.epoch_blocks = GetU64(bytes.data() + 9);
  p.demurrage_ppm_per_epoch = static_cast<uint32_t>(GetU64(bytes.data() + 13));
  if (p.epoch_blocks == 0 || p.demurrage_ppm_per_epoch > demurrage::kMaxPpmPerEpoch ||
      (p.epoch_blocks == kDefaultEpochBlocks && p.demurrage_ppm_per_epoch == 0)) {
    return DataLossError("params record: version 2 with out-of-range or version 1 values");
  }
  return p;
}

Bytes EncodeU64(uint64_t v) {
  Bytes out;
  out.reserve(8);
  PutU64(&out, v);
  return out;
}

Result<uint64_t> DecodeU64(std::string_view what, ByteView bytes) {
  if (bytes.size() != 8) {
    return DataLossError(std::string(what) + " record: " + std::to_string(bytes.size()) +
                         " bytes, expected 8");
  }
  return GetU64(bytes.data());
}

Hash32 StateTreeKey(ByteView kv_key) { return DomainHash(kStateKeyLabel, kv_key); }

Hash32 StateValueHash(ByteView record) { return DomainHash(kStateValueLabel, record); }

bool VerifyRecordProof(const Hash32& root, ByteView kv_key, const std::optional<Bytes>& record,
                       const StateProof& proof) {
  std::optional<Hash32> value;
  if (record) value = StateValueHash(*record);
  return VerifyProof(root, StateTreeKey(kv_key), value, proof);
}

}  // namespace hito::consensus::ledger
