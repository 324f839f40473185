#include "node/dedup/dkg_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>
#include <utility>
#include <vector>

#include "base/hex.h"
#include "consensus/ledger/registry.h"
#include "consensus/types/transaction.h"
#include "node/config/dedup_keys.h"

namespace hito::node::dedup {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;
namespace zdkg = zk::dkg;

// 1-based index of `key` in `members`, 0 when absent.
uint16_t IndexOf(const std::vector<Ed25519PublicKey>& members, const Ed25519PublicKey& key) {
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i] == key) return static_cast<uint16_t>(i + 1);
  }
  return 0;
}

std::string Short(const Hash32& id) { return HexEncode(id).substr(0, 12); }

bool HasDealing(const ledger::DkgMessages& m, uint16_t dealer) {
  return std::any_of(m.dealings.begin(), m.dealings.end(),
                     [&](const auto& d) { return d.dealer == dealer; }) ||
         std::any_of(m.reshares.begin(), m.reshares.end(),
                     [&](const auto& d) { return d.dealer == dealer; });
}

bool HasComplaint(const ledger::DkgMessages& m, uint16_t dealer, uint16_t complainer) {
  return std::any_of(m.complaints.begin(), m.complaints.end(), [&](const zdkg::Complaint& c) {
    return c.dealer == dealer && c.complainer == complainer;
  });
}

bool HasJustification(const ledger::DkgMessages& m, uint16_t dealer, uint16_t complainer) {
  return std::any_of(m.justifications.begin(), m.justifications.end(),
                     [&](const zdkg::Justification& j) {
                       return j.dealer == dealer && j.complainer == complainer;
                     });
}

}  // namespace

DkgDriver::DkgDriver(DkgDriverOptions options, Ed25519PrivateKey key, const store::Store* store,
                     DedupKeyring* keyring, SubmitTx submit)
    : options_(std::move(options)),
      key_(std::move(key)),
      store_(store),
      keyring_(keyring),
      submit_(std::move(submit)) {}

Result<std::unique_ptr<DkgDriver>> DkgDriver::Open(DkgDriverOptions options, Ed25519PrivateKey key,
                                                   const store::Store* store, DedupKeyring* keyring,
                                                   SubmitTx submit) {
  std::unique_ptr<DkgDriver> d(
      new DkgDriver(std::move(options), std::move(key), store, keyring, std::move(submit)));
  std::shared_ptr<const store::StateView> state = store->State();
  const ledger::RegistryStore rs(state.get());
  HITO_RETURN_IF_ERROR(d->SyncKeys(rs));
  return d;
}

DkgDriver::~DkgDriver() { Stop(); }

void DkgDriver::Start() {
  MutexLock lock(mu_);
  if (thread_.joinable() || stopping_) return;
  // One pass at once over the state the node starts from (the genesis DKG's dealing
  // phase opens at block 1), not only after the next commit.
  committed_ = std::max(committed_, done_ + 1);
  thread_ = std::thread([this] { Run(); });
}

void DkgDriver::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    cv_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

void DkgDriver::OnCommit(uint64_t height) {
  MutexLock lock(mu_);
  committed_ = std::max(committed_, height);
  cv_.NotifyAll();
}

void DkgDriver::Run() {
  for (;;) {
    {
      MutexLock lock(mu_);
      while (!stopping_ && committed_ <= done_) cv_.Wait(mu_);
      if (stopping_) return;
      done_ = committed_;
    }
    // One pass reads the newest committed state, so heights that arrived meanwhile are
    // covered by it.
    Status s = Step();
    if (!s.ok()) spdlog::error("dedup DKG: {}", s.ToString());
  }
}

Status DkgDriver::Step() {
  std::shared_ptr<const store::StateView> state = store_->State();
  const ledger::RegistryStore rs(state.get());
  HITO_RETURN_IF_ERROR(SyncKeys(rs));
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::DkgSession> session, ledger::dkg::ReadSession(rs));
  if (!session || session->id != session_id_) {
    // The session we knew has ended (or another opened): its secret has no further use.
    dealer_secret_.reset();
    checked_.clear();
    sent_.clear();
    session_id_ = session ? session->id : Hash32{};
  }
  if (!session) return Status::Ok();
  return Act(rs, state->height(), *session);
}

Status DkgDriver::Act(const ledger::RegistryStore& state, uint64_t height,
                      const ledger::DkgSession& s) {
  const Ed25519PublicKey& me = key_.public_key();
  const uint16_t as_dealer = IndexOf(s.dealers, me);
  const uint16_t as_recipient = IndexOf(s.recipients, me);
  if (as_dealer == 0 && as_recipient == 0) return Status::Ok();
  HITO_ASSIGN_OR_RETURN(ledger::DkgMessages msgs, ledger::dkg::ReadMessages(state));
  const Pass pass{s, msgs, height, zdkg::Committee{s.recipients, s.threshold}};
  const uint64_t next = height + 1;  // the block our messages can enter first
  if (as_dealer != 0 && next > s.start_height && next <= s.dealing_until &&
      !HasDealing(msgs, as_dealer)) {
    HITO_RETURN_IF_ERROR(Deal(pass, as_dealer));
  }
  if (as_recipient != 0 && next > s.dealing_until && next <= s.complaints_until) {
    HITO_RETURN_IF_ERROR(CheckDealings(pass, as_recipient));
  }
  if (as_dealer != 0 && next > s.complaints_until && next <= s.justifications_until) {
    HITO_RETURN_IF_ERROR(Justify(pass, as_dealer));
  }
  return Status::Ok();
}

Status DkgDriver::RebuildDealerSecret(const Pass& pass, uint16_t as_dealer) {
  const ledger::DkgSession& s = pass.session;
  const bool reshare = s.kind == ledger::DkgKind::kReshare;
  const zdkg::DealingFields* mine = nullptr;
  for (const zdkg::Dealing& d : pass.msgs.dealings) {
    if (!reshare && d.dealer == as_dealer) mine = &d;
  }
  for (const zdkg::ReshareDealing& d : pass.msgs.reshares) {
    if (reshare && d.dealer == as_dealer) mine = &d;
  }
  if (mine == nullptr) return NotFoundError("no dealing of this dealer on chain");
  std::shared_ptr<const DedupKeys> current;
  if (reshare) {
    current = keyring_->Current();
    if (!current || !current->share || current->share->index != as_dealer) {
      return FailedPreconditionError("no share of index " + std::to_string(as_dealer));
    }
  }
  HITO_ASSIGN_OR_RETURN(
      zdkg::DealerSecret secret,
      zdkg::DeriveDealerSecret(
          reshare ? zdkg::MessageType::kReshareDealing : zdkg::MessageType::kDealing, s.id,
          as_dealer, pass.committee, key_, reshare ? &current->share->secret : nullptr));
  // The dealing on chain must be ours: one answer checked against its commitments.
  zdkg::Justification probe = secret.Justify(1);
  const bool matches = zdkg::CheckJustification(*mine, probe);
  probe.share.Wipe();
  if (!matches) {
    return FailedPreconditionError("the dealing on chain was not derived from this validator key");
  }
  dealer_secret_.emplace(std::move(secret));
  spdlog::info("dedup DKG {}: rebuilt this dealer's polynomial from the validator key",
               Short(s.id));
  return Status::Ok();
}

std::optional<Status> DkgDriver::ResubmitIfSent(const Slot& slot, uint64_t height) {
  auto it = sent_.find(slot);
  if (it == sent_.end()) return std::nullopt;
  if (height < it->second.height + options_.resubmit_blocks) return Status::Ok();
  it->second.height = height;
  return submit_(it->second.tx);
}

// Dealing phase: deal once (a resharing deals this validator's current share).
Status DkgDriver::Deal(const Pass& pass, uint16_t as_dealer) {
  const ledger::DkgSession& s = pass.session;
  const bool reshare = s.kind == ledger::DkgKind::kReshare;
  const Slot slot{static_cast<uint8_t>(reshare ? zdkg::MessageType::kReshareDealing
                                               : zdkg::MessageType::kDealing),
                  as_dealer, 0};
  if (std::optional<Status> again = ResubmitIfSent(slot, pass.height)) return *again;
  if (!reshare) {
    HITO_ASSIGN_OR_RETURN(zdkg::Dealt<zdkg::Dealing> dealt,
                          zdkg::DealDerived(s.id, as_dealer, pass.committee, key_));
    HITO_RETURN_IF_ERROR(SendDealing(pass.height, slot, std::move(dealt.dealing)));
    dealer_secret_.emplace(std::move(dealt.secret));
    spdlog::info("dedup DKG {}: dealt as dealer {} of {}", Short(s.id), as_dealer,
                 s.dealers.size());
    return Status::Ok();
  }
  // The share's index is our dealer index: the ledger opens a resharing only for a key
  // set indexed 1..n, dealers in index order.
  std::shared_ptr<const DedupKeys> current = keyring_->Current();
  if (!current || !current->share || current->share->index != as_dealer) {
    return FailedPreconditionError("resharing " + Short(s.id) + ": this validator is dealer " +
                                   std::to_string(as_dealer) +
                                   " but holds no share of that index to deal");
  }
  HITO_ASSIGN_OR_RETURN(
      zdkg::Dealt<zdkg::ReshareDealing> dealt,
      zdkg::DealReshareDerived(s.id, as_dealer, current->share->secret, pass.committee, key_));
  HITO_RETURN_IF_ERROR(SendDealing(pass.height, slot, std::move(dealt.dealing)));
  dealer_secret_.emplace(std::move(dealt.secret));
  spdlog::info("dedup resharing {}: dealt share {} to {} validators", Short(s.id), as_dealer,
               s.recipients.size());
  return Status::Ok();
}

// Complaint phase: check every dealing once; complain about each bad one.
Status DkgDriver::CheckDealings(const Pass& pass, uint16_t as_recipient) {
  auto check = [&](const auto& dealing) -> Status {
    if (checked_.count(dealing.dealer) == 0) {
      Result<zk::Scalar> share =
          zdkg::VerifyReceivedShare(pass.committee, dealing, as_recipient, key_);
      checked_[dealing.dealer] = share.ok();
      if (share.ok()) {
        share->Wipe();  // combined later, from state, when the key set forms
      } else {
        spdlog::warn("dedup DKG {}: the share from dealer {} is bad ({}); complaining",
                     Short(pass.session.id), dealing.dealer, share.status().message());
      }
    }
    if (checked_[dealing.dealer] || HasComplaint(pass.msgs, dealing.dealer, as_recipient)) {
      return Status::Ok();
    }
    const Slot slot{static_cast<uint8_t>(zdkg::MessageType::kComplaint), dealing.dealer,
                    as_recipient};
    if (std::optional<Status> again = ResubmitIfSent(slot, pass.height)) return *again;
    return Send(pass.height, slot, zdkg::Complaint{pass.session.id, dealing.dealer, as_recipient});
  };
  // One refused complaint does not hold back the others: the first error is reported
  // after all are tried.
  Status first = Status::Ok();
  auto keep = [&first](Status s) {
    if (first.ok() && !s.ok()) first = std::move(s);
  };
  for (const zdkg::Dealing& d : pass.msgs.dealings) keep(check(d));
  for (const zdkg::ReshareDealing& d : pass.msgs.reshares) keep(check(d));
  return first;
}

// Justification phase: answer every complaint against this dealer.
Status DkgDriver::Justify(const Pass& pass, uint16_t as_dealer) {
  Status first = Status::Ok();
  for (const zdkg::Complaint& c : pass.msgs.complaints) {
    if (c.dealer != as_dealer || HasJustification(pass.msgs, c.dealer, c.complainer)) continue;
    if (!dealer_secret_) {
      // Restarted since dealing: the polynomial is derived from the validator key, so the
      // same one is rebuilt (zk::dkg::DeriveDealerSecret).
      Status rebuilt = RebuildDealerSecret(pass, as_dealer);
      if (!rebuilt.ok()) {
        spdlog::warn(
            "dedup DKG {}: complaint from {} against this dealer, and no dealer "
            "secret to answer it: {}",
            Short(pass.session.id), c.complainer, rebuilt.ToString());
        continue;
      }
    }
    const Slot slot{static_cast<uint8_t>(zdkg::MessageType::kJustification), c.dealer,
                    c.complainer};
    if (std::optional<Status> again = ResubmitIfSent(slot, pass.height)) {
      if (first.ok() && !again->ok()) first = *again;
      continue;
    }
    zdkg::Justification j = dealer_secret_->Justify(c.complainer);
    Status sent = Send(pass.height, slot, j);
    j.share.Wipe();  // public once on chain; not kept here
    if (first.ok() && !sent.ok()) first = std::move(sent);
  }
  return first;  // every complaint answered or tried; the first failure, if any
}

Status DkgDriver::Send(uint64_t height, const Slot& slot, types::DkgPayload payload) {
  types::DkgMessage m;
  m.chain_id = options_.chain_id;
  m.session = types::DkgPayloadSession(payload);
  m.payload = std::move(payload);
  types::SignDkgMessage(&m, key_);
  Sent& sent = sent_[slot];
  sent.tx = types::EncodeTransaction(types::Transaction{std::move(m)});
  sent.height = height;
  return submit_(sent.tx);
}

Status DkgDriver::SendDealing(uint64_t height, const Slot& slot, types::DkgPayload dealing) {
  Status sent = Send(height, slot, std::move(dealing));
  // Refused (say, another dealing of ours from before a restart is pending): forget this
  // one and its secret; the next pass deals again unless the other one is on chain by then.
  if (!sent.ok()) sent_.erase(slot);
  return sent;
}

void DkgDriver::RetireOldShare(const ledger::RegistryStore& state) {
  std::error_code ec;
  if (!std::filesystem::exists(options_.share_path, ec)) return;
  // Not a holder (any more): an old share must not outlive the resharing. Deleted only
  // once it opens as this validator key's share of the key set the resharing started
  // from, so a node started by mistake with another validator.key does not destroy the
  // real holder's file.
  const Ed25519PublicKey& me = key_.public_key();
  Result<std::optional<ledger::DecidedSession>> decided = ledger::dkg::ReadDecided(state);
  Status proven = FailedPreconditionError("no decided resharing in state to check it against");
  if (decided.ok() && decided->has_value() && (*decided)->old_keys &&
      config::ShareOf(*(*decided)->old_keys, me)) {
    Result<zk::oprf::KeyShare> old =
        config::LoadDedupShare(options_.share_path, *(*decided)->old_keys, me, &key_);
    proven = old.status();
    if (old.ok()) old->Wipe();
  }
  if (!proven.ok()) {
    spdlog::warn(
        "dedup OPRF: this validator holds no share of the current key set, and {} "
        "could not be checked as its share of the previous one ({}); left in place, "
        "delete it if this validator has left the set",
        options_.share_path.string(), proven.ToString());
    return;
  }
  if (std::filesystem::remove(options_.share_path, ec)) {
    spdlog::info("dedup OPRF: this validator holds no share of the new key set; deleted {}",
                 options_.share_path.string());
  }
}

Status DkgDriver::SyncKeys(const ledger::RegistryStore& state) {
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::DedupKeySet> keys, ledger::dkg::ReadKeySet(state));
  std::shared_ptr<const DedupKeys> current = keyring_->Current();
  if (!keys) {
    if (current) keyring_->Set(nullptr);
    return Status::Ok();
  }
  if (current && current->keys == *keys) return Status::Ok();
  const Ed25519PublicKey& me = key_.public_key();
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::DkgResult> last, ledger::dkg::ReadLastResult(state));
  const bool from_genesis = !last.has_value();
  if (!config::ShareOf(*keys, me)) {
    if (!from_genesis) RetireOldShare(state);
    keyring_->Set(std::make_shared<const DedupKeys>(*keys, std::nullopt));
    return Status::Ok();
  }
  Result<zk::oprf::KeyShare> share = InvalidArgumentError("no share file");
  std::error_code exists_error;
  if (std::filesystem::exists(options_.share_path, exists_error)) {
    share = config::LoadDedupShare(options_.share_path, *keys, me, &key_);
  }
  if (!share.ok() && from_genesis) {
    // A dealt genesis key set: the share file is part of the home, as validator.key is.
    return share.status().WithContext("dedup share " + options_.share_path.string());
  }
  if (!share.ok()) {
    share = CombineFromDecided(state, *keys);
    if (share.ok()) {
      Status written =
          config::WriteSealedDedupShare(options_.share_path, keys->group_key, *share, key_);
      if (!written.ok()) {
        spdlog::error("dedup OPRF: writing the new share: {}", written.ToString());
      }
    }
  }
  if (!share.ok()) {
    spdlog::error(
        "dedup OPRF: no share of the key set {} for this validator: {}; evaluations "
        "answer DEDUP_NO_SHARE",
        Short(keys->group_key), share.status().message());
    keyring_->Set(std::make_shared<const DedupKeys>(*keys, std::nullopt));
    return Status::Ok();
  }
  spdlog::info("dedup OPRF: share index {} of a {}-of-{} key", share->index, keys->threshold,
               keys->shares.size());
  keyring_->Set(std::make_shared<const DedupKeys>(*keys, *share));
  share->Wipe();
  return Status::Ok();
}

Result<zk::oprf::KeyShare> DkgDriver::CombineFromDecided(const ledger::RegistryStore& state,
                                                         const ledger::DedupKeySet& keys) {
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::DecidedSession> decided,
                        ledger::dkg::ReadDecided(state));
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::DkgResult> last, ledger::dkg::ReadLastResult(state));
  if (!decided || !last || !last->formed || last->session != decided->session.id) {
    return NotFoundError("the session that formed the key set is no longer in state");
  }
  const ledger::DkgSession& s = decided->session;
  const uint16_t me = IndexOf(s.recipients, key_.public_key());
  if (me == 0) return NotFoundError("this validator was no recipient of the deciding session");
  HITO_ASSIGN_OR_RETURN(ledger::DkgMessages msgs, ledger::dkg::ReadMessages(state));
  const zdkg::Committee committee{s.recipients, s.threshold};
  Result<std::vector<zk::Scalar>> shares = InvalidArgumentError("unset");
  Result<zdkg::Outcome> outcome = InvalidArgumentError("unset");
  if (s.kind == ledger::DkgKind::kDkg) {
    const zdkg::DkgTranscript t{msgs.dealings, msgs.complaints, msgs.justifications};
    outcome = zdkg::Qualify(s.id, committee, t);
    if (outcome.ok()) shares = zdkg::CollectShares(committee, t, *outcome, me, key_);
  } else {
    if (!decided->old_keys) return DataLossError("a decided resharing without its old key set");
    HITO_ASSIGN_OR_RETURN(zdkg::Outcome old, ledger::dkg::KeySetOutcome(*decided->old_keys));
    const zdkg::ReshareTranscript t{msgs.reshares, msgs.complaints, msgs.justifications};
    outcome = zdkg::QualifyReshare(s.id, old, committee, t);
    if (outcome.ok()) shares = zdkg::CollectShares(committee, t, *outcome, me, key_);
  }
  if (!outcome.ok()) return outcome.status().WithContext("rebuilding the outcome");
  if (!shares.ok()) return shares.status().WithContext("collecting this validator's shares");
  Result<zk::Scalar> x = zdkg::CombineShare(*outcome, me, *shares);
  for (zk::Scalar& v : *shares) v.Wipe();
  if (!x.ok()) return x.status();
  zk::oprf::KeyShare share;
  share.index = me;
  share.secret = *x;
  x->Wipe();
  share.public_share = zk::Point::MulBase(share.secret);
  const std::optional<ledger::DedupValidatorShare> mine = config::ShareOf(keys, key_.public_key());
  if (!mine || mine->index != me || mine->public_share != share.public_share.bytes()) {
    share.Wipe();
    return FailedPreconditionError(
        "the combined share does not match this validator's K_i in "
        "k/keys");
  }
  spdlog::info("dedup OPRF: combined share {} of session {} ({} qualified dealers)", me,
               Short(s.id), outcome->qualified.size());
  return share;
}

}  // namespace hito::node::dedup
