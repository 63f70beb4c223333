#include "tools/loadgen/driver.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_format.h"
#include "tools/loadgen/histogram.h"
#include "tools/loadgen/process_cpu.h"

namespace employability::tools {
namespace {

using Clock = std::chrono::steady_clock;

double Millis(int64_t micros) { return micros / 1000.0; }

// CPU counters read at both ends of the window.
struct CpuMark {
  std::optional<double> server;
  std::optional<double> store;
  double own = 0;
  std::optional<double> machine;
};

CpuMark MarkCpu(const LoadPlan& plan) {
  CpuMark mark;
  if (plan.server_pid) mark.server = ProcessCpuSeconds(*plan.server_pid);
  if (plan.store_pid) mark.store = ProcessCpuSeconds(*plan.store_pid);
  mark.own = OwnCpuSeconds();
  mark.machine = MachineBusySeconds();
  return mark;
}

class Driver {
 public:
  Driver(Target* target, const LoadPlan& plan)
      : target_(target),
        plan_(plan),
        start_(Clock::now()),
        window_start_(start_ + plan.warmup),
        window_end_(window_start_ + plan.duration) {}

  RunSummary Run() {
    std::thread sender;
    if (plan_.rate > 0) {
      sender = std::thread([this] { SendAtRate(); });
    } else {
      for (int c = 0; c < plan_.connections; ++c) {
        for (int i = 0; i < plan_.concurrency; ++i) Send(c, Clock::now());
      }
    }
    std::this_thread::sleep_until(window_start_);
    CpuMark begin = MarkCpu(plan_);
    std::this_thread::sleep_until(window_end_);
    CpuMark end = MarkCpu(plan_);
    if (sender.joinable()) sender.join();
    uint64_t unfinished = Drain();
    return Summarise(begin, end, unfinished);
  }

 private:
  bool closed_loop() const { return plan_.rate <= 0; }

  // Starts one call; `due` is when it was meant to go.
  void Send(int channel, Clock::time_point due) {
    in_flight_.fetch_add(1);
    target_->Start(channel, next_seq_.fetch_add(1),
                   [this, channel, due](const grpc::Status& s) {
                     Finished(channel, due, s.error_code());
                   });
  }

  void Finished(int channel, Clock::time_point due, grpc::StatusCode code) {
    Clock::time_point now = Clock::now();
    if (now >= window_start_ && now < window_end_) {
      latency_.Record(
          std::chrono::duration_cast<std::chrono::microseconds>(now - due)
              .count());
      by_code_[static_cast<int>(code) % kStatusCodeCount].fetch_add(1);
    }
    // Replace this call before counting it out, so that the count reaches
    // zero only when the run is over.
    if (closed_loop() && now < window_end_) Send(channel, now);
    in_flight_.fetch_sub(1);  // the last touch of `this`
  }

  // Open loop: call i is due at start + i/rate, sent then or, when the
  // sender is late or too many calls are in flight, as soon as it can.
  void SendAtRate() {
    const std::chrono::duration<double> interval(1.0 / plan_.rate);
    for (uint64_t i = 0;; ++i) {
      auto due =
          start_ + std::chrono::duration_cast<Clock::duration>(interval * i);
      if (due >= window_end_) return;
      std::this_thread::sleep_until(due);
      while (in_flight_.load() >= plan_.max_in_flight) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      Send(static_cast<int>(i % plan_.connections), due);
    }
  }

  // Waits for the calls still in flight; returns how many never ended.
  uint64_t Drain() {
    Clock::time_point give_up = Clock::now() + plan_.drain_timeout;
    while (in_flight_.load() > 0 && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return in_flight_.load();
  }

  RunSummary Summarise(const CpuMark& begin, const CpuMark& end,
                       uint64_t unfinished) const {
    RunSummary s;
    s.window_s =
        std::chrono::duration<double>(window_end_ - window_start_).count();
    s.calls = latency_.count();
    for (int i = 0; i < kStatusCodeCount; ++i) {
      s.by_code[i] = by_code_[i].load();
    }
    s.p50_ms = Millis(latency_.Percentile(0.50));
    s.p90_ms = Millis(latency_.Percentile(0.90));
    s.p99_ms = Millis(latency_.Percentile(0.99));
    s.max_ms = Millis(latency_.max_micros());
    if (begin.server && end.server) {
      s.server_cpu_s = *end.server - *begin.server;
    }
    s.client_cpu_s = end.own - begin.own;
    if (begin.store && end.store) s.store_cpu_s = *end.store - *begin.store;
    if (s.server_cpu_s && begin.machine && end.machine) {
      s.other_cpu_s =
          std::max(0.0, *end.machine - *begin.machine - *s.server_cpu_s -
                            s.store_cpu_s.value_or(0) - s.client_cpu_s);
    }
    s.unfinished = unfinished;
    return s;
  }

  Target* target_;
  const LoadPlan plan_;
  const Clock::time_point start_, window_start_, window_end_;
  std::atomic<uint64_t> next_seq_{0};
  std::atomic<int64_t> in_flight_{0};
  LatencyHistogram latency_;
  std::array<std::atomic<uint64_t>, kStatusCodeCount> by_code_{};
};

}  // namespace

RunSummary RunLoad(Target* target, const LoadPlan& plan) {
  // The histogram is large and the driver must outlive every callback:
  // keep it off the stack of a caller that might return early.
  auto driver = std::make_unique<Driver>(target, plan);
  RunSummary summary = driver->Run();
  // Calls that never ended would call back into a freed driver.
  if (summary.unfinished > 0) driver.release();
  return summary;
}

std::string FormatSummary(const std::string& target, const LoadPlan& plan,
                          const RunSummary& s) {
  std::string load = plan.rate > 0 ? absl::StrFormat("%.0f/s", plan.rate)
                                   : absl::StrFormat("%dx%d", plan.connections,
                                                     plan.concurrency);
  double per_s = s.window_s > 0 ? 1.0 / s.window_s : 0;
  std::string line = absl::StrFormat(
      "target=%s mode=%s load=%s connections=%d window_s=%.1f calls=%d "
      "calls_per_s=%.1f ok_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      "max_ms=%.3f",
      target, plan.rate > 0 ? "open" : "closed", load, plan.connections,
      s.window_s, s.calls, s.calls * per_s, s.by_code[0] * per_s, s.p50_ms,
      s.p90_ms, s.p99_ms, s.max_ms);
  for (int i = 0; i < kStatusCodeCount; ++i) {
    if (i != 0 && s.by_code[i] == 0) continue;  // OK always shown
    absl::StrAppendFormat(&line, " %s=%d",
                          StatusCodeName(static_cast<grpc::StatusCode>(i)),
                          s.by_code[i]);
  }
  if (s.server_cpu_s) {
    absl::StrAppendFormat(&line, " server_cpu_s=%.2f", *s.server_cpu_s);
  }
  if (s.store_cpu_s) {
    absl::StrAppendFormat(&line, " store_cpu_s=%.2f", *s.store_cpu_s);
  }
  absl::StrAppendFormat(&line, " client_cpu_s=%.2f", s.client_cpu_s);
  if (s.other_cpu_s) {
    absl::StrAppendFormat(&line, " other_cpu_s=%.2f", *s.other_cpu_s);
  }
  if (s.unfinished > 0) {
    absl::StrAppendFormat(&line, " unfinished=%d", s.unfinished);
  }
  return line;
}

}  // namespace employability::tools
