#include "consensus/ledger/records.h"

#include <string>

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
  Bytes out;
  out.reserve(kAccountRecordBytes);
  PutU64(&out, account.balance);
  PutU64(&out, account.nonce);
  return out;
}

void EncodeAccountTo(const Account& account, std::span<uint8_t, kAccountRecordBytes> out) {
  for (int i = 0; i < 8; ++i) {
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(account.balance >> (56 - 8 * i));
    out[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(account.nonce >> (56 - 8 * i));
  }
}

Result<Account> DecodeAccount(ByteView bytes) {
  if (bytes.size() != kAccountRecordBytes) {
    return DataLossError("account record: " + std::to_string(bytes.size()) + " bytes, expected 16");
  }
  return Account{GetU64(bytes.data()), GetU64(bytes.data() + 8)};
}

Bytes EncodeParams(const Params& params) {
  Bytes out;
  out.push_back(kParamsVersion);
  PutU64(&out, params.min_fee);
  return out;
}

Result<Params> DecodeParams(ByteView bytes) {
  if (bytes.size() != 9 || bytes[0] != kParamsVersion) {
    return DataLossError("params record: not a version 1 record of 9 bytes");
  }
  Params p;
  p.min_fee = GetU64(bytes.data() + 1);
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
