#include "node/config/dedup_keys.h"

#include <set>
#include <string>

#include "base/assert.h"
#include "base/file_io.h"
#include "base/hash.h"
#include "base/hex.h"
#include "zk/dkg.h"

namespace hito::node::config {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
namespace oprf = zk::oprf;

// A sealed share is a zk::dkg share box from "dealer 0" (no run has one) in a "session"
// that names the key set and the share: it opens only with the validator's key and only
// for that key set.
constexpr std::string_view kSealedShareLabel = "hito/v1/dedup-share-at-rest";
constexpr uint16_t kSealedShareDealer = 0;

zk::dkg::SessionId SealedShareBinding(const Hash32& group_key, const Hash32& public_share) {
  Bytes b(group_key.begin(), group_key.end());
  b.insert(b.end(), public_share.begin(), public_share.end());
  return DomainHash(kSealedShareLabel, b);
}

std::string_view TrimWhitespace(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

Result<zk::Point> Element(const Hash32& bytes, const std::string& what) {
  Result<zk::Point> p = zk::Point::Decode(bytes);
  if (!p.ok()) return InvalidArgumentError(what + ": not a canonical ristretto255 element");
  if (p->IsIdentity()) return InvalidArgumentError(what + ": the identity element");
  return p;
}

// The Lagrange combination at 0 of the public shares at `positions` of keys.shares.
Result<zk::Point> CombinePublic(const ledger::DedupKeySet& keys,
                                const std::vector<size_t>& positions) {
  std::vector<oprf::EvaluationShare> as_shares;
  for (size_t pos : positions) {
    oprf::EvaluationShare s;
    s.index = keys.shares[pos].index;
    HITO_ASSIGN_OR_RETURN(s.element, zk::Point::Decode(keys.shares[pos].public_share));
    as_shares.push_back(s);
  }
  return oprf::Combine(as_shares);
}

// K must be the combination of the first t public shares, and each later K_j, put in the
// place of the t-th, must give K again: then all n lie on one polynomial of degree t - 1.
Status CheckSharesOnOnePolynomial(const ledger::DedupKeySet& keys, const zk::Point& group) {
  const size_t t = keys.threshold;
  std::vector<size_t> positions;
  for (size_t i = 0; i < t; ++i) positions.push_back(i);
  for (size_t j = t - 1; j < keys.shares.size(); ++j) {
    positions.back() = j;
    HITO_ASSIGN_OR_RETURN(zk::Point combined, CombinePublic(keys, positions));
    if (!(combined == group) && j == t - 1) {
      return InvalidArgumentError(
          "group_key is not the combination of the public shares of "
          "the first " +
          std::to_string(t) + " shares");
    }
    if (!(combined == group)) {
      return InvalidArgumentError("shares[" + std::to_string(j) + "].public_share (index " +
                                  std::to_string(keys.shares[j].index) +
                                  ") is not on the polynomial of group_key and the first " +
                                  std::to_string(t) + " shares");
    }
  }
  return Status::Ok();
}

Status CheckShareList(const ledger::DedupKeySet& keys, const types::ValidatorSet& validators) {
  if (keys.shares.size() != validators.size()) {
    return InvalidArgumentError("shares: " + std::to_string(keys.shares.size()) + " given for " +
                                std::to_string(validators.size()) +
                                " genesis validators (one each)");
  }
  std::set<uint16_t> indices;
  std::set<Ed25519PublicKey> holders;
  for (size_t i = 0; i < keys.shares.size(); ++i) {
    const ledger::DedupValidatorShare& s = keys.shares[i];
    const std::string what = "shares[" + std::to_string(i) + "]";
    if (!validators.IndexOf(s.validator)) {
      return InvalidArgumentError(what + ".validator is not a genesis validator");
    }
    if (!holders.insert(s.validator).second) {
      return InvalidArgumentError(what + ".validator holds a share already");
    }
    if (s.index == 0 || s.index > oprf::kMaxParticipants) {
      return InvalidArgumentError(what + ".index must be 1.." +
                                  std::to_string(oprf::kMaxParticipants));
    }
    if (!indices.insert(s.index).second) {
      return InvalidArgumentError(what + ".index " + std::to_string(s.index) + " used twice");
    }
    HITO_RETURN_IF_ERROR(Element(s.public_share, what + ".public_share").status());
  }
  return Status::Ok();
}

}  // namespace

Status ValidateDedupKeys(const ledger::DedupKeySet& keys, const types::ValidatorSet& validators) {
  HITO_ASSIGN_OR_RETURN(zk::Point group, Element(keys.group_key, "group_key"));
  if (keys.quota_per_epoch < ledger::kDedupQuotaPerEpochMin ||
      keys.quota_per_epoch > ledger::kDedupQuotaPerEpochMax) {
    return InvalidArgumentError("quota_per_epoch must be " +
                                std::to_string(ledger::kDedupQuotaPerEpochMin) + ".." +
                                std::to_string(ledger::kDedupQuotaPerEpochMax));
  }
  HITO_RETURN_IF_ERROR(CheckShareList(keys, validators));
  if (keys.threshold == 0 || keys.threshold > keys.shares.size()) {
    return InvalidArgumentError("threshold must be 1.." + std::to_string(keys.shares.size()) +
                                " (the number of shares), got " + std::to_string(keys.threshold));
  }
  return CheckSharesOnOnePolynomial(keys, group);
}

uint16_t DealtThreshold(size_t validators) {
  HITO_ASSERT(validators >= 1 && validators <= oprf::kMaxParticipants);
  return static_cast<uint16_t>(validators - (validators - 1) / 3);
}

Result<DealtDedupKeys> DealDedupKeys(const std::vector<Ed25519PublicKey>& validators,
                                     uint16_t threshold) {
  if (validators.empty() || validators.size() > oprf::kMaxParticipants) {
    return InvalidArgumentError("dedup keys: 1.." + std::to_string(oprf::kMaxParticipants) +
                                " validators");
  }
  zk::Scalar k = zk::Scalar::Random();
  DealtDedupKeys out;
  out.keys.group_key = zk::Point::MulBase(k).bytes();
  out.keys.threshold = threshold;
  Result<std::vector<oprf::KeyShare>> shares =
      oprf::ShareKey(k, threshold, static_cast<uint16_t>(validators.size()));
  k.Wipe();
  if (!shares.ok()) return shares.status().WithContext("dedup keys");
  out.shares = std::move(shares).value();
  for (size_t i = 0; i < validators.size(); ++i) {
    HITO_ASSERT(out.shares[i].index == i + 1);
    out.keys.shares.push_back(
        {validators[i], out.shares[i].index, out.shares[i].public_share.bytes()});
  }
  return out;
}

std::optional<ledger::DedupValidatorShare> ShareOf(const ledger::DedupKeySet& keys,
                                                   const Ed25519PublicKey& validator) {
  for (const ledger::DedupValidatorShare& s : keys.shares) {
    if (s.validator == validator) return s;
  }
  return std::nullopt;
}

Status WriteDedupShareFile(const std::filesystem::path& path, const zk::Scalar& secret) {
  return WriteSeedFile(path, secret.bytes());
}

Status WriteSealedDedupShare(const std::filesystem::path& path, const Hash32& group_key,
                             const oprf::KeyShare& share, const Ed25519PrivateKey& validator_key) {
  Result<zk::dkg::EncryptedShare> box = zk::dkg::EncryptShare(
      zk::dkg::MessageType::kDealing, SealedShareBinding(group_key, share.public_share.bytes()),
      kSealedShareDealer, share.index, validator_key.public_key(), share.secret);
  if (!box.ok()) return box.status().WithContext("sealing the dedup share");
  const std::string text = std::string(kSealedShareHeader) + "\n" + HexEncode(*box) + "\n";
  return WriteFileAtomic(path, text, /*replace=*/true);
}

Result<oprf::KeyShare> LoadDedupShare(const std::filesystem::path& path,
                                      const ledger::DedupKeySet& keys,
                                      const Ed25519PublicKey& validator,
                                      const Ed25519PrivateKey* validator_key) {
  std::optional<ledger::DedupValidatorShare> mine = ShareOf(keys, validator);
  if (!mine) {
    return NotFoundError("this validator holds no share of the chain's dedup key");
  }
  Result<std::string> text = ReadSmallFile(path, kSeedFileMaxBytes);
  if (!text.ok()) return text.status().WithContext("dedup share");
  const bool sealed = text->rfind(kSealedShareHeader, 0) == 0;
  Result<zk::Scalar> secret = InvalidArgumentError("unread");
  if (sealed) {
    if (validator_key == nullptr) {
      return FailedPreconditionError(path.string() + ": a sealed share, and no key to open it");
    }
    const std::string_view body =
        TrimWhitespace(std::string_view(*text).substr(kSealedShareHeader.size()));
    Result<Bytes> raw = HexDecode(body);
    if (!raw.ok() || raw->size() != zk::dkg::kEncryptedShareSize) {
      return InvalidArgumentError(path.string() + ": the sealed share is not " +
                                  std::to_string(zk::dkg::kEncryptedShareSize) + " hex bytes");
    }
    zk::dkg::EncryptedShare box{};
    std::copy(raw->begin(), raw->end(), box.begin());
    secret = zk::dkg::DecryptShare(zk::dkg::MessageType::kDealing,
                                   SealedShareBinding(keys.group_key, mine->public_share),
                                   kSealedShareDealer, mine->index, *validator_key, box);
    if (!secret.ok()) {
      return FailedPreconditionError(path.string() +
                                     " is not this validator's sealed share of "
                                     "public share " +
                                     HexEncode(mine->public_share) + ": " +
                                     secret.status().message());
    }
  } else {
    Result<Ed25519Seed> raw = ReadSeedFile(path);
    if (!raw.ok()) return raw.status().WithContext("dedup share");
    secret = zk::Scalar::Decode(*raw);
    SecureWipe(raw->data(), raw->size());
  }
  SecureWipe(text->data(), text->size());
  if (!secret.ok() || secret->IsZero()) {
    return InvalidArgumentError(path.string() + ": not a canonical nonzero scalar");
  }
  oprf::KeyShare share;
  share.index = mine->index;
  share.secret = *secret;
  secret->Wipe();
  share.public_share = zk::Point::MulBase(share.secret);
  if (share.public_share.bytes() != mine->public_share) {
    share.Wipe();
    return FailedPreconditionError(
        path.string() + " is not the share of public share " + HexEncode(mine->public_share) +
        " (index " + std::to_string(mine->index) + ") that the chain gives this validator");
  }
  return share;
}

}  // namespace hito::node::config
