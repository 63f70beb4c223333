// employability_loadgen: loads one method of a server and reports calls/s,
// latency percentiles, status codes and (with --server_pid) the server's CPU
// time, one line of key=value fields per run.
//
//   employability_loadgen --target=limit-echo --address=127.0.0.1:50099
//   employability_loadgen --target=create-participant --rate=2000
//   employability_loadgen --target=send-referral --contract=bench-contract
//       --receiver=bench-sub
#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "tools/loadgen/driver.h"
#include "tools/loadgen/targets.h"

ABSL_FLAG(std::string, target, "",
          "limit-echo | limit-put | create-participant | get-participant | "
          "send-referral | get-referral");
ABSL_FLAG(std::string, address, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(std::string, token, "",
          "bearer token of the caller, sent as 'authorization: Bearer "
          "<token>'; empty: $EMPLOYABILITY_TOKEN");
ABSL_FLAG(std::string, purpose, "",
          "declared purpose of the calls (x-employability-purpose), e.g. "
          "EQUALITY_MONITORING");
ABSL_FLAG(int, deadline_ms, 5000, "deadline of each call, in milliseconds");
ABSL_FLAG(int, connections, 8, "distinct connections (channels)");
ABSL_FLAG(int, concurrency, 16, "closed loop: calls in flight per connection");
ABSL_FLAG(double, rate, 0,
          "open loop: calls/s in all, latency from each call's due time; "
          "0 = closed loop");
ABSL_FLAG(int, max_in_flight, 20000, "open loop: sending waits beyond this");
ABSL_FLAG(double, duration_s, 10, "length of the measured window");
ABSL_FLAG(double, warmup_s, 2, "load before the measured window");
ABSL_FLAG(int, payload_bytes, 64, "limit-echo: payload size");
ABSL_FLAG(std::string, contract, "bench",
          "participants: parent contract id; for the referral targets, a "
          "contract recorded in Agreements with the caller's organisation "
          "as prime provider");
ABSL_FLAG(std::string, programme, "restart", "participants: programme");
ABSL_FLAG(std::string, referral_date, "2026-01-05",
          "participants: referral date, YYYY-MM-DD");
ABSL_FLAG(int, preload, 1000,
          "get-participant, send-referral, get-referral: participants "
          "created first (the referral targets give each a consent; "
          "get-referral sends each one allocation)");
ABSL_FLAG(std::string, receiver, "",
          "send-referral, get-referral: the receiving organisation's id, a "
          "sub-contractor under --contract with an ACTIVE data-sharing "
          "agreement with the caller's organisation");
ABSL_FLAG(int, server_pid, 0, "report this process's CPU time in the window");
ABSL_FLAG(int, store_pid, 0,
          "report this process's (the server's Redis) CPU time too");
ABSL_FLAG(uint64_t, seed, 0,
          "makes keys and records unique to the run; 0 = random");

namespace {

namespace tools = employability::tools;

std::chrono::milliseconds Seconds(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

// Unique across runs: two runs against the same store must not collide.
uint64_t RunSeed() {
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed != 0) return seed;
  std::random_device device;
  uint64_t time = std::chrono::system_clock::now().time_since_epoch().count();
  return (uint64_t{device()} << 32 ^ device()) ^ time;
}

bool ParseDate(const std::string& text, tools::ParticipantShape* shape) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  return parts.size() == 3 &&
         absl::SimpleAtoi(parts[0], &shape->referral_year) &&
         absl::SimpleAtoi(parts[1], &shape->referral_month) &&
         absl::SimpleAtoi(parts[2], &shape->referral_day);
}

tools::LoadPlan PlanFromFlags() {
  tools::LoadPlan plan;
  plan.connections = std::max(1, absl::GetFlag(FLAGS_connections));
  plan.concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  plan.rate = absl::GetFlag(FLAGS_rate);
  plan.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  plan.warmup = Seconds(absl::GetFlag(FLAGS_warmup_s));
  plan.duration = Seconds(absl::GetFlag(FLAGS_duration_s));
  plan.drain_timeout =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms)) +
      std::chrono::seconds(2);
  if (absl::GetFlag(FLAGS_server_pid) > 0) {
    plan.server_pid = absl::GetFlag(FLAGS_server_pid);
  }
  if (absl::GetFlag(FLAGS_store_pid) > 0) {
    plan.store_pid = absl::GetFlag(FLAGS_store_pid);
  }
  return plan;
}

// The channels, each connected before the clock starts.
bool Connect(const std::string& address, int count,
             std::vector<std::shared_ptr<grpc::Channel>>* channels) {
  auto give_up = std::chrono::system_clock::now() + std::chrono::seconds(5);
  for (int i = 0; i < count; ++i) {
    channels->push_back(tools::MakeChannel(address, i));
    if (!channels->back()->WaitForConnected(give_up)) return false;
  }
  return true;
}

int Run() {
  std::string name = absl::GetFlag(FLAGS_target);
  tools::LoadPlan plan = PlanFromFlags();
  tools::TargetConfig config;
  config.call.token =
      employability::tools::TokenFrom(absl::GetFlag(FLAGS_token));
  config.call.purpose = absl::GetFlag(FLAGS_purpose);
  config.call.deadline =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms));
  config.run_seed = RunSeed();
  config.payload_bytes = absl::GetFlag(FLAGS_payload_bytes);
  config.participant.contract = absl::GetFlag(FLAGS_contract);
  config.participant.programme = absl::GetFlag(FLAGS_programme);
  config.preload = absl::GetFlag(FLAGS_preload);
  config.receiver = absl::GetFlag(FLAGS_receiver);
  if (!ParseDate(absl::GetFlag(FLAGS_referral_date), &config.participant)) {
    std::cerr << "--referral_date must be YYYY-MM-DD\n";
    return 2;
  }
  if (std::find(std::begin(tools::kTargetNames), std::end(tools::kTargetNames),
                name) == std::end(tools::kTargetNames)) {
    std::cerr << "--target must be one of: "
              << absl::StrJoin(tools::kTargetNames, ", ") << "\n";
    return 2;
  }
  if (absl::EndsWith(name, "-referral") && config.receiver.empty()) {
    std::cerr << "--target=" << name << " needs --receiver\n";
    return 2;
  }
  std::string address = absl::GetFlag(FLAGS_address);
  if (!Connect(address, plan.connections, &config.channels)) {
    std::cerr << "cannot connect to " << address << "\n";
    return 1;
  }
  std::unique_ptr<tools::Target> target = tools::MakeTarget(name, config);
  if (!target->Prepare()) {
    std::cerr << "cannot prepare " << name << "\n";
    return 1;
  }
  tools::RunSummary summary = tools::RunLoad(target.get(), plan);
  std::cout << tools::FormatSummary(name, plan, summary) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loads one method of a server; see --target. Prints one line of "
      "key=value results.");
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil with mutex deadlock detection on, and gRPC makes and
  // destroys a mutex per call: a few percent of our CPU, taken from the
  // server we are measuring.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return Run();
}
