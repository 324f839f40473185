#include "node/io/wal.h"

#include <array>

namespace hito::node::io {

namespace {

std::array<uint32_t, 256> MakeCrc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (0x82F63B78u ^ (c >> 1)) : (c >> 1);
    table[i] = c;
  }
  return table;
}

void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

constexpr size_t kHeaderBytes = 8;

uint32_t RecordCrc(const uint8_t* length_be, ByteView payload) {
  return Crc32c(payload, Crc32c(ByteView(length_be, 4)));
}

}  // namespace

uint32_t Crc32c(ByteView data, uint32_t seed) {
  static const std::array<uint32_t, 256> kTable = MakeCrc32cTable();
  uint32_t c = ~seed;
  for (uint8_t b : data) c = kTable[(c ^ b) & 0xff] ^ (c >> 8);
  return ~c;
}

const char* WalTailName(WalTail tail) {
  switch (tail) {
    case WalTail::kClean:
      return "clean";
    case WalTail::kTorn:
      return "torn";
    case WalTail::kCorrupt:
      return "corrupt";
  }
  return "unknown";
}

Bytes FrameWalRecord(ByteView payload) {
  HITO_ASSERT(payload.size() <= kWalRecordMaxBytes);
  Bytes out(kHeaderBytes + payload.size());
  PutU32(out.data(), static_cast<uint32_t>(payload.size()));
  PutU32(out.data() + 4, RecordCrc(out.data(), payload));
  std::copy(payload.begin(), payload.end(), out.begin() + kHeaderBytes);
  return out;
}

WalRecovery ParseWal(ByteView image) {
  WalRecovery r;
  size_t pos = 0;
  while (pos < image.size()) {
    if (image.size() - pos < kHeaderBytes) {
      r.tail = WalTail::kTorn;
      break;
    }
    const uint32_t len = GetU32(image.data() + pos);
    if (len > kWalRecordMaxBytes) {
      r.tail = WalTail::kCorrupt;
      break;
    }
    if (image.size() - pos - kHeaderBytes < len) {
      r.tail = WalTail::kTorn;
      break;
    }
    ByteView payload = image.subspan(pos + kHeaderBytes, len);
    if (GetU32(image.data() + pos + 4) != RecordCrc(image.data() + pos, payload)) {
      r.tail = WalTail::kCorrupt;
      break;
    }
    r.records.emplace_back(payload.begin(), payload.end());
    pos += kHeaderBytes + len;
  }
  r.valid_bytes = pos;
  r.dropped_bytes = image.size() - pos;
  return r;
}

Result<std::unique_ptr<Wal>> Wal::Open(Env* env, std::string path, WalRecovery* recovery) {
  std::unique_ptr<Wal> wal(new Wal(env, std::move(path)));
  Bytes image;
  if (env->FileExists(wal->path_)) {
    HITO_ASSIGN_OR_RETURN(image, env->ReadFile(wal->path_));
  }
  *recovery = ParseWal(image);
  if (recovery->tail == WalTail::kCorrupt) {
    // Keep the evidence for the operator before cutting it.
    HITO_RETURN_IF_ERROR(WriteFileAtomic(env, wal->path_ + ".corrupt", image));
  }
  if (recovery->dropped_bytes > 0) {
    HITO_RETURN_IF_ERROR(env->TruncateFile(wal->path_, recovery->valid_bytes));
  }
  HITO_RETURN_IF_ERROR(wal->Reopen());
  wal->size_bytes_ = recovery->valid_bytes;
  return wal;
}

Status Wal::Reopen() {
  if (file_) HITO_RETURN_IF_ERROR(file_->Close());
  HITO_ASSIGN_OR_RETURN(file_, env_->NewAppendableFile(path_));
  // The file may have just been created: make its name durable too.
  HITO_RETURN_IF_ERROR(file_->Sync());
  return env_->SyncDir(DirName(path_));
}

Status Wal::Append(ByteView payload, Durability durability) {
  if (payload.size() > kWalRecordMaxBytes) {
    return InvalidArgumentError("WAL record of " + std::to_string(payload.size()) +
                                " bytes exceeds the limit");
  }
  const Bytes framed = FrameWalRecord(payload);
  HITO_RETURN_IF_ERROR(file_->Append(framed));
  size_bytes_ += framed.size();
  if (durability == Durability::kSync) return file_->Sync();
  return Status::Ok();
}

Status Wal::Sync() { return file_->Sync(); }

Status Wal::Rewrite(const std::vector<Bytes>& records) {
  Bytes image;
  for (const Bytes& r : records) {
    const Bytes framed = FrameWalRecord(r);
    image.insert(image.end(), framed.begin(), framed.end());
  }
  HITO_RETURN_IF_ERROR(file_->Close());
  file_.reset();
  HITO_RETURN_IF_ERROR(WriteFileAtomic(env_, path_, image));
  HITO_RETURN_IF_ERROR(Reopen());
  size_bytes_ = image.size();
  return Status::Ok();
}

}  // namespace hito::node::io
