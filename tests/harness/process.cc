#include "tests/harness/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace employability::test_harness {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// The child's environment, built before fork: after fork only
// async-signal-safe calls are allowed, so no allocation happens there.
std::vector<std::string> ChildEnvironment(const Subprocess::Options& options) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    bool dropped = false;
    for (const std::string& prefix : options.unset_prefixes) {
      dropped = dropped || absl::StartsWith(entry, prefix);
    }
    for (const auto& [name, value] : options.set) {
      dropped = dropped || absl::StartsWith(entry, absl::StrCat(name, "="));
    }
    if (!dropped) env.emplace_back(entry);
  }
  for (const auto& [name, value] : options.set)
    env.push_back(absl::StrCat(name, "=", value));
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

absl::StatusOr<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    absl::Status status = Errno("bind 127.0.0.1:0");
    close(fd);
    return status;
  }
  close(fd);
  return ntohs(address.sin_port);
}

absl::StatusOr<std::unique_ptr<TempDir>> TempDir::Create(
    const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/", prefix, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return Errno("mkdtemp");
  return std::unique_ptr<TempDir>(new TempDir(pattern));
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const Options& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("argv is empty");
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = ChildEnvironment(options);
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);

  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  int out = open(absl::StrCat(options.log_dir, "/stdout").c_str(), flags, 0644);
  int err = open(absl::StrCat(options.log_dir, "/stderr").c_str(), flags, 0644);
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || err < 0 || in < 0) {
    absl::Status status = Errno(absl::StrCat("open logs in ", options.log_dir));
    for (int fd : {out, err, in}) {
      if (fd >= 0) close(fd);
    }
    return status;
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    // The test process may block signals (the suite blocks SIGTERM); the
    // child must start with none blocked.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  absl::Status forked = pid < 0 ? Errno("fork") : absl::OkStatus();
  close(out);
  close(err);
  close(in);
  if (!forked.ok()) return forked;
  return std::unique_ptr<Subprocess>(new Subprocess(pid, options.log_dir));
}

Subprocess::~Subprocess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void Subprocess::Reap(int wait_status) {
  exit_code_ = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status)
                                      : 128 + WTERMSIG(wait_status);
}

bool Subprocess::Running() {
  if (exit_code_.has_value()) return false;
  int status = 0;
  pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) Reap(status);
  return !exit_code_.has_value();
}

absl::Status Subprocess::Signal(int signal) {
  if (!Running())
    return absl::FailedPreconditionError("the process has exited");
  if (kill(pid_, signal) != 0) return Errno("kill");
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still runs after ",
                       absl::FormatDuration(timeout)));
    }
    absl::SleepFor(
        absl::Milliseconds(10));  // polling waitpid; no SIGCHLD games
  }
  return *exit_code_;
}

std::string Subprocess::Stdout() const {
  return ReadFileOrEmpty(log_dir_ + "/stdout");
}
std::string Subprocess::Stderr() const {
  return ReadFileOrEmpty(log_dir_ + "/stderr");
}

}  // namespace employability::test_harness
