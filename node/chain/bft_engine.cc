#include "node/chain/bft_engine.h"

#include <algorithm>
#include <chrono>

namespace hito::node::chain {
namespace types = consensus::types;
namespace bft = consensus::bft;

Result<std::unique_ptr<BftEngine>> BftEngine::Open(const std::filesystem::path& home,
                                                   std::string chain_id, Ed25519PrivateKey key,
                                                   Application* app, store::Store* store,
                                                   ConsensusTransport* transport,
                                                   BftEngineOptions options) {
  return Open(io::Env::Posix(), io::Clock::Real(), home, std::move(chain_id), std::move(key), app,
              store, transport, std::move(options));
}

Result<std::unique_ptr<BftEngine>> BftEngine::Open(io::Env* env, io::Clock* clock,
                                                   const std::filesystem::path& home,
                                                   std::string chain_id, Ed25519PrivateKey key,
                                                   Application* app, store::Store* store,
                                                   ConsensusTransport* transport,
                                                   BftEngineOptions options) {
  const size_t inbox_max_bytes = options.inbox_max_bytes;
  HITO_ASSIGN_OR_RETURN(std::unique_ptr<BftDriver> driver,
                        BftDriver::Open(env, clock, home, std::move(chain_id), std::move(key), app,
                                        store, transport, std::move(options)));
  return std::unique_ptr<BftEngine>(
      new BftEngine(clock, transport, std::move(driver), inbox_max_bytes));
}

BftEngine::BftEngine(io::Clock* clock, ConsensusTransport* transport,
                     std::unique_ptr<BftDriver> driver, size_t inbox_max_bytes)
    : clock_(clock), transport_(transport), driver_(std::move(driver)), inbox_(inbox_max_bytes) {}

BftEngine::~BftEngine() { Stop(); }

void BftEngine::OnStopped() { transport_->SetHandler(nullptr); }

// ---- ConsensusHandler ----

bool InputInbox::Push(BftInput input) {
  const size_t size = BftInputBytes(input);
  if (size > max_bytes_ - std::min(bytes_, max_bytes_)) return false;
  bytes_ += size;
  inputs_.push_back(std::move(input));
  return true;
}

std::deque<BftInput> InputInbox::TakeAll() {
  std::deque<BftInput> out;
  out.swap(inputs_);
  bytes_ = 0;
  return out;
}

void BftEngine::Enqueue(BftInput input) {
  {
    MutexLock lock(mu_);
    if (stop_) return;
    // Overloaded: dropped (peers re-send; the driver's own messages never pass here).
    if (!inbox_.Push(std::move(input))) return;
  }
  cv_.NotifyOne();
}

void BftEngine::OnProposal(const types::Proposal& proposal, std::optional<types::Block> block) {
  Enqueue(bft::ProposalReceived{proposal, std::move(block)});
}
void BftEngine::OnVote(const types::Vote& vote) { Enqueue(bft::VoteReceived{vote}); }
void BftEngine::OnBlock(const types::Block& block) { Enqueue(bft::BlockReceived{block}); }
void BftEngine::OnEvidence(const types::DuplicateVoteEvidence& evidence) { Enqueue(evidence); }
void BftEngine::OnCommittedBlock(const types::Block& block, const types::Commit& commit) {
  Enqueue(CommittedBlockReceived{block, commit});
}

std::optional<std::pair<types::Block, types::Commit>> BftEngine::ServeCommittedBlock(
    uint64_t height) {
  return driver_->ServeCommittedBlock(height);
}

// ---- Engine thread ----

void BftEngine::Run() {
  driver_->Resume();
  transport_->SetHandler(this);
  while (true) {
    std::deque<BftInput> batch;
    {
      MutexLock lock(mu_);
      const auto wait = driver_->NextWake() - clock_->Now();
      const auto deadline =
          std::chrono::steady_clock::now() + std::max(wait, io::Clock::TimePoint::duration::zero());
      while (!stop_ && inbox_.empty()) {
        if (!cv_.WaitUntil(mu_, deadline)) break;
      }
      if (stop_) return;
      batch = inbox_.TakeAll();
    }
    for (BftInput& in : batch) driver_->Handle(std::move(in));
    driver_->Tick();
  }
}

}  // namespace hito::node::chain
