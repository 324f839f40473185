#include "zk/dkg.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "base/codec.h"
#include "zk/ct.h"
#include "zk/ec.h"

namespace hito::zk::dkg {
namespace {

static_assert(crypto_box_SEALBYTES == kEncryptedShareSize - kSharePlaintextSize);

// Marks bytes the protocol publishes (commitments, ciphertexts, a check's verdict) as
// public for the valgrind constant-time test; a few no-op instructions otherwise.
using ::hito::zk::ct::Declassify;

std::string Idx(uint16_t i) { return std::to_string(i); }

// ---- Encoding (docs/protocol/dkg.md section 5) ----

// Fields are named "<message>.<field>" in errors, e.g. "dealing.dealer: ...".
std::string FieldName(std::string_view what, std::string_view field) {
  std::string name(what);
  name += ".";
  name += field;
  return name;
}

Status FieldError(std::string_view what, std::string_view field, const std::string& problem) {
  return InvalidArgumentError(FieldName(what, field) + ": " + problem);
}

// An index in 1..kMaxParticipants.
Result<uint16_t> ReadIndex(Reader* r, std::string_view what, std::string_view field) {
  uint16_t v = 0;
  HITO_RETURN_IF_ERROR(r->U16(FieldName(what, field), &v));
  if (v == 0 || v > kMaxParticipants) {
    return FieldError(
        what, field,
        "index " + std::to_string(v) + " outside 1.." + std::to_string(kMaxParticipants));
  }
  return v;
}

Status ReadTag(Reader* r, std::string_view what, MessageType expected) {
  uint8_t v = 0;
  HITO_RETURN_IF_ERROR(r->U8(FieldName(what, "type"), &v));
  if (v != static_cast<uint8_t>(expected)) {
    return FieldError(what, "type",
                      "type " + std::to_string(v) + " (expected " +
                          std::to_string(static_cast<int>(expected)) + ")");
  }
  return Status::Ok();
}

Result<SessionId> ReadSession(Reader* r, std::string_view what) {
  SessionId s{};
  HITO_RETURN_IF_ERROR(r->Fixed(FieldName(what, "session"), &s));
  return s;
}

void WriteDealing(MessageType type, const DealingFields& d, Writer* w) {
  w->U8(static_cast<uint8_t>(type));
  w->Raw(d.session);
  w->U16(d.dealer);
  w->U32(static_cast<uint32_t>(d.commitments.size()));
  for (const Point& c : d.commitments) w->Raw(c.bytes());
  w->U32(static_cast<uint32_t>(d.shares.size()));
  for (const EncryptedShare& s : d.shares) w->Raw(s);
}

Result<std::vector<Point>> ReadCommitments(Reader* r, std::string_view what) {
  uint32_t t = 0;
  HITO_RETURN_IF_ERROR(r->U32(FieldName(what, "commitments"), &t));
  if (t == 0 || t > kMaxParticipants) {
    return FieldError(
        what, "commitments",
        "count " + std::to_string(t) + " outside 1.." + std::to_string(kMaxParticipants));
  }
  std::vector<Point> out;
  out.reserve(t);
  for (uint32_t k = 0; k < t; ++k) {
    const std::string field = "commitments[" + std::to_string(k) + "]";
    std::array<uint8_t, 32> b{};
    HITO_RETURN_IF_ERROR(r->Fixed(FieldName(what, field), &b));
    Result<Point> p = Point::Decode(b);
    if (!p.ok()) return FieldError(what, field, p.status().message());
    out.push_back(*p);
  }
  return out;
}

Result<std::vector<EncryptedShare>> ReadShares(Reader* r, std::string_view what, size_t threshold) {
  uint32_t n = 0;
  HITO_RETURN_IF_ERROR(r->U32(FieldName(what, "shares"), &n));
  if (n < threshold || n > kMaxParticipants) {
    return FieldError(what, "shares",
                      "count " + std::to_string(n) + " outside " + std::to_string(threshold) +
                          ".." + std::to_string(kMaxParticipants) + " (at least t)");
  }
  std::vector<EncryptedShare> out(n);
  for (uint32_t l = 0; l < n; ++l) {
    HITO_RETURN_IF_ERROR(r->Fixed(FieldName(what, "shares"), &out[l]));
  }
  return out;
}

Result<DealingFields> ReadDealing(MessageType type, ByteView b, std::string_view what) {
  Reader r(b);
  DealingFields d;
  HITO_RETURN_IF_ERROR(ReadTag(&r, what, type));
  HITO_ASSIGN_OR_RETURN(d.session, ReadSession(&r, what));
  HITO_ASSIGN_OR_RETURN(d.dealer, ReadIndex(&r, what, "dealer"));
  HITO_ASSIGN_OR_RETURN(d.commitments, ReadCommitments(&r, what));
  HITO_ASSIGN_OR_RETURN(d.shares, ReadShares(&r, what, d.commitments.size()));
  HITO_RETURN_IF_ERROR(r.ExpectEnd(what));
  return d;
}

// ---- Keys and sealed shares (secret; libsodium) ----

Result<std::array<uint8_t, 32>> X25519Public(const Ed25519PublicKey& pk) {
  std::array<uint8_t, 32> out{};
  if (crypto_sign_ed25519_pk_to_curve25519(out.data(), pk.data()) != 0) {
    return InvalidArgumentError("recipient key is not a valid Ed25519 public key");
  }
  return out;
}

// The X25519 secret of an Ed25519 key; the caller wipes it.
std::array<uint8_t, 32> X25519Secret(const Ed25519PrivateKey& key) {
  Ed25519Seed seed = key.seed();
  std::array<uint8_t, 32> pk{};
  std::array<uint8_t, 64> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  std::array<uint8_t, 32> out{};
  crypto_sign_ed25519_sk_to_curve25519(out.data(), sk.data());
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(sk.data(), sk.size());
  return out;
}

void WriteShareHeader(MessageType kind, const SessionId& session, uint16_t dealer,
                      uint16_t recipient, uint8_t* out) {
  out[0] = static_cast<uint8_t>(kind);
  std::copy(session.begin(), session.end(), out + 1);
  out[33] = static_cast<uint8_t>(dealer >> 8);
  out[34] = static_cast<uint8_t>(dealer);
  out[35] = static_cast<uint8_t>(recipient >> 8);
  out[36] = static_cast<uint8_t>(recipient);
}
constexpr size_t kShareHeaderSize = kSharePlaintextSize - 32;

// Horner's rule with libsodium: f(x) for the secret coefficients. Constant time.
Scalar EvalPolynomial(std::span<const Scalar> coefficients, uint16_t x) {
  HITO_ASSERT(!coefficients.empty());
  const Scalar xs = Scalar::FromU64(x);
  Scalar acc = coefficients.back();
  for (size_t k = coefficients.size() - 1; k-- > 0;) acc = acc * xs + coefficients[k];
  return acc;
}

// s * B for a secret s, encoded, with no branch on the result (Point::MulBase tests
// libsodium's "result is the identity" return value). libsodium writes the identity's
// all-zero encoding itself in that case, so the value is ignored here. The caller
// publishes the result, so it is declassified.
std::array<uint8_t, 32> MulBaseSecret(const Scalar& s) {
  std::array<uint8_t, 32> out{};
  (void)crypto_scalarmult_ristretto255_base(out.data(), s.bytes().data());
  Declassify(out.data(), out.size());
  return out;
}

// ---- Public arithmetic (variable time) ----

// x * p for a small public x, by double-and-add.
EdPoint MulSmall(const EdPoint& p, uint16_t x) {
  EdPoint acc;
  for (int bit = 15; bit >= 0; --bit) {
    acc = acc.Double();
    if ((x >> bit) & 1) acc += p;
  }
  return acc;
}

// sum_k c[k] x^k by Horner's rule in the small index x.
EdPoint EvalCommitments(std::span<const EdPoint> c, uint16_t x) {
  HITO_ASSERT(!c.empty());
  EdPoint acc = c.back();
  for (size_t k = c.size() - 1; k-- > 0;) acc = MulSmall(acc, x) + c[k];
  return acc;
}

std::vector<EdPoint> ToEd(std::span<const Point> points) {
  Result<std::vector<EdPoint>> ed = EdPoint::DecodeBatch(points);
  HITO_ASSERT(ed.ok());  // Points are canonical encodings by construction
  return std::move(ed).value();
}

}  // namespace

// ---- Committee ----

uint16_t DefaultThreshold(size_t n) {
  HITO_ASSERT(n >= 1 && n <= kMaxParticipants);
  return static_cast<uint16_t>(2 * n / 3 + 1);
}

Status ValidateCommittee(const Committee& committee) {
  const size_t n = committee.keys.size();
  if (n == 0 || n > kMaxParticipants) {
    return InvalidArgumentError("committee: size " + std::to_string(n) + " outside 1.." +
                                std::to_string(kMaxParticipants));
  }
  if (committee.threshold == 0 || committee.threshold > n) {
    return InvalidArgumentError("committee: threshold " + Idx(committee.threshold) +
                                " outside 1.." + std::to_string(n));
  }
  return Status::Ok();
}

// ---- Messages ----

Bytes Dealing::Encode() const {
  Writer w;
  WriteDealing(MessageType::kDealing, *this, &w);
  return std::move(w).bytes();
}

Result<Dealing> Dealing::Decode(ByteView b) {
  HITO_ASSIGN_OR_RETURN(DealingFields f, ReadDealing(MessageType::kDealing, b, "dealing"));
  Dealing d;
  static_cast<DealingFields&>(d) = std::move(f);
  return d;
}

Bytes ReshareDealing::Encode() const {
  Writer w;
  WriteDealing(MessageType::kReshareDealing, *this, &w);
  return std::move(w).bytes();
}

Result<ReshareDealing> ReshareDealing::Decode(ByteView b) {
  HITO_ASSIGN_OR_RETURN(DealingFields f,
                        ReadDealing(MessageType::kReshareDealing, b, "reshare_dealing"));
  ReshareDealing d;
  static_cast<DealingFields&>(d) = std::move(f);
  return d;
}

Bytes Complaint::Encode() const {
  Writer w;
  w.U8(static_cast<uint8_t>(MessageType::kComplaint));
  w.Raw(session);
  w.U16(dealer);
  w.U16(complainer);
  return std::move(w).bytes();
}

Result<Complaint> Complaint::Decode(ByteView b) {
  constexpr std::string_view what = "complaint";
  Reader r(b);
  Complaint c;
  HITO_RETURN_IF_ERROR(ReadTag(&r, what, MessageType::kComplaint));
  HITO_ASSIGN_OR_RETURN(c.session, ReadSession(&r, what));
  HITO_ASSIGN_OR_RETURN(c.dealer, ReadIndex(&r, what, "dealer"));
  HITO_ASSIGN_OR_RETURN(c.complainer, ReadIndex(&r, what, "complainer"));
  HITO_RETURN_IF_ERROR(r.ExpectEnd(what));
  return c;
}

Bytes Justification::Encode() const {
  Writer w;
  w.U8(static_cast<uint8_t>(MessageType::kJustification));
  w.Raw(session);
  w.U16(dealer);
  w.U16(complainer);
  w.Raw(share.bytes());
  return std::move(w).bytes();
}

Result<Justification> Justification::Decode(ByteView b) {
  constexpr std::string_view what = "justification";
  Reader r(b);
  Justification j;
  HITO_RETURN_IF_ERROR(ReadTag(&r, what, MessageType::kJustification));
  HITO_ASSIGN_OR_RETURN(j.session, ReadSession(&r, what));
  HITO_ASSIGN_OR_RETURN(j.dealer, ReadIndex(&r, what, "dealer"));
  HITO_ASSIGN_OR_RETURN(j.complainer, ReadIndex(&r, what, "complainer"));
  std::array<uint8_t, 32> s{};
  HITO_RETURN_IF_ERROR(r.Fixed(FieldName(what, "share"), &s));
  Result<Scalar> share = Scalar::Decode(s);
  if (!share.ok()) return FieldError(what, "share", share.status().message());
  j.share = *share;
  HITO_RETURN_IF_ERROR(r.ExpectEnd(what));
  return j;
}

std::string_view DisqualificationName(Disqualification reason) {
  switch (reason) {
    case Disqualification::kNoDealing:
      return "no dealing";
    case Disqualification::kEquivocation:
      return "equivocation";
    case Disqualification::kBadStructure:
      return "bad structure";
    case Disqualification::kWrongConstantTerm:
      return "wrong constant term";
    case Disqualification::kTooManyComplaints:
      return "too many complaints";
    case Disqualification::kUnansweredComplaint:
      return "unanswered complaint";
    case Disqualification::kInvalidJustification:
      return "invalid justification";
  }
  return "unknown";
}

// ---- Sealed shares ----

Result<EncryptedShare> EncryptShare(MessageType kind, const SessionId& session, uint16_t dealer,
                                    uint16_t recipient, const Ed25519PublicKey& recipient_key,
                                    const Scalar& share) {
  HITO_ASSIGN_OR_RETURN(auto xpk, X25519Public(recipient_key));
  std::array<uint8_t, kSharePlaintextSize> plain{};
  WriteShareHeader(kind, session, dealer, recipient, plain.data());
  std::copy(share.bytes().begin(), share.bytes().end(), plain.begin() + kShareHeaderSize);
  EncryptedShare box{};
  int rc = crypto_box_seal(box.data(), plain.data(), plain.size(), xpk.data());
  sodium_memzero(plain.data(), plain.size());
  if (rc != 0) return InternalError("crypto_box_seal failed for recipient " + Idx(recipient));
  Declassify(box.data(), box.size());  // published
  return box;
}

Result<Scalar> DecryptShare(MessageType kind, const SessionId& session, uint16_t dealer,
                            uint16_t recipient, const Ed25519PrivateKey& key,
                            const EncryptedShare& box) {
  std::array<uint8_t, 32> xsk = X25519Secret(key);
  HITO_ASSIGN_OR_RETURN(auto xpk, X25519Public(key.public_key()));
  std::array<uint8_t, kSharePlaintextSize> plain{};
  int rc = crypto_box_seal_open(plain.data(), box.data(), box.size(), xpk.data(), xsk.data());
  sodium_memzero(xsk.data(), xsk.size());
  const std::string slot = "share from dealer " + Idx(dealer) + " to " + Idx(recipient);
  if (rc != 0) return InvalidArgumentError(slot + ": does not open with the recipient's key");
  std::array<uint8_t, kShareHeaderSize> expected{};
  WriteShareHeader(kind, session, dealer, recipient, expected.data());
  if (!std::equal(expected.begin(), expected.end(), plain.begin())) {
    sodium_memzero(plain.data(), plain.size());
    return InvalidArgumentError(slot + ": bound to another run, dealer or recipient");
  }
  Result<Scalar> share = Scalar::Decode(ByteView(plain).subspan(kShareHeaderSize));
  sodium_memzero(plain.data(), plain.size());
  if (!share.ok()) return InvalidArgumentError(slot + ": " + share.status().message());
  return share;
}

// ---- Dealing ----

namespace dkg_internal {

Result<DealingFields> DealWithCoefficients(MessageType kind, const SessionId& session,
                                           uint16_t dealer, const Committee& committee,
                                           std::span<const Scalar> coefficients) {
  HITO_RETURN_IF_ERROR(ValidateCommittee(committee));
  HITO_ASSERT(coefficients.size() == committee.threshold);
  DealingFields d;
  d.session = session;
  d.dealer = dealer;
  for (const Scalar& a : coefficients) {
    Result<Point> c = Point::Decode(MulBaseSecret(a));  // published
    if (!c.ok())
      return InvalidArgumentError("dealing: a coefficient is zero (identity commitment)");
    d.commitments.push_back(*c);
  }
  for (uint16_t l = 1; l <= committee.size(); ++l) {
    Scalar share = EvalPolynomial(coefficients, l);
    Result<EncryptedShare> box =
        EncryptShare(kind, session, dealer, l, committee.keys[l - 1u], share);
    share.Wipe();
    if (!box.ok()) return box.status().WithContext("member " + Idx(l));
    d.shares.push_back(*box);
  }
  return d;
}

}  // namespace dkg_internal

DealerSecret::DealerSecret(const SessionId& session, uint16_t dealer,
                           std::vector<Scalar> coefficients)
    : session_(session), dealer_(dealer), coefficients_(std::move(coefficients)) {
  HITO_ASSERT(!coefficients_.empty());
}

DealerSecret::DealerSecret(DealerSecret&& other) noexcept
    : session_(other.session_),
      dealer_(other.dealer_),
      coefficients_(std::move(other.coefficients_)) {
  other.coefficients_.clear();
}

DealerSecret& DealerSecret::operator=(DealerSecret&& other) noexcept {
  if (this != &other) {
    Wipe();
    session_ = other.session_;
    dealer_ = other.dealer_;
    coefficients_ = std::move(other.coefficients_);
    other.coefficients_.clear();
  }
  return *this;
}

DealerSecret::~DealerSecret() { Wipe(); }

void DealerSecret::Wipe() {
  for (Scalar& a : coefficients_) a.Wipe();
  coefficients_.clear();
}

Justification DealerSecret::Justify(uint16_t complainer) const {
  HITO_ASSERT(complainer >= 1 && complainer <= kMaxParticipants);
  HITO_ASSERT(!coefficients_.empty());  // not moved from
  return Justification{session_, dealer_, complainer, EvalPolynomial(coefficients_, complainer)};
}

namespace {

// Deals `coefficients` (wiped here) and keeps them as the dealer's secret.
template <typename D>
Result<Dealt<D>> DealWith(MessageType kind, const SessionId& session, uint16_t dealer,
                          const Committee& committee, std::vector<Scalar> coefficients) {
  DealerSecret secret(session, dealer, coefficients);
  Result<DealingFields> f =
      dkg_internal::DealWithCoefficients(kind, session, dealer, committee, coefficients);
  for (Scalar& a : coefficients) a.Wipe();
  if (!f.ok()) return f.status();
  Dealt<D> out{D{}, std::move(secret)};
  static_cast<DealingFields&>(out.dealing) = std::move(f).value();
  return out;
}

template <typename D>
Result<Dealt<D>> DealRandom(MessageType kind, const SessionId& session, uint16_t dealer,
                            const Scalar* constant_term, const Committee& committee) {
  HITO_RETURN_IF_ERROR(ValidateCommittee(committee));
  std::vector<Scalar> coefficients(committee.threshold);
  for (Scalar& a : coefficients) a = Scalar::Random();
  if (constant_term != nullptr) coefficients[0] = *constant_term;
  return DealWith<D>(kind, session, dealer, committee, std::move(coefficients));
}

constexpr char kDealerKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "hitodkg1";
constexpr uint64_t kDealerKdfSubkeyId = 1;
constexpr std::string_view kCoefficientDomain = "hito/v1/dkg-coefficient";

// BLAKE2b-256 of the public context a derived polynomial is bound to.
std::array<uint8_t, 32> DerivationContext(MessageType kind, const SessionId& session,
                                          uint16_t dealer, const Committee& committee) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  auto absorb = [&st](const void* data, size_t size) {
    crypto_generichash_update(&st, static_cast<const uint8_t*>(data), size);
  };
  absorb(kCoefficientDomain.data(), kCoefficientDomain.size());
  const uint8_t header[7] = {static_cast<uint8_t>(kind),
                             static_cast<uint8_t>(dealer >> 8),
                             static_cast<uint8_t>(dealer),
                             static_cast<uint8_t>(committee.threshold >> 8),
                             static_cast<uint8_t>(committee.threshold),
                             static_cast<uint8_t>(committee.size() >> 8),
                             static_cast<uint8_t>(committee.size())};
  absorb(header, sizeof header);
  absorb(session.data(), session.size());
  for (const Ed25519PublicKey& k : committee.keys) absorb(k.data(), k.size());
  std::array<uint8_t, 32> out{};
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

// Coefficients 0..t-1 keyed by the dealer's key; coefficient 0 replaced by constant_term.
std::vector<Scalar> DerivedCoefficients(MessageType kind, const SessionId& session, uint16_t dealer,
                                        const Committee& committee, const Ed25519PrivateKey& key,
                                        const Scalar* constant_term) {
  const std::array<uint8_t, 32> context = DerivationContext(kind, session, dealer, committee);
  Ed25519Seed seed = key.seed();
  std::array<uint8_t, crypto_kdf_KEYBYTES> subkey{};
  static_assert(sizeof(Ed25519Seed) == crypto_kdf_KEYBYTES);
  crypto_kdf_derive_from_key(subkey.data(), subkey.size(), kDealerKdfSubkeyId, kDealerKdfContext,
                             seed.data());
  sodium_memzero(seed.data(), seed.size());
  std::vector<Scalar> coefficients(committee.threshold);
  std::array<uint8_t, 64> wide{};
  for (uint16_t j = 0; j < committee.threshold; ++j) {
    uint8_t msg[34];
    std::copy(context.begin(), context.end(), msg);
    msg[32] = static_cast<uint8_t>(j >> 8);
    msg[33] = static_cast<uint8_t>(j);
    crypto_generichash(wide.data(), wide.size(), msg, sizeof msg, subkey.data(), subkey.size());
    coefficients[j] = Scalar::FromUniformBytes(wide);
  }
  sodium_memzero(wide.data(), wide.size());
  sodium_memzero(subkey.data(), subkey.size());
  if (constant_term != nullptr) coefficients[0] = *constant_term;
  return coefficients;
}

}  // namespace

Result<DealerSecret> DeriveDealerSecret(MessageType kind, const SessionId& session, uint16_t dealer,
                                        const Committee& committee, const Ed25519PrivateKey& key,
                                        const Scalar* constant_term) {
  HITO_RETURN_IF_ERROR(ValidateCommittee(committee));
  if (dealer == 0 || dealer > kMaxParticipants) {
    return InvalidArgumentError("derive: dealer index " + Idx(dealer) + " out of range");
  }
  return DealerSecret(session, dealer,
                      DerivedCoefficients(kind, session, dealer, committee, key, constant_term));
}

Result<Dealt<Dealing>> DealDerived(const SessionId& session, uint16_t dealer,
                                   const Committee& committee, const Ed25519PrivateKey& key) {
  if (dealer == 0 || dealer > committee.keys.size()) {
    return InvalidArgumentError("deal: dealer index " + Idx(dealer) + " not in the committee");
  }
  HITO_RETURN_IF_ERROR(ValidateCommittee(committee));
  return DealWith<Dealing>(
      MessageType::kDealing, session, dealer, committee,
      DerivedCoefficients(MessageType::kDealing, session, dealer, committee, key, nullptr));
}

Result<Dealt<ReshareDealing>> DealReshareDerived(const SessionId& session, uint16_t old_index,
                                                 const Scalar& old_share,
                                                 const Committee& new_committee,
                                                 const Ed25519PrivateKey& key) {
  if (old_index == 0 || old_index > kMaxParticipants) {
    return InvalidArgumentError("reshare: old index " + Idx(old_index) + " out of range");
  }
  HITO_RETURN_IF_ERROR(ValidateCommittee(new_committee));
  return DealWith<ReshareDealing>(MessageType::kReshareDealing, session, old_index, new_committee,
                                  DerivedCoefficients(MessageType::kReshareDealing, session,
                                                      old_index, new_committee, key, &old_share));
}

Result<Dealt<Dealing>> Deal(const SessionId& session, uint16_t dealer, const Committee& committee) {
  if (dealer == 0 || dealer > committee.keys.size()) {
    return InvalidArgumentError("deal: dealer index " + Idx(dealer) + " not in the committee");
  }
  return DealRandom<Dealing>(MessageType::kDealing, session, dealer, nullptr, committee);
}

Result<Dealt<ReshareDealing>> DealReshare(const SessionId& session, uint16_t old_index,
                                          const Scalar& old_share, const Committee& new_committee) {
  if (old_index == 0 || old_index > kMaxParticipants) {
    return InvalidArgumentError("reshare: old index " + Idx(old_index) + " out of range");
  }
  return DealRandom<ReshareDealing>(MessageType::kReshareDealing, session, old_index, &old_share,
                                    new_committee);
}

// ---- Checks ----

bool CheckShare(std::span<const Point> commitments, uint16_t index, const Scalar& share) {
  if (commitments.empty()) return false;
  const std::vector<EdPoint> c = ToEd(commitments);
  const Point expected = EvalCommitments(c, index).ToPoint();
  // Equal to a public point, or the share is rejected: published either way.
  return MulBaseSecret(share) == expected.bytes();
}

bool CheckJustification(const DealingFields& dealing, const Justification& justification) {
  return justification.session == dealing.session && justification.dealer == dealing.dealer &&
         CheckShare(dealing.commitments, justification.complainer, justification.share);
}

namespace {

Result<Scalar> VerifyReceived(MessageType kind, const Committee& committee, const DealingFields& d,
                              uint16_t me, const Ed25519PrivateKey& key) {
  HITO_RETURN_IF_ERROR(ValidateCommittee(committee));
  if (me == 0 || me > committee.size()) {
    return InvalidArgumentError("member index " + Idx(me) + " not in the committee");
  }
  if (d.commitments.size() != committee.threshold || d.shares.size() != committee.size()) {
    return InvalidArgumentError("dealing from " + Idx(d.dealer) +
                                ": commitment or share count does not match the committee");
  }
  HITO_ASSIGN_OR_RETURN(Scalar share,
                        DecryptShare(kind, d.session, d.dealer, me, key, d.shares[me - 1u]));
  if (!CheckShare(d.commitments, me, share)) {
    share.Wipe();
    return InvalidArgumentError("share from dealer " + Idx(d.dealer) + " to " + Idx(me) +
                                ": does not match the dealer's commitments");
  }
  return share;
}

}  // namespace

Result<Scalar> VerifyReceivedShare(const Committee& committee, const Dealing& dealing, uint16_t me,
                                   const Ed25519PrivateKey& key) {
  return VerifyReceived(MessageType::kDealing, committee, dealing, me, key);
}

Result<Scalar> VerifyReceivedShare(const Committee& new_committee, const ReshareDealing& dealing,
                                   uint16_t me, const Ed25519PrivateKey& key) {
  return VerifyReceived(MessageType::kReshareDealing, new_committee, dealing, me, key);
}

// ---- Qualification ----

namespace {

// The messages of one run, grouped by index, and the verdicts reached so far.
struct Judgement {
  std::map<uint16_t, const DealingFields*> dealings;  // well formed, not yet excluded
  std::map<uint16_t, Disqualification> excluded;
};

template <typename Transcript>
Status CheckSessions(const SessionId& session, const Transcript& t) {
  for (const auto& d : t.dealings) {
    if (d.session != session) return InvalidArgumentError("dealing of another session");
  }
  for (const Complaint& c : t.complaints) {
    if (c.session != session) return InvalidArgumentError("complaint of another session");
  }
  for (const Justification& j : t.justifications) {
    if (j.session != session) return InvalidArgumentError("justification of another session");
  }
  return Status::Ok();
}

bool SameDealing(const DealingFields& a, const DealingFields& b) {
  return a.commitments == b.commitments && a.shares == b.shares;
}

// Rules 1 and 2 of spec section 5: one well-formed dealing per dealer in 1..dealers.
// old_public_shares (resharing only) are the K_i its C_0 must equal.
template <typename D>
Judgement JudgeDealings(std::span<const D> dealings, uint16_t dealers, const Committee& recipients,
                        std::span<const Point> old_public_shares) {
  std::map<uint16_t, std::vector<const DealingFields*>> by_dealer;
  for (const D& d : dealings) {
    if (d.dealer >= 1 && d.dealer <= dealers) by_dealer[d.dealer].push_back(&d);
  }
  Judgement j;
  for (uint16_t i = 1; i <= dealers; ++i) {
    auto it = by_dealer.find(i);
    if (it == by_dealer.end()) {
      j.excluded[i] = Disqualification::kNoDealing;
      continue;
    }
    const DealingFields* first = it->second.front();
    const bool equivocates = std::any_of(it->second.begin(), it->second.end(),
                                         [&](const auto* d) { return !SameDealing(*d, *first); });
    if (equivocates) {
      j.excluded[i] = Disqualification::kEquivocation;
    } else if (first->commitments.size() != recipients.threshold ||
               first->shares.size() != recipients.size()) {
      j.excluded[i] = Disqualification::kBadStructure;
    } else if (!old_public_shares.empty() && first->commitments[0] != old_public_shares[i - 1u]) {
      j.excluded[i] = Disqualification::kWrongConstantTerm;
    } else {
      j.dealings[i] = first;
    }
  }
  return j;
}

// Rules 3 to 5: complaints, and the justifications that must answer them.
void JudgeComplaints(std::span<const Complaint> complaints,
                     std::span<const Justification> justifications, const Committee& recipients,
                     Judgement* j) {
  std::set<std::pair<uint16_t, uint16_t>> counted;  // (dealer, complainer)
  for (const Complaint& c : complaints) {
    if (c.complainer >= 1 && c.complainer <= recipients.size() && j->dealings.count(c.dealer)) {
      counted.insert({c.dealer, c.complainer});
    }
  }
  std::map<std::pair<uint16_t, uint16_t>, std::vector<const Justification*>> answers;
  for (const Justification& a : justifications) answers[{a.dealer, a.complainer}].push_back(&a);
  std::map<uint16_t, size_t> complaint_count;
  for (const auto& key : counted) ++complaint_count[key.first];
  for (const auto& [dealer, count] : complaint_count) {
    if (count >= recipients.threshold) j->excluded[dealer] = Disqualification::kTooManyComplaints;
  }
  for (const auto& key : counted) {
    const uint16_t dealer = key.first;
    if (j->excluded.count(dealer)) continue;
    auto it = answers.find(key);
    if (it == answers.end()) {
      j->excluded[dealer] = Disqualification::kUnansweredComplaint;
      continue;
    }
    const DealingFields& d = *j->dealings.at(dealer);
    for (const Justification* a : it->second) {
      if (!CheckJustification(d, *a)) j->excluded[dealer] = Disqualification::kInvalidJustification;
    }
  }
  for (const auto& [dealer, reason] : j->excluded) j->dealings.erase(dealer);
}

std::vector<DisqualifiedDealer> ExcludedList(const Judgement& j) {
  std::vector<DisqualifiedDealer> out;
  for (const auto& [dealer, reason] : j.excluded) out.push_back({dealer, reason});
  return out;
}

// sum_i weight_i * C_ik for every k, over the chosen dealers (all with the same t).
std::vector<EdPoint> AggregateCommitments(const Judgement& j,
                                          std::span<const QualifiedDealer> chosen,
                                          size_t threshold) {
  std::vector<std::vector<EdPoint>> decoded;
  std::vector<Scalar> weights;
  for (const QualifiedDealer& q : chosen) {
    decoded.push_back(ToEd(j.dealings.at(q.dealer)->commitments));
    weights.push_back(q.weight);
  }
  std::vector<EdPoint> out(threshold);
  const bool unweighted = std::all_of(weights.begin(), weights.end(),
                                      [](const Scalar& w) { return w == Scalar::One(); });
  if (unweighted) {  // a DKG: plain sums
    for (const std::vector<EdPoint>& c : decoded) {
      for (size_t k = 0; k < threshold; ++k) out[k] += c[k];
    }
    return out;
  }
  std::vector<EdPoint> column(chosen.size());
  for (size_t k = 0; k < threshold; ++k) {
    for (size_t i = 0; i < chosen.size(); ++i) column[i] = decoded[i][k];
    out[k] = MsmVartime(weights, column);
  }
  return out;
}

// Fills K and every K_l from the chosen dealers' weighted commitments.
void FillKeys(const Judgement& j, const Committee& recipients, Outcome* out) {
  const std::vector<EdPoint> a = AggregateCommitments(j, out->qualified, recipients.threshold);
  out->group_key = a[0].ToPoint();
  out->public_shares.clear();
  for (uint16_t l = 1; l <= recipients.size(); ++l) {
    out->public_shares.push_back(EvalCommitments(a, l).ToPoint());
  }
  out->threshold = recipients.threshold;
}

// Lagrange coefficients at 0 for the indices xs (distinct, non-zero). Public data.
std::vector<Scalar> LagrangeAtZero(std::span<const uint16_t> xs) {
  std::vector<Scalar> out;
  for (uint16_t i : xs) {
    Scalar num = Scalar::One();
    Scalar den = Scalar::One();
    for (uint16_t h : xs) {
      if (h == i) continue;
      num *= Scalar::FromU64(h);
      den *= Scalar::FromU64(h) - Scalar::FromU64(i);
    }
    out.push_back(num * den.Invert());
  }
  return out;
}

}  // namespace

Result<Outcome> Qualify(const SessionId& session, const Committee& committee,
                        const DkgTranscript& transcript) {
  HITO_RETURN_IF_ERROR(ValidateCommittee(committee));
  HITO_RETURN_IF_ERROR(CheckSessions(session, transcript));
  Judgement j = JudgeDealings<Dealing>(transcript.dealings, committee.size(), committee, {});
  JudgeComplaints(transcript.complaints, transcript.justifications, committee, &j);
  if (j.dealings.size() < committee.threshold) {
    return FailedPreconditionError("dkg failed: " + std::to_string(j.dealings.size()) +
                                   " qualified dealers, need " + Idx(committee.threshold));
  }
  Outcome out;
  for (const auto& [dealer, d] : j.dealings) out.qualified.push_back({dealer, Scalar::One()});
  out.excluded = ExcludedList(j);
  FillKeys(j, committee, &out);
  HITO_ASSERT(out.qualified.size() >= committee.threshold);
  return out;
}

Result<Outcome> QualifyReshare(const SessionId& session, const Outcome& old_outcome,
                               const Committee& new_committee,
                               const ReshareTranscript& transcript) {
  HITO_RETURN_IF_ERROR(ValidateCommittee(new_committee));
  HITO_RETURN_IF_ERROR(CheckSessions(session, transcript));
  const auto old_size = static_cast<uint16_t>(old_outcome.public_shares.size());
  if (old_outcome.threshold == 0 || old_outcome.threshold > old_size) {
    return InvalidArgumentError("reshare: the old outcome has no valid threshold");
  }
  Judgement j = JudgeDealings<ReshareDealing>(transcript.dealings, old_size, new_committee,
                                              old_outcome.public_shares);
  JudgeComplaints(transcript.complaints, transcript.justifications, new_committee, &j);
  if (j.dealings.size() < old_outcome.threshold) {
    return FailedPreconditionError("reshare failed: " + std::to_string(j.dealings.size()) +
                                   " valid old holders, need " + Idx(old_outcome.threshold));
  }
  std::vector<uint16_t> chosen;
  for (const auto& [dealer, d] : j.dealings) {
    if (chosen.size() < old_outcome.threshold) chosen.push_back(dealer);
  }
  const std::vector<Scalar> lambda = LagrangeAtZero(chosen);
  Outcome out;
  for (size_t i = 0; i < chosen.size(); ++i) out.qualified.push_back({chosen[i], lambda[i]});
  out.excluded = ExcludedList(j);
  FillKeys(j, new_committee, &out);
  if (out.group_key != old_outcome.group_key) {
    return InvalidArgumentError("reshare: the old outcome's public shares do not interpolate K");
  }
  return out;
}

// ---- Combining (secret; libsodium) ----

namespace {

template <typename Transcript>
Result<std::vector<Scalar>> Collect(MessageType kind, const Committee& committee,
                                    const Transcript& t, const Outcome& outcome, uint16_t me,
                                    const Ed25519PrivateKey& key) {
  std::vector<Scalar> out;
  out.reserve(outcome.qualified.size());  // no reallocation leaves unwiped copies behind
  for (const QualifiedDealer& q : outcome.qualified) {
    auto dealing = std::find_if(t.dealings.begin(), t.dealings.end(),
                                [&](const auto& d) { return d.dealer == q.dealer; });
    if (dealing == t.dealings.end()) {
      return InvalidArgumentError("no dealing from qualified dealer " + Idx(q.dealer));
    }
    auto revealed =
        std::find_if(t.justifications.begin(), t.justifications.end(), [&](const Justification& a) {
          return a.dealer == q.dealer && a.complainer == me && CheckJustification(*dealing, a);
        });
    if (revealed != t.justifications.end()) {
      out.push_back(revealed->share);
      continue;
    }
    Result<Scalar> s = VerifyReceived(kind, committee, *dealing, me, key);
    if (!s.ok()) {
      for (Scalar& x : out) x.Wipe();
      return s.status().WithContext("unanswered bad share (a complaint was due)");
    }
    out.push_back(*s);
    s->Wipe();
  }
  return out;
}

}  // namespace

Result<std::vector<Scalar>> CollectShares(const Committee& committee, const DkgTranscript& t,
                                          const Outcome& outcome, uint16_t me,
                                          const Ed25519PrivateKey& key) {
  return Collect(MessageType::kDealing, committee, t, outcome, me, key);
}

Result<std::vector<Scalar>> CollectShares(const Committee& new_committee,
                                          const ReshareTranscript& t, const Outcome& outcome,
                                          uint16_t me, const Ed25519PrivateKey& key) {
  return Collect(MessageType::kReshareDealing, new_committee, t, outcome, me, key);
}

Result<Scalar> CombineShare(const Outcome& outcome, uint16_t me, std::span<const Scalar> shares) {
  if (me == 0 || me > outcome.public_shares.size()) {
    return InvalidArgumentError("combine: member index " + Idx(me) + " not in the committee");
  }
  if (shares.size() != outcome.qualified.size()) {
    return InvalidArgumentError("combine: " + std::to_string(shares.size()) + " shares for " +
                                std::to_string(outcome.qualified.size()) + " qualified dealers");
  }
  Scalar x;
  for (size_t i = 0; i < shares.size(); ++i) x += outcome.qualified[i].weight * shares[i];
  // x * B equals the public K_me, or the shares are rejected: published either way.
  if (MulBaseSecret(x) != outcome.public_shares[me - 1u].bytes()) {
    x.Wipe();
    return InvalidArgumentError("combine: the combined share does not match K_" + Idx(me));
  }
  return x;
}

}  // namespace hito::zk::dkg
