#include "common/server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "google/protobuf/descriptor.h"

namespace employability::server {
namespace {

int Millis(absl::Duration d) {
  return static_cast<int>(absl::ToInt64Milliseconds(d));
}

void ConfigureBuilder(const ServerOptions& options,
                      grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Millis(options.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Millis(options.keepalive_timeout));
  // Clients may ping to keep idle connections open, but not flood us.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
}

}  // namespace

namespace {

// Plaintext, or mutual TLS that refuses a client without a certificate
// signed by the suite's CA before any call is read.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const TlsIdentity& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = tls.client_ca;
  ssl.pem_key_cert_pairs.push_back({tls.private_key, tls.certificate_chain});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerHost>> ServerHost::Start(
    const ServerOptions& options, std::vector<HostedService> services,
    std::shared_ptr<prometheus::Registry> registry) {
  std::unique_ptr<ServerHost> host(new ServerHost());
  host->options_ = options;
  host->services_ = std::move(services);
  host->registry_ = std::move(registry);
  host->rpc_metrics_ = std::make_unique<metrics::RpcMetrics>(*host->registry_);

  if (!options.metrics_address.empty()) {
    auto endpoint = metrics::MetricsEndpoint::Start(
        "--metrics_listen", options.metrics_address, host->registry_);
    if (!endpoint.ok()) return endpoint.status();
    host->metrics_endpoint_ = *std::move(endpoint);
    host->metrics_port_ = host->metrics_endpoint_->port();
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  ConfigureBuilder(options, builder);
  builder.AddListeningPort(options.address, ServerCredentials(options.tls),
                           &host->port_);
  for (const HostedService& hosted : host->services_) {
    builder.RegisterService(hosted.service);
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            hosted.name);
    if (descriptor != nullptr) host->rpc_metrics_->AddService(descriptor);
  }
  // Probes call these all day: they get series of their own, not "unknown".
  for (const char* path :
       {"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}) {
    host->rpc_metrics_->AddMethod(path);
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(host->rpc_metrics_->NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  host->server_ = builder.BuildAndStart();
  if (host->server_ == nullptr || host->port_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--listen: cannot listen on ", options.address));
  }
  host->UpdateReadiness();
  host->readiness_thread_ =
      std::thread([h = host.get()] { h->WatchReadiness(); });
  return host;
}

ServerHost::~ServerHost() { Shutdown(); }

void ServerHost::UpdateReadiness() {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  for (const HostedService& hosted : services_) {
    bool ready = !hosted.readiness || hosted.readiness().ok();
    health->SetServingStatus(hosted.name, ready);
  }
}

void ServerHost::WatchReadiness() {
  while (!stop_.WaitForNotificationWithTimeout(options_.readiness_interval)) {
    UpdateReadiness();
  }
}

void ServerHost::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  stop_.Notify();
  if (readiness_thread_.joinable()) readiness_thread_.join();
  if (server_ != nullptr) {
    EMP_LOG(INFO) << "draining calls for up to " << options_.drain_deadline;
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoNanoseconds(options_.drain_deadline));
    server_->Wait();
  }
}

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

}  // namespace employability::server
