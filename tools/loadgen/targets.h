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
  int preload = 1000;  // get-participant: records created first
};

// The names --target accepts.
inline constexpr const char* kTargetNames[] = {
    "limit-echo", "limit-put", "create-participant", "get-participant"};

// nullptr when `name` is not one of kTargetNames.
std::unique_ptr<Target> MakeTarget(const std::string& name,
                                   const TargetConfig& config);

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_TARGETS_H_
