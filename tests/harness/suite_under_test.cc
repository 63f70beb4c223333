#include "tests/harness/suite_under_test.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/auth/service_token.h"
#include "common/auth/tokens.h"
#include "services/participants/participants_grpc.h"
#include "tests/harness/test_data.h"
#include "tests/harness/test_identity.h"

namespace employability::test_harness {

absl::StatusOr<std::string> TestRedisAddress() {
  const char* address = std::getenv(kTestRedisVariable);
  if (address == nullptr || *address == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        kTestRedisVariable,
        " is not set. These tests need a real redis-server: run ./test (it "
        "starts a throwaway one), or start one and export ",
        kTestRedisVariable, "=127.0.0.1:<port>"));
  }
  return std::string(address);
}

absl::StatusOr<std::unique_ptr<SuiteUnderTest>> SuiteUnderTest::Start(
    SuiteOptions options) {
  if (options.redis_address.empty()) {
    absl::StatusOr<std::string> address = TestRedisAddress();
    if (!address.ok()) return address.status();
    options.redis_address = *address;
  }
  std::unique_ptr<SuiteUnderTest> suite(new SuiteUnderTest(std::move(options)));
  absl::Status started = suite->StartParts(/*port=*/0);
  if (!started.ok()) return started;
  return suite;
}

SuiteUnderTest::~SuiteUnderTest() { Stop(); }

std::string SuiteUnderTest::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string SuiteUnderTest::metrics_address() const {
  return absl::StrCat("127.0.0.1:", metrics_port_);
}

std::unique_ptr<participants::v1::Participants::Stub> SuiteUnderTest::NewStub()
    const {
  return participants::v1::Participants::NewStub(channel_);
}

absl::Status SuiteUnderTest::StartParts(int port) {
  absl::StatusOr<storage::RedisOptions> redis =
      storage::ParseRedisAddress(kTestRedisVariable, options_.redis_address);
  if (!redis.ok()) return redis.status();
  store_ = storage::RedisStore::Create(*redis);
  if (options_.require_redis) {
    absl::Status ping = store_->Ping();
    if (!ping.ok()) {
      return absl::UnavailableError(
          absl::StrCat("Redis at ", options_.redis_address,
                       " does not answer: ", ping.message()));
    }
  }
  workers_ = std::make_unique<server::WorkerPool>(options_.workers,
                                                  options_.max_queued);
  registry_ = std::make_shared<prometheus::Registry>();
  const Clock& clock = options_.clock != nullptr ? *options_.clock : clock_;
  absl::StatusOr<auth::TokenVerifier> verifier =
      auth::TokenVerifier::Create(TestTokenSettings(), {TestTokenKey()});
  if (!verifier.ok()) return verifier.status();
  verifier_ = std::make_unique<auth::TokenVerifier>(*std::move(verifier));
  authenticator_ = std::make_unique<auth::Authenticator>(
      *verifier_, options_.staff_directory != nullptr
                      ? *options_.staff_directory
                      : TestStaffDirectory::Instance());
  absl::StatusOr<auth::TokenIssuer> issuer =
      auth::TokenIssuer::Create(TestTokenSettings(), TestTokenKey());
  if (!issuer.ok()) return issuer.status();
  outgoing_ = std::make_unique<server::OutgoingIdentity>(
      options_.tls,
      // Tokens live in real time, whatever the services' clock says.
      std::make_unique<auth::ServiceToken>(*std::move(issuer), "suite",
                                           clock_));
  server::ServiceDeps deps{*store_,         clock,      ids_,
                           *workers_,       *registry_, key_hasher_,
                           *authenticator_, *outgoing_, self_address_};
  std::vector<server::HostedService> services;
  const std::vector<server::ModuleFactory> factories =
      options_.modules.empty()
          ? std::vector<server::ModuleFactory>{participants::NewModule}
          : options_.modules;
  for (const server::ModuleFactory& factory : factories) {
    modules_.push_back(factory(deps));
    for (server::HostedService& hosted : modules_.back()->Services()) {
      services.push_back(std::move(hosted));
    }
  }

  server::ServerOptions server_options;
  server_options.address = absl::StrCat("127.0.0.1:", port);
  server_options.metrics_address = options_.metrics ? "127.0.0.1:0" : "";
  server_options.readiness_interval = options_.readiness_interval;
  server_options.drain_deadline = absl::Seconds(5);
  server_options.tls = options_.tls;
  absl::StatusOr<std::unique_ptr<server::ServerHost>> host =
      server::ServerHost::Start(server_options, std::move(services), registry_);
  if (!host.ok()) return host.status();
  host_ = *std::move(host);
  port_ = host_->port();
  metrics_port_ = host_->metrics_port();
  self_address_.Set(address());
  // Under mutual TLS a plaintext channel could not call: tests make their
  // own, each with the certificate it presents.
  if (!options_.tls.enabled()) channel_ = NewTestChannel(address());
  return absl::OkStatus();
}

void SuiteUnderTest::Stop() {
  // The order of the suite's main: the server drains first, then the
  // workers finish what is queued, then what they used goes.
  channel_.reset();
  if (host_ != nullptr) host_->Shutdown();
  host_.reset();
  workers_.reset();
  modules_.clear();
  authenticator_.reset();
  outgoing_.reset();
  verifier_.reset();
  registry_.reset();
  store_.reset();
}

absl::Status SuiteUnderTest::Restart() {
  const int previous_port = port_;
  Stop();
  absl::Status same_port = StartParts(previous_port);
  if (same_port.ok()) return same_port;
  Stop();  // the port was taken meanwhile: any port will do
  return StartParts(0);
}

}  // namespace employability::test_harness
