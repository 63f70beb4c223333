#include "tests/harness/redis_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace employability::test_harness {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(10);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);
constexpr char kReady[] = "Ready to accept connections";

// How often the log says the server is ready: a restart appends to the same
// log, so readiness is the count going up.
int ReadyLines(const std::string& log) {
  int count = 0;
  for (size_t at = log.find(kReady); at != std::string::npos;
       at = log.find(kReady, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

bool RedisAnswersPing(int port, absl::Duration timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  bool pong = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    constexpr char kPing[] = "PING\r\n";
    char reply[16] = {};
    if (send(fd, kPing, sizeof(kPing) - 1, MSG_NOSIGNAL) == sizeof(kPing) - 1) {
      ssize_t n = recv(fd, reply, sizeof(reply) - 1, 0);
      pong = n > 0 && absl::StartsWith(absl::string_view(reply, n), "+PONG");
    }
  }
  close(fd);
  return pong;
}

absl::StatusOr<std::unique_ptr<RedisProcess>> RedisProcess::Launch(
    Options options) {
  absl::Status last = absl::UnknownError("no attempt made");
  // A free port can be taken between our probe and redis-server's bind;
  // then redis-server exits and we try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<std::unique_ptr<TempDir>> dir = TempDir::Create("emp-redis");
    if (!dir.ok()) return dir.status();
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<RedisProcess> redis(
        new RedisProcess(options, *std::move(dir), *port));
    last = redis->Start();
    if (last.ok()) return redis;
  }
  return last;
}

RedisProcess::~RedisProcess() { process_.reset(); }  // SIGKILL, reaped

std::string RedisProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string RedisProcess::Log() const {
  return process_ != nullptr ? process_->Stdout()
                             : ReadFileOrEmpty(dir_->path() + "/stdout");
}

absl::Status RedisProcess::Start() {
  if (process_ != nullptr)
    return absl::FailedPreconditionError("redis-server already runs");
  Subprocess::Options spawn;
  spawn.argv = {"redis-server",
                "--port",
                absl::StrCat(port_),
                "--bind",
                "127.0.0.1",
                "--dir",
                dir_->path(),
                "--save",
                "",
                "--daemonize",
                "no",
                "--appendonly",
                options_.append_only ? "yes" : "no",
                "--appendfsync",
                "always"};
  spawn.log_dir = dir_->path();
  const int ready_before =
      ReadyLines(ReadFileOrEmpty(dir_->path() + "/stdout"));
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(spawn);
  if (!process.ok()) return process.status();
  const absl::Time deadline = absl::Now() + kStartTimeout;
  // Our own server's log line, not just a PONG: a PONG alone could come from
  // another server that took the port first.
  while (ReadyLines((*process)->Stdout()) <= ready_before ||
         !RedisAnswersPing(port_, absl::Milliseconds(200))) {
    if (!(*process)->Running()) {
      return absl::UnavailableError(
          absl::StrCat("redis-server on port ", port_,
                       " exited at start: ", (*process)->Stdout()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("redis-server on port ", port_, " did not answer PING"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  process_ = *std::move(process);
  return absl::OkStatus();
}

absl::Status RedisProcess::Stop() {
  if (process_ == nullptr)
    return absl::FailedPreconditionError("redis-server is not running");
  absl::Status signalled = process_->Signal(SIGTERM);
  absl::StatusOr<int> code = process_->Wait(kStopTimeout);
  if (!code.ok()) return code.status();  // the destructor kills it
  process_.reset();
  return signalled;
}

absl::StatusOr<std::string> RedisCli(const std::string& address,
                                     const std::vector<std::string>& args) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("not host:port: ", address));
  }
  absl::StatusOr<std::unique_ptr<TempDir>> dir =
      TempDir::Create("emp-redis-cli");
  if (!dir.ok()) return dir.status();
  Subprocess::Options cli;
  cli.argv = {"redis-cli", "-h", address.substr(0, colon), "-p",
              address.substr(colon + 1)};
  cli.argv.insert(cli.argv.end(), args.begin(), args.end());
  cli.log_dir = (*dir)->path();
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(cli);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> code = (*process)->Wait(absl::Seconds(10));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(absl::StrCat("redis-cli exited with ", *code,
                                            ": ", (*process)->Stderr()));
  }
  return (*process)->Stdout();
}

absl::Status RedisProcess::Pause() {
  if (process_ == nullptr)
    return absl::FailedPreconditionError("redis-server is not running");
  return process_->Signal(SIGSTOP);
}

absl::Status RedisProcess::Resume() {
  if (process_ == nullptr)
    return absl::FailedPreconditionError("redis-server is not running");
  return process_->Signal(SIGCONT);
}

}  // namespace employability::test_harness
