// Child processes for end-to-end tests: the real binaries (redis-server, the
// suite) run as separate processes that a test starts, signals and reaps.
#ifndef EMPLOYABILITY_TESTS_SUPPORT_PROCESS_H_
#define EMPLOYABILITY_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace employability::test_harness {

// A TCP port on 127.0.0.1 that nobody listened on a moment ago: binds port 0
// and reads back the port the kernel chose. Another process may still take
// it before the caller binds it; callers that can, retry with a new one.
absl::StatusOr<int> FreeLoopbackPort();

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when this object goes.
class TempDir {
 public:
  static absl::StatusOr<std::unique_ptr<TempDir>> Create(
      const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The whole content of a file; empty when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

class Subprocess {
 public:
  struct Options {
    // argv[0] is the program, looked up on PATH when it has no slash.
    std::vector<std::string> argv;
    // The child's environment: the parent's, without the variables whose
    // names start with one of `unset_prefixes`, plus `set`.
    std::vector<std::string> unset_prefixes;
    std::vector<std::pair<std::string, std::string>> set;
    // stdout and stderr are appended to <log_dir>/stdout and <log_dir>/stderr.
    std::string log_dir;
  };

  // Starts the child. It is killed (SIGKILL) if the thread that started it
  // exits first, so that a crashed test leaves no stray server behind.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const Options& options);
  // Kills the child (SIGKILL) if it still runs, and reaps it.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // True until the child has exited (reaps it when it has).
  bool Running();
  absl::Status Signal(int signal);
  // The exit code, or 128 + the signal that killed it; DEADLINE_EXCEEDED if
  // the child still runs after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  std::string Stdout() const;
  std::string Stderr() const;

 private:
  Subprocess(pid_t pid, std::string log_dir)
      : pid_(pid), log_dir_(std::move(log_dir)) {}
  void Reap(int wait_status);

  pid_t pid_;
  std::string log_dir_;
  std::optional<int> exit_code_;
};

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_SUPPORT_PROCESS_H_
