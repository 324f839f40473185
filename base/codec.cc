#include "base/codec.h"

#include <algorithm>
#include <string>

#include "base/assert.h"

namespace hito {
namespace {

Status Invalid(std::string_view what, std::string_view problem) {
  std::string m(what);
  m += ": ";
  m += problem;
  return InvalidArgumentError(std::move(m));
}

}  // namespace

void Writer::U8(uint8_t v) { out_.push_back(v); }

void Writer::U16(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}

void Writer::U32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
}

void Writer::U64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
}

void Writer::VarBytes(ByteView b) {
  // Every length the protocol allows fits in a u32; a larger one is a caller bug.
  HITO_ASSERT(b.size() <= 0xffffffffu);
  U32(static_cast<uint32_t>(b.size()));
  Raw(b);
}

void Writer::Raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }

Status Reader::Raw(std::string_view what, ByteView shape, uint8_t* dst) {
  if (remaining() < shape.size()) {
    return Invalid(what, "truncated (need " + std::to_string(shape.size()) + " bytes, " +
                             std::to_string(remaining()) + " left)");
  }
  std::copy_n(in_.begin() + static_cast<std::ptrdiff_t>(pos_), shape.size(), dst);
  pos_ += shape.size();
  return Status::Ok();
}

Status Reader::U8(std::string_view what, uint8_t* v) {
  std::array<uint8_t, 1> b;
  HITO_RETURN_IF_ERROR(Fixed(what, &b));
  *v = b[0];
  return Status::Ok();
}

Status Reader::PeekU8(std::string_view what, uint8_t* v) const {
  Reader copy = *this;
  return copy.U8(what, v);
}

Status Reader::U16(std::string_view what, uint16_t* v) {
  std::array<uint8_t, 2> b;
  HITO_RETURN_IF_ERROR(Fixed(what, &b));
  *v = static_cast<uint16_t>((b[0] << 8) | b[1]);
  return Status::Ok();
}

Status Reader::U32(std::string_view what, uint32_t* v) {
  std::array<uint8_t, 4> b;
  HITO_RETURN_IF_ERROR(Fixed(what, &b));
  uint32_t r = 0;
  for (uint8_t x : b) r = (r << 8) | x;
  *v = r;
  return Status::Ok();
}

Status Reader::U64(std::string_view what, uint64_t* v) {
  std::array<uint8_t, 8> b;
  HITO_RETURN_IF_ERROR(Fixed(what, &b));
  uint64_t r = 0;
  for (uint8_t x : b) r = (r << 8) | x;
  *v = r;
  return Status::Ok();
}

Status Reader::Bool(std::string_view what, bool* v) {
  uint8_t b = 0;
  HITO_RETURN_IF_ERROR(U8(what, &b));
  if (b > 1) return Invalid(what, "boolean must be 0 or 1, got " + std::to_string(b));
  *v = (b == 1);
  return Status::Ok();
}

Status Reader::VarBytes(std::string_view what, size_t max_len, Bytes* out) {
  uint32_t len = 0;
  HITO_RETURN_IF_ERROR(U32(what, &len));
  if (len > max_len) {
    return Invalid(what, "length " + std::to_string(len) + " exceeds the maximum of " +
                             std::to_string(max_len));
  }
  if (remaining() < len) {
    return Invalid(what, "truncated (length prefix says " + std::to_string(len) + " bytes, " +
                             std::to_string(remaining()) + " left)");
  }
  const auto begin = in_.begin() + static_cast<std::ptrdiff_t>(pos_);
  out->assign(begin, begin + static_cast<std::ptrdiff_t>(len));
  pos_ += len;
  return Status::Ok();
}

Status Reader::String(std::string_view what, size_t max_len, std::string* out) {
  Bytes b;
  HITO_RETURN_IF_ERROR(VarBytes(what, max_len, &b));
  out->assign(b.begin(), b.end());
  return Status::Ok();
}

Status Reader::Count(std::string_view what, uint32_t max_count, size_t min_entry_bytes,
                     uint32_t* count) {
  uint32_t n = 0;
  HITO_RETURN_IF_ERROR(U32(what, &n));
  if (n > max_count) {
    return Invalid(what, "count " + std::to_string(n) + " exceeds the maximum of " +
                             std::to_string(max_count));
  }
  // n <= 2^32 and min_entry_bytes is a small constant: the product fits in 64 bits.
  if (static_cast<uint64_t>(n) * min_entry_bytes > remaining()) {
    return Invalid(what, "truncated (count " + std::to_string(n) + " needs at least " +
                             std::to_string(static_cast<uint64_t>(n) * min_entry_bytes) +
                             " bytes, " + std::to_string(remaining()) + " left)");
  }
  *count = n;
  return Status::Ok();
}

Status Reader::ExpectEnd(std::string_view what) const {
  if (remaining() != 0) {
    return Invalid(what, std::to_string(remaining()) + " trailing bytes after the end");
  }
  return Status::Ok();
}

}  // namespace hito
