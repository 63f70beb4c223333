// Server bootstrap for any set of services: one listening port, standard
// health checking (readiness per service, liveness for the process), server
// reflection, Prometheus /metrics on its own port, the RPC metrics
// interceptor, keepalive, message size limits and graceful shutdown.
#ifndef EMPLOYABILITY_COMMON_SERVER_SERVER_H_
#define EMPLOYABILITY_COMMON_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/metrics/rpc_metrics.h"

namespace employability::server {

// Mutual TLS for the listening port (PEM text, not paths). With it, every
// client must present a certificate signed by `client_ca`; the certificate's
// name is the calling service's identity (auth/peer.h).
struct TlsIdentity {
  std::string certificate_chain;  // this server's certificate (and chain)
  std::string private_key;
  std::string client_ca;  // the CA that signs the suite's client certificates
  bool enabled() const { return !certificate_chain.empty(); }
};

struct ServerOptions {
  std::string address = "127.0.0.1:50051";         // port 0 picks a free port
  std::string metrics_address = "127.0.0.1:9464";  // empty: no /metrics
  int max_message_bytes = 4 << 20;
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  absl::Duration drain_deadline = absl::Seconds(10);
  absl::Duration readiness_interval = absl::Milliseconds(500);
  TlsIdentity tls;  // empty: plaintext (loopback, development, tests)
};

// One gRPC service hosted by the server.
struct HostedService {
  grpc::Service* service;
  // Full gRPC service name, e.g. "employability.participants.v1.Participants":
  // its health-check name and its metrics label.
  std::string name;
  // OK while the service can serve (its store answers); polled to set the
  // service's health status (readiness).
  std::function<absl::Status()> readiness;
};

class ServerHost {
 public:
  static absl::StatusOr<std::unique_ptr<ServerHost>> Start(
      const ServerOptions& options, std::vector<HostedService> services,
      std::shared_ptr<prometheus::Registry> registry);
  ~ServerHost();

  int port() const { return port_; }
  // Port of /metrics; 0 when disabled.
  int metrics_port() const { return metrics_port_; }

  // Stops taking calls, lets calls in flight finish until the drain
  // deadline, then cancels the rest. Idempotent.
  void Shutdown();

 private:
  ServerHost() = default;
  void WatchReadiness();
  void UpdateReadiness();

  ServerOptions options_;
  std::vector<HostedService> services_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<metrics::RpcMetrics> rpc_metrics_;
  std::unique_ptr<metrics::MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int metrics_port_ = 0;
  absl::Notification stop_;
  std::thread readiness_thread_;
  bool shut_down_ = false;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// later; call first thing in main. WaitForShutdownSignal then returns the
// signal when one arrives.
void BlockShutdownSignals();
int WaitForShutdownSignal();

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_SERVER_H_
