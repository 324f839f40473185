#include "node/mempool/mempool.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>
#include <system_error>
#include <thread>

#include "base/checked.h"
#include "consensus/ledger/governance.h"
#include "consensus/ledger/ledger.h"
#include "consensus/types/governance.h"
#include "consensus/types/limits.h"
#include "consensus/types/personhood.h"

namespace hito::node::mempool {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
using ledger::TxCode;

AdmitOutcome Refuse(const Hash32& hash, TxCode code, std::string message) {
  AdmitOutcome out;
  out.hash = hash;
  out.code = code;
  out.message = std::move(message);
  return out;
}

AdmitOutcome KnownCommitted(const Hash32& hash, store::TxLocation loc) {
  AdmitOutcome out =
      Refuse(hash, TxCode::kAlreadyKnown,
             "transaction already committed at height " + std::to_string(loc.height) + ", index " +
                 std::to_string(loc.index));
  out.committed = std::move(loc);
  return out;
}

AdmitOutcome KnownPending(const Hash32& hash) {
  AdmitOutcome out = Refuse(hash, TxCode::kAlreadyKnown, "transaction already pending");
  out.pending = true;
  return out;
}

AdmitOutcome StorageFailure(const Hash32& hash, Status status) {
  AdmitOutcome out;
  out.hash = hash;
  out.storage_error = std::move(status);
  return out;
}

// The first byte of a personhood key says what it is (PersonhoodKeys).
constexpr uint8_t kKeyAttestation = 'a';
constexpr uint8_t kKeyPoint = 'p';
constexpr uint8_t kKeyRevocation = 'r';
constexpr uint8_t kKeyClaim = 'c';
constexpr uint8_t kKeyBallot = 'v';
constexpr uint8_t kKeyDkg = 'k';

Bytes KeyOf(uint8_t tag, std::initializer_list<ByteView> parts) {
  Bytes k{tag};
  for (ByteView p : parts) k.insert(k.end(), p.begin(), p.end());
  return k;
}

// The refusal of a personhood transaction whose key `key` is pending already.
AdmitOutcome PendingKeyRefusal(const Hash32& hash, const Bytes& key) {
  switch (key.at(0)) {
    case kKeyClaim:
      return Refuse(hash, TxCode::kAlreadyClaimed,
                    "a claim with this nullifier for this epoch is pending");
    case kKeyBallot:
      // One pending ballot per nullifier: a replacement waits until the first commits.
      return Refuse(hash, TxCode::kBallotRevisions,
                    "a ballot with this nullifier for this round is pending; resubmit the "
                    "replacement once it is committed");
    case kKeyAttestation:
      return Refuse(hash, TxCode::kAttestationUsed,
                    "a registration of this attestation is pending");
    case kKeyPoint:
      return Refuse(hash, TxCode::kIdentityExists, "a registration of this identity is pending");
    case kKeyDkg:
      return Refuse(hash, TxCode::kDkgRefused, "a message for this DKG slot is pending");
    default:
      return Refuse(hash, TxCode::kIdentityNotLive, "a revocation of this identity is pending");
  }
}

const types::Claim* ClaimOf(const PendingTx& ptx) {
  return std::get_if<types::Claim>(&ptx.tx.body);
}

const types::Ballot* BallotOf(const PendingTx& ptx) {
  return std::get_if<types::Ballot>(&ptx.tx.body);
}

// A DKG message's slot: its type, dealer and complainer (0 for a dealing), which the
// ledger fills once per session.
Bytes DkgSlot(const types::DkgMessage& m) {
  const Bytes payload = types::EncodeDkgPayload(m.payload);
  uint16_t dealer = 0;
  uint16_t complainer = 0;
  std::visit(
      [&](const auto& p) {
        dealer = p.dealer;
        if constexpr (requires { p.complainer; }) complainer = p.complainer;
      },
      m.payload);
  return {payload.at(0), static_cast<uint8_t>(dealer >> 8), static_cast<uint8_t>(dealer),
          static_cast<uint8_t>(complainer >> 8), static_cast<uint8_t>(complainer)};
}

bool IsProposal(const PendingTx& ptx) {
  return std::holds_alternative<types::GovernanceProposal>(ptx.tx.body);
}

// Claims and ballots: the transactions that carry a membership proof.
bool HasMembershipProof(const PendingTx& ptx) {
  return ClaimOf(ptx) != nullptr || BallotOf(ptx) != nullptr;
}

Bytes BigEndian64(uint64_t v) {
  Bytes out(8);
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return out;
}

// Whether ballot `b` can still execute in the block after the committed one: a round
// closes at the first block of epoch start_epoch + round_epochs, so a ballot for it
// pending then would only be refused in the block (TX_ROUND_NOT_OPEN).
Result<bool> BallotOpenNext(const ledger::Ledger& ledger, const ledger::KvReader* state,
                            const types::Ballot& b) {
  HITO_ASSIGN_OR_RETURN(const ledger::RoundState rs,
                        ledger::governance::ReadRound(ledger::RegistryStore(state)));
  HITO_ASSIGN_OR_RETURN(const ledger::Params params, ledger.GetParams());
  HITO_ASSIGN_OR_RETURN(const uint64_t height, ledger.Height());
  const uint64_t next_epoch = ledger::EpochOf(params, height + 1);
  return b.round == rs.round && next_epoch < rs.start_epoch + rs.round_epochs;
}

}  // namespace

Mempool::Mempool(std::string chain_id, MempoolLimits limits,
                 std::shared_ptr<const ledger::KvReader> state, CommittedLookup lookup,
                 io::Clock* clock)
    : chain_id_(std::move(chain_id)),
      limits_(limits),
      lookup_(std::move(lookup)),
      clock_(clock),
      state_(std::move(state)) {
  HITO_ASSERT(clock_ != nullptr);
  Result<std::optional<ledger::UbiParams>> ubi =
      ledger::Ledger(chain_id_, state_.get()).GetUbiParams();
  if (ubi.ok() && ubi->has_value()) max_claims_per_block_ = (*ubi)->max_claims_per_block;
}

void Mempool::SetPreparedSets(ledger::PreparedSets* sets) {
  HITO_ASSERT(sets != nullptr);
  sets_ = sets;
}

std::shared_ptr<const ledger::KvReader> Mempool::StateSnapshot() const {
  MutexLock lock(mu_);
  return state_;
}

void Mempool::PersonhoodKeys(PendingTx* ptx) {
  HITO_ASSERT(ptx->keys.empty());
  ptx->personhood = true;
  if (const auto* reg = std::get_if<types::Registration>(&ptx->tx.body)) {
    ptx->keys.push_back(KeyOf(kKeyAttestation, {types::AttestationId(reg->attestation)}));
    ptx->keys.push_back(KeyOf(kKeyPoint, {reg->attestation.identity}));
  } else if (const auto* rev = std::get_if<types::Revocation>(&ptx->tx.body)) {
    ptx->keys.push_back(KeyOf(kKeyRevocation, {rev->attester, rev->identity}));
  } else if (const auto* b = BallotOf(*ptx)) {
    ptx->keys.push_back(KeyOf(kKeyBallot, {BigEndian64(b->round), types::BallotNullifier(*b)}));
  } else if (const auto* d = std::get_if<types::DkgMessage>(&ptx->tx.body)) {
    ptx->keys.push_back(KeyOf(kKeyDkg, {d->session, DkgSlot(*d)}));
  } else {
    const types::Claim& c = std::get<types::Claim>(ptx->tx.body);
    ptx->keys.push_back(KeyOf(kKeyClaim, {BigEndian64(c.epoch), types::ClaimNullifier(c)}));
  }
  HITO_ASSERT(!ptx->keys.empty());
}

std::optional<AdmitOutcome> Mempool::CheckPersonhood(const PendingTx& ptx,
                                                     const ledger::KvReader* state) const {
  HITO_ASSERT(ptx.personhood);
  if (HasMembershipProof(ptx)) return std::nullopt;  // VerifyMembership, with the batch
  ledger::Ledger ledger(chain_id_, state);
  // Signatures and the proof of possession too: this runs outside the lock.
  ledger::TxResult r = ledger.CheckTransaction(ptx.tx, 0, ledger::SignatureCheck::kVerify);
  if (!r.ok()) return Refuse(ptx.hash, r.code, r.message);
  return std::nullopt;
}

void Mempool::VerifyMembership(const std::vector<std::shared_ptr<PendingTx>>& ptxs,
                               const ledger::KvReader* state, std::vector<uint8_t>* refused,
                               std::vector<AdmitOutcome>* out) {
  ledger::Ledger ledger(chain_id_, state);
  std::vector<ledger::ubi::MembershipStatement> statements;
  std::vector<size_t> owner;  // statements[k] belongs to ptxs[owner[k]]
  for (size_t i = 0; i < ptxs.size(); ++i) {
    if ((*refused)[i] || !HasMembershipProof(*ptxs[i])) continue;
    const PendingTx& ptx = *ptxs[i];
    bool verified = false;
    {
      MutexLock lock(mu_);
      if (personhood_keys_.count(ptx.keys[0]) != 0) {
        (*out)[i] = PendingKeyRefusal(ptx.hash, ptx.keys[0]);
        (*refused)[i] = 1;
        continue;
      }
      verified = verified_.count(ptx.hash) != 0;
    }
    Result<ledger::ubi::MembershipCheck> check =
        ClaimOf(ptx) ? ledger.PrepareClaim(*ClaimOf(ptx)) : ledger.PrepareBallot(*BallotOf(ptx));
    if (!check.ok() || !check->statement) {
      (*out)[i] = check.ok() ? Refuse(ptx.hash, check->refusal.code, check->refusal.message)
                             : StorageFailure(ptx.hash, check.status());
      (*refused)[i] = 1;
      continue;
    }
    if (verified) continue;
    statements.push_back(std::move(*check->statement));
    owner.push_back(i);
  }
  if (statements.empty()) return;
  std::vector<const ledger::ubi::MembershipStatement*> ptrs;
  for (const auto& s : statements) ptrs.push_back(&s);
  const ledger::RegistryStore store(state);
  Result<ledger::ubi::VerifyOutcome> v = ledger::ubi::VerifyStatements(
      store, chain_id_, ptrs, sets_ != nullptr ? sets_ : ledger.prepared_sets(),
      zk::proof::membership::BatchMode::kAllInvalid);
  MutexLock lock(mu_);
  for (size_t k = 0; k < owner.size(); ++k) {
    const size_t i = owner[k];
    if (!v.ok() || !v->valid[k]) {
      (*out)[i] = v.ok() ? Refuse(ptxs[i]->hash, TxCode::kBadProof,
                                  std::string("membership proof does not verify for this ") +
                                      (ClaimOf(*ptxs[i]) ? "claim" : "ballot"))
                         : StorageFailure(ptxs[i]->hash, v.status());
      (*refused)[i] = 1;
    } else {
      RememberVerifiedLocked(ptxs[i]->hash);
    }
  }
}

std::optional<AdmitOutcome> Mempool::PreCheck(ByteView tx_bytes,
                                              const std::shared_ptr<PendingTx>& ptx) {
  const Hash32 hash = types::TransactionHash(tx_bytes);
  ptx->hash = hash;
  if (tx_bytes.size() > types::kTxMaxBytes) {
    return Refuse(hash, TxCode::kTooLarge,
                  "transaction is " + std::to_string(tx_bytes.size()) + " bytes, limit " +
                      std::to_string(types::kTxMaxBytes));
  }
  {
    MutexLock lock(mu_);
    if (txs_.count(hash) != 0) return KnownPending(hash);
  }
  Result<std::optional<store::TxLocation>> committed = lookup_(hash);
  if (!committed.ok()) {
    AdmitOutcome out;
    out.hash = hash;
    out.storage_error = committed.status();
    return out;
  }
  if (committed->has_value()) return KnownCommitted(hash, std::move(**committed));

  Result<types::Transaction> decoded = types::DecodeTransaction(tx_bytes);
  if (!decoded.ok()) {
    TxCode code = decoded.status().code() == StatusCode::kUnimplemented ? TxCode::kUnsupportedKind
                                                                        : TxCode::kMalformed;
    return Refuse(hash, code, decoded.status().message());
  }
  ptx->tx = std::move(decoded).value();
  if (!ledger::TxKindEnabled(ptx->tx.kind())) {
    return Refuse(
        hash, TxCode::kUnsupportedKind,
        std::string("kind ") + std::string(types::TxKindName(ptx->tx.kind())) + " is not enabled");
  }
  const std::optional<types::SignedFields> signed_fields = types::SignedFieldsOf(ptx->tx);
  if (!signed_fields) {
    PersonhoodKeys(ptx.get());
    ptx->bytes = ToBytes(tx_bytes);
    return std::nullopt;
  }
  const std::string& chain_id = *signed_fields->chain_id;
  if (chain_id != chain_id_) {
    return Refuse(hash, TxCode::kWrongChain,
                  "transaction is for chain \"" + chain_id + "\", this is \"" + chain_id_ + "\"");
  }
  ptx->sender = types::AccountIdFromPublicKey(*signed_fields->sender);
  ptx->nonce = signed_fields->nonce;
  ptx->bytes = ToBytes(tx_bytes);
  return std::nullopt;
}

// After the signature (the refusal order of the single-tx path): what leaves the sender's
// balance, amount + fee for a transfer, deposit + fee for a proposal.
std::optional<AdmitOutcome> Mempool::VerifyAndSum(PendingTx* ptx) {
  const auto* t = std::get_if<types::Transfer>(&ptx->tx.body);
  const auto* p = std::get_if<types::GovernanceProposal>(&ptx->tx.body);
  HITO_ASSERT((t == nullptr) != (p == nullptr));
  if (t ? !types::VerifyTransferSignature(*t) : !types::VerifyProposalSignature(*p)) {
    return Refuse(ptx->hash, TxCode::kBadSignature, "signature does not verify for the sender key");
  }
  const uint64_t fee = t ? t->fee : p->fee;
  std::optional<uint64_t> spend = CheckedAdd(t ? t->amount : p->deposit, fee);
  if (!spend) {
    return Refuse(ptx->hash, TxCode::kAmountOverflow,
                  t ? "amount + fee overflows" : "deposit + fee overflows");
  }
  ptx->spend = *spend;
  ptx->fee = fee;
  return std::nullopt;
}

AdmitOutcome Mempool::Admit(ByteView tx_bytes) {
  // The checks of a batch of one, in the same order; the expensive ones run outside the
  // lock, so handler threads verify in parallel.
  return std::move(AdmitBatch({tx_bytes})[0]);
}

std::vector<AdmitOutcome> Mempool::AdmitBatch(const std::vector<ByteView>& txs) {
  const size_t n = txs.size();
  std::vector<AdmitOutcome> out(n);
  std::vector<std::shared_ptr<PendingTx>> ptxs(n);
  std::vector<uint8_t> refused(n, 0);
  const std::shared_ptr<const ledger::KvReader> state = StateSnapshot();
  // Stateless checks and signatures for items [from, to).
  auto check = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      ptxs[i] = std::make_shared<PendingTx>();
      std::optional<AdmitOutcome> r = PreCheck(txs[i], ptxs[i]);
      if (!r) {
        r = ptxs[i]->personhood ? CheckPersonhood(*ptxs[i], state.get())
                                : VerifyAndSum(ptxs[i].get());
      }
      if (r) {
        out[i] = std::move(*r);
        refused[i] = 1;
      }
    }
  };
  // A signature costs ~50 us: a batch this large is worth a second thread (the peer
  // dispatcher calls this from a single thread).
  constexpr size_t kParallelFrom = 32;
  if (n >= kParallelFrom) {
    std::thread helper;
    try {
      helper = std::thread(check, n / 2, n);
    } catch (const std::system_error&) {
      // No thread to be had (resource limits): check the second half here too.
    }
    check(0, n / 2);
    if (helper.joinable()) {
      helper.join();
    } else {
      check(n / 2, n);
    }
  } else {
    check(0, n);
  }
  VerifyMembership(ptxs, state.get(), &refused, &out);
  MutexLock lock(mu_);
  ExpireLocked();
  for (size_t i = 0; i < n; ++i) {
    if (!refused[i]) out[i] = CheckAndInsertLocked(std::move(ptxs[i]));
  }
  return out;
}

AdmitOutcome Mempool::CheckAndInsertPersonhoodLocked(std::shared_ptr<PendingTx> ptx) {
  const Hash32 hash = ptx->hash;
  for (const Bytes& key : ptx->keys) {
    if (personhood_keys_.count(key) != 0) return PendingKeyRefusal(hash, key);
  }
  // The state may have moved since the checks outside the lock: the cheap checks again.
  ledger::Ledger ledger(chain_id_, state_.get());
  if (const types::Claim* c = ClaimOf(*ptx)) {
    Result<bool> used = ledger::ubi::NullifierUsed(ledger::RegistryStore(state_.get()), c->epoch,
                                                   types::ClaimNullifier(*c));
    if (!used.ok()) return StorageFailure(hash, used.status());
    if (*used) return Refuse(hash, TxCode::kAlreadyClaimed, "nullifier already used in this epoch");
  } else {
    // Ballots: PrepareBallot's rules (round, revisions) on the state of the moment.
    ledger::TxResult r =
        ledger.CheckTransaction(ptx->tx, 0, ledger::SignatureCheck::kAlreadyVerified);
    if (!r.ok()) return Refuse(hash, r.code, r.message);
  }
  if (const types::Ballot* b = BallotOf(*ptx)) {
    Result<bool> open = BallotOpenNext(ledger, state_.get(), *b);
    if (!open.ok()) return StorageFailure(hash, open.status());
    if (!*open) {
      return Refuse(hash, TxCode::kRoundNotOpen,
                    "round " + std::to_string(b->round) + " closes before the next block");
    }
  }
  // They pay no fee, so they displace nothing and nothing displaces them.
  if (txs_.size() + 1 > limits_.max_txs || total_bytes_ + ptx->bytes.size() > limits_.max_bytes) {
    AdmitOutcome out = Refuse(hash, TxCode::kMempoolFull,
                              "mempool holds " + std::to_string(txs_.size()) + " transactions, " +
                                  std::to_string(total_bytes_) + " bytes: retry later");
    out.refusal = PoolRefusal::kPoolFull;
    return out;
  }
  for (const Bytes& key : ptx->keys) personhood_keys_.emplace(key, hash);
  ptx->seq = next_seq_++;
  ptx->admitted_at = clock_->Now();
  by_seq_.emplace(ptx->seq, hash);
  personhood_by_seq_.emplace(ptx->seq, hash);
  total_bytes_ += ptx->bytes.size();
  dropped_.erase(hash);
  AdmitOutcome out;
  out.hash = hash;
  out.admitted = ptx;
  txs_.emplace(hash, std::move(ptx));
  HITO_ASSERT(txs_.size() <= limits_.max_txs && total_bytes_ <= limits_.max_bytes);
  return out;
}

AdmitOutcome Mempool::CheckAndInsertLocked(std::shared_ptr<PendingTx> ptx) {
  const Hash32 hash = ptx->hash;
  if (txs_.count(hash) != 0) return KnownPending(hash);
  if (ptx->personhood) return CheckAndInsertPersonhoodLocked(std::move(ptx));
  SenderQueue* queue = nullptr;
  if (auto it = senders_.find(ptx->sender); it != senders_.end()) queue = &it->second;
  const uint64_t pending = queue ? queue->by_nonce.size() : 0;
  const uint64_t pending_spend = queue ? queue->spend : 0;

  ledger::Ledger ledger(chain_id_, state_.get());
  ledger::TxResult r =
      ledger.CheckTransaction(ptx->tx, pending, ledger::SignatureCheck::kAlreadyVerified);
  if (!r.ok()) {
    if (r.code == TxCode::kNonceTooLow) {
      // It may have been committed between the lookup above and now.
      Result<std::optional<store::TxLocation>> committed = lookup_(hash);
      if (committed.ok() && committed->has_value())
        return KnownCommitted(hash, std::move(**committed));
    }
    return Refuse(hash, r.code, r.message);
  }
  if (pending_spend > 0) {
    Result<ledger::Account> acct = ledger.GetAccount(ptx->sender);
    if (!acct.ok()) {
      AdmitOutcome out;
      out.hash = hash;
      out.storage_error = acct.status();
      return out;
    }
    std::optional<uint64_t> need = CheckedAdd(pending_spend, ptx->spend);
    if (!need || *need > acct->balance) {
      return Refuse(hash, TxCode::kInsufficientFunds,
                    "balance " + std::to_string(acct->balance) + " minus pending spends " +
                        std::to_string(pending_spend) + " is less than amount + fee " +
                        std::to_string(ptx->spend));
    }
  }
  if (std::optional<AdmitOutcome> no_room = CheckProposalRoomLocked(*ptx)) {
    return std::move(*no_room);
  }
  if (std::optional<AdmitOutcome> over = CheckSenderCapLocked(*ptx)) return std::move(*over);
  std::vector<Hash32> evicted;
  if (std::optional<AdmitOutcome> full = MakeRoomLocked(*ptx, &evicted)) return std::move(*full);
  for (const Hash32& h : evicted) {
    RemoveLocked(h);
    RememberDroppedLocked(h, DropReason::kEvicted);
  }
  SenderQueue& q = senders_[ptx->sender];
  q.by_nonce.emplace(ptx->nonce, hash);
  q.spend = CheckedAdd(q.spend, ptx->spend).value_or(UINT64_MAX);
  q.bytes += ptx->bytes.size();
  pending_proposals_ += IsProposal(*ptx) ? 1 : 0;
  ptx->seq = next_seq_++;
  ptx->admitted_at = clock_->Now();
  by_seq_.emplace(ptx->seq, hash);
  total_bytes_ += ptx->bytes.size();
  dropped_.erase(hash);  // admitted again: pending, no longer dropped
  AdmitOutcome out;
  out.hash = hash;
  out.admitted = ptx;
  out.evicted = std::move(evicted);
  txs_.emplace(hash, std::move(ptx));
  RefreshTailLocked(&q);
  HITO_ASSERT(txs_.size() <= limits_.max_txs && total_bytes_ <= limits_.max_bytes);
  return out;
}

std::optional<AdmitOutcome> Mempool::CheckProposalRoomLocked(const PendingTx& ptx) const {
  if (!IsProposal(ptx)) return std::nullopt;
  const ledger::RegistryStore store(state_.get());
  Result<std::optional<ledger::GovernanceParams>> gp = ledger::governance::ReadParams(store);
  if (!gp.ok()) return StorageFailure(ptx.hash, gp.status());
  // CheckTransaction passed, so governance is enabled.
  if (!gp->has_value()) return std::nullopt;
  Result<ledger::RoundState> round = ledger::governance::ReadRound(store);
  if (!round.ok()) return StorageFailure(ptx.hash, round.status());
  Result<uint32_t> committed = ledger::governance::ProposalsInRound(store, round->round);
  if (!committed.ok()) return StorageFailure(ptx.hash, committed.status());
  const uint64_t max = (*gp)->max_proposals_per_round;
  if (uint64_t{*committed} + pending_proposals_ < max) return std::nullopt;
  return Refuse(ptx.hash, TxCode::kProposalsPerRound,
                "round " + std::to_string(round->round) + " holds " + std::to_string(*committed) +
                    " proposals and " + std::to_string(pending_proposals_) +
                    " more are pending, the most it may hold is " + std::to_string(max) +
                    ": submit it in the next round");
}

std::optional<AdmitOutcome> Mempool::CheckSenderCapLocked(const PendingTx& ptx) const {
  auto it = senders_.find(ptx.sender);
  const uint64_t count = it == senders_.end() ? 0 : it->second.by_nonce.size();
  const uint64_t bytes = it == senders_.end() ? 0 : it->second.bytes;
  if (count + 1 <= limits_.max_txs_per_sender &&
      bytes + ptx.bytes.size() <= limits_.max_bytes_per_sender) {
    return std::nullopt;
  }
  AdmitOutcome out = Refuse(ptx.hash, TxCode::kMempoolFull,
                            "sender has " + std::to_string(count) + " pending transactions, " +
                                std::to_string(bytes) + " bytes (limit " +
                                std::to_string(limits_.max_txs_per_sender) + ", " +
                                std::to_string(limits_.max_bytes_per_sender) +
                                " bytes per sender); wait for some to commit");
  out.refusal = PoolRefusal::kSenderOverCap;
  return out;
}

std::optional<AdmitOutcome> Mempool::MakeRoomLocked(const PendingTx& ptx,
                                                    std::vector<Hash32>* evicted) {
  HITO_ASSERT(evicted->empty());
  const uint64_t size = ptx.bytes.size();
  uint64_t count_after = txs_.size() + 1;
  uint64_t bytes_after = total_bytes_ + size;
  auto fits = [&] { return count_after <= limits_.max_txs && bytes_after <= limits_.max_bytes; };
  if (fits()) return std::nullopt;
  // Plan without touching the pool (all or nothing): displacing a tail makes that
  // sender's previous nonce its next candidate, kept in `promoted`.
  std::map<EvictKey, types::AccountId> promoted;
  std::map<types::AccountId, std::map<uint64_t, Hash32>::const_reverse_iterator> cursor;
  auto tail_it = tails_.begin();
  bool own_only = true;
  while (!fits()) {
    while (tail_it != tails_.end() &&
           (tail_it->second == ptx.sender || cursor.count(tail_it->second) != 0)) {
      ++tail_it;
    }
    const bool from_tails =
        tail_it != tails_.end() && (promoted.empty() || tail_it->first < promoted.begin()->first);
    if (!from_tails && promoted.empty()) break;
    const auto [key, sender] = from_tails ? *tail_it : *promoted.begin();
    own_only = false;
    if (key.fee >= ptx.fee) break;
    const SenderQueue& q = senders_.at(sender);
    auto& cur = cursor.try_emplace(sender, q.by_nonce.rbegin()).first->second;
    const PendingTx& victim = *txs_.at(cur->second);
    evicted->push_back(victim.hash);
    --count_after;
    bytes_after -= victim.bytes.size();
    if (from_tails) {
      ++tail_it;
    } else {
      promoted.erase(promoted.begin());
    }
    if (++cur != q.by_nonce.rend()) {
      const PendingTx& next = *txs_.at(cur->second);
      promoted.emplace(EvictKey{next.fee, next.seq}, sender);
    }
  }
  if (fits()) return std::nullopt;
  evicted->clear();
  AdmitOutcome out =
      Refuse(ptx.hash, TxCode::kMempoolFull,
             "mempool holds " + std::to_string(txs_.size()) + " transactions, " +
                 std::to_string(total_bytes_) + " bytes (limit " + std::to_string(limits_.max_txs) +
                 ", " + std::to_string(limits_.max_bytes) + " bytes)" +
                 (own_only ? "; only the sender's own transactions are pending: retry later"
                           : "; a fee of " + std::to_string(ptx.fee) +
                                 " does not displace enough pending transactions: raise the "
                                 "fee or retry later"));
  out.refusal = own_only ? PoolRefusal::kPoolFull : PoolRefusal::kFeeTooLowToEvict;
  return out;
}

std::vector<std::shared_ptr<const PendingTx>> Mempool::Reap(uint32_t max_txs,
                                                            uint64_t max_bytes) const {
  MutexLock lock(mu_);
  std::vector<std::shared_ptr<const PendingTx>> out;
  out.reserve(std::min<size_t>(max_txs, txs_.size()));
  std::set<types::AccountId> blocked;  // senders with a skipped tx: take none of their later ones
  uint64_t bytes = 0;
  uint32_t proofs = 0;  // claims and ballots
  const io::Clock::TimePoint now = clock_->Now();
  // DKG messages first, whatever waits before them: they are few (one per slot of the
  // open session) and count only inside their phase's blocks. Found through their slot
  // keys (tag kKeyDkg), not by a scan of the whole pool, and taken in arrival order.
  std::vector<std::shared_ptr<PendingTx>> dkg;
  for (auto it = personhood_keys_.lower_bound(Bytes{kKeyDkg});
       it != personhood_keys_.end() && it->first.front() == kKeyDkg; ++it) {
    dkg.push_back(txs_.at(it->second));
  }
  std::sort(dkg.begin(), dkg.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
  for (const std::shared_ptr<PendingTx>& ptx : dkg) {
    if (out.size() >= max_txs) break;
    if (bytes + ptx->bytes.size() > max_bytes || ExpiredAt(*ptx, now)) continue;
    bytes += ptx->bytes.size();
    out.push_back(ptx);
  }
  for (const auto& [seq, hash] : by_seq_) {
    if (out.size() >= max_txs) break;
    const std::shared_ptr<PendingTx>& ptx = txs_.at(hash);
    if (ptx->tx.kind() == types::TxKind::kDkg) continue;  // taken above
    if (ptx->personhood) {
      const bool proof = HasMembershipProof(*ptx);
      // A block holds at most max_claims_per_block membership proofs, claims and ballots
      // together (more would be refused).
      if ((proof && proofs >= max_claims_per_block_) || bytes + ptx->bytes.size() > max_bytes ||
          ExpiredAt(*ptx, now)) {
        continue;
      }
      proofs += proof ? 1 : 0;
      bytes += ptx->bytes.size();
      out.push_back(ptx);
      continue;
    }
    if (!blocked.empty() && blocked.count(ptx->sender) != 0) continue;
    // Expired but not yet removed (no admission or commit since): not proposed.
    if (bytes + ptx->bytes.size() > max_bytes || ExpiredAt(*ptx, now)) {
      blocked.insert(ptx->sender);
      continue;
    }
    bytes += ptx->bytes.size();
    out.push_back(ptx);
  }
  return out;
}

void Mempool::RemoveLocked(const Hash32& hash) {
  auto it = txs_.find(hash);
  if (it == txs_.end()) return;
  const PendingTx& ptx = *it->second;
  if (ptx.personhood) {
    for (const Bytes& key : ptx.keys) personhood_keys_.erase(key);
    personhood_by_seq_.erase(ptx.seq);
    by_seq_.erase(ptx.seq);
    total_bytes_ -= ptx.bytes.size();
    txs_.erase(it);
    return;
  }
  auto s = senders_.find(ptx.sender);
  HITO_ASSERT(s != senders_.end());
  SenderQueue& q = s->second;
  q.by_nonce.erase(ptx.nonce);
  q.spend = q.spend >= ptx.spend ? q.spend - ptx.spend : 0;
  q.bytes -= ptx.bytes.size();
  if (IsProposal(ptx)) {
    HITO_ASSERT(pending_proposals_ > 0);
    --pending_proposals_;
  }
  RefreshTailLocked(&q);
  if (q.by_nonce.empty()) senders_.erase(s);
  by_seq_.erase(ptx.seq);
  total_bytes_ -= ptx.bytes.size();
  txs_.erase(it);
}

void Mempool::RefreshTailLocked(SenderQueue* q) {
  if (q->tail) {
    tails_.erase(*q->tail);
    q->tail.reset();
  }
  if (q->by_nonce.empty()) return;
  const PendingTx& last = *txs_.at(q->by_nonce.rbegin()->second);
  q->tail = EvictKey{last.fee, last.seq};
  tails_.emplace(*q->tail, last.sender);
}

bool Mempool::ExpiredAt(const PendingTx& ptx, io::Clock::TimePoint now) const {
  return now - ptx.admitted_at >= std::chrono::milliseconds(limits_.tx_ttl_ms);
}

size_t Mempool::ExpireLocked() {
  const io::Clock::TimePoint now = clock_->Now();
  size_t removed = 0;
  // Arrival order is admission-time order, so the expired ones are a prefix of by_seq_.
  while (!by_seq_.empty()) {
    const PendingTx& oldest = *txs_.at(by_seq_.begin()->second);
    if (!ExpiredAt(oldest, now)) break;
    if (oldest.personhood) {
      const Hash32 h = oldest.hash;
      RemoveLocked(h);
      RememberDroppedLocked(h, DropReason::kExpired);
      ++removed;
      continue;
    }
    // It and its sender's later nonces, from the tail down (they cannot execute without it).
    const types::AccountId sender = oldest.sender;
    const uint64_t nonce = oldest.nonce;
    std::vector<Hash32> chain;
    const SenderQueue& q = senders_.at(sender);
    for (auto n = q.by_nonce.rbegin(); n != q.by_nonce.rend() && n->first >= nonce; ++n) {
      chain.push_back(n->second);
    }
    for (const Hash32& h : chain) {
      RemoveLocked(h);
      RememberDroppedLocked(h, DropReason::kExpired);
    }
    removed += chain.size();
  }
  return removed;
}

void Mempool::RememberDroppedLocked(const Hash32& hash, DropReason reason) {
  const uint64_t id = next_drop_id_++;
  dropped_[hash] = {reason, id};
  dropped_order_.emplace_back(hash, id);
  while (dropped_order_.size() > kDroppedRemembered) {
    auto [old_hash, old_id] = dropped_order_.front();
    dropped_order_.pop_front();
    auto it = dropped_.find(old_hash);
    if (it != dropped_.end() && it->second.second == old_id) dropped_.erase(it);
  }
  HITO_ASSERT(dropped_.size() <= kDroppedRemembered);
}

size_t Mempool::Expire() {
  MutexLock lock(mu_);
  return ExpireLocked();
}

std::optional<DropReason> Mempool::DroppedReason(const Hash32& hash) const {
  MutexLock lock(mu_);
  auto it = dropped_.find(hash);
  if (it == dropped_.end()) return std::nullopt;
  return it->second.first;
}

void Mempool::Update(const std::vector<CommittedTx>& committed,
                     std::shared_ptr<const ledger::KvReader> state) {
  MutexLock lock(mu_);
  state_ = std::move(state);
  std::set<types::AccountId> affected;
  for (const CommittedTx& c : committed) {
    RemoveLocked(c.hash);
    affected.insert(c.sender);
  }
  for (const types::AccountId& sender : affected) RecheckSenderLocked(sender);
  RecheckPersonhoodLocked();
  ExpireLocked();
}

void Mempool::RecheckPersonhoodLocked() {
  ledger::Ledger ledger(chain_id_, state_.get());
  Result<std::optional<ledger::UbiParams>> ubi = ledger.GetUbiParams();
  Result<std::optional<ledger::RegistryParams>> rp = ledger.GetRegistryParams();
  Result<ledger::Params> params = ledger.GetParams();
  Result<uint64_t> height = ledger.Height();
  // A storage failure: keep the txs; the block path stops the node.
  if (!ubi.ok() || !rp.ok() || !params.ok() || !height.ok()) return;
  if (ubi->has_value()) max_claims_per_block_ = (*ubi)->max_claims_per_block;
  if (personhood_by_seq_.empty() || !rp->has_value()) return;
  // Claims must be open in the next block's epoch: at an epoch start the window moves.
  const uint64_t oldest = ledger::ubi::OldestOpenEpoch(**rp, ledger::EpochOf(*params, *height + 1));
  const ledger::RegistryStore store(state_.get());
  std::vector<Hash32> drop;
  for (const auto& [seq, hash] : personhood_by_seq_) {
    const PendingTx& ptx = *txs_.at(hash);
    if (const types::Claim* c = ClaimOf(ptx)) {
      Result<bool> used = ledger::ubi::NullifierUsed(store, c->epoch, types::ClaimNullifier(*c));
      if (c->epoch < oldest || (used.ok() && *used)) drop.push_back(hash);
      continue;
    }
    // Ballots: PrepareBallot's rules, then their round must still be open next block.
    ledger::TxResult r =
        ledger.CheckTransaction(ptx.tx, 0, ledger::SignatureCheck::kAlreadyVerified);
    if (!r.ok() && r.code != TxCode::kStateUnavailable) {
      drop.push_back(hash);
    } else if (const types::Ballot* b = BallotOf(ptx)) {
      Result<bool> open = BallotOpenNext(ledger, state_.get(), *b);
      if (open.ok() && !*open) drop.push_back(hash);
    }
  }
  for (const Hash32& h : drop) RemoveLocked(h);
}

void Mempool::RememberVerifiedLocked(const Hash32& hash) {
  const uint64_t id = next_verified_id_++;
  verified_[hash] = id;
  verified_order_.emplace_back(hash, id);
  while (verified_order_.size() > kVerifiedProofsRemembered) {
    auto [old_hash, old_id] = verified_order_.front();
    verified_order_.pop_front();
    auto it = verified_.find(old_hash);
    if (it != verified_.end() && it->second == old_id) verified_.erase(it);
  }
  HITO_ASSERT(verified_.size() <= kVerifiedProofsRemembered);
}

bool Mempool::ProofVerified(const Hash32& hash) const {
  MutexLock lock(mu_);
  return verified_.count(hash) != 0;
}

void Mempool::RememberVerifiedProofs(const std::vector<Hash32>& hashes) {
  MutexLock lock(mu_);
  for (const Hash32& h : hashes) RememberVerifiedLocked(h);
}

void Mempool::RecheckSenderLocked(const types::AccountId& sender) {
  auto it = senders_.find(sender);
  if (it == senders_.end()) return;
  ledger::Ledger ledger(chain_id_, state_.get());
  Result<ledger::Account> acct = ledger.GetAccount(sender);
  if (!acct.ok()) return;  // a storage failure: keep the txs; the block path stops the node
  SenderQueue& q = it->second;
  // Fast path: nonces still start at the account's and the balance covers every spend.
  if (!q.by_nonce.empty() && q.by_nonce.begin()->first == acct->nonce && q.spend <= acct->balance) {
    return;
  }
  std::vector<Hash32> order;
  for (const auto& [nonce, hash] : q.by_nonce) order.push_back(hash);
  std::vector<Hash32> drop;
  uint64_t pending = 0;
  uint64_t spend = 0;
  bool invalid_from_here = false;
  for (const Hash32& hash : order) {
    const PendingTx& ptx = *txs_.at(hash);
    if (invalid_from_here) {
      drop.push_back(hash);
      continue;
    }
    if (ptx.nonce < acct->nonce) {  // its nonce was used by a committed tx
      drop.push_back(hash);
      continue;
    }
    ledger::TxResult r =
        ledger.CheckTransaction(ptx.tx, pending, ledger::SignatureCheck::kAlreadyVerified);
    std::optional<uint64_t> need = CheckedAdd(spend, ptx.spend);
    if (!r.ok() || !need || *need > acct->balance) {
      drop.push_back(hash);
      invalid_from_here = true;  // later nonces now have a gap
      continue;
    }
    ++pending;
    spend = *need;
  }
  for (auto h = drop.rbegin(); h != drop.rend(); ++h) RemoveLocked(*h);
}

std::shared_ptr<const PendingTx> Mempool::Get(const Hash32& hash) const {
  MutexLock lock(mu_);
  auto it = txs_.find(hash);
  if (it == txs_.end()) return nullptr;
  return it->second;
}

size_t Mempool::size() const {
  MutexLock lock(mu_);
  return txs_.size();
}

uint64_t Mempool::bytes() const {
  MutexLock lock(mu_);
  return total_bytes_;
}

}  // namespace hito::node::mempool
