// The personhood and UBI commands of `hito`: `attester new|import|attest|status|revoke`,
// `identity new|register|show`, `ubi claim|status` (docs/cli.md).
#include <sodium.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/bech32m.h"
#include "base/file_io.h"
#include "base/hex.h"
#include "consensus/types/handle.h"
#include "consensus/types/personhood.h"
#include "consensus/types/transaction.h"
#include "wallet/cli_internal.h"
#include "wallet/client.h"
#include "wallet/dedup_client.h"
#include "wallet/keystore.h"
#include "wallet/passphrase.h"
#include "wallet/personhood.h"
#include "wallet/snapshot.h"
#include "wallet/transfer.h"

namespace hito::wallet {
namespace {

namespace types = consensus::types;
using Json = nlohmann::ordered_json;

constexpr auto kSubmitTimeout = std::chrono::seconds(30);

std::string Hex(const std::string& bytes) { return HexEncode(AsBytes(bytes)); }

bool HasReason(const Status& s, std::string_view reason) {
  return s.message().find(std::string(reason) + ":") != std::string::npos;
}

// ---------------------------------------------------------------------------- attester

Json AttesterJson(const KeyInfo& k) {
  return Json{{"name", k.name}, {"public_key", HexEncode(k.public_key)}};
}

CmdResult AddAttesterKey(const Globals& g, const std::string& name, const Ed25519PrivateKey& key) {
  Keystore ks(g.home, SecretKind::kAttester);
  if (ks.Info(name).ok()) {
    return Fail(AlreadyExistsError("an attester named '" + name + "' already exists"));
  }
  auto pass = GetPassphrase(name, PassphraseUse::kNewKey);
  if (!pass.ok()) return Fail(pass.status());
  if (Status s = ks.Add(name, key, *pass, KdfStrengthFromEnv()); !s.ok()) return Fail(s);
  KeyInfo info{name, key.public_key()};
  return Output{AttesterJson(info), "created attester " + name + "  " + HexEncode(info.public_key) +
                                        "\nfile: " + ks.KeyPath(name)};
}

CmdResult AttesterNew(const Globals& g, const std::string& name) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  return AddAttesterKey(g, name, Ed25519PrivateKey::Generate());
}

CmdResult AttesterImport(const Globals& g, const std::string& name, const std::string& seed_file) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  auto seed = ReadSeedFile(seed_file);
  if (!seed.ok()) return Fail(seed.status());
  Ed25519PrivateKey key = Ed25519PrivateKey::FromSeed(*seed);
  SecureWipe(seed->data(), seed->size());
  return AddAttesterKey(g, name, key);
}

struct AttestArgs {
  std::string attester;
  std::string identity;
  std::string handle;
  uint64_t expires_in = 0;
  std::string validators;  // empty: the --node alone
  uint32_t timeout_ms = 2000;
  int attempts = 3;
};

// The validators to ask: --validators, or the node the wallet talks to.
Result<std::vector<std::string>> ValidatorsOf(const Globals& g, const std::string& list) {
  if (list.empty()) return std::vector<std::string>{g.node};
  return ParseValidatorList(list);
}

// The tag of the handle from the validators' OPRF, with progress on stderr.
Result<Hash32> DedupTagFromValidators(const Globals& g, const AttestArgs& a,
                                      const types::Handle& handle, const Ed25519PrivateKey& key,
                                      std::string_view chain_id,
                                      const v1::GetDedupKeysResponse& keys) {
  DedupEvalOptions opts;
  HITO_ASSIGN_OR_RETURN(opts.validators, ValidatorsOf(g, a.validators));
  opts.attempt_timeout = std::chrono::milliseconds(a.timeout_ms);
  opts.attempts = a.attempts;
  opts.progress = &std::cerr;
  HITO_ASSIGN_OR_RETURN(DedupEvalResult r, EvaluateDedupTag(keys, chain_id, key, handle, opts));
  Hash32 tag{};
  std::copy(r.tag.begin(), r.tag.end(), tag.begin());
  return tag;
}

Status CheckAttestArgs(const AttestArgs& a) {
  if (a.expires_in == 0) return InvalidArgumentError("--expires-in must be at least 1");
  if (a.timeout_ms == 0 || a.timeout_ms > 60'000) {
    return InvalidArgumentError("--timeout-ms must be 1..60000");
  }
  if (a.attempts < 1 || a.attempts > 10) return InvalidArgumentError("--attempts must be 1..10");
  return ValidatorsOf(Globals{}, a.validators).status();
}

CmdResult AttesterAttest(const Globals& g, const AttestArgs& a) {
  if (Status s = ValidateKeyName(a.attester); !s.ok()) return Usage(s.WithContext("--attester"));
  auto id = ParseIdentityPoint(a.identity);
  if (!id.ok()) return Usage(id.status().WithContext("--identity"));
  auto handle = types::Handle::Parse(a.handle);
  if (!handle.ok()) return Usage(handle.status().WithContext("--handle"));
  if (Status s = CheckAttestArgs(a); !s.ok()) return Usage(s);
  NodeClient client(g.node);
  auto st = client.GetStatus();
  if (!st.ok()) return Fail(st.status());
  auto reg = client.GetRegistry();
  if (!reg.ok()) return Fail(reg.status());
  if (a.expires_in > reg->max_attestation_epochs()) {
    return Usage(InvalidArgumentError("--expires-in " + std::to_string(a.expires_in) +
                                      " is beyond the chain's max_attestation_epochs " +
                                      std::to_string(reg->max_attestation_epochs())));
  }
  auto keys = client.GetDedupKeys();
  if (!keys.ok()) return Fail(keys.status());
  auto key = UnlockKey(g, a.attester, SecretKind::kAttester);
  if (!key.ok()) return Fail(key.status());
  auto tag = DedupTagFromValidators(g, a, *handle, *key, st->chain_id(), *keys);
  if (!tag.ok()) return Fail(tag.status());
  auto att = MakeAttestation(st->chain_id(), *key, *id, *tag, reg->epoch() + a.expires_in);
  if (!att.ok()) return Usage(att.status());
  Json j = AttestationToJson(*att);
  return Output{j, j.dump(2)};
}

// This attester's evaluation counts at each validator (DedupService.GetStatus).
CmdResult AttesterStatus(const Globals& g, const std::string& attester,
                         const std::string& validators) {
  if (Status s = ValidateKeyName(attester); !s.ok()) return Usage(s.WithContext("--attester"));
  auto info = Keystore(g.home, SecretKind::kAttester).Info(attester);
  if (!info.ok()) return Fail(info.status());
  auto list = ValidatorsOf(g, validators);
  if (!list.ok()) return Usage(list.status());
  Json rows = Json::array();
  std::string text = "attester " + attester + "  " + HexEncode(info->public_key);
  const std::string pk(AsChars(info->public_key));
  for (const std::string& addr : *list) {
    auto st = NodeClient(addr).GetDedupStatus(pk);
    if (!st.ok()) {
      rows.push_back(Json{{"validator", addr}, {"error", st.status().message()}});
      text += "\n  " + addr + ": " + st.status().message();
      continue;
    }
    uint32_t used = 0, refused = 0;
    if (st->attesters_size() > 0) {
      used = st->attesters(0).evaluations();
      refused = st->attesters(0).refused_quota();
    }
    rows.push_back(Json{{"validator", addr},
                        {"index", st->index()},
                        {"epoch", st->epoch()},
                        {"evaluations", used},
                        {"refused_quota", refused},
                        {"quota_per_epoch", st->quota_per_epoch()}});
    text += "\n  " + addr + " (index " + std::to_string(st->index()) + "): epoch " +
            std::to_string(st->epoch()) + ", " + std::to_string(used) + " of " +
            std::to_string(st->quota_per_epoch()) + " evaluations used, " +
            std::to_string(refused) + " refused";
  }
  return Output{
      Json{{"name", attester}, {"public_key", HexEncode(info->public_key)}, {"validators", rows}},
      text};
}

CmdResult AttesterRevoke(const Globals& g, const std::string& attester, const std::string& point) {
  if (Status s = ValidateKeyName(attester); !s.ok()) return Usage(s.WithContext("--attester"));
  auto id = ParseIdentityPoint(point);
  if (!id.ok()) return Usage(id.status().WithContext("--identity"));
  auto key = UnlockKey(g, attester, SecretKind::kAttester);
  if (!key.ok()) return Fail(key.status());
  NodeClient client(g.node);
  auto st = client.GetStatus();
  if (!st.ok()) return Fail(st.status());
  types::Revocation rev;
  rev.chain_id = st->chain_id();
  rev.attester = key->public_key();
  rev.identity = *id;
  types::SignRevocation(&rev, *key);
  auto c = SubmitAndWait(&client, types::Transaction{rev});
  if (!c.ok()) return Fail(c.status());
  return Output{Json{{"tx_hash", c->tx_hash}, {"height", c->height}, {"index", c->index}},
                "revoked " + HexEncode(*id) + " in " + c->tx_hash + " at height " +
                    std::to_string(c->height)};
}

// ---------------------------------------------------------------------------- identity

CmdResult IdentityNew(const Globals& g, const std::string& name) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  Keystore ks(g.home, SecretKind::kIdentity);
  if (ks.Info(name).ok()) {
    return Fail(AlreadyExistsError("an identity named '" + name + "' already exists"));
  }
  auto pass = GetPassphrase(name, PassphraseUse::kNewKey);
  if (!pass.ok()) return Fail(pass.status());
  IdentitySecret secret = IdentitySecret::Generate();
  if (Status s = ks.AddIdentity(name, secret, *pass, KdfStrengthFromEnv()); !s.ok()) {
    return Fail(s);
  }
  std::string point = HexEncode(secret.Point());
  return Output{Json{{"name", name}, {"identity", point}},
                "created identity " + name + "  " + point + "\nfile: " + ks.KeyPath(name)};
}

CmdResult IdentityRegister(const Globals& g, const std::string& name, const std::string& file) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  auto info = Keystore(g.home, SecretKind::kIdentity).Info(name);
  if (!info.ok()) return Fail(info.status());
  auto text = ReadSmallFile(file, kAttestationFileMaxBytes);
  if (!text.ok()) return Fail(text.status().WithContext("--attestation"));
  auto att = AttestationFromJson(*text);
  if (!att.ok()) return Usage(att.status().WithContext(file));
  if (att->identity != info->public_key) {
    return Usage(InvalidArgumentError("the attestation in " + file + " is for identity " +
                                      HexEncode(att->identity) + ", not for '" + name + "'"));
  }
  auto secret = UnlockIdentity(g, name);
  if (!secret.ok()) return Fail(secret.status());
  auto reg = BuildRegistration(*att, *secret);
  if (!reg.ok()) return Fail(reg.status());
  NodeClient client(g.node);
  auto c = SubmitAndWait(&client, types::Transaction{*reg});
  if (!c.ok()) return Fail(c.status());
  auto id = client.GetIdentity(info->public_key);
  if (!id.ok()) return Fail(id.status());
  return Output{Json{{"tx_hash", c->tx_hash},
                     {"height", c->height},
                     {"index", id->index()},
                     {"cohort", id->cohort()}},
                "registered " + name + " in " + c->tx_hash + " at height " +
                    std::to_string(c->height) + ": index " + std::to_string(id->index()) +
                    ", cohort " + std::to_string(id->cohort()) + ", can claim from epoch " +
                    std::to_string(id->first_claim_epoch())};
}

std::string StatusName(v1::IdentityStatus s) {
  switch (s) {
    case v1::IDENTITY_STATUS_LIVE:
      return "live";
    case v1::IDENTITY_STATUS_REVOKED:
      return "revoked";
    case v1::IDENTITY_STATUS_REPLACED:
      return "replaced";
    case v1::IDENTITY_STATUS_EXPIRED:
      return "expired";
    default:
      return "unknown";
  }
}

Output IdentityShowOutput(const std::string& name, const v1::GetIdentityResponse& id) {
  Json j{{"name", name},
         {"identity", Hex(id.identity())},
         {"status", StatusName(id.status())},
         {"index", id.index()},
         {"cohort", id.cohort()},
         {"registered_epoch", id.registered_epoch()},
         {"first_claim_epoch", id.first_claim_epoch()},
         {"expiry_epoch", id.expiry_epoch()},
         {"attester", Hex(id.attester())},
         {"cohort_live_members", id.cohort_live_members()},
         {"epoch", id.epoch()},
         {"height", id.height()}};
  std::ostringstream t;
  t << "name:              " << name << "\nidentity:          " << Hex(id.identity())
    << "\nstatus:            " << StatusName(id.status()) << "\nindex:             " << id.index()
    << "\ncohort:            " << id.cohort() << " (" << id.cohort_live_members()
    << " live members)\nregistered epoch:  " << id.registered_epoch()
    << "\nfirst claim epoch: " << id.first_claim_epoch()
    << "\nexpiry epoch:      " << id.expiry_epoch() << "\ncurrent epoch:     " << id.epoch();
  return Output{j, t.str()};
}

CmdResult IdentityShow(const Globals& g, const std::string& name) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  auto info = Keystore(g.home, SecretKind::kIdentity).Info(name);
  if (!info.ok()) return Fail(info.status());
  NodeClient client(g.node);
  auto id = client.GetIdentity(info->public_key);
  if (id.ok()) return IdentityShowOutput(name, *id);
  if (!HasReason(id.status(), "IDENTITY_NOT_FOUND")) return Fail(id.status());
  std::string point = HexEncode(info->public_key);
  return Output{Json{{"name", name}, {"identity", point}, {"status", "unregistered"}},
                "name:     " + name + "\nidentity: " + point + "\nstatus:   unregistered"};
}

// ---------------------------------------------------------------------------- ubi

// Everything a claim run reads from the node before proving.
struct ClaimInputs {
  std::string chain_id;
  v1::GetEpochResponse epoch;
  v1::GetIdentityResponse identity;
  v1::GetUbiParamsResponse params;
};

Result<ClaimInputs> ReadClaimInputs(NodeClient* client, const types::IdentityPoint& point) {
  ClaimInputs c;
  HITO_ASSIGN_OR_RETURN(auto st, client->GetStatus());
  c.chain_id = st.chain_id();
  HITO_ASSIGN_OR_RETURN(c.epoch, client->GetEpoch());
  HITO_ASSIGN_OR_RETURN(c.params, client->GetUbiParams());
  HITO_ASSIGN_OR_RETURN(c.identity, client->GetIdentity(point));
  return c;
}

// The recipient: --to (an address or an account key name), else the account key named
// "default"; neither is a usage error.
Result<Hash32> ResolveRecipient(const Globals& g, const std::string& to) {
  std::string arg = to;
  if (arg.empty()) {
    if (!Keystore(g.home).Info("default").ok()) {
      return InvalidArgumentError(
          "--to is required: an identity holds no account, and the keystore has no key named "
          "'default'");
    }
    arg = "default";
  }
  HITO_ASSIGN_OR_RETURN(std::string addr, ResolveAddress(g, arg));
  return DecodeAddress(addr);
}

// The epochs to claim: all-open (from the first the identity can claim), or one.
Result<std::vector<uint64_t>> ClaimEpochs(const ClaimInputs& c, const std::string& which) {
  const uint64_t now = c.epoch.epoch();
  const uint64_t oldest = c.epoch.oldest_open_epoch();
  std::vector<uint64_t> out;
  if (which == "all-open") {
    for (uint64_t e = std::max(oldest, c.identity.first_claim_epoch()); e <= now; ++e) {
      out.push_back(e);
    }
    return out;
  }
  HITO_ASSIGN_OR_RETURN(uint64_t e, ParseUnits(which, "--epochs"));
  if (e < oldest || e > now) {
    return FailedPreconditionError("epoch " + std::to_string(e) + ": EPOCH_NOT_OPEN: open are " +
                                   std::to_string(oldest) + ".." + std::to_string(now));
  }
  if (e < c.identity.first_claim_epoch()) {
    return FailedPreconditionError("epoch " + std::to_string(e) +
                                   ": TX_NO_SNAPSHOT: this identity "
                                   "is in snapshots from epoch " +
                                   std::to_string(c.identity.first_claim_epoch()));
  }
  out.push_back(e);
  return out;
}

struct ClaimOne {
  const ClaimInputs* ctx;
  const IdentitySecret* secret;
  Hash32 recipient;
  bool explicit_epoch = false;
};

// Proves and submits the claim for epoch `e`. nullopt: nothing to do (claimed already, or
// not in that snapshot) in all-open mode; the same cases are errors for an explicit epoch.
Result<std::optional<Json>> ClaimEpoch(NodeClient* client, SnapshotCache* cache, const ClaimOne& a,
                                       uint64_t e) {
  const ClaimInputs& c = *a.ctx;
  const std::string at = "epoch " + std::to_string(e);
  HITO_ASSIGN_OR_RETURN(auto nf, client->GetNullifier(e, LocalNullifier(*a.secret, c.chain_id, e)));
  if (nf.used()) {
    if (a.explicit_epoch) return FailedPreconditionError(at + ": TX_ALREADY_CLAIMED");
    return std::optional<Json>();
  }
  const uint32_t cohort = c.identity.cohort();
  NodeSnapshotSource source(client);
  HITO_ASSIGN_OR_RETURN(Snapshot snap, cache->Get(&source, e, cohort));
  const uint64_t position =
      c.identity.index() - (static_cast<uint64_t>(cohort) << c.params.cohort_bits());
  if (position >= snap.set.size() || snap.set.padded()[position].bytes() != a.secret->Point()) {
    if (a.explicit_epoch) return FailedPreconditionError(at + ": not in the cohort's snapshot");
    std::cerr << "note: " << at << ": not in the cohort's snapshot, skipped\n";
    return std::optional<Json>();
  }
  if (snap.live_members < kSmallAnonymitySet) {
    std::cerr << "warning: " << at << ": cohort " << cohort << " has " << snap.live_members
              << " live members; this claim hides among few people\n";
  }
  std::cerr << "proving the claim for " << at << " (set of " << snap.set.size() << " members"
            << (snap.from_cache ? ", cached" : "") << ")...\n";
  HITO_ASSIGN_OR_RETURN(types::Claim claim, BuildClaim(snap.set, position, *a.secret, c.chain_id, e,
                                                       cohort, a.recipient));
  HITO_ASSIGN_OR_RETURN(Committed done, SubmitAndWait(client, types::Transaction{claim}));
  return std::optional<Json>(Json{{"epoch", e},
                                  {"tx_hash", done.tx_hash},
                                  {"height", done.height},
                                  {"amount", c.params.ubi_per_epoch()}});
}

struct UbiClaimArgs {
  std::string name;
  std::string to;
  std::string epochs = "all-open";
};

CmdResult UbiClaim(const Globals& g, const UbiClaimArgs& a) {
  if (Status s = ValidateKeyName(a.name); !s.ok()) return Usage(s);
  if (a.epochs != "all-open" && !ParseUnits(a.epochs, "--epochs").ok()) {
    return Usage(InvalidArgumentError("--epochs must be 'all-open' or an epoch number"));
  }
  auto recipient = ResolveRecipient(g, a.to);
  if (!recipient.ok()) return Usage(recipient.status().WithContext("--to"));
  auto info = Keystore(g.home, SecretKind::kIdentity).Info(a.name);
  if (!info.ok()) return Fail(info.status());
  NodeClient client(g.node);
  auto ctx = ReadClaimInputs(&client, info->public_key);
  if (!ctx.ok()) return Fail(ctx.status());
  auto epochs = ClaimEpochs(*ctx, a.epochs);
  if (!epochs.ok()) return Fail(epochs.status());
  auto secret = UnlockIdentity(g, a.name);
  if (!secret.ok()) return Fail(secret.status());
  SnapshotCache cache(g.home + "/snapshots");
  ClaimOne one{&*ctx, &*secret, *recipient, a.epochs != "all-open"};
  Output out{Json::array(), ""};
  for (uint64_t e : *epochs) {
    auto r = ClaimEpoch(&client, &cache, one, e);
    if (!r.ok()) return Fail(r.status());
    if (!r->has_value()) continue;
    const Json& j = **r;
    out.text += "epoch " + std::to_string(e) + ": claimed " +
                std::to_string(j["amount"].get<uint64_t>()) + " units in " +
                j["tx_hash"].get<std::string>() + " at height " +
                std::to_string(j["height"].get<uint64_t>()) + "\n";
    out.json.push_back(j);
  }
  if (out.text.empty()) out.text = "nothing to claim\n";
  out.text.pop_back();
  return out;
}

CmdResult UbiStatus(const Globals& g, const std::string& name) {
  if (Status s = ValidateKeyName(name); !s.ok()) return Usage(s);
  auto info = Keystore(g.home, SecretKind::kIdentity).Info(name);
  if (!info.ok()) return Fail(info.status());
  NodeClient client(g.node);
  auto ctx = ReadClaimInputs(&client, info->public_key);
  if (!ctx.ok()) return Fail(ctx.status());
  auto secret = UnlockIdentity(g, name);
  if (!secret.ok()) return Fail(secret.status());
  const uint64_t first = ctx->identity.first_claim_epoch();
  Json epochs = Json::array();
  std::ostringstream t;
  t << "epoch " << ctx->epoch.epoch() << " (open: " << ctx->epoch.oldest_open_epoch() << ".."
    << ctx->epoch.epoch() << "; next epoch at height " << ctx->epoch.next_epoch_height() << ")";
  for (uint64_t e = ctx->epoch.oldest_open_epoch(); e <= ctx->epoch.epoch(); ++e) {
    auto nf = client.GetNullifier(e, LocalNullifier(*secret, ctx->chain_id, e));
    if (!nf.ok()) return Fail(nf.status());
    epochs.push_back(Json{{"epoch", e}, {"claimable", e >= first}, {"claimed", nf->used()}});
    t << "\n  epoch " << e << ": "
      << (nf->used()   ? "claimed"
          : e >= first ? "not claimed"
                       : "not in a snapshot yet");
  }
  Json j{{"name", name},
         {"identity", HexEncode(info->public_key)},
         {"epoch", ctx->epoch.epoch()},
         {"oldest_open_epoch", ctx->epoch.oldest_open_epoch()},
         {"next_epoch_height", ctx->epoch.next_epoch_height()},
         {"first_claim_epoch", first},
         {"epochs", epochs}};
  return Output{j, t.str()};
}

CmdResult UbiSupply(const Globals& g) {
  NodeClient client(g.node);
  auto supply = client.GetSupply();
  if (!supply.ok()) return Fail(supply.status());
  Json j{{"height", supply->height()}, {"supply", supply->supply()}};
  return Output{j, "supply " + std::to_string(supply->supply()) + " units at height " +
                       std::to_string(supply->height())};
}

// ---------------------------------------------------------------------------- parsing

CLI::App* WithName(CLI::App* cmd, std::string* name, const char* what) {
  cmd->add_option("NAME", *name, what)->required();
  return cmd;
}

void AddAttester(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  CLI::App* att = app->add_subcommand("attester", "attester keys, attestations, revocations");
  att->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  CLI::App* n = WithName(att->add_subcommand("new", "create an attester key"), name.get(), "name");
  out->push_back({n, [&g, name] { return AttesterNew(g, *name); }});

  auto iname = std::make_shared<std::string>();
  auto seed = std::make_shared<std::string>();
  CLI::App* imp =
      WithName(att->add_subcommand("import", "import an attester seed file"), iname.get(), "name");
  imp->add_option("--seed-file", *seed, "file holding 64 hex digits (attester.key)")->required();
  out->push_back({imp, [&g, iname, seed] { return AttesterImport(g, *iname, *seed); }});

  auto a = std::make_shared<AttestArgs>();
  CLI::App* at = att->add_subcommand("attest", "sign an attestation for an identity");
  at->add_option("--attester", a->attester, "attester name")->required();
  at->add_option("--identity", a->identity, "identity point (64 hex)")->required();
  at->add_option("--handle", a->handle, "KIND:JURISDICTION:NUMBER (blinded; stays local)")
      ->required();
  at->add_option("--expires-in", a->expires_in, "epochs from the current one")->required();
  at->add_option("--validators", a->validators,
                 "validators' gRPC HOST:PORT,... to ask for the dedup tag (default: --node)");
  at->add_option("--timeout-ms", a->timeout_ms, "per validator and attempt")->capture_default_str();
  at->add_option("--attempts", a->attempts, "per validator")->capture_default_str();
  out->push_back({at, [&g, a] { return AttesterAttest(g, *a); }});

  auto sname = std::make_shared<std::string>();
  auto svals = std::make_shared<std::string>();
  CLI::App* sc = att->add_subcommand("status", "this attester's dedup evaluations per validator");
  sc->add_option("--attester", *sname, "attester name")->required();
  sc->add_option("--validators", *svals, "validators' gRPC HOST:PORT,... (default: --node)");
  out->push_back({sc, [&g, sname, svals] { return AttesterStatus(g, *sname, *svals); }});

  auto rname = std::make_shared<std::string>();
  auto rpoint = std::make_shared<std::string>();
  CLI::App* rv = att->add_subcommand("revoke", "revoke an identity this attester issued");
  rv->add_option("--attester", *rname, "attester name")->required();
  rv->add_option("--identity", *rpoint, "identity point (64 hex)")->required();
  out->push_back({rv, [&g, rname, rpoint] { return AttesterRevoke(g, *rname, *rpoint); }});
}

void AddIdentity(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  CLI::App* idc = app->add_subcommand("identity", "personhood identities");
  idc->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  CLI::App* n =
      WithName(idc->add_subcommand("new", "create an identity secret"), name.get(), "identity");
  out->push_back({n, [&g, name] { return IdentityNew(g, *name); }});

  auto rname = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  CLI::App* reg = WithName(idc->add_subcommand("register", "register with an attestation"),
                           rname.get(), "identity");
  reg->add_option("--attestation", *file, "attestation JSON file")->required();
  out->push_back({reg, [&g, rname, file] { return IdentityRegister(g, *rname, *file); }});

  auto sname = std::make_shared<std::string>();
  CLI::App* sh = WithName(idc->add_subcommand("show", "an identity's registry record"), sname.get(),
                          "identity");
  out->push_back({sh, [&g, sname] { return IdentityShow(g, *sname); }});
}

void AddUbi(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  CLI::App* ubi = app->add_subcommand("ubi", "UBI claims");
  ubi->require_subcommand(1);
  auto a = std::make_shared<UbiClaimArgs>();
  CLI::App* cl =
      WithName(ubi->add_subcommand("claim", "prove and submit claims"), &a->name, "identity");
  cl->add_option("--to", a->to, "recipient address or key name (default: key 'default')");
  cl->add_option("--epochs", a->epochs, "'all-open' or one epoch number")->default_str("all-open");
  out->push_back({cl, [&g, a] { return UbiClaim(g, *a); }});

  auto sname = std::make_shared<std::string>();
  CLI::App* st = WithName(ubi->add_subcommand("status", "open epochs and which are claimed"),
                          sname.get(), "identity");
  out->push_back({st, [&g, sname] { return UbiStatus(g, *sname); }});

  CLI::App* sup = ubi->add_subcommand("supply", "the total supply at the latest height");
  out->push_back({sup, [&g] { return UbiSupply(g); }});
}

}  // namespace

Result<Committed> SubmitAndWait(NodeClient* client, const types::Transaction& tx) {
  Bytes bytes = types::EncodeTransaction(tx);
  std::string hash = HexEncode(types::TransactionHash(bytes));
  auto r = client->SubmitAndWait(bytes, kSubmitTimeout);
  if (!r.ok()) return r.status().WithContext("transaction " + hash);
  if (r->result_code() != 0) {
    return FailedPreconditionError("transaction " + hash + " committed at height " +
                                   std::to_string(r->height()) +
                                   " but failed: " + r->result_name() + ": " + r->result_message());
  }
  return Committed{hash, r->height(), r->index()};
}

Result<IdentitySecret> UnlockIdentity(const Globals& g, const std::string& name) {
  Keystore ks(g.home, SecretKind::kIdentity);
  HITO_RETURN_IF_ERROR(ks.Info(name).status());
  HITO_ASSIGN_OR_RETURN(SecretString pass, GetPassphrase(name, PassphraseUse::kUnlock));
  return ks.OpenIdentity(name, pass, KdfStrengthFromEnv() == KdfStrength::kInsecureFast);
}

void AddPersonhoodCommands(CLI::App* app, const Globals& g, std::vector<Command>* out) {
  AddAttester(app, g, out);
  AddIdentity(app, g, out);
  AddUbi(app, g, out);
}

}  // namespace hito::wallet
