// Drives a target: closed loop (a fixed number of calls in flight on each
// connection) or open loop (calls sent at a fixed rate whatever the replies
// do), and measures the window after the warm-up.
#ifndef EMPLOYABILITY_TOOLS_LOADGEN_DRIVER_H_
#define EMPLOYABILITY_TOOLS_LOADGEN_DRIVER_H_

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "tools/common/call_options.h"
#include "tools/loadgen/targets.h"

namespace employability::tools {

struct LoadPlan {
  int connections = 8;
  int concurrency = 16;       // closed loop: calls in flight per connection
  double rate = 0;            // > 0: open loop at this many calls/s in all
  int max_in_flight = 20000;  // open loop: sending waits beyond this
  std::chrono::milliseconds warmup{2000};
  std::chrono::milliseconds duration{10000};
  std::chrono::milliseconds drain_timeout{10000};  // for the last replies
  std::optional<pid_t> server_pid;  // to report its CPU time in the window
  std::optional<pid_t> store_pid;   // the same for its store (Redis)
};

// What the measured window saw. Calls count when they end in the window;
// a call's latency runs from when it was sent (closed loop) or was due to be
// sent (open loop: so a stalled server cannot hide its stall by slowing the
// sender, the "coordinated omission" of closed loops).
struct RunSummary {
  double window_s = 0;
  uint64_t calls = 0;
  std::array<uint64_t, kStatusCodeCount> by_code{};
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  std::optional<double> server_cpu_s;
  std::optional<double> store_cpu_s;
  double client_cpu_s = 0;
  // CPU the rest of the machine used meanwhile (not the server, its store
  // or us).
  std::optional<double> other_cpu_s;
  uint64_t unfinished = 0;  // calls still in flight at the drain timeout
};

RunSummary RunLoad(Target* target, const LoadPlan& plan);

// One line of key=value fields, e.g. "target=limit-echo mode=closed
// load=8x16 calls=... calls_per_s=... ok_per_s=... p50_ms=... OK=...".
std::string FormatSummary(const std::string& target, const LoadPlan& plan,
                          const RunSummary& summary);

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_DRIVER_H_
