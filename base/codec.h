// The canonical binary codec every consensus type and zk message is written in.
//
// Rules (docs/protocol/encoding.md): integers are fixed-width big-endian; byte strings
// and lists carry a u32 big-endian length prefix and a per-field maximum; booleans are
// one byte, 0 or 1; enums one byte from a closed set. A Reader fails with a precise
// reason on truncation, a length over its limit, a non-canonical value, or (in
// ExpectEnd) trailing bytes. Writer output is the single canonical encoding.
#ifndef HITO_BASE_CODEC_H_
#define HITO_BASE_CODEC_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"

namespace hito {

class Writer {
 public:
  void U8(uint8_t v);
  void U16(uint16_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Bool(bool v) { U8(v ? 1 : 0); }
  template <size_t N>
  void Fixed(const std::array<uint8_t, N>& a) {
    Raw(ByteView(a.data(), N));
  }
  // u32 length prefix, then the bytes.
  void VarBytes(ByteView b);
  void String(std::string_view s) { VarBytes(AsBytes(s)); }
  void Raw(ByteView b);

  const Bytes& bytes() const& { return out_; }
  Bytes&& bytes() && { return std::move(out_); }

 private:
  Bytes out_;
};

// Reads from a borrowed buffer that must outlive the Reader. `what` names the value
// being read so errors say e.g. "transfer.amount: truncated".
class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}

  Status U8(std::string_view what, uint8_t* v);
  Status U16(std::string_view what, uint16_t* v);
  Status U32(std::string_view what, uint32_t* v);
  Status U64(std::string_view what, uint64_t* v);
  Status Bool(std::string_view what, bool* v);  // rejects anything but 0 and 1
  // The next byte without consuming it (fails on truncation like U8).
  Status PeekU8(std::string_view what, uint8_t* v) const;
  template <size_t N>
  Status Fixed(std::string_view what, std::array<uint8_t, N>* a) {
    return Raw(what, ByteView(a->data(), N), a->data());
  }
  // Length-prefixed bytes with at most `max_len` bytes.
  Status VarBytes(std::string_view what, size_t max_len, Bytes* out);
  Status String(std::string_view what, size_t max_len, std::string* out);
  // A u32 list count with at most `max_count` entries, each at least `min_entry_bytes`
  // long (so a hostile count cannot make the caller reserve memory it has no bytes for).
  Status Count(std::string_view what, uint32_t max_count, size_t min_entry_bytes, uint32_t* count);

  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  // Fails with "trailing bytes" unless everything was consumed.
  Status ExpectEnd(std::string_view what) const;

 private:
  Status Raw(std::string_view what, ByteView shape, uint8_t* dst);
  ByteView in_;
  size_t pos_ = 0;
};

// The two ends every encoded type shares. EncodeWith runs `write(Writer*)` on a fresh
// Writer and returns its bytes. DecodeWhole reads one T from the whole buffer with
// `read(Reader*, T*) -> Status`, then requires the buffer consumed, failing with
// "<what>: trailing bytes" otherwise; checks that need the whole value (hashes in a header
// against the body, canonical order) stay with the caller, after DecodeWhole succeeds.
template <typename WriteFn>
Bytes EncodeWith(WriteFn&& write) {
  Writer w;
  write(&w);
  return std::move(w).bytes();
}

template <typename T, typename ReadFn>
Result<T> DecodeWhole(ByteView bytes, std::string_view what, ReadFn&& read) {
  Reader r(bytes);
  T value;
  HITO_RETURN_IF_ERROR(read(&r, &value));
  HITO_RETURN_IF_ERROR(r.ExpectEnd(what));
  return value;
}

}  // namespace hito

#endif  // HITO_BASE_CODEC_H_
