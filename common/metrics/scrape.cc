#include "common/metrics/scrape.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace employability::metrics {
namespace {

constexpr int kTimeoutSeconds = 5;

// Closes the socket on every return path.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

absl::Status SplitHostPort(absl::string_view host_port, std::string* host,
                           std::string* port) {
  const size_t colon = host_port.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("not host:port: \"", host_port, "\""));
  }
  absl::string_view h = host_port.substr(0, colon);
  // getaddrinfo wants a bare IPv6 address, without the URL brackets.
  if (absl::ConsumePrefix(&h, "[")) absl::ConsumeSuffix(&h, "]");
  *host = std::string(h);
  *port = std::string(host_port.substr(colon + 1));
  return absl::OkStatus();
}

// A connected socket with send and receive timeouts, so that a hung server
// fails the test instead of hanging it.
absl::StatusOr<int> Connect(absl::string_view host_port) {
  std::string host;
  std::string port;
  if (absl::Status s = SplitHostPort(host_port, &host, &port); !s.ok()) {
    return s;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &addresses);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("resolving ", host_port, ": ", gai_strerror(rc)));
  }
  int last_errno = 0;
  for (addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    const timeval timeout{kTimeoutSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      freeaddrinfo(addresses);
      return fd;
    }
    last_errno = errno;
    close(fd);
  }
  freeaddrinfo(addresses);
  return absl::UnavailableError(absl::StrCat("connecting to ", host_port, ": ",
                                             std::strerror(last_errno)));
}

absl::Status SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(
          absl::StrCat("sending request: ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// The body's length from the headers, or -1 when they do not say.
int64_t ContentLength(absl::string_view headers) {
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos ||
        !absl::EqualsIgnoreCase(line.substr(0, colon), "content-length")) {
      continue;
    }
    int64_t length = -1;
    if (absl::SimpleAtoi(line.substr(colon + 1), &length)) return length;
  }
  return -1;
}

// Whether `response` holds the whole message: all headers and, when their
// Content-Length says how long the body is, all of it. Stopping there matters
// because some servers (civetweb on a 404) keep the connection open for a
// while even after an HTTP/1.0 request.
bool Complete(absl::string_view response) {
  const size_t end_of_headers = response.find("\r\n\r\n");
  if (end_of_headers == absl::string_view::npos) return false;
  const int64_t length = ContentLength(response.substr(0, end_of_headers));
  return length >= 0 &&
         response.size() - end_of_headers - 4 >= static_cast<size_t>(length);
}

// Otherwise the response is everything up to end of stream: an HTTP/1.0
// server closes the connection after responding.
absl::StatusOr<std::string> ReceiveAll(int fd) {
  std::string response;
  char buffer[8192];
  while (!Complete(response)) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::UnavailableError(
          absl::StrCat("reading response: ", std::strerror(errno)));
    }
    response.append(buffer, static_cast<size_t>(n));
  }
  return response;
}

absl::StatusOr<std::string> BodyOf200(absl::string_view response) {
  const size_t end_of_headers = response.find("\r\n\r\n");
  if (end_of_headers == absl::string_view::npos) {
    return absl::InternalError("response has no end of headers");
  }
  const absl::string_view status_line =
      response.substr(0, response.find("\r\n"));
  // "HTTP/1.1 200 OK"
  std::vector<absl::string_view> parts =
      absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  int code = 0;
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/") ||
      !absl::SimpleAtoi(parts[1], &code)) {
    return absl::InternalError(
        absl::StrCat("not an HTTP response: \"", status_line, "\""));
  }
  if (code != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("HTTP status: ", status_line));
  }
  return std::string(response.substr(end_of_headers + 4));
}

}  // namespace

absl::StatusOr<std::string> HttpGet(absl::string_view host_port,
                                    absl::string_view path) {
  absl::StatusOr<int> fd = Connect(host_port);
  if (!fd.ok()) return fd.status();
  Socket socket(*fd);
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host_port,
                   "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n");
  if (absl::Status s = SendAll(socket.fd(), request); !s.ok()) return s;
  absl::StatusOr<std::string> response = ReceiveAll(socket.fd());
  if (!response.ok()) return response.status();
  return BodyOf200(*response);
}

}  // namespace employability::metrics
