// Writes seed corpora for the fuzz targets whose inputs are built by hito's own encoders:
// each seed is the real encoder's output (a state proof from a real tree, WAL images of
// real records, a signer record, a key file written by Keystore::Add, the config and
// genesis that `hitod init` writes, hex and addresses). Usage: fuzz_make_seeds <corpus dir>.
// Deterministic (fixed seeds and keys), so re-running it rewrites the same files.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/bech32m.h"
#include "base/hash.h"
#include "base/hex.h"
#include "consensus/ledger/kv.h"
#include "consensus/ledger/state_tree.h"
#include "consensus/types/block.h"
#include "consensus/types/governance.h"
#include "consensus/types/transaction.h"
#include "consensus/types/vote.h"
#include "hito/p2p/v1/p2p.pb.h"
#include "node/config/config.h"
#include "node/io/durable_signer.h"
#include "node/io/wal.h"
#include "wallet/keystore.h"
#include "zk/oprf.h"

namespace fs = std::filesystem;
namespace ledger = hito::consensus::ledger;
namespace types = hito::consensus::types;
using hito::Bytes;
using hito::Hash32;

namespace {

fs::path g_root;

void Put(const std::string& target, const std::string& name, std::string_view data) {
  fs::create_directories(g_root / target);
  std::ofstream f(g_root / target / name, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}
void Put(const std::string& target, const std::string& name, const Bytes& data) {
  Put(target, name, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

Hash32 H(std::string_view s) { return hito::DomainHash("hito/v1/fuzz-seed", hito::AsBytes(s)); }

hito::Ed25519PrivateKey Key(uint8_t n) {
  hito::Ed25519Seed seed{};
  seed[0] = n;
  return hito::Ed25519PrivateKey::FromSeed(seed);
}

void StateProofs() {
  ledger::MemoryKv kv;
  ledger::TreeBatch batch;
  for (int i = 0; i < 40; ++i) batch[H("k" + std::to_string(i))] = H("v" + std::to_string(i));
  Hash32 near = H("k0");
  near[31] ^= 1;  // shares 255 bits with k0: a deep path
  batch[near] = H("near");
  ledger::ChangeSet changes;
  if (!ledger::StateTree(&kv).Update(batch, &changes).ok()) std::abort();
  kv.Apply(changes);
  ledger::StateTree tree(&kv);
  Put("fuzz_state_proof", "present", ledger::EncodeStateProof(*tree.Prove(H("k1"))));
  Put("fuzz_state_proof", "present_deep", ledger::EncodeStateProof(*tree.Prove(near)));
  Put("fuzz_state_proof", "absent", ledger::EncodeStateProof(*tree.Prove(H("missing"))));
  ledger::MemoryKv empty;
  Put("fuzz_state_proof", "absent_empty_tree",
      ledger::EncodeStateProof(*ledger::StateTree(&empty).Prove(H("k1"))));
}

void Wal() {
  types::Vote v;
  v.type = types::VoteType::kPrevote;
  v.height = 7;
  v.round = 1;
  v.block_hash = H("block");
  const hito::Ed25519PrivateKey k = Key(1);
  v.validator = k.public_key();
  types::SignVote("hito-local", &v, k);
  Bytes vote_rec = types::EncodeVote(v);
  vote_rec.insert(vote_rec.begin(), 2);  // any payload: the WAL frames opaque records
  Bytes image;
  for (const Bytes& rec : {Bytes{1, 0, 0, 0, 0, 0, 0, 0, 7}, vote_rec, Bytes{}}) {
    const Bytes f = hito::node::io::FrameWalRecord(rec);
    image.insert(image.end(), f.begin(), f.end());
  }
  Put("fuzz_wal_parse", "three_records", image);
  Bytes torn(image.begin(), image.end() - 3);
  Put("fuzz_wal_parse", "torn_tail", torn);
  Bytes corrupt = image;
  corrupt[12] ^= 0x40;
  Put("fuzz_wal_parse", "corrupt_first", corrupt);

  hito::node::io::SignState s;
  Put("fuzz_sign_state", "empty", hito::node::io::EncodeSignState(s));
  s.empty = false;
  s.height = 7;
  s.round = 1;
  s.step = hito::node::io::SignStep::kPrevote;
  s.sign_bytes_hash = H("sign-bytes");
  s.signature = v.signature;
  Put("fuzz_sign_state", "prevote", hito::node::io::EncodeSignState(s));
}

void Config() {
  hito::node::config::NodeConfig c;
  Put("fuzz_config_toml", "default", hito::node::config::ConfigToToml(c));
  c.peers.push_back({"127.0.0.1:26657", hito::HexEncode(Key(2).public_key())});
  c.peers.push_back({"validator-3.example:26656", hito::HexEncode(Key(3).public_key())});
  c.log_level = "debug";
  Put("fuzz_config_toml", "testnet_peers", hito::node::config::ConfigToToml(c));

  ledger::Genesis g;
  g.chain_id = "hito-local";
  g.time_ms = 1'700'000'000'000;
  std::vector<types::Validator> vs;
  for (uint8_t i = 1; i <= 4; ++i) vs.push_back({Key(i).public_key(), 10});
  g.validators = *types::ValidatorSet::Create(vs);
  g.accounts.push_back({types::AccountIdFromPublicKey(Key(1).public_key()), 1'000'000});
  g.accounts.push_back({types::AccountIdFromPublicKey(Key(9).public_key()), 5});
  Put("fuzz_genesis_json", "four_validators", hito::node::config::GenesisToJson(g));
  vs.pop_back();
  g.validator_schedule.push_back({100, *types::ValidatorSet::Create(vs)});
  Put("fuzz_genesis_json", "with_schedule", hito::node::config::GenesisToJson(g));
}

void Keystore() {
  const fs::path home = fs::temp_directory_path() / "hito_fuzz_make_seeds";
  fs::remove_all(home);
  hito::wallet::Keystore ks(home.string());
  hito::Status st = ks.Add("fuzz", Key(5), hito::wallet::SecretString("correct horse"),
                           hito::wallet::KdfStrength::kInsecureFast);
  if (!st.ok()) std::abort();
  std::ifstream f(ks.KeyPath("fuzz"), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Put("fuzz_keystore_file", "key_file", text);
  Put("fuzz_keystore_file", "seed_file", hito::HexEncode(Key(5).seed()) + "\n");
  fs::remove_all(home);
}

void Text() {
  Put("fuzz_hex_decode", "hash", hito::HexEncode(H("hex")));
  Put("fuzz_hex_decode", "short_upper", std::string_view("DEADbeef00"));
  Put("fuzz_address_decode", "address", hito::EncodeAddress(H("address")));
  std::string upper = hito::EncodeAddress(H("upper"));
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  Put("fuzz_address_decode", "address_upper", upper);
  Put("fuzz_address_decode", "bip350_valid",
      std::string_view("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx"));
}

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

void P2p() {
  namespace v1 = hito::p2p::v1;
  const hito::Ed25519PrivateKey k = Key(1);
  auto put = [](const std::string& name, const v1::PeerMessage& m) {
    Put("fuzz_p2p_message", name, m.SerializeAsString());
    Put("fuzz_p2p_inbound", name, m.SerializeAsString());
  };
  v1::PeerMessage hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_chain_id("hito-local");
  hello.mutable_hello()->set_genesis_hash(Str(Bytes(32, 7)));
  hello.mutable_hello()->set_node_key(Str(Bytes(k.public_key().begin(), k.public_key().end())));
  hello.mutable_hello()->set_height(12);
  hello.mutable_hello()->set_nonce(Str(Bytes(32, 9)));
  put("hello", hello);

  types::Transfer t;
  t.chain_id = "hito-local";
  t.sender = k.public_key();
  t.nonce = 3;
  t.fee = 1000;
  t.to = types::AccountIdFromPublicKey(Key(2).public_key());
  t.amount = 5;
  t.memo = {'h', 'i'};
  types::SignTransfer(&t, k);
  const Bytes tx = types::EncodeTransaction(types::Transaction{t});
  v1::PeerMessage txs;
  txs.mutable_txs()->add_txs(Str(tx));
  txs.mutable_txs()->add_txs(Str(tx));
  put("txs", txs);

  types::Block b;
  b.header.chain_id = "hito-local";
  b.header.height = 2;
  b.header.time_ms = 1'700'000'001'000;
  b.header.proposer = k.public_key();
  b.txs = {tx};
  b.last_commit.height = 1;
  b.last_commit.block_hash = H("block-1");
  b.last_commit.signatures.push_back({types::CommitFlag::kCommit, {}});
  b.header.tx_root = types::TxRoot(b.txs);
  b.header.last_commit_hash = types::CommitHash(b.last_commit);
  b.header.evidence_hash = types::EvidenceHash(b.evidence);
  types::Commit c;
  c.height = 2;
  c.block_hash = types::HeaderHash(b.header);
  c.signatures.push_back({types::CommitFlag::kCommit, {}});
  v1::PeerMessage resp;
  resp.mutable_block_response()->set_height(2);
  resp.mutable_block_response()->set_block(Str(types::EncodeBlock(b)));
  resp.mutable_block_response()->set_commit(Str(types::EncodeCommit(c)));
  put("block_response", resp);

  types::Vote v;
  v.type = types::VoteType::kPrecommit;
  v.height = 2;
  v.block_hash = c.block_hash;
  v.validator = k.public_key();
  types::SignVote("hito-local", &v, k);
  v1::PeerMessage vote;
  vote.mutable_consensus()->set_vote(Str(types::EncodeVote(v)));
  put("vote", vote);

  types::Proposal p;
  p.height = 2;
  p.block_hash = c.block_hash;
  p.proposer = k.public_key();
  types::SignProposal("hito-local", &p, k);
  v1::PeerMessage prop;
  prop.mutable_consensus()->mutable_proposal()->set_proposal(Str(types::EncodeProposal(p)));
  prop.mutable_consensus()->mutable_proposal()->set_block(Str(types::EncodeBlock(b)));
  put("proposal", prop);
}

// fuzz_governance_decode: the first byte picks the decoder (0: an action alone, 1: a
// proposal transaction's body, 2: a ballot transaction's body), the rest is real bytes.
void Governance() {
  auto put = [](const std::string& name, uint8_t selector, const Bytes& body) {
    Bytes seed = {selector};
    seed.insert(seed.end(), body.begin(), body.end());
    Put("fuzz_governance_decode", name, seed);
  };
  hito::Ed25519PublicKey pk = Key(3).public_key();
  const std::vector<types::Action> actions = {
      types::ParamChange{static_cast<uint16_t>(types::ParamId::kQuorumPpm), 200'000},
      types::AddAttester{pk},
      types::RemoveAttester{pk},
      types::AddValidator{pk, 10},
      types::RemoveValidator{pk},
      types::ValidatorPower{pk, 2},
      types::EvidenceRemoval{H("evidence")},
      types::RevokeIdentity{H("identity")},
      types::TextProposal{Bytes{'h', 'i', 't', 'o'}}};
  for (const types::Action& a : actions) {
    const std::string name(types::ActionName(types::ActionTagOf(a)));
    put("action_" + name, 0, types::EncodeAction(a));
    types::GovernanceProposal p;
    p.chain_id = "hito-fuzz-1";
    p.nonce = 1;
    p.fee = 1000;
    p.deposit = 5'000'000;
    p.action = a;
    types::SignProposal(&p, Key(4));
    const Bytes tx = types::EncodeTransaction(types::Transaction{p});
    put("proposal_" + name, 1, Bytes(tx.begin() + 2, tx.end()));
  }
  types::Ballot b;
  b.round = 3;
  b.cohort = 1;
  b.entries = {{0, 5}, {2, -3}, {7, 0}};
  b.proof = Bytes(32 * (8 + 5 * 2), 0x11);
  const Bytes tx = types::EncodeTransaction(types::Transaction{b});
  put("ballot", 2, Bytes(tx.begin() + 2, tx.end()));
}

// fuzz_oprf_share: a validator's evaluation share with a valid proof, followed by its
// public share and the blinded element it answers (fixed key, blind and nonce), and the
// same share alone (the verifier then sees fillers).
void OprfShares() {
  namespace oprf = hito::zk::oprf;
  const hito::zk::Scalar k = hito::zk::Scalar::FromU64(0x5eed);
  const oprf::KeyShare share{2, k, hito::zk::Point::MulBase(k)};
  auto blinded =
      oprf::BlindWith(hito::AsBytes("passport:FRA:12AB34567"), hito::zk::Scalar::FromU64(0xb11d));
  auto answer =
      oprf::PartialEvaluateWithNonce(share, blinded->element, hito::zk::Scalar::FromU64(0x707ce));
  const auto enc = answer->Encode();
  Bytes seed(enc.begin(), enc.end());
  Put("fuzz_oprf_share", "share_only", seed);
  seed.insert(seed.end(), share.public_share.bytes().begin(), share.public_share.bytes().end());
  seed.insert(seed.end(), blinded->element.bytes().begin(), blinded->element.bytes().end());
  Put("fuzz_oprf_share", "share_key_blinded", seed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds <corpus dir>\n");
    return 2;
  }
  g_root = argv[1];
  StateProofs();
  Wal();
  Config();
  Keystore();
  Text();
  P2p();
  Governance();
  OprfShares();
  return 0;
}
