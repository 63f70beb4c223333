#include "common/metrics/rpc_metrics.h"

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/grpc_status.h"

namespace employability::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Out-of-range codes (a buggy handler) are counted as UNKNOWN, as gRPC
// itself would report them, rather than indexing past the array.
size_t CodeIndex(grpc::StatusCode code) {
  const int value = static_cast<int>(code);
  if (value < 0 || value >= static_cast<int>(kStatusCodeCount)) {
    return static_cast<size_t>(grpc::StatusCode::UNKNOWN);
  }
  return static_cast<size_t>(value);
}

// "/package.Service/Method" -> {"package.Service", "Method"}; false when the
// path does not have that shape.
bool SplitPath(absl::string_view path, absl::string_view* service,
               absl::string_view* method) {
  if (!absl::ConsumePrefix(&path, "/")) return false;
  const size_t slash = path.find('/');
  if (slash == absl::string_view::npos) return false;
  *service = path.substr(0, slash);
  *method = path.substr(slash + 1);
  return !service->empty() && !method->empty() &&
         !absl::StrContains(*method, '/');
}

}  // namespace

class RpcMetrics::MethodSeries {
 public:
  MethodSeries(prometheus::Family<prometheus::Counter>& requests,
               prometheus::Family<prometheus::Histogram>& duration,
               absl::string_view service, absl::string_view method)
      : requests_family_(requests),
        service_(service),
        method_(method),
        duration_(duration.Add({{"service", service_}, {"method", method_}},
                               RpcDurationBuckets())) {
    // Creating the OK series up front makes it exist (at 0) before the first
    // call, so rate() and absent() behave from the start.
    Requests(grpc::StatusCode::OK);
  }

  void Record(grpc::StatusCode code, double seconds) {
    Requests(code).Increment();
    duration_.Observe(seconds);
  }

 private:
  // Lazily created per code: a racing first use may call Family::Add twice,
  // which is harmless because Add returns the same series for equal labels.
  prometheus::Counter& Requests(grpc::StatusCode code) {
    const size_t index = CodeIndex(code);
    prometheus::Counter* counter =
        requests_[index].load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &requests_family_.Add(
          {{"service", service_},
           {"method", method_},
           {"code", std::string(employability::StatusCodeName(
                        static_cast<grpc::StatusCode>(index)))}});
      requests_[index].store(counter, std::memory_order_release);
    }
    return *counter;
  }

  prometheus::Family<prometheus::Counter>& requests_family_;
  const std::string service_;
  const std::string method_;
  prometheus::Histogram& duration_;
  std::array<std::atomic<prometheus::Counter*>, kStatusCodeCount> requests_{};
};

namespace {

// One per RPC. The clock starts when gRPC creates the interceptor, which is
// as the call is matched to a method, just before POST_RECV_INITIAL_METADATA,
// so every path through the RPC has a start time.
class RpcInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RpcInterceptor(RpcMetrics::MethodSeries* series)
      : series_(series), start_(std::chrono::steady_clock::now()) {}

  // An RPC that ended without sending a status (the client went away before
  // a callback handler finished) still counts, as CANCELLED.
  ~RpcInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    const std::chrono::duration<double> elapsed =
        std::chrono::steady_clock::now() - start_;
    RpcMetrics::Record(*series_, code, elapsed.count());
  }

  RpcMetrics::MethodSeries* const series_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

class RpcInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcInterceptorFactory(const RpcMetrics* metrics)
      : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* path = info->method();
    return new RpcInterceptor(
        metrics_->Find(path == nullptr ? absl::string_view() : path));
  }

 private:
  const RpcMetrics* const metrics_;
};

}  // namespace

const prometheus::Histogram::BucketBoundaries& RpcDurationBuckets() {
  static const auto* const kBuckets =
      new prometheus::Histogram::BucketBoundaries{
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return *kBuckets;
}

RpcMetrics::RpcMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name(kRequestsTotal)
                    .Help("RPCs handled, by service, method and status code.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name(kDurationSeconds)
                    .Help("Time to handle an RPC, from its arrival to its "
                          "status, by service and method.")
                    .Register(registry)),
      unknown_(std::make_unique<MethodSeries>(requests_, duration_, kUnknown,
                                              kUnknown)) {}

RpcMetrics::~RpcMetrics() = default;

void RpcMetrics::AddService(
    const google::protobuf::ServiceDescriptor* service) {
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string& method = service->method(i)->name();
    Add(absl::StrCat("/", service->full_name(), "/", method),
        service->full_name(), method);
  }
}

bool RpcMetrics::AddMethod(absl::string_view path) {
  absl::string_view service;
  absl::string_view method;
  if (!SplitPath(path, &service, &method)) return false;
  Add(path, service, method);
  return true;
}

void RpcMetrics::Add(absl::string_view path, absl::string_view service,
                     absl::string_view method) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<MethodSeries>& series = by_path_[path];
  if (series == nullptr) {
    series =
        std::make_unique<MethodSeries>(requests_, duration_, service, method);
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcMetrics::NewInterceptorFactory() {
  return std::make_unique<RpcInterceptorFactory>(this);
}

RpcMetrics::MethodSeries* RpcMetrics::Find(absl::string_view path) const {
  absl::ReaderMutexLock lock(&mu_);
  const auto it = by_path_.find(path);
  return it == by_path_.end() ? unknown_.get() : it->second.get();
}

void RpcMetrics::Record(MethodSeries& series, grpc::StatusCode code,
                        double seconds) {
  series.Record(code, seconds);
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    absl::string_view flag, absl::string_view host_port,
    std::shared_ptr<prometheus::Registry> registry) {
  std::unique_ptr<prometheus::Exposer> exposer;
  // prometheus-cpp reports a failed bind by throwing (CivetException); this
  // is the one boundary where the suite turns exceptions into a Status.
  try {
    exposer = std::make_unique<prometheus::Exposer>(std::string(host_port),
                                                    /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat(flag, ": cannot serve metrics on \"", host_port,
                     "\" (address in use or invalid?): ", e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat(
        flag, ": cannot serve metrics on \"", host_port, "\": not listening"));
  }
  exposer->RegisterCollectable(registry);
  return std::unique_ptr<MetricsEndpoint>(
      new MetricsEndpoint(std::move(exposer), std::move(registry), ports[0]));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                                 std::shared_ptr<prometheus::Registry> registry,
                                 int port)
    : exposer_(std::move(exposer)),
      registry_(std::move(registry)),
      port_(port) {}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace employability::metrics
