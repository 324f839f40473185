#include "node/chain/block_events.h"

#include <set>
#include <variant>

#include "base/assert.h"
#include "consensus/ledger/ledger.h"
#include "consensus/ledger/registry.h"
#include "consensus/types/codec.h"

namespace hito::node::chain {
namespace {

namespace ledger = consensus::ledger;
namespace types = consensus::types;

constexpr uint8_t kEventsVersion = 1;
// A block holds at most kBlockMaxTxs transactions, each with at most one event.
constexpr uint32_t kMaxEvents = 1u << 20;

// The state after the block: its writes over the state before it.
class AfterBlock final : public ledger::KvReader {
 public:
  AfterBlock(const ledger::KvReader& before, const ledger::ChangeSet& changes)
      : before_(before), changes_(changes) {}
  Status Get(ByteView key, std::optional<Bytes>* value) const override {
    if (std::optional<std::optional<ByteView>> w = changes_.Find(key)) {
      *value = *w ? std::optional<Bytes>(ToBytes(**w)) : std::nullopt;
      return Status::Ok();
    }
    return before_.Get(key, value);
  }

 private:
  const ledger::KvReader& before_;
  const ledger::ChangeSet& changes_;
};

// Registrations, revocations and claims have events; transfers and governance do not.
bool IsPersonhood(const types::Transaction& tx) {
  return std::holds_alternative<types::Registration>(tx.body) ||
         std::holds_alternative<types::Revocation>(tx.body) ||
         std::holds_alternative<types::Claim>(tx.body);
}

// The identity of `point` after the block; every executed registration or revocation
// leaves one.
Result<ledger::Identity> IdentityAfter(const ledger::RegistryStore& after,
                                       const types::IdentityPoint& point) {
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::Identity> id,
                        ledger::registry::FindIdentity(after, point));
  if (!id) return InternalError("block events: an executed transaction names an unknown identity");
  return *std::move(id);
}

struct Context {
  const ledger::RegistryStore* before;
  const ledger::RegistryStore* after;
  ledger::RegistryParams rp;
  uint64_t ubi_per_epoch = 0;
  std::set<types::IdentityPoint> registered;  // points registered earlier in this block
};

Result<BlockEvent> RegistrationEvent(Context* c, const types::Registration& reg) {
  const types::Attestation& a = reg.attestation;
  BlockEvent e;
  e.kind = BlockEvent::Kind::kRegistration;
  e.identity = a.identity;
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::Identity> prior,
                        ledger::registry::FindIdentity(*c->before, a.identity));
  // An executed registration of a point that exists is a renewal (personhood.md, rule 11).
  e.renewal = prior.has_value() || c->registered.contains(a.identity);
  c->registered.insert(a.identity);
  HITO_ASSIGN_OR_RETURN(ledger::Identity id, IdentityAfter(*c->after, a.identity));
  e.index = id.index;
  e.cohort = ledger::registry::CohortOf(c->rp, id.index);
  e.expiry_epoch = a.expiry_epoch;
  e.first_claim_epoch = id.registered_epoch + 1;
  return e;
}

Result<BlockEvent> EventOf(Context* c, const types::Transaction& tx) {
  if (const auto* reg = std::get_if<types::Registration>(&tx.body)) {
    return RegistrationEvent(c, *reg);
  }
  BlockEvent e;
  if (const auto* rev = std::get_if<types::Revocation>(&tx.body)) {
    e.kind = BlockEvent::Kind::kRevocation;
    e.identity = rev->identity;
    HITO_ASSIGN_OR_RETURN(ledger::Identity id, IdentityAfter(*c->after, rev->identity));
    e.index = id.index;
    return e;
  }
  const auto& claim = std::get<types::Claim>(tx.body);
  e.kind = BlockEvent::Kind::kClaim;
  e.epoch = claim.epoch;
  e.cohort = claim.cohort;
  e.nullifier = types::ClaimNullifier(claim);
  e.recipient = claim.recipient;
  e.amount = c->ubi_per_epoch;
  return e;
}

}  // namespace

Result<std::vector<BlockEvent>> ComputeBlockEvents(std::string_view chain_id,
                                                   const ledger::KvReader& before,
                                                   const ledger::ChangeSet& changes,
                                                   const std::vector<types::Transaction>& txs,
                                                   const std::vector<ledger::TxResult>& results) {
  HITO_ASSERT(txs.size() == results.size());
  std::vector<BlockEvent> events;
  bool any = false;
  for (size_t i = 0; i < txs.size(); ++i) any = any || (results[i].ok() && IsPersonhood(txs[i]));
  if (!any) return events;
  AfterBlock after_kv(before, changes);
  const ledger::Ledger after_ledger(std::string(chain_id), &after_kv);
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::RegistryParams> rp, after_ledger.GetRegistryParams());
  HITO_ASSIGN_OR_RETURN(std::optional<ledger::UbiParams> up, after_ledger.GetUbiParams());
  if (!rp || !up) return InternalError("block events: personhood executed without a registry");
  const ledger::RegistryStore before_store(&before);
  const ledger::RegistryStore after_store(&after_kv);
  Context c{&before_store, &after_store, *rp, up->ubi_per_epoch, {}};
  for (size_t i = 0; i < txs.size(); ++i) {
    if (!results[i].ok() || !IsPersonhood(txs[i])) continue;
    HITO_ASSIGN_OR_RETURN(BlockEvent e, EventOf(&c, txs[i]));
    e.tx_index = static_cast<uint32_t>(i);
    events.push_back(e);
  }
  return events;
}

Bytes EncodeBlockEvents(const std::vector<BlockEvent>& events) {
  if (events.empty()) return {};
  return types::EncodeWith([&](types::Writer* w) {
    w->U8(kEventsVersion);
    w->U32(static_cast<uint32_t>(events.size()));
    for (const BlockEvent& e : events) {
      w->U8(static_cast<uint8_t>(e.kind));
      w->U32(e.tx_index);
      w->Fixed(e.identity);
      w->U64(e.index);
      w->U32(e.cohort);
      w->Bool(e.renewal);
      w->U64(e.expiry_epoch);
      w->U64(e.first_claim_epoch);
      w->U64(e.epoch);
      w->Fixed(e.nullifier);
      w->Fixed(e.recipient);
      w->U64(e.amount);
    }
  });
}

namespace {

Status ReadEvent(types::Reader* r, BlockEvent* e) {
  uint8_t kind = 0;
  HITO_RETURN_IF_ERROR(r->U8("kind", &kind));
  if (kind < 1 || kind > 3) return InvalidArgumentError("unknown event kind");
  e->kind = static_cast<BlockEvent::Kind>(kind);
  HITO_RETURN_IF_ERROR(r->U32("tx_index", &e->tx_index));
  HITO_RETURN_IF_ERROR(r->Fixed("identity", &e->identity));
  HITO_RETURN_IF_ERROR(r->U64("index", &e->index));
  HITO_RETURN_IF_ERROR(r->U32("cohort", &e->cohort));
  HITO_RETURN_IF_ERROR(r->Bool("renewal", &e->renewal));
  HITO_RETURN_IF_ERROR(r->U64("expiry_epoch", &e->expiry_epoch));
  HITO_RETURN_IF_ERROR(r->U64("first_claim_epoch", &e->first_claim_epoch));
  HITO_RETURN_IF_ERROR(r->U64("epoch", &e->epoch));
  HITO_RETURN_IF_ERROR(r->Fixed("nullifier", &e->nullifier));
  HITO_RETURN_IF_ERROR(r->Fixed("recipient", &e->recipient));
  return r->U64("amount", &e->amount);
}

}  // namespace

Result<std::vector<BlockEvent>> DecodeBlockEvents(ByteView bytes) {
  using Events = std::vector<BlockEvent>;
  Result<Events> out =
      types::DecodeWhole<Events>(bytes, "block events", [](types::Reader* r, Events* events) {
        uint8_t version = 0;
        HITO_RETURN_IF_ERROR(r->U8("version", &version));
        if (version != kEventsVersion) return InvalidArgumentError("unknown version");
        uint32_t n = 0;
        HITO_RETURN_IF_ERROR(r->Count("events", kMaxEvents, 1 + 4 + 32, &n));
        events->resize(n);
        for (BlockEvent& e : *events) HITO_RETURN_IF_ERROR(ReadEvent(r, &e));
        return Status::Ok();
      });
  if (!out.ok()) return DataLossError("block events record: " + out.status().message());
  return out;
}

}  // namespace hito::node::chain
