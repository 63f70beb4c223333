#include "tools/loadgen/targets.h"

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "limit.grpc.pb.h"

namespace employability::tools {
namespace {

using participants::v1::CreateParticipantRequest;
using participants::v1::GetParticipantRequest;
using participants::v1::Participant;
using participants::v1::Participants;

// Everything one call needs alive until its callback runs.
template <typename Request, typename Response>
struct Exchange {
  grpc::ClientContext ctx;
  Request request;
  Response response;
};

template <typename Request, typename Response>
Exchange<Request, Response>* NewExchange(const CallOptions& call) {
  auto* exchange = new Exchange<Request, Response>;
  call.Apply(&exchange->ctx);
  return exchange;
}

template <typename Service>
std::vector<std::unique_ptr<typename Service::Stub>> StubsFor(
    const TargetConfig& config) {
  std::vector<std::unique_ptr<typename Service::Stub>> stubs;
  for (const auto& channel : config.channels) {
    stubs.push_back(Service::NewStub(channel));
  }
  return stubs;
}

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

class CreateParticipant : public Target {
 public:
  using Created = std::function<void(const grpc::Status&, const Participant&)>;

  explicit CreateParticipant(const TargetConfig& config)
      : call_(config.call),
        stubs_(StubsFor<Participants>(config)),
        factory_(config.participant, config.run_seed) {}

  void Start(int channel, uint64_t seq, CallDone done) override {
    StartCreate(channel, seq,
                [done = std::move(done)](const grpc::Status& s,
                                         const Participant&) { done(s); });
  }

  // Like Start, but hands over the created participant too.
  void StartCreate(int channel, uint64_t seq, Created done) {
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

  int channel_count() const { return static_cast<int>(stubs_.size()); }

 private:
  CallOptions call_;
  std::vector<std::unique_ptr<Participants::Stub>> stubs_;
  ParticipantFactory factory_;
};

// Creates `count` participants, a few dozen at a time, and collects their
// names; the creates' failures are counted by status code.
// Shared with its callbacks, which may still be unwinding when Run returns.
class Preloader : public std::enable_shared_from_this<Preloader> {
 public:
  Preloader(CreateParticipant* creator, uint64_t count)
      : creator_(creator), count_(count) {}

  static std::vector<std::string> Run(CreateParticipant* creator,
                                      uint64_t count) {
    return std::make_shared<Preloader>(creator, count)->Wait();
  }

 private:
  std::vector<std::string> Wait() {
    uint64_t parallel = std::min<uint64_t>(count_, 64);
    for (uint64_t i = 0; i < parallel; ++i) IssueNext();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return finished_ == count_; });
    for (int code = 1; code < kStatusCodeCount; ++code) {
      if (failures_[code] == 0) continue;
      std::cerr << "preload: " << failures_[code] << " creates failed with "
                << StatusCodeName(static_cast<grpc::StatusCode>(code))
                << " (last: " << last_error_ << ")\n";
    }
    return std::move(names_);
  }

  void IssueNext() {
    uint64_t seq = next_.fetch_add(1);
    if (seq >= count_) return;
    int channel = static_cast<int>(seq % creator_->channel_count());
    creator_->StartCreate(channel, seq,
                          [self = shared_from_this()](const grpc::Status& s,
                                                      const Participant& p) {
                            self->Finished(s, p);
                          });
  }

  void Finished(const grpc::Status& status, const Participant& p) {
    IssueNext();
    std::lock_guard<std::mutex> lock(mu_);
    if (status.ok()) {
      names_.push_back(p.name());
    } else {
      ++failures_[status.error_code()];
      last_error_ = status.error_message();
    }
    ++finished_;
    cv_.notify_all();
  }

  CreateParticipant* creator_;
  const uint64_t count_;
  std::atomic<uint64_t> next_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t finished_ = 0;
  std::vector<std::string> names_;
  uint64_t failures_[kStatusCodeCount] = {};
  std::string last_error_;
};

class GetParticipant : public Target {
 public:
  explicit GetParticipant(const TargetConfig& config)
      : call_(config.call),
        stubs_(StubsFor<Participants>(config)),
        creator_(config),
        preload_(std::max(config.preload, 1)) {}

  bool Prepare() override {
    names_ = Preloader::Run(&creator_, preload_);
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

}  // namespace

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
  return nullptr;
}

}  // namespace employability::tools
