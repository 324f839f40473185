#include "tests/support/personhood.h"

#include <string_view>
#include <vector>

#include "consensus/ledger/governance.h"
#include "consensus/ledger/registry.h"
#include "tests/support/keys.h"
#include "zk/point.h"
#include "zk/proof/triptych.h"

namespace hito::testing {

namespace ledger = consensus::ledger;
namespace types = consensus::types;

ledger::Genesis MakePersonhoodGenesis(const std::string& chain_id, const FundedAccounts& funded,
                                      const PersonhoodSpec& spec) {
  ledger::Genesis g = MakeGenesis(chain_id, funded);
  g.params.epoch_blocks = spec.epoch_blocks;
  g.attesters = {KeyFor(101).public_key()};
  g.registry.cohort_bits = spec.cohort_bits;
  g.registry.claim_window = spec.claim_window;
  g.ubi.max_claims_per_block = spec.max_claims_per_block;
  for (uint32_t i = 0; i < spec.citizens; ++i) {
    ledger::GenesisIdentity id;
    id.point = zk::Point::MulBase(CitizenSecret(i)).bytes();
    id.dedup_tag = types::DedupTag(types::DedupKey{1}, "citizen-" + std::to_string(i));
    id.attester = KeyFor(101).public_key();
    id.expiry_epoch = 1000;
    g.identities.push_back(id);
  }
  return g;
}

zk::Scalar CitizenSecret(uint64_t i) { return zk::Scalar::FromU64(7000 + i); }

namespace {

// Citizen i's membership proof against cohort `set_cohort`'s snapshot of `epoch`, at i's
// position in its own cohort.
Bytes ProveMember(const ledger::RegistryStore& store, const std::string& chain_id, uint64_t i,
                  uint64_t epoch, uint32_t set_cohort, std::string_view context, ByteView message) {
  const ledger::RegistryParams rp = ledger::registry::ReadParams(store).value().value();
  const uint32_t own = ledger::registry::CohortOf(rp, i);
  const Hash32 set_hash = ledger::registry::SnapshotHash(store, epoch, set_cohort).value().value();
  auto members = ledger::registry::SnapshotMembers(store, set_cohort, set_hash).value().value();
  std::vector<zk::Point> points;
  for (const auto& m : members) points.push_back(zk::Point::Decode(m).value());
  auto set = zk::proof::membership::PreparedSet::Create(points).value();
  const uint64_t position = i - (uint64_t{own} << rp.cohort_bits);
  return zk::proof::membership::Prove(set, position, CitizenSecret(i), chain_id, context, message)
      .value()
      .Encode();
}

}  // namespace

types::Claim MakeClaim(const ledger::KvReader& state, const std::string& chain_id, uint64_t i,
                       uint64_t epoch, const types::AccountId& recipient) {
  const ledger::RegistryStore store(&state);
  const ledger::RegistryParams rp = ledger::registry::ReadParams(store).value().value();
  types::Claim c;
  c.epoch = epoch;
  c.cohort = ledger::registry::CohortOf(rp, i);
  c.recipient = recipient;
  c.proof = ProveMember(store, chain_id, i, epoch, c.cohort, types::ClaimContext(epoch),
                        types::ClaimMessage(chain_id, epoch, c.cohort, recipient));
  return c;
}

types::Ballot MakeBallot(const ledger::KvReader& state, const std::string& chain_id, uint64_t i,
                         std::vector<types::BallotEntry> entries, const BallotOverrides& o) {
  const ledger::RegistryStore store(&state);
  const ledger::RegistryParams rp = ledger::registry::ReadParams(store).value().value();
  const ledger::RoundState rs = ledger::governance::ReadRound(store).value();
  const uint32_t own = ledger::registry::CohortOf(rp, i);
  types::Ballot b;
  b.round = o.round.value_or(rs.round);
  b.cohort = o.cohort.value_or(own);
  b.entries = std::move(entries);
  b.proof = ProveMember(store, chain_id, i, rs.start_epoch, o.set_cohort.value_or(own),
                        types::BallotContext(o.context_round.value_or(b.round)),
                        types::BallotMessage(chain_id, b.round, b.cohort, b.entries));
  return b;
}

Bytes EncodeClaim(const types::Claim& claim) {
  return types::EncodeTransaction(types::Transaction{claim});
}

}  // namespace hito::testing
