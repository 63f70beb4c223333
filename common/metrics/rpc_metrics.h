// RPC metrics for every service: a gRPC server interceptor that counts each
// RPC by service, method and status code and records its latency, and the
// HTTP endpoint that serves them to Prometheus.
//
// Wiring, in a server's bootstrap:
//   auto registry = std::make_shared<prometheus::Registry>();
//   RpcMetrics rpc_metrics(*registry);           // outlives the server
//   rpc_metrics.AddService(Participants::descriptor());  // each service
//   std::vector<std::unique_ptr<
//       grpc::experimental::ServerInterceptorFactoryInterface>> creators;
//   creators.push_back(rpc_metrics.NewInterceptorFactory());
//   builder.experimental().SetInterceptorCreators(std::move(creators));
//   absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
//       MetricsEndpoint::Start("--metrics_address", address, registry);
//
// Labels are bounded by construction: only methods of registered services
// (or added paths) get their own series; any other path is counted under
// service="unknown", method="unknown", so a client cannot create series at
// will. Never add ids or other per-request values as labels.
#ifndef EMPLOYABILITY_COMMON_METRICS_RPC_METRICS_H_
#define EMPLOYABILITY_COMMON_METRICS_RPC_METRICS_H_

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace employability::metrics {

inline constexpr char kRequestsTotal[] = "employability_rpc_requests_total";
inline constexpr char kDurationSeconds[] = "employability_rpc_duration_seconds";
// The label value for any service or method that was not registered.
inline constexpr char kUnknown[] = "unknown";

// Latency histogram buckets, 100 µs to 10 s: fixed, so that every service's
// histograms can be aggregated together.
const prometheus::Histogram::BucketBoundaries& RpcDurationBuckets();

class RpcMetrics {
 public:
  // Adds the two families to `registry`, which must outlive this object.
  explicit RpcMetrics(prometheus::Registry& registry);
  RpcMetrics(const RpcMetrics&) = delete;
  RpcMetrics& operator=(const RpcMetrics&) = delete;
  ~RpcMetrics();

  // Gives every method of `service` its own series. Call before the server
  // starts (calling later is safe, but earlier RPCs count as unknown).
  void AddService(const google::protobuf::ServiceDescriptor* service);

  // Same for one method by its gRPC path, "/package.Service/Method", for
  // services without a descriptor at hand (grpc.health.v1.Health served by
  // grpc::EnableDefaultHealthCheckService). Returns false, adding nothing,
  // for a malformed path.
  bool AddMethod(absl::string_view path);

  // An interceptor factory for grpc::ServerBuilder::experimental()
  // .SetInterceptorCreators. It refers to this object, which must outlive
  // the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory();

  // The series of one method, found once per RPC and then used lock-free.
  class MethodSeries;

  // The series for a gRPC path; the "unknown" series for an unregistered one.
  // Never null; valid as long as this object.
  MethodSeries* Find(absl::string_view path) const ABSL_LOCKS_EXCLUDED(mu_);

  // Records one finished RPC. Exposed for the interceptor and for tests.
  static void Record(MethodSeries& series, grpc::StatusCode code,
                     double seconds);

 private:
  void Add(absl::string_view path, absl::string_view service,
           absl::string_view method) ABSL_LOCKS_EXCLUDED(mu_);

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  std::unique_ptr<MethodSeries> unknown_;
  mutable absl::Mutex mu_;
  // Keyed by path; values are boxed so that pointers handed out stay valid
  // when the map grows.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> by_path_
      ABSL_GUARDED_BY(mu_);
};

// Serves a registry's metrics on http://<host:port>/metrics until destroyed.
class MetricsEndpoint {
 public:
  // `flag` names the setting that gave `host_port` ("--metrics_address") so
  // that a bind failure (port in use, bad address) says which setting to fix.
  // A port of 0 picks a free one; see port().
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      absl::string_view flag, absl::string_view host_port,
      std::shared_ptr<prometheus::Registry> registry);

  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;
  ~MetricsEndpoint();

  // The port actually listened on.
  int port() const { return port_; }

 private:
  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                  std::shared_ptr<prometheus::Registry> registry, int port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  // The exposer holds only a weak_ptr; this keeps the registry alive.
  std::shared_ptr<prometheus::Registry> registry_;
  int port_;
};

}  // namespace employability::metrics

#endif  // EMPLOYABILITY_COMMON_METRICS_RPC_METRICS_H_
