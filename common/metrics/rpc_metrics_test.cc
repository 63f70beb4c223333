#include "common/metrics/rpc_metrics.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/metrics/scrape.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace employability::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHealth[] = "grpc.health.v1.Health";

const google::protobuf::ServiceDescriptor* HealthService() {
  return grpc::health::v1::HealthCheckRequest::descriptor()
      ->file()
      ->FindServiceByName("Health");
}

// `name{labels}`, the way prometheus-cpp writes a series: labels sorted.
std::string Requests(absl::string_view service, absl::string_view method,
                     absl::string_view code) {
  return absl::StrCat(kRequestsTotal, "{code=\"", code, "\",method=\"", method,
                      "\",service=\"", service, "\"}");
}

std::string DurationCount(absl::string_view service, absl::string_view method) {
  return absl::StrCat(kDurationSeconds, "_count{method=\"", method,
                      "\",service=\"", service, "\"}");
}

// The value of one series in a text exposition; NaN when it is absent.
double Sample(absl::string_view exposition, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      return std::stod(std::string(line));
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// A stand-in service with one method that can succeed or fail: healthy for
// the server as a whole (""), NOT_FOUND for any named service.
class FakeHealth final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override {
    if (!request->service().empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    }
    response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

// A real gRPC server behind the interceptor, and a metrics endpoint scraped
// over HTTP, as Prometheus would.
class RpcMetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rpc_metrics_.AddService(HealthService());
    grpc::ServerBuilder builder;
    builder.RegisterService(&health_);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        creators;
    creators.push_back(rpc_metrics_.NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());

    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
        MetricsEndpoint::Start("--metrics_address", "127.0.0.1:0", registry_);
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = *std::move(endpoint);
    ASSERT_GT(endpoint_->port(), 0);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::StatusCode Check(const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, request, &response).error_code();
  }

  // A unary call to any path, known to the server or not.
  grpc::StatusCode CallPath(const std::string& path) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    // An empty but valid message: a ByteBuffer without slices is rejected.
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    return status.error_code();
  }

  std::string Scrape() {
    absl::StatusOr<std::string> body =
        HttpGet(absl::StrCat("127.0.0.1:", endpoint_->port()), "/metrics");
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? *body : "";
  }

  std::shared_ptr<prometheus::Registry> registry_ =
      std::make_shared<prometheus::Registry>();
  // Declared before the server so that it outlives it, as it must.
  RpcMetrics rpc_metrics_{*registry_};
  FakeHealth health_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<MetricsEndpoint> endpoint_;
};

TEST_F(RpcMetricsServerTest, CountsCallsByServiceMethodAndCode) {
  ASSERT_EQ(Check(""), grpc::StatusCode::OK);
  ASSERT_EQ(Check(""), grpc::StatusCode::OK);
  ASSERT_EQ(Check("no.such.Service"), grpc::StatusCode::NOT_FOUND);

  const std::string text = Scrape();
  EXPECT_EQ(Sample(text, Requests(kHealth, "Check", "OK")), 2) << text;
  EXPECT_EQ(Sample(text, Requests(kHealth, "Check", "NOT_FOUND")), 1) << text;
  EXPECT_THAT(text, Not(HasSubstr("code=\"INVALID_ARGUMENT\"")));
}

TEST_F(RpcMetricsServerTest, RecordsLatencyHistogramPerMethod) {
  ASSERT_EQ(Check(""), grpc::StatusCode::OK);
  ASSERT_EQ(Check("no.such.Service"), grpc::StatusCode::NOT_FOUND);

  const std::string text = Scrape();
  EXPECT_THAT(
      text, HasSubstr(absl::StrCat("# TYPE ", kDurationSeconds, " histogram")));
  EXPECT_EQ(Sample(text, DurationCount(kHealth, "Check")), 2) << text;
  // Every call ends within the last finite bucket. (prometheus-cpp writes
  // "le" after the series' own labels.)
  EXPECT_EQ(Sample(text, absl::StrCat(kDurationSeconds,
                                      "_bucket{method=\"Check\",service=\"",
                                      kHealth, "\",le=\"10\"}")),
            2)
      << text;
  const double sum = Sample(text, absl::StrCat(kDurationSeconds,
                                               "_sum{method=\"Check\","
                                               "service=\"grpc.health.v1.Health"
                                               "\"}"));
  EXPECT_GT(sum, 0) << text;
  EXPECT_LT(sum, 10) << text;
}

TEST_F(RpcMetricsServerTest, ConcurrentCallsAreAllCounted) {
  // Several threads racing on the first use of each code's counter.
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        EXPECT_EQ(Check(""), grpc::StatusCode::OK);
        EXPECT_EQ(Check("x"), grpc::StatusCode::NOT_FOUND);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const std::string text = Scrape();
  const int calls = kThreads * kCallsPerThread;
  EXPECT_EQ(Sample(text, Requests(kHealth, "Check", "OK")), calls);
  EXPECT_EQ(Sample(text, Requests(kHealth, "Check", "NOT_FOUND")), calls);
  EXPECT_EQ(Sample(text, DurationCount(kHealth, "Check")), 2 * calls);
}

TEST_F(RpcMetricsServerTest, RegisteredMethodsStartAtZero) {
  const std::string text = Scrape();
  EXPECT_EQ(Sample(text, Requests(kHealth, "Check", "OK")), 0) << text;
  EXPECT_EQ(Sample(text, Requests(kHealth, "Watch", "OK")), 0) << text;
  EXPECT_EQ(Sample(text, DurationCount(kHealth, "Watch")), 0) << text;
}

TEST_F(RpcMetricsServerTest, UnregisteredPathsShareTheUnknownSeries) {
  // Paths a client made up, as an attacker would to blow up cardinality.
  EXPECT_EQ(CallPath("/evil.Service/Id12345"), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(CallPath("/evil.Service/Id67890"), grpc::StatusCode::UNIMPLEMENTED);

  const std::string text = Scrape();
  EXPECT_EQ(Sample(text, Requests(kUnknown, kUnknown, "UNIMPLEMENTED")), 2)
      << text;
  EXPECT_THAT(text, Not(HasSubstr("evil")));
  EXPECT_THAT(text, Not(HasSubstr("Id12345")));
}

TEST(RpcMetricsTest, FindsRegisteredPathsOnly) {
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  metrics.AddService(HealthService());
  EXPECT_TRUE(metrics.AddMethod("/pkg.Service/Method"));

  RpcMetrics::MethodSeries* unknown = metrics.Find("/nope.Service/Nope");
  EXPECT_EQ(metrics.Find(""), unknown);
  EXPECT_EQ(metrics.Find("/grpc.health.v1.Health/Nope"), unknown);
  EXPECT_NE(metrics.Find("/grpc.health.v1.Health/Check"), unknown);
  EXPECT_NE(metrics.Find("/pkg.Service/Method"), unknown);
  EXPECT_NE(metrics.Find("/grpc.health.v1.Health/Check"),
            metrics.Find("/grpc.health.v1.Health/Watch"));
}

TEST(RpcMetricsTest, AddMethodRejectsMalformedPaths) {
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  for (const char* path : {"", "/", "pkg.Service/Method", "/pkg.Service",
                           "/pkg.Service/", "//Method", "/a/b/c"}) {
    EXPECT_FALSE(metrics.AddMethod(path)) << path;
  }
}

TEST(RpcMetricsTest, AddingTwiceKeepsOneSeries) {
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  ASSERT_TRUE(metrics.AddMethod("/pkg.Service/Method"));
  RpcMetrics::MethodSeries* first = metrics.Find("/pkg.Service/Method");
  ASSERT_TRUE(metrics.AddMethod("/pkg.Service/Method"));
  EXPECT_EQ(metrics.Find("/pkg.Service/Method"), first);
}

TEST(RpcDurationBucketsTest, FixedFrom100MicrosecondsTo10Seconds) {
  const auto& buckets = RpcDurationBuckets();
  ASSERT_EQ(buckets.size(), 16u);
  EXPECT_DOUBLE_EQ(buckets.front(), 0.0001);
  EXPECT_DOUBLE_EQ(buckets.back(), 10);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
}

TEST(MetricsEndpointTest, PortInUseIsAnErrorNamingTheSetting) {
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> first =
      MetricsEndpoint::Start("--metrics_address", "127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = absl::StrCat("127.0.0.1:", (*first)->port());

  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> second =
      MetricsEndpoint::Start("--metrics_address", address, registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("--metrics_address"));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(address));
}

TEST(MetricsEndpointTest, BadAddressIsAnError) {
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("--metrics_address", "not an address", registry);
  ASSERT_FALSE(endpoint.ok());
  EXPECT_THAT(std::string(endpoint.status().message()),
              HasSubstr("--metrics_address"));
}

TEST(HttpGetTest, Non200IsFailedPrecondition) {
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("--metrics_address", "127.0.0.1:0", registry);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  absl::StatusOr<std::string> body =
      HttpGet(absl::StrCat("127.0.0.1:", (*endpoint)->port()), "/nothing");
  EXPECT_EQ(body.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("404"));
}

TEST(HttpGetTest, ConnectionRefusedIsUnavailable) {
  // A bound socket that is not listening: its port refuses connections for
  // as long as the test holds it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  absl::StatusOr<std::string> body =
      HttpGet(absl::StrCat("127.0.0.1:", ntohs(address.sin_port)), "/metrics");
  close(fd);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace employability::metrics
