// Handles (consensus/types/handle.h): several spellings of one document normalise to one
// handle and one canonical encoding; different documents, kinds and jurisdictions stay
// different; non-ASCII, control bytes, bad characters, empty or over-long numbers and
// malformed jurisdictions are refused with a message naming the problem; the canonical
// decoder accepts exactly what Encode produces.
#include "consensus/types/handle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/types/test_util.h"

namespace hito::consensus::types {
namespace {

using testing::HasMessage;

Handle Must(std::string_view text) {
  auto h = Handle::Parse(text);
  EXPECT_TRUE(h.ok()) << text << ": " << h.status().ToString();
  return h.ok() ? *h : Handle();
}

TEST(HandleTest, SpellingsOfOnePassportGiveOneHandle) {
  const Handle canonical = Must("passport:FRA:12AB34567");
  for (const char* spelling :
       {"passport:fra:12ab34567", "PASSPORT:FRA:12 AB 34567", "Passport: fra :12-AB-345.67",
        "passport:FRA<:12AB34567<<", "passport:FRA:12/ab/34567", " passport :FRA:12AB34567"}) {
    auto h = Handle::Parse(spelling);
    if (std::string_view(spelling).front() == ' ') {
      EXPECT_FALSE(h.ok()) << spelling;  // the kind is a name, not padded text
      continue;
    }
    ASSERT_TRUE(h.ok()) << spelling << ": " << h.status().ToString();
    EXPECT_EQ(*h, canonical) << spelling;
    EXPECT_EQ(h->Encode(), canonical.Encode()) << spelling;
  }
  EXPECT_EQ(canonical.ToString(), "passport:FRA:12AB34567");
  EXPECT_EQ(canonical.Encode(),
            (Bytes{1, 1, 3, 'F', 'R', 'A', 9, '1', '2', 'A', 'B', '3', '4', '5', '6', '7'}));
}

TEST(HandleTest, IcaoGermanyIsDeu) {
  EXPECT_EQ(Must("passport:D<<:C01X00T47"), Must("passport:DEU:C01X00T47"));
  EXPECT_EQ(Must("national-id:d:L01X00T47").jurisdiction(), "DEU");
}

TEST(HandleTest, DifferentDocumentsStayDifferent) {
  const Handle a = Must("passport:FRA:12AB34567");
  EXPECT_NE(a, Must("passport:FRA:12AB34568"));
  EXPECT_NE(a, Must("passport:BEL:12AB34567"));
  EXPECT_NE(a, Must("national-id:FRA:12AB34567"));
  EXPECT_NE(a.Encode(), Must("national-id:FRA:12AB34567").Encode());
  // Leading zeros and O/0 are part of the number.
  EXPECT_NE(Must("passport:FRA:012345"), Must("passport:FRA:12345"));
  EXPECT_NE(Must("passport:FRA:O12345"), Must("passport:FRA:012345"));
}

TEST(HandleTest, DrivingLicencesMayNameASubdivision) {
  const Handle h = Must("driving-licence:usa-ca:d123-4567");
  EXPECT_EQ(h.jurisdiction(), "USA-CA");
  EXPECT_EQ(h.number(), "D1234567");
  EXPECT_EQ(h.kind(), HandleKind::kDrivingLicence);
  EXPECT_NE(h, Must("driving-licence:USA-NY:D1234567"));
  EXPECT_FALSE(Handle::Parse("passport:USA-CA:D1234567").ok());  // only licences
  EXPECT_FALSE(Handle::Parse("driving-licence:USA-:D1234567").ok());
  EXPECT_FALSE(Handle::Parse("driving-licence:USA-CALI:D1234567").ok());
  EXPECT_FALSE(Handle::Parse("driving-licence:USACA:D1234567").ok());
}

TEST(HandleTest, RefusesNonAsciiWithItsOffset) {
  // "É" in UTF-8 (0xc3 0x89), and a fullwidth digit one (0xef 0xbc 0x91): refused, not folded.
  auto accented = Handle::Parse(
      "passport:FRA:12\xc3\x89"
      "34");
  ASSERT_FALSE(accented.ok());
  EXPECT_TRUE(HasMessage(accented.status(), "0xc3")) << accented.status().ToString();
  EXPECT_TRUE(HasMessage(accented.status(), "not ASCII"));
  auto fullwidth = Handle::Normalize(HandleKind::kPassport, "FRA",
                                     "\xef\xbc\x91"
                                     "2345");
  ASSERT_FALSE(fullwidth.ok());
  EXPECT_TRUE(HasMessage(fullwidth.status(), "offset 0"));
  EXPECT_FALSE(Handle::Normalize(HandleKind::kPassport, "FR\xc3\x81", "123").ok());
}

TEST(HandleTest, RefusesMalformedHandles) {
  struct Case {
    std::string text;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"passport:FRA:", "empty"},
      {"passport:FRA: - . / <", "empty"},
      {"passport:FRA:1234567890123456789012345", "at most 24"},
      {"passport:FRA:12_34", "not a letter, digit or separator"},
      {"passport:FRA:12\t34", "control byte"},
      {std::string("passport:FRA:12\0"
                   "34",
                   18),
       "control byte"},
      {"passport:FR:1234", "alpha-3"},
      {"passport:FRAN:1234", "alpha-3"},
      {"passport:F1A:1234", "alpha-3"},
      {"passport::1234", "alpha-3"},
      {"visa:FRA:1234", "is not passport"},
      {"passport:FRA", "expected kind:jurisdiction:number"},
      {"passport:FRA:12:34", "expected kind:jurisdiction:number"},
      {"", "expected kind:jurisdiction:number"},
      {"passport:FRA:" + std::string(200, '1'), "at most 128"},
  };
  for (const Case& c : cases) {
    auto h = Handle::Parse(c.text);
    ASSERT_FALSE(h.ok()) << c.text;
    EXPECT_TRUE(HasMessage(h.status(), c.why)) << c.text << ": " << h.status().ToString();
  }
}

TEST(HandleTest, KindNamesRoundTrip) {
  for (HandleKind k : {HandleKind::kPassport, HandleKind::kNationalId, HandleKind::kDrivingLicence,
                       HandleKind::kPersonalNumber}) {
    auto parsed = ParseHandleKind(HandleKindName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(*ParseHandleKind("Personal-Number"), HandleKind::kPersonalNumber);
  EXPECT_FALSE(ParseHandleKind("personal number").ok());
}

TEST(HandleTest, DecodeAcceptsExactlyCanonicalEncodings) {
  for (const char* text : {"passport:FRA:12AB34567", "driving-licence:USA-CA:D1234567",
                           "personal-number:EST:38001085718", "national-id:BEL:591123456789"}) {
    const Handle h = Must(text);
    auto d = Handle::Decode(h.Encode());
    ASSERT_TRUE(d.ok()) << text << ": " << d.status().ToString();
    EXPECT_EQ(*d, h);
    EXPECT_EQ(Handle::Parse(h.ToString()).value(), h);
    // Every truncation and one trailing byte are refused.
    const Bytes enc = h.Encode();
    for (size_t n = 0; n < enc.size(); ++n) {
      EXPECT_FALSE(Handle::Decode(ByteView(enc).first(n)).ok()) << text << " cut at " << n;
    }
    Bytes longer = enc;
    longer.push_back('1');
    EXPECT_FALSE(Handle::Decode(longer).ok());
  }
  const Bytes good = Must("passport:FRA:12AB34567").Encode();
  auto with = [&](size_t at, uint8_t v) {
    Bytes b = good;
    b[at] = v;
    return b;
  };
  EXPECT_FALSE(Handle::Decode(with(0, 2)).ok());    // version
  EXPECT_FALSE(Handle::Decode(with(1, 0)).ok());    // kind 0
  EXPECT_FALSE(Handle::Decode(with(1, 5)).ok());    // kind 5
  EXPECT_FALSE(Handle::Decode(with(3, 'f')).ok());  // lower case: not normal form
  EXPECT_FALSE(Handle::Decode(with(8, 'a')).ok());
  EXPECT_FALSE(Handle::Decode(with(8, '-')).ok());  // a separator: not normal form
  EXPECT_FALSE(Handle::Decode(with(8, 0xc3)).ok());
}

}  // namespace
}  // namespace hito::consensus::types
