// A minimal HTTP/1.0 GET for tests: scrapes /metrics (and any other plain
// HTTP endpoint of ours) without an HTTP client library. Not for production
// use: no TLS, no redirects, no chunked encoding, whole body in memory.
#ifndef EMPLOYABILITY_COMMON_METRICS_SCRAPE_H_
#define EMPLOYABILITY_COMMON_METRICS_SCRAPE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace employability::metrics {

// GETs http://<host_port><path> ("127.0.0.1:9090", "/metrics") and returns the
// body of a 200 response. Unavailable when the server cannot be reached or
// times out (5 s), Internal for a response that is not HTTP, and
// FailedPrecondition, with the status line, for any status other than 200.
absl::StatusOr<std::string> HttpGet(absl::string_view host_port,
                                    absl::string_view path);

}  // namespace employability::metrics

#endif  // EMPLOYABILITY_COMMON_METRICS_SCRAPE_H_
