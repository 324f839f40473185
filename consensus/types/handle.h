// Handle: the canonical name of one identity document (or lifelong personal number) of
// one kind issued by one jurisdiction, whose canonical bytes are the OPRF input of a dedup
// tag (docs/protocol/dedup-oprf.md, section 3).
//
// Normalize is the one normalisation of what an attester types or reads from a
// machine-readable zone, so that two spellings of one document give one handle: ASCII
// only (anything else is refused, not folded), separators and the MRZ filler '<' dropped
// from the number, letters upper-cased, jurisdiction checked as ISO 3166-1 alpha-3 (ICAO's
// "D" read as "DEU"). Encode gives the canonical bytes; Decode accepts exactly the bytes
// Encode can produce. Value type; pure functions; thread-safe.
#ifndef HITO_CONSENSUS_TYPES_HANDLE_H_
#define HITO_CONSENSUS_TYPES_HANDLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace hito::consensus::types {

enum class HandleKind : uint8_t {
  kPassport = 1,        // document number
  kNationalId = 2,      // identity card number
  kDrivingLicence = 3,  // licence number; jurisdiction may name a subdivision (USA-CA)
  kPersonalNumber = 4,  // lifelong national identification number
};

// Normalised document numbers are 1..kHandleNumberMaxLen characters of A-Z0-9.
inline constexpr size_t kHandleNumberMaxLen = 24;
// Raw text given to Normalize or Parse is refused beyond this many bytes.
inline constexpr size_t kHandleTextMaxLen = 128;
// Version byte that opens the canonical encoding.
inline constexpr uint8_t kHandleEncodingVersion = 1;

// "passport", "national-id", "driving-licence", "personal-number".
std::string_view HandleKindName(HandleKind kind);
// The names above, ASCII case-insensitive.
Result<HandleKind> ParseHandleKind(std::string_view name);

class Handle {
 public:
  // Normalises a raw jurisdiction and number for `kind`; refuses, with a message saying
  // what and where, non-ASCII or control bytes, an empty or over-long number, characters
  // other than A-Z, 0-9 and the dropped separators, and a malformed jurisdiction.
  static Result<Handle> Normalize(HandleKind kind, std::string_view jurisdiction,
                                  std::string_view number);
  // "kind:jurisdiction:number" (exactly two ':'), each part as Normalize takes it.
  static Result<Handle> Parse(std::string_view text);
  // The canonical bytes:
  //   version:u8 (=1) || kind:u8 || len:u8 || jurisdiction || len:u8 || number.
  Bytes Encode() const;
  // Exactly what Encode produces for some handle; everything else is refused.
  static Result<Handle> Decode(ByteView b);

  HandleKind kind() const { return kind_; }
  const std::string& jurisdiction() const { return jurisdiction_; }
  const std::string& number() const { return number_; }
  // The canonical text form, "passport:FRA:12AB34567"; Parse(ToString()) == *this.
  std::string ToString() const;

  friend bool operator==(const Handle&, const Handle&) = default;

 private:
  HandleKind kind_ = HandleKind::kPassport;
  std::string jurisdiction_;
  std::string number_;
};

}  // namespace hito::consensus::types

#endif  // HITO_CONSENSUS_TYPES_HANDLE_H_
