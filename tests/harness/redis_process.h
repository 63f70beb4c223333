// A redis-server of a test's own, for tests that stop and restart Redis and
// so cannot share the throwaway server ./test starts for everyone.
#ifndef EMPLOYABILITY_TESTS_HARNESS_REDIS_PROCESS_H_
#define EMPLOYABILITY_TESTS_HARNESS_REDIS_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/harness/process.h"

namespace employability::test_harness {

class RedisProcess {
 public:
  struct Options {
    // AOF with fsync on every write, so that data survives Stop() and
    // Start(); otherwise nothing is persisted and a restart starts empty.
    bool append_only = false;
  };

  // Starts redis-server (from PATH) on a free loopback port, in a temporary
  // directory of its own, and waits until it answers PING.
  static absl::StatusOr<std::unique_ptr<RedisProcess>> Launch(Options options);
  static absl::StatusOr<std::unique_ptr<RedisProcess>> Launch() {
    return Launch(Options{});
  }
  // Kills the server; it never outlives the test.
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>", as RedisStore and --redis take it.
  std::string address() const;
  bool running() const { return process_ != nullptr; }

  // Shuts the server down (SIGTERM: it flushes the AOF first) and waits
  // until it has exited, so that the port refuses connections.
  absl::Status Stop();
  // Starts it again on the same port and directory; waits for PING.
  absl::Status Start();

  // Freezes the server (SIGSTOP): connections stay open but nothing
  // answers, as when the network drops packets. Resume() thaws it.
  absl::Status Pause();
  absl::Status Resume();

  // The server's log, for failure messages.
  std::string Log() const;

 private:
  RedisProcess(Options options, std::unique_ptr<TempDir> dir, int port)
      : options_(options), dir_(std::move(dir)), port_(port) {}

  Options options_;
  std::unique_ptr<TempDir> dir_;
  int port_;
  std::unique_ptr<Subprocess> process_;
};

// Runs redis-cli (from PATH) against `address` ("host:port") with `args`
// and returns its standard output: for tests that check what lands in
// Redis itself, as a consumer in another language would see it, rather
// than through our Store.
absl::StatusOr<std::string> RedisCli(const std::string& address,
                                     const std::vector<std::string>& args);

// True when a Redis server on 127.0.0.1:<port> answers PING with PONG
// within `timeout` (a raw RESP exchange: no client library needed).
bool RedisAnswersPing(int port, absl::Duration timeout);

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_HARNESS_REDIS_PROCESS_H_
