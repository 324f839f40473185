#include "consensus/types/handle.h"

#include <array>

#include "base/assert.h"

namespace hito::consensus::types {
namespace {

struct KindName {
  HandleKind kind;
  std::string_view name;
};
constexpr std::array<KindName, 4> kKindNames = {{
    {HandleKind::kPassport, "passport"},
    {HandleKind::kNationalId, "national-id"},
    {HandleKind::kDrivingLicence, "driving-licence"},
    {HandleKind::kPersonalNumber, "personal-number"},
}};

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string ByteAt(std::string_view what, std::string_view text, size_t i) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto b = static_cast<uint8_t>(text[i]);
  const std::string hex = {'0', 'x', kDigits[b >> 4], kDigits[b & 0xf]};
  return std::string(what) + ": byte " + hex + " at offset " + std::to_string(i);
}

// Refuses non-ASCII and control bytes, saying where: the attester's software must
// transliterate, we never fold look-alikes.
Status CheckPrintableAscii(std::string_view what, std::string_view text) {
  if (text.size() > kHandleTextMaxLen) {
    return InvalidArgumentError(std::string(what) + ": " + std::to_string(text.size()) +
                                " bytes, at most " + std::to_string(kHandleTextMaxLen));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<uint8_t>(text[i]);
    if (b >= 0x80) {
      return InvalidArgumentError(ByteAt(what, text, i) +
                                  " is not ASCII (transliterate to A-Z and 0-9 first)");
    }
    if (b < 0x20 || b == 0x7f)
      return InvalidArgumentError(ByteAt(what, text, i) + " is a control byte");
  }
  return Status::Ok();
}

Result<std::string> NormalizeNumber(std::string_view raw) {
  HITO_RETURN_IF_ERROR(CheckPrintableAscii("handle number", raw));
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = ToUpper(raw[i]);
    if (c == ' ' || c == '-' || c == '.' || c == '/' || c == '<')
      continue;  // separators, MRZ filler
    if (!IsUpper(c) && !IsDigit(c)) {
      return InvalidArgumentError(ByteAt("handle number", raw, i) + " ('" + std::string(1, raw[i]) +
                                  "') is not a letter, digit or separator");
    }
    out.push_back(c);
  }
  if (out.empty()) return InvalidArgumentError("handle number: empty");
  if (out.size() > kHandleNumberMaxLen) {
    return InvalidArgumentError("handle number: " + std::to_string(out.size()) +
                                " characters, at most " + std::to_string(kHandleNumberMaxLen));
  }
  return out;
}

// "ABC" for every kind; driving licences may add "-" and 1..3 of A-Z0-9 (ISO 3166-2).
bool IsCanonicalJurisdiction(HandleKind kind, std::string_view j) {
  if (j.size() < 3 || !IsUpper(j[0]) || !IsUpper(j[1]) || !IsUpper(j[2])) return false;
  if (j.size() == 3) return true;
  if (kind != HandleKind::kDrivingLicence || j.size() < 5 || j.size() > 7 || j[3] != '-') {
    return false;
  }
  for (char c : j.substr(4)) {
    if (!IsUpper(c) && !IsDigit(c)) return false;
  }
  return true;
}

Result<std::string> NormalizeJurisdiction(HandleKind kind, std::string_view raw) {
  HITO_RETURN_IF_ERROR(CheckPrintableAscii("handle jurisdiction", raw));
  std::string out;
  for (char c : raw) {
    if (c == ' ' || c == '<') continue;  // padding and the MRZ filler ("D<<")
    out.push_back(ToUpper(c));
  }
  if (out == "D") out = "DEU";  // ICAO 9303's code for Germany, the one non-ISO alpha-3
  if (!IsCanonicalJurisdiction(kind, out)) {
    return InvalidArgumentError(
        "handle jurisdiction: '" + std::string(raw) + "' is not an ISO 3166-1 alpha-3 code" +
        (kind == HandleKind::kDrivingLicence ? " (optionally with -subdivision)" : ""));
  }
  return out;
}

}  // namespace

std::string_view HandleKindName(HandleKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  HITO_ASSERT(false);  // every enumerator is in kKindNames
  return "";
}

Result<HandleKind> ParseHandleKind(std::string_view name) {
  HITO_RETURN_IF_ERROR(CheckPrintableAscii("handle kind", name));
  std::string lower;
  for (char c : name)
    lower.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  for (const KindName& k : kKindNames) {
    if (k.name == lower) return k.kind;
  }
  return InvalidArgumentError("handle kind: '" + std::string(name) +
                              "' is not passport, national-id, driving-licence or "
                              "personal-number");
}

Result<Handle> Handle::Normalize(HandleKind kind, std::string_view jurisdiction,
                                 std::string_view number) {
  Handle h;
  h.kind_ = kind;
  HITO_ASSIGN_OR_RETURN(h.jurisdiction_, NormalizeJurisdiction(kind, jurisdiction));
  HITO_ASSIGN_OR_RETURN(h.number_, NormalizeNumber(number));
  return h;
}

Result<Handle> Handle::Parse(std::string_view text) {
  HITO_RETURN_IF_ERROR(CheckPrintableAscii("handle", text));
  const size_t a = text.find(':');
  const size_t b = a == std::string_view::npos ? a : text.find(':', a + 1);
  if (b == std::string_view::npos || text.find(':', b + 1) != std::string_view::npos) {
    return InvalidArgumentError("handle: expected kind:jurisdiction:number, got '" +
                                std::string(text) + "'");
  }
  HITO_ASSIGN_OR_RETURN(const HandleKind kind, ParseHandleKind(text.substr(0, a)));
  return Normalize(kind, text.substr(a + 1, b - a - 1), text.substr(b + 1));
}

Bytes Handle::Encode() const {
  HITO_ASSERT(!number_.empty() && number_.size() <= kHandleNumberMaxLen);
  HITO_ASSERT(jurisdiction_.size() >= 3 && jurisdiction_.size() <= 7);
  Bytes out = {kHandleEncodingVersion, static_cast<uint8_t>(kind_),
               static_cast<uint8_t>(jurisdiction_.size())};
  out.insert(out.end(), jurisdiction_.begin(), jurisdiction_.end());
  out.push_back(static_cast<uint8_t>(number_.size()));
  out.insert(out.end(), number_.begin(), number_.end());
  return out;
}

Result<Handle> Handle::Decode(ByteView b) {
  if (b.size() < 3 || b[0] != kHandleEncodingVersion) {
    return InvalidArgumentError("handle encoding: missing or unknown version byte");
  }
  if (b[1] < 1 || b[1] > kKindNames.size()) {
    return InvalidArgumentError("handle encoding: unknown kind " + std::to_string(b[1]));
  }
  const size_t jlen = b[2];
  if (b.size() < 3 + jlen + 1) return InvalidArgumentError("handle encoding: truncated");
  const size_t nlen = b[3 + jlen];
  if (b.size() != 4 + jlen + nlen) {
    return InvalidArgumentError("handle encoding: length does not match its fields");
  }
  const auto kind = static_cast<HandleKind>(b[1]);
  const std::string_view jurisdiction = AsChars(b.subspan(3, jlen));
  const std::string_view number = AsChars(b.subspan(4 + jlen, nlen));
  HITO_ASSIGN_OR_RETURN(Handle h, Normalize(kind, jurisdiction, number));
  // Canonical only: the fields must already be in normal form.
  if (h.jurisdiction_ != jurisdiction || h.number_ != number) {
    return InvalidArgumentError("handle encoding: fields not in normal form");
  }
  return h;
}

std::string Handle::ToString() const {
  return std::string(HandleKindName(kind_)) + ":" + jurisdiction_ + ":" + number_;
}

}  // namespace hito::consensus::types
