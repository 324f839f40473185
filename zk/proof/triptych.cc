#include "zk/proof/triptych.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>

#include "base/hash.h"
#include "base/mutex.h"
#include "zk/hash_to_group.h"
#include "zk/proof/backend.h"
#include "zk/proof/ct.h"
#include "zk/proof/transcript.h"
#include "zk/proof/triptych_internal.h"
#include "zk/scalar_vt.h"

namespace hito::zk::proof::membership {

using Backend = proof::internal::EcBackend;
using Elem = Backend::Elem;

struct SetData {
  size_t len = 0;  // L
  size_t m = 0;
  size_t padded_len = 0;  // N = 4^m
  Hash32 hash{};
  std::vector<Point> padded;
  std::vector<Elem> elems;  // padded, in the backend's working form

  // The verifier's precomputed tables over `elems`, built on first use (provers never pay
  // for them): see FixedTable.
  mutable std::once_flag table_once;
  mutable std::unique_ptr<const MsmFixedBase> table;
};

namespace {

constexpr size_t kNumGens = kBase * kMaxM;  // H_{j,i}
constexpr std::string_view kDomain = "hito/v1/triptych";

std::array<uint8_t, 8> U64Be(uint64_t v) {
  std::array<uint8_t, 8> out{};
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return out;
}

struct Generators {
  Point h;
  std::vector<Point> hji;  // H_{j,i} at j * 4 + i
  Elem g_e, h_e;
  std::vector<Elem> hji_e;
};

const Generators& Gens() {
  static const Generators gens = [] {
    Generators g;
    auto dst = AsBytes("hito/v1/triptych/generators");
    g.h = HashToGroup(U64Be(0), dst);
    for (uint64_t k = 0; k < kNumGens; ++k) g.hji.push_back(HashToGroup(U64Be(1 + k), dst));
    g.g_e = Backend::FromPublic(Point::Base());
    g.h_e = Backend::FromPublic(g.h);
    for (const Point& p : g.hji) g.hji_e.push_back(Backend::FromPublic(p));
    return g;
  }();
  return gens;
}

// Fillers F_0.. computed once and cached (they are a fixed function of the position).
struct FillerCache {
  Mutex mu;
  std::vector<Point> points GUARDED_BY(mu);
};

std::vector<Point> Fillers(size_t begin, size_t end) {
  static FillerCache cache;
  MutexLock lock(cache.mu);
  while (cache.points.size() < end) cache.points.push_back(Filler(cache.points.size()));
  return std::vector<Point>(cache.points.begin() + static_cast<std::ptrdiff_t>(begin),
                            cache.points.begin() + static_cast<std::ptrdiff_t>(end));
}

class SodiumRng final : public ProverRng {
 public:
  void Fill(std::span<uint8_t, 32> out) override { randombytes_buf(out.data(), out.size()); }
};

// The statement part of the transcript, spec section 5.
Transcript StatementTranscript(const SetData& s, std::string_view chain_id,
                               std::string_view context, const Point& u, const Point& tag,
                               ByteView message) {
  Transcript t(kDomain);
  t.AppendString("chain_id", chain_id);
  t.AppendU64("n", kBase);
  t.AppendU64("m", s.m);
  t.Append("set", s.hash);
  t.AppendU64("set_len", s.len);
  t.AppendString("context", context);
  t.AppendPoint("U", u);
  t.AppendPoint("J", tag);
  t.Append("message", message);
  return t;
}

Scalar ProofChallenge(Transcript t, const Proof& p) {
  t.AppendPoint("A", p.a);
  t.AppendPoint("B", p.b);
  t.AppendPoint("C", p.c);
  t.AppendPoint("D", p.d);
  for (const Point& x : p.x) t.AppendPoint("X", x);
  for (const Point& y : p.y) t.AppendPoint("Y", y);
  return t.ChallengeScalar("x");
}

// Com(vals; blind) = blind*H + sum vals[k] H_k, constant time in all scalars.
Elem Commit(std::span<const Scalar> vals, const Scalar& blind) {
  const Generators& g = Gens();
  std::vector<Scalar> s;
  std::vector<Elem> p;
  s.reserve(vals.size() + 1);
  p.reserve(vals.size() + 1);
  s.push_back(blind);
  p.push_back(g.h_e);
  for (size_t k = 0; k < vals.size(); ++k) {
    s.push_back(vals[k]);
    p.push_back(g.hji_e[k]);
  }
  return Backend::MsmSecret(s, p);
}

// Publishes an element: encodes it and tells valgrind it is no longer secret.
Point Publish(const Elem& e) {
  const std::array<uint8_t, 32> enc = Backend::Encode(e);
  ct::DeclassifyValue(enc);
  auto p = Point::DecodeAllowIdentity(enc);
  HITO_ASSERT(p.ok());  // our own encoding of a group element
  return *p;
}

// The fold of spec section 3: returns sum_k p_{k,j} M_k for j = 0..m (the last is M_l).
std::vector<Elem> FoldSet(const SetData& s, std::span<const Scalar> a, uint64_t index) {
  std::vector<Elem> cur = s.elems;
  for (size_t t = 0; t < s.m; ++t) {
    const size_t w = t + 1;  // coefficients per child entry
    const size_t entries = s.padded_len >> (2 * (t + 1));
    const uint64_t digit = (index >> (2 * t)) & 3;
    const std::span<const Scalar> at = a.subspan(t * kBase, kBase);
    std::vector<Elem> next(entries * (w + 1));
    for (size_t e = 0; e < entries; ++e) {
      const Elem* ch = &cur[e * kBase * w];
      Elem* out = &next[e * (w + 1)];
      for (size_t d = 0; d < w; ++d) {
        std::array<Elem, kBase> pts = {ch[d], ch[w + d], ch[2 * w + d], ch[3 * w + d]};
        // a_{t,0} = -(a_{t,1} + a_{t,2} + a_{t,3}), so sum_i a_{t,i} P_i is the 3-point
        // sum_{i>=1} a_{t,i} (P_i - P_0): a quarter fewer additions than 4 points.
        const std::array<Elem, kBase - 1> diffs = {Backend::Sub(pts[1], pts[0]),
                                                   Backend::Sub(pts[2], pts[0]),
                                                   Backend::Sub(pts[3], pts[0])};
        Elem sum = Backend::MsmSecret(at.subspan(1), diffs);
        Elem sel;
        ct::Select(&sel, pts.data(), kBase, digit);
        out[d] = d == 0 ? sum : Backend::Add(out[d], sum);
        out[d + 1] = sel;  // the x * Q_{l_t} term, one degree up
      }
    }
    SecureWipe(cur.data(), cur.size() * sizeof(Elem));  // secret-dependent points
    cur = std::move(next);
  }
  return cur;
}

// Wipes every listed secret scalar on every return path.
struct ScalarWiper {
  std::vector<std::vector<Scalar>*> vecs;
  std::vector<Scalar*> scalars;
  ~ScalarWiper() {
    for (auto* v : vecs) {
      for (Scalar& e : *v) e.Wipe();
    }
    for (Scalar* e : scalars) e->Wipe();
  }
};

// A, B, C, D (from sigma(index) and a), X_j and Y_j into p, whose tag is set. Fills sigma.
Status Commitments(const SetData& s, uint64_t index, std::span<const Scalar> a,
                   std::span<Scalar> sigma, const std::array<Scalar, 4>& r,
                   std::span<const Scalar> rho, Proof* p) {
  const Generators& gens = Gens();
  const size_t m = s.m;
  std::vector<Scalar> c_vals(m * kBase), d_vals(m * kBase);
  ScalarWiper wiper{{&c_vals, &d_vals}, {}};
  for (size_t j = 0; j < m; ++j) {
    const uint64_t digit = (index >> (2 * j)) & 3;
    for (size_t i = 0; i < kBase; ++i) {
      const size_t k = j * kBase + i;
      sigma[k] = Scalar::FromU64(ct::Eq(i, digit));
      c_vals[k] = a[k] * (Scalar::One() - sigma[k] - sigma[k]);
      d_vals[k] = -(a[k] * a[k]);
    }
  }
  p->a = Publish(Commit(a, r[0]));
  p->b = Publish(Commit(sigma, r[1]));
  p->c = Publish(Commit(c_vals, r[2]));
  p->d = Publish(Commit(d_vals, r[3]));

  std::vector<Elem> coeffs = FoldSet(s, a, index);
  const Elem tag_e = Backend::FromPublic(p->tag);
  p->x.resize(m);
  p->y.resize(m);
  for (size_t j = 0; j < m; ++j) {
    const std::span<const Scalar> rj(&rho[j], 1);
    p->x[j] = Publish(Backend::Add(coeffs[j], Backend::MsmSecret(rj, std::span(&gens.g_e, 1))));
    p->y[j] = Publish(Backend::MsmSecret(rj, std::span(&tag_e, 1)));
  }
  SecureWipe(coeffs.data(), coeffs.size() * sizeof(Elem));
  bool any_identity = p->a.IsIdentity() || p->b.IsIdentity() || p->c.IsIdentity() ||
                      p->d.IsIdentity() || p->tag.IsIdentity();
  for (size_t j = 0; j < m; ++j) any_identity |= p->x[j].IsIdentity() || p->y[j].IsIdentity();
  if (any_identity) {
    // Probability about 2^-250 per proof (or a caller-chosen identity tag).
    return InternalError("membership prove: a commitment is the identity; retry");
  }
  return Status::Ok();
}

}  // namespace

Point ContextBase(std::string_view chain_id, std::string_view context) {
  Bytes msg;
  auto l1 = U64Be(chain_id.size());
  msg.insert(msg.end(), l1.begin(), l1.end());
  msg.insert(msg.end(), chain_id.begin(), chain_id.end());
  auto l2 = U64Be(context.size());
  msg.insert(msg.end(), l2.begin(), l2.end());
  msg.insert(msg.end(), context.begin(), context.end());
  return HashToGroup(msg, AsBytes("hito/v1/nullifier-base"));
}

Point Filler(uint64_t i) { return HashToGroup(U64Be(i), AsBytes("hito/v1/filler")); }

// ---------------------------------------------------------------------------------------
// PreparedSet

Result<PreparedSet> PreparedSet::Create(std::span<const Point> members) {
  if (members.empty() || members.size() > kMaxSetSize) {
    return InvalidArgumentError("membership set: size " + std::to_string(members.size()) +
                                " outside 1.." + std::to_string(kMaxSetSize));
  }
  auto d = std::make_shared<SetData>();
  d->len = members.size();
  d->m = kMinM;
  while ((size_t{1} << (2 * d->m)) < d->len) ++d->m;
  d->padded_len = size_t{1} << (2 * d->m);
  Hasher h("hito/v1/triptych/set");
  h.UpdateU64(d->len);
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].IsIdentity()) {
      return InvalidArgumentError("membership set: member " + std::to_string(i) +
                                  " is the identity");
    }
    h.Update(members[i].bytes());
  }
  d->hash = h.Finish();
  d->padded.assign(members.begin(), members.end());
  std::vector<Point> fill = Fillers(d->len, d->padded_len);
  d->padded.insert(d->padded.end(), fill.begin(), fill.end());
  auto elems = Backend::DecodeBatch(d->padded);
  if (!elems.ok()) return elems.status().WithContext("membership set");
  d->elems = std::move(elems).value();
  return PreparedSet(std::move(d));
}

size_t PreparedSet::size() const { return data_->len; }
size_t PreparedSet::padded_size() const { return data_->padded_len; }
size_t PreparedSet::m() const { return data_->m; }
const Hash32& PreparedSet::hash() const { return data_->hash; }
std::span<const Point> PreparedSet::padded() const { return data_->padded; }

// ---------------------------------------------------------------------------------------
// Encoding

Bytes Proof::Encode() const {
  Bytes out;
  out.reserve(ProofSize(m));
  auto put = [&out](const std::array<uint8_t, 32>& bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
  };
  put(tag.bytes());
  put(a.bytes());
  put(b.bytes());
  put(c.bytes());
  put(d.bytes());
  for (const Point& p : x) put(p.bytes());
  for (const Point& p : y) put(p.bytes());
  for (const Scalar& s : f) put(s.bytes());
  put(z_a.bytes());
  put(z_c.bytes());
  put(z.bytes());
  return out;
}

Result<Proof> Proof::Decode(ByteView b) {
  size_t mm = 0;
  for (size_t k = kMinM; k <= kMaxM; ++k) {
    if (b.size() == ProofSize(k)) mm = k;
  }
  if (mm == 0) {
    return InvalidArgumentError("membership proof: " + std::to_string(b.size()) +
                                " bytes is not 32 * (8 + 5m) for m in 2..8");
  }
  Proof p;
  p.m = mm;
  size_t off = 0;
  auto point = [&](Point* out, const std::string& what) -> Status {
    auto r = Point::Decode(b.subspan(off, 32));
    off += 32;
    if (!r.ok()) return r.status().WithContext("membership proof: " + what);
    *out = *r;
    return Status::Ok();
  };
  auto scalar = [&](Scalar* out, const std::string& what) -> Status {
    auto r = Scalar::Decode(b.subspan(off, 32));
    off += 32;
    if (!r.ok()) return r.status().WithContext("membership proof: " + what);
    *out = *r;
    return Status::Ok();
  };
  HITO_RETURN_IF_ERROR(point(&p.tag, "J"));
  HITO_RETURN_IF_ERROR(point(&p.a, "A"));
  HITO_RETURN_IF_ERROR(point(&p.b, "B"));
  HITO_RETURN_IF_ERROR(point(&p.c, "C"));
  HITO_RETURN_IF_ERROR(point(&p.d, "D"));
  p.x.resize(mm);
  p.y.resize(mm);
  for (size_t j = 0; j < mm; ++j) HITO_RETURN_IF_ERROR(point(&p.x[j], "X" + std::to_string(j)));
  for (size_t j = 0; j < mm; ++j) HITO_RETURN_IF_ERROR(point(&p.y[j], "Y" + std::to_string(j)));
  p.f.resize(mm * (kBase - 1));
  for (size_t k = 0; k < p.f.size(); ++k) {
    HITO_RETURN_IF_ERROR(scalar(&p.f[k], "f" + std::to_string(k)));
  }
  HITO_RETURN_IF_ERROR(scalar(&p.z_a, "z_A"));
  HITO_RETURN_IF_ERROR(scalar(&p.z_c, "z_C"));
  HITO_RETURN_IF_ERROR(scalar(&p.z, "z"));
  return p;
}

// ---------------------------------------------------------------------------------------
// Prover

namespace {

// The hedged nonces of spec section 8: NonceCount(m) scalars, the k-th
// BLAKE2b-512(key = seed, u64(k)) reduced mod l, where seed = BLAKE2b-512(label, secret,
// u64(index), digest, fresh). Constant time: BLAKE2b and the reduction do not branch on
// their input. `digest` binds the statement (the transcript before any commitment).
std::vector<Scalar> HedgedNonces(const Scalar& secret, uint64_t index, const Scalar& digest,
                                 std::span<const uint8_t, 32> fresh, size_t count) {
  static constexpr std::string_view kLabel = "hito/v1/triptych/nonce";
  std::array<uint8_t, 64> seed{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, seed.size());
  const auto label_len = U64Be(kLabel.size());
  crypto_generichash_update(&st, label_len.data(), label_len.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kLabel.data()), kLabel.size());
  crypto_generichash_update(&st, secret.bytes().data(), 32);
  std::array<uint8_t, 8> idx = U64Be(index);
  crypto_generichash_update(&st, idx.data(), idx.size());
  crypto_generichash_update(&st, digest.bytes().data(), 32);
  crypto_generichash_update(&st, fresh.data(), fresh.size());
  crypto_generichash_final(&st, seed.data(), seed.size());
  std::vector<Scalar> out(count);
  std::array<uint8_t, 64> wide{};
  for (size_t k = 0; k < count; ++k) {
    const auto ctr = U64Be(k);
    crypto_generichash(wide.data(), wide.size(), ctr.data(), ctr.size(), seed.data(), seed.size());
    out[k] = Scalar::FromUniformBytes(wide);
  }
  SecureWipe(&st, sizeof(st));
  SecureWipe(seed.data(), seed.size());
  SecureWipe(wide.data(), wide.size());
  SecureWipe(idx.data(), idx.size());
  return out;
}

}  // namespace

Result<Proof> Prove(const PreparedSet& set, uint64_t index, const Scalar& secret,
                    std::string_view chain_id, std::string_view context, ByteView message,
                    ProverRng* rng) {
  const SetData& s = set.data();
  const Generators& gens = Gens();
  SodiumRng default_rng;
  if (rng == nullptr) rng = &default_rng;

  // Witness check, constant time; only the verdict is published.
  uint64_t valid = ct::Eq(index >> 32, 0) & ct::Lt(index & 0xffffffffu, s.len);
  Point member;
  ct::Select(&member, s.padded.data(), s.padded_len, index);
  Scalar one_secret[1] = {secret};
  const std::array<uint8_t, 32> rg =
      Backend::Encode(Backend::MsmSecret(one_secret, std::span(&gens.g_e, 1)));
  valid &= static_cast<uint64_t>(sodium_memcmp(member.bytes().data(), rg.data(), 32) + 1);
  one_secret[0].Wipe();
  ct::DeclassifyValue(valid);
  if (valid != 1) {
    return InvalidArgumentError("membership prove: index out of range or member is not secret*G");
  }

  const Point u = ContextBase(chain_id, context);
  Point tag;
  {
    Scalar inv[1] = {ct::Invert(secret)};
    const Elem u_e = Backend::FromPublic(u);
    tag = Publish(Backend::MsmSecret(inv, std::span(&u_e, 1)));
    inv[0].Wipe();
  }
  // The whole statement is absorbed before the nonces are derived from it, so a repeated
  // fresh value under another statement (message, context, set) still gives other nonces.
  Transcript statement = StatementTranscript(s, chain_id, context, u, tag, message);
  const Scalar digest = statement.ChallengeScalar("nonce-binding");
  std::array<uint8_t, 32> fresh{};
  rng->Fill(fresh);
  std::vector<Scalar> nonces =
      HedgedNonces(secret, index, digest, fresh, internal::NonceCount(s.m));
  SecureWipe(fresh.data(), fresh.size());
  ScalarWiper wiper{{&nonces}, {}};
  return internal::ProveWithNonces(set, index, secret, chain_id, context, message, tag, nonces);
}

Result<Proof> internal::ProveWithNonces(const PreparedSet& set, uint64_t index,
                                        const Scalar& secret, std::string_view chain_id,
                                        std::string_view context, ByteView message,
                                        const Point& tag, std::span<const Scalar> nonces) {
  const SetData& s = set.data();
  const size_t m = s.m;
  // Neither outcome reveals anything Prove has not: it only calls with index < len.
  uint64_t in_range = ct::Eq(index >> 32, 0) & ct::Lt(index & 0xffffffffu, s.padded_len);
  ct::DeclassifyValue(in_range);
  if (in_range != 1 || nonces.size() != NonceCount(m)) {
    return InvalidArgumentError("membership prove: index beyond the padded set or wrong nonces");
  }
  size_t next = 0;
  std::array<Scalar, 4> r;  // r_A, r_B, r_C, r_D
  for (Scalar& v : r) v = nonces[next++];
  std::vector<Scalar> a(m * kBase);
  for (size_t j = 0; j < m; ++j) {
    for (size_t i = 1; i < kBase; ++i) a[j * kBase + i] = nonces[next++];
    a[j * kBase] = -(a[j * kBase + 1] + a[j * kBase + 2] + a[j * kBase + 3]);
  }
  std::vector<Scalar> rho(m);
  for (Scalar& v : rho) v = nonces[next++];
  std::vector<Scalar> sigma(m * kBase);
  Scalar rho_sum;
  ScalarWiper wiper{{&a, &sigma, &rho}, {&r[0], &r[1], &r[2], &r[3], &rho_sum}};

  Proof p;
  p.m = m;
  p.tag = tag;
  HITO_RETURN_IF_ERROR(Commitments(s, index, a, sigma, r, rho, &p));
  const Point u = ContextBase(chain_id, context);
  const Scalar x = ProofChallenge(StatementTranscript(s, chain_id, context, u, p.tag, message), p);

  p.f.resize(m * (kBase - 1));
  for (size_t j = 0; j < m; ++j) {
    for (size_t i = 1; i < kBase; ++i) {
      const size_t k = j * kBase + i;
      p.f[j * (kBase - 1) + i - 1] = sigma[k] * x + a[k];
      ct::DeclassifyValue(p.f[j * (kBase - 1) + i - 1]);
    }
  }
  p.z_a = r[0] + x * r[1];
  p.z_c = x * r[2] + r[3];
  Scalar xpow = Scalar::One();
  for (size_t j = 0; j < m; ++j) {
    rho_sum += rho[j] * xpow;
    xpow *= x;
  }
  p.z = secret * xpow - rho_sum;
  ct::DeclassifyValue(p.z_a);
  ct::DeclassifyValue(p.z_c);
  ct::DeclassifyValue(p.z);
  return p;
}

// ---------------------------------------------------------------------------------------
// Verifier
//
// No peer's bytes reach an abort. Proof bytes are checked by Proof::Decode, a Proof's
// shape by CheckShape, its points and the set's are converted by Backend::Decode /
// DecodeBatch as error values; context, message and chain id are only hashed. The
// asserts left on this path are invariants of our own code: the fixed generators and
// U_ctx convert (Backend::FromPublic), the MSM's scalar and point counts match (set by
// CheckShape and CheckCombined), and ScalarVt results are fully reduced.

namespace {

Status CheckShape(const SetData& s, const Proof& p) {
  if (p.m != s.m) {
    return InvalidArgumentError("membership verify: proof has m = " + std::to_string(p.m) +
                                ", the set needs m = " + std::to_string(s.m));
  }
  if (p.x.size() != p.m || p.y.size() != p.m || p.f.size() != p.m * (kBase - 1)) {
    return InvalidArgumentError("membership verify: malformed proof vectors");
  }
  bool id = p.tag.IsIdentity() || p.a.IsIdentity() || p.b.IsIdentity() || p.c.IsIdentity() ||
            p.d.IsIdentity();
  for (size_t j = 0; j < p.m; ++j) id |= p.x[j].IsIdentity() || p.y[j].IsIdentity();
  if (id) return InvalidArgumentError("membership verify: identity point in proof");
  return Status::Ok();
}

// A proof that passed CheckShape, its challenge and its points decoded once (bisection
// re-checks a proof several times).
struct Pending {
  size_t index;             // position in the caller's batch
  Scalar x;                 // the proof's challenge
  std::vector<Elem> elems;  // A, B, C, D, then X_j, Y_j interleaved, then J
};

Result<std::vector<Elem>> DecodeProofPoints(const Proof& p) {
  std::vector<const Point*> pts = {&p.a, &p.b, &p.c, &p.d};
  for (size_t j = 0; j < p.m; ++j) {
    pts.push_back(&p.x[j]);
    pts.push_back(&p.y[j]);
  }
  pts.push_back(&p.tag);
  std::vector<Elem> out;
  out.reserve(pts.size());
  for (const Point* q : pts) {
    auto e = Backend::Decode(*q);
    if (!e.ok()) return e.status().WithContext("membership verify: proof point");
    out.push_back(*e);
  }
  return out;
}

constexpr size_t kLowDigits = 3;

// out[k] = seed * prod_{j in [from, to)} f[j][k_j] for every k < 4^(to - from), where
// k_j is digit j - from of k; f is indexed f[j * 4 + i]. Built from the top digit down.
void TensorExpand(std::span<const ScalarVt> f, size_t to, size_t from, const ScalarVt& seed,
                  std::vector<ScalarVt>* out, std::vector<ScalarVt>* scratch) {
  out->assign(1, seed);
  for (size_t j = to; j-- > from;) {
    scratch->clear();
    for (const ScalarVt& v : *out) {
      for (size_t i = 0; i < kBase; ++i) scratch->push_back(v * f[j * kBase + i]);
    }
    std::swap(*out, *scratch);
  }
}

// The set's fixed-base tables (zk/ec.h), built once per set on the first verification
// (about 0.1-0.3 s at N = 2^14 and up to 64 MiB at N = 2^16: docs/perf/zk.md).
const MsmFixedBase& FixedTable(const SetData& s) {
  std::call_once(s.table_once, [&s] {
    s.table = std::make_unique<const MsmFixedBase>(MsmFixedBase::Build(s.elems));
  });
  return *s.table;
}

// The batch weights' transcript: the set, the statement and every listed proof, so no
// weight is known before all of them are fixed.
void AppendBatch(const SetData& s, std::string_view chain_id, std::string_view context,
                 std::span<const ByteView> messages, std::span<const Proof> proofs,
                 std::span<const Pending> items, Transcript* wt) {
  wt->Append("set", s.hash);
  wt->AppendU64("set_len", s.len);
  wt->AppendString("chain_id", chain_id);
  wt->AppendString("context", context);
  wt->AppendU64("count", items.size());
  for (const Pending& it : items) {
    wt->Append("message", messages[it.index]);
    wt->Append("proof", proofs[it.index].Encode());
  }
}

// The coefficients of the combined check, summed over the batch. Coefficient work is in
// ScalarVt (Montgomery form, public data), converted at the end. p_k^(b) = hi_b[q] *
// lo_b[t] for k = q * t_len + t (see AddProofTerms); stored transposed ([q][b] and
// [t][b]) for the final dot products.
struct BatchSums {
  using V = ScalarVt;
  BatchSums(const SetData& s, size_t batch)
      : m(s.m),
        nm(m * kBase),
        low(std::min(m, kLowDigits)),
        t_len(size_t{1} << (2 * low)),
        q_len(s.padded_len / t_len),
        nb(batch),
        hi_t(q_len * nb),
        lo_t(t_len * nb),
        hji_s(nm),
        f(nm),
        xpow(m + 1) {
    extra_s.reserve(nb * (5 + 2 * m));
    extra_p.reserve(nb * (5 + 2 * m));
    vals.reserve(s.padded_len / kBase);
    next.reserve(s.padded_len / kBase);
  }

  const size_t m, nm, low, t_len, q_len, nb;
  std::vector<V> hi_t, lo_t;
  V g_s, h_s, u_s;
  std::vector<V> hji_s;
  std::vector<V> extra_s;
  std::vector<Elem> extra_p;
  // Per-proof scratch, kept to reuse its memory.
  std::vector<V> vals, next, lo, f, xpow;
};

// Adds proof `b`'s equations (1)-(4), weighted by four fresh challenges of `wt`.
void AddProofTerms(const Proof& p, const Pending& it, size_t b, Transcript* wt, BatchSums* sums) {
  using V = ScalarVt;
  BatchSums& a = *sums;
  const size_t m = a.m;
  const V w1 = V::FromScalar(wt->ChallengeScalar("w1"));
  const V w2 = V::FromScalar(wt->ChallengeScalar("w2"));
  const V w3 = V::FromScalar(wt->ChallengeScalar("w3"));
  const V w4 = V::FromScalar(wt->ChallengeScalar("w4"));
  const V x = V::FromScalar(it.x);
  const V z = V::FromScalar(p.z);
  std::vector<V>& f = a.f;
  a.xpow[0] = V::One();
  for (size_t j = 1; j <= m; ++j) a.xpow[j] = a.xpow[j - 1] * x;
  for (size_t j = 0; j < m; ++j) {
    V rest;
    for (size_t i = 1; i < kBase; ++i) {
      f[j * kBase + i] = V::FromScalar(p.f[j * (kBase - 1) + i - 1]);
      rest += f[j * kBase + i];
    }
    f[j * kBase] = x - rest;
  }
  // (1) w1 (A + xB - Com(f; z_A)) and (2) w2 (xC + D - Com(f(x-f); z_C)).
  for (size_t k = 0; k < a.nm; ++k) a.hji_s[k] -= w1 * f[k] + w2 * (f[k] * (x - f[k]));
  a.h_s -= w1 * V::FromScalar(p.z_a) + w2 * V::FromScalar(p.z_c);
  a.extra_s.insert(a.extra_s.end(), {w1, w1 * x, w2 * x, w2});
  a.extra_p.insert(a.extra_p.end(), it.elems.begin(), it.elems.end());
  // (3) w3 (sum_k p_k(x) M_k - sum_j x^j X_j - z G). p_k = hi(k_high) * lo(k_low): the
  // products over the low kLowDigits digits (a table of 4^kLowDigits) and over the high
  // digits seeded with w3 (a tensor expansion from the top digit down, one
  // multiplication per entry) are built first; then each p_k costs one multiplication
  // and one addition, as with a Gray-code walk but without inverting any f.
  TensorExpand(f, a.low, 0, V::One(), &a.lo, &a.next);
  TensorExpand(f, m, a.low, w3, &a.vals, &a.next);
  for (size_t q = 0; q < a.q_len; ++q) a.hi_t[q * a.nb + b] = a.vals[q];
  for (size_t t = 0; t < a.t_len; ++t) a.lo_t[t * a.nb + b] = a.lo[t];
  a.g_s -= w3 * z;
  // (4) w4 (x^m U - sum_j x^j Y_j - z J).
  a.u_s += w4 * a.xpow[m];
  for (size_t j = 0; j < m; ++j) {
    a.extra_s.push_back(-(w3 * a.xpow[j]));  // X_j
    a.extra_s.push_back(-(w4 * a.xpow[j]));  // Y_j
  }
  a.extra_s.push_back(-(w4 * z));  // J
}

// The MSM's scalars: the M_k coefficients first (the set's fixed-base part), then G, H,
// U, the H_ji and the proofs' own points, in the order CheckCombined lists the points.
std::vector<Scalar> MsmScalars(const BatchSums& a, size_t padded_len) {
  using V = ScalarVt;
  std::vector<Scalar> scalars;
  scalars.reserve(padded_len + 3 + a.nm + a.extra_s.size());
  // M_k coefficient = sum_b hi_b[q] lo_b[t]: dot products of Montgomery-form values with
  // one Montgomery reduction per k (ScalarVtSum: (hR)(lR) summed, reduced once, is the
  // Montgomery form of sum h l), the batch verifier's inner loop. Keeping hi and lo in
  // Montgomery form saves a conversion per table entry and libsodium's 512-bit reduction
  // per k over the previous form (a lazily reduced 52-bit-limb accumulator, removed).
  for (size_t q = 0; q < a.q_len; ++q) {
    const V* hq = &a.hi_t[q * a.nb];
    for (size_t t = 0; t < a.t_len; ++t) {
      const V* lt = &a.lo_t[t * a.nb];
      ScalarVtSum acc;
      for (size_t b = 0; b < a.nb; ++b) acc.AddProduct(hq[b], lt[b]);
      scalars.push_back(acc.Value().ToScalar());
    }
  }
  for (const V& v : {a.g_s, a.h_s, a.u_s}) scalars.push_back(v.ToScalar());
  for (const V& v : a.hji_s) scalars.push_back(v.ToScalar());
  for (const V& v : a.extra_s) scalars.push_back(v.ToScalar());
  return scalars;
}

// Checks the weighted sum of equations (1)-(4) of every listed proof in one MSM.
bool CheckCombined(const SetData& s, const Point& u, std::string_view chain_id,
                   std::string_view context, std::span<const ByteView> messages,
                   std::span<const Proof> proofs, std::span<const Pending> items) {
  const Generators& gens = Gens();
  Transcript wt("hito/v1/triptych/batch");
  AppendBatch(s, chain_id, context, messages, proofs, items, &wt);
  BatchSums sums(s, items.size());
  for (size_t b = 0; b < items.size(); ++b) {
    AddProofTerms(proofs[items[b].index], items[b], b, &wt, &sums);
  }
  const std::vector<Scalar> scalars = MsmScalars(sums, s.padded_len);
  std::vector<Elem> points;
  points.reserve(scalars.size() - s.padded_len);
  points.insert(points.end(), {gens.g_e, gens.h_e, Backend::FromPublic(u)});
  points.insert(points.end(), gens.hji_e.begin(),
                gens.hji_e.begin() + static_cast<std::ptrdiff_t>(sums.nm));
  points.insert(points.end(), sums.extra_p.begin(), sums.extra_p.end());
  const std::span<const Scalar> all(scalars);
  return FixedTable(s).Msm(all.first(s.padded_len), all.subspan(s.padded_len), points).IsIdentity();
}

// One check per proof, for batches below kMinBatch: no search is ever needed.
void VerifyEach(const SetData& s, const Point& u, std::string_view chain_id,
                std::string_view context, std::span<const ByteView> messages,
                std::span<const Proof> proofs, std::span<const Pending> pending, BatchMode mode,
                BatchResult* res) {
  for (size_t k = 0; k < pending.size(); ++k) {
    ++res->checks;
    if (CheckCombined(s, u, chain_id, context, messages, proofs, pending.subspan(k, 1))) continue;
    res->invalid.push_back(pending[k].index);
    if (mode == BatchMode::kFirstInvalid) return;
  }
}

// Bisection over `pending`. A range is split only once it is known to hold an invalid
// proof; when its left half passes, the right half is known to fail without a check of
// its own. kFirstInvalid descends into the left half first and stops at the first proof
// it confirms: one check per level. kAllInvalid visits every failing range.
void Bisect(const SetData& s, const Point& u, std::string_view chain_id, std::string_view context,
            std::span<const ByteView> messages, std::span<const Proof> proofs,
            std::span<const Pending> pending, BatchMode mode, BatchResult* res) {
  struct Range {
    size_t lo, hi;
    bool known_bad;  // a failure inside is already established
  };
  auto check = [&](size_t lo, size_t hi) {
    ++res->checks;
    return CheckCombined(s, u, chain_id, context, messages, proofs, pending.subspan(lo, hi - lo));
  };
  std::vector<Range> work = {{0, pending.size(), false}};
  while (!work.empty()) {
    Range r = work.back();
    work.pop_back();
    if (!r.known_bad && check(r.lo, r.hi)) continue;
    if (r.hi - r.lo == 1) {
      res->invalid.push_back(pending[r.lo].index);
      if (mode == BatchMode::kFirstInvalid) return;
      continue;
    }
    const size_t mid = r.lo + (r.hi - r.lo) / 2;
    if (check(r.lo, mid)) {
      work.push_back({mid, r.hi, true});
    } else {
      work.push_back({mid, r.hi, false});  // kFirstInvalid never gets there
      work.push_back({r.lo, mid, true});
    }
  }
}

Status BatchStatus(const BatchResult& res, size_t total, const Status& first_error) {
  if (res.invalid.empty()) return Status::Ok();
  std::string list;
  for (size_t i = 0; i < res.invalid.size() && i < 16; ++i) {
    list += (i ? "," : "") + std::to_string(res.invalid[i]);
  }
  if (res.invalid.size() > 16) list += ",...";
  return InvalidArgumentError("membership verify: " + std::to_string(res.invalid.size()) + " of " +
                              std::to_string(total) + " proofs invalid [" + list + "]" +
                              (first_error.ok() ? "" : "; first: " + first_error.message()));
}

}  // namespace

BatchResult BatchVerify(const PreparedSet& set, std::string_view chain_id, std::string_view context,
                        std::span<const ByteView> messages, std::span<const Proof> proofs,
                        BatchMode mode) {
  BatchResult res;
  if (messages.size() != proofs.size()) {
    res.status = InvalidArgumentError("membership batch: " + std::to_string(messages.size()) +
                                      " messages for " + std::to_string(proofs.size()) + " proofs");
    return res;
  }
  const SetData& s = set.data();
  const Point u = ContextBase(chain_id, context);
  std::vector<Pending> pending;
  Status first_error;
  for (size_t i = 0; i < proofs.size(); ++i) {
    Status st = CheckShape(s, proofs[i]);
    Result<std::vector<Elem>> elems = st.ok() ? DecodeProofPoints(proofs[i]) : st;
    if (!elems.ok()) {
      res.invalid.push_back(i);
      if (first_error.ok()) first_error = elems.status();
      // Later proofs cannot hold a lower invalid index.
      if (mode == BatchMode::kFirstInvalid) break;
      continue;
    }
    Transcript t = StatementTranscript(s, chain_id, context, u, proofs[i].tag, messages[i]);
    pending.push_back({i, ProofChallenge(std::move(t), proofs[i]), std::move(elems).value()});
  }
  if (!pending.empty()) {
    BatchResult found;
    if (pending.size() < kMinBatch) {
      VerifyEach(s, u, chain_id, context, messages, proofs, pending, mode, &found);
    } else {
      Bisect(s, u, chain_id, context, messages, proofs, pending, mode, &found);
    }
    res.checks = found.checks;
    res.invalid.insert(res.invalid.end(), found.invalid.begin(), found.invalid.end());
  }
  std::sort(res.invalid.begin(), res.invalid.end());
  if (mode == BatchMode::kFirstInvalid && res.invalid.size() > 1) {
    res.invalid.resize(1);
    first_error = Status::Ok();  // the lower failure is not the malformed one
  }
  res.status = BatchStatus(res, proofs.size(), first_error);
  return res;
}

Status Verify(const PreparedSet& set, std::string_view chain_id, std::string_view context,
              ByteView message, const Proof& proof) {
  HITO_RETURN_IF_ERROR(CheckShape(set.data(), proof));
  const ByteView msgs[1] = {message};
  BatchResult r = BatchVerify(set, chain_id, context, msgs, std::span(&proof, 1));
  if (!r.status.ok()) return InvalidArgumentError("membership verify: proof does not verify");
  return Status::Ok();
}

}  // namespace hito::zk::proof::membership
