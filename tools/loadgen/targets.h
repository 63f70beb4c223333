// What the load generator can call. A target starts one call when asked and
// reports its status; the driver decides when and how many.
#ifndef EMPLOYABILITY_TOOLS_LOADGEN_TARGETS_H_
#define EMPLOYABILITY_TOOLS_LOADGEN_TARGETS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "employability/participants/v1/participants.grpc.pb.h"
#include "tools/common/call_options.h"
#include "tools/loadgen/participant_factory.h"

namespace employability::tools {

// Runs once when a call ends, on a gRPC thread: it must not block.
using CallDone = std::function<void(const grpc::Status&)>;

class Target {
 public:
  virtual ~Target() = default;

  // Work before the load starts (e.g. creating the records to read); false
  // when the target cannot be loaded.
  virtual bool Prepare() { return true; }

  // Starts call number `seq` (unique in the run) on channel `channel` and
  // returns at once.
  virtual void Start(int channel, uint64_t seq, CallDone done) = 0;
};

struct TargetConfig {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  CallOptions call;
  uint64_t run_seed = 0;   // makes keys and records unique to the run
  int payload_bytes = 64;  // limit-echo
  ParticipantShape participant;
  // get-participant, send-referral, get-referral: records created first.
  int preload = 1000;
  // send-referral, get-referral: the receiving organisation's id (a
  // sub-contractor of participant.contract, sharing data with the caller's).
  std::string receiver;
};

// The names --target accepts.
inline constexpr const char* kTargetNames[] = {
    "limit-echo",      "limit-put",     "create-participant",
    "get-participant", "send-referral", "get-referral"};

// Everything one asynchronous call needs alive until its callback runs.
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

// One stub per channel, so that call `seq` on channel `c` uses stubs[c].
template <typename Service>
std::vector<std::unique_ptr<typename Service::Stub>> StubsFor(
    const TargetConfig& config) {
  std::vector<std::unique_ptr<typename Service::Stub>> stubs;
  for (const auto& channel : config.channels) {
    stubs.push_back(Service::NewStub(channel));
  }
  return stubs;
}

// Creates a unique, valid participant per call (the factory's request).
class CreateParticipant : public Target {
 public:
  using Created = std::function<void(const grpc::Status&,
                                     const participants::v1::Participant&)>;

  explicit CreateParticipant(const TargetConfig& config);

  void Start(int channel, uint64_t seq, CallDone done) override;

  // Like Start, but hands over the created participant too.
  void StartCreate(int channel, uint64_t seq, Created done);

  int channel_count() const { return static_cast<int>(stubs_.size()); }

 private:
  CallOptions call_;
  std::vector<std::unique_ptr<participants::v1::Participants::Stub>> stubs_;
  ParticipantFactory factory_;
};

// Reports once how one preparation step ended and, when it succeeded, the
// name of the record it made.
using Prepared =
    std::function<void(const grpc::Status&, const std::string& name)>;
// Starts preparation step `seq` (0..count-1); returns at once.
using PreparationStep = std::function<void(uint64_t seq, Prepared done)>;

// Runs `count` steps, `parallel` at a time, and returns the names the
// successful ones made (in no set order). Failures are counted by status
// code on stderr under `what` ("creates", "referrals"): a bench that
// prepares nothing must say why.
std::vector<std::string> RunPreparation(const std::string& what, uint64_t count,
                                        PreparationStep step,
                                        int parallel = 64);

// nullptr when `name` is not one of kTargetNames.
std::unique_ptr<Target> MakeTarget(const std::string& name,
                                   const TargetConfig& config);

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_TARGETS_H_
