#include "tools/loadgen/targets.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "limit.grpc.pb.h"
#include "tools/loadgen/referral_targets.h"

namespace employability::tools {
namespace {

using participants::v1::CreateParticipantRequest;
using participants::v1::GetParticipantRequest;
using participants::v1::Participant;
using participants::v1::Participants;

class LimitEcho : public Target {
 public:
  explicit LimitEcho(const TargetConfig& config)
      : call_(config.call),
        stubs_(StubsFor<limit::Limit>(config)),
        payload_(config.payload_bytes, 'x') {}

  void Start(int channel, uint64_t, CallDone done) override {
    auto* ex = NewExchange<limit::EchoRequest, limit::EchoReply>(call_);
    ex->request.set_payload(payload_);
    stubs_[channel]->async()->Echo(
        &ex->ctx, &ex->request, &ex->response,
        [ex, done = std::move(done)](grpc::Status s) {
          delete ex;  // first: `done` may end the run and the channels
          done(s);
        });
  }

 private:
  CallOptions call_;
  std::vector<std::unique_ptr<limit::Limit::Stub>> stubs_;
  std::string payload_;
};

class LimitPut : public Target {
 public:
  explicit LimitPut(const TargetConfig& config)
      : call_(config.call),
        stubs_(StubsFor<limit::Limit>(config)),
        key_prefix_(absl::StrFormat("bench:%016x:", config.run_seed)),
        value_(64, 'v') {}

  void Start(int channel, uint64_t seq, CallDone done) override {
    auto* ex = NewExchange<limit::PutRequest, limit::PutReply>(call_);
    ex->request.set_key(absl::StrCat(key_prefix_, seq));
    ex->request.set_value(value_);
    stubs_[channel]->async()->Put(
        &ex->ctx, &ex->request, &ex->response,
        [ex, done = std::move(done)](grpc::Status s) {
          delete ex;  // first: `done` may end the run and the channels
          done(s);
        });
  }

 private:
  CallOptions call_;
  std::vector<std::unique_ptr<limit::Limit::Stub>> stubs_;
  std::string key_prefix_;
  std::string value_;
};

class GetParticipant : public Target {
 public:
  explicit GetParticipant(const TargetConfig& config)
      : call_(config.call),
        stubs_(StubsFor<Participants>(config)),
        creator_(config),
        preload_(std::max(config.preload, 1)) {}

  bool Prepare() override {
    names_ = RunPreparation(
        "creates", preload_, [this](uint64_t seq, Prepared done) {
          creator_.StartCreate(static_cast<int>(seq % creator_.channel_count()),
                               seq,
                               [done = std::move(done)](const grpc::Status& s,
                                                        const Participant& p) {
                                 done(s, p.name());
                               });
        });
    std::cerr << "preload: created " << names_.size() << " participants\n";
    return !names_.empty();
  }

  void Start(int channel, uint64_t seq, CallDone done) override {
    auto* ex = NewExchange<GetParticipantRequest, Participant>(call_);
    ex->request.set_name(names_[seq % names_.size()]);
    stubs_[channel]->async()->GetParticipant(
        &ex->ctx, &ex->request, &ex->response,
        [ex, done = std::move(done)](grpc::Status s) {
          delete ex;  // first: `done` may end the run and the channels
          done(s);
        });
  }

 private:
  CallOptions call_;
  std::vector<std::unique_ptr<Participants::Stub>> stubs_;
  CreateParticipant creator_;
  uint64_t preload_;
  std::vector<std::string> names_;
};

// Runs the steps of RunPreparation. Shared with its callbacks, which may
// still be unwinding when Wait returns.
class Preparation : public std::enable_shared_from_this<Preparation> {
 public:
  Preparation(std::string what, uint64_t count, PreparationStep step)
      : what_(std::move(what)), count_(count), step_(std::move(step)) {}

  std::vector<std::string> Wait(int parallel_steps) {
    uint64_t parallel = std::min<uint64_t>(count_, std::max(parallel_steps, 1));
    for (uint64_t i = 0; i < parallel; ++i) IssueNext();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return finished_ == count_; });
    for (int code = 1; code < kStatusCodeCount; ++code) {
      if (failures_[code] == 0) continue;
      std::cerr << "preload: " << failures_[code] << " " << what_
                << " failed with "
                << StatusCodeName(static_cast<grpc::StatusCode>(code))
                << " (last: " << last_error_ << ")\n";
    }
    return std::move(names_);
  }

 private:
  void IssueNext() {
    uint64_t seq = next_.fetch_add(1);
    if (seq >= count_) return;
    step_(seq, [self = shared_from_this()](const grpc::Status& s,
                                           const std::string& name) {
      self->Finished(s, name);
    });
  }

  void Finished(const grpc::Status& status, const std::string& name) {
    IssueNext();
    std::lock_guard<std::mutex> lock(mu_);
    if (status.ok()) {
      names_.push_back(name);
    } else {
      ++failures_[status.error_code()];
      last_error_ = status.error_message();
    }
    ++finished_;
    cv_.notify_all();
  }

  const std::string what_;
  const uint64_t count_;
  const PreparationStep step_;
  std::atomic<uint64_t> next_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t finished_ = 0;
  std::vector<std::string> names_;
  uint64_t failures_[kStatusCodeCount] = {};
  std::string last_error_;
};

}  // namespace

CreateParticipant::CreateParticipant(const TargetConfig& config)
    : call_(config.call),
      stubs_(StubsFor<Participants>(config)),
      factory_(config.participant, config.run_seed) {}

void CreateParticipant::Start(int channel, uint64_t seq, CallDone done) {
  StartCreate(channel, seq,
              [done = std::move(done)](const grpc::Status& s,
                                       const Participant&) { done(s); });
}

void CreateParticipant::StartCreate(int channel, uint64_t seq, Created done) {
  auto* ex = NewExchange<CreateParticipantRequest, Participant>(call_);
  factory_.Fill(seq, &ex->request);
  stubs_[channel]->async()->CreateParticipant(
      &ex->ctx, &ex->request, &ex->response,
      [ex, done = std::move(done)](grpc::Status s) {
        Participant created = std::move(ex->response);
        delete ex;  // first: `done` may end the run and the channels
        done(s, created);
      });
}

std::vector<std::string> RunPreparation(const std::string& what, uint64_t count,
                                        PreparationStep step, int parallel) {
  if (count == 0) return {};
  return std::make_shared<Preparation>(what, count, std::move(step))
      ->Wait(parallel);
}

std::unique_ptr<Target> MakeTarget(const std::string& name,
                                   const TargetConfig& config) {
  if (name == "limit-echo") return std::make_unique<LimitEcho>(config);
  if (name == "limit-put") return std::make_unique<LimitPut>(config);
  if (name == "create-participant") {
    return std::make_unique<CreateParticipant>(config);
  }
  if (name == "get-participant") {
    return std::make_unique<GetParticipant>(config);
  }
  return MakeReferralTarget(name, config);
}

}  // namespace employability::tools
