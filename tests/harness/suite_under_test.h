// The participants service as the suite runs it, started in-process for a
// test: a RedisStore against a real redis-server, a worker pool, the
// participants module (or the modules a test names), the call gate with the
// test token key (test_identity.h), and a ServerHost on loopback ports
// picked by the kernel (gRPC and /metrics). Tests talk to it over real gRPC.
#ifndef EMPLOYABILITY_TESTS_SUPPORT_SUITE_UNDER_TEST_H_
#define EMPLOYABILITY_TESTS_SUPPORT_SUITE_UNDER_TEST_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/authenticator.h"
#include "common/auth/tokens.h"
#include "common/server/module.h"
#include "common/server/server.h"
#include "common/server/worker_pool.h"
#include "common/storage/redis_store.h"
#include "common/time/clock.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "prometheus/registry.h"

namespace employability::test_harness {

// The variable ./test sets to the address of its throwaway redis-server.
inline constexpr char kTestRedisVariable[] = "EMPLOYABILITY_TEST_REDIS";

// The address in $EMPLOYABILITY_TEST_REDIS; FAILED_PRECONDITION saying how to
// set it when it is unset.
absl::StatusOr<std::string> TestRedisAddress();

struct SuiteOptions {
  // host:port of Redis; empty means $EMPLOYABILITY_TEST_REDIS.
  std::string redis_address;
  // Fail Start() unless Redis answers. Off for tests that start the service
  // while Redis is down on purpose.
  bool require_redis = true;
  // Short, so that tests see readiness change quickly.
  absl::Duration readiness_interval = absl::Milliseconds(100);
  // Serve /metrics on a free port. Tests that do not scrape turn it off:
  // the exposer (civetweb) takes up to 2 s to stop, on every Stop().
  bool metrics = true;
  int workers = 8;
  int max_queued = 10000;
  // The service's clock; null means the system clock. A scenario that spans
  // months passes a FakeClock and moves it on (it must outlive the suite).
  const Clock* clock = nullptr;
  // The modules to host; empty means the participants service alone.
  std::vector<server::ModuleFactory> modules;
  // Where callers are confirmed; null means TestStaffDirectory (uncached, so
  // a change bites on the next call).
  auth::StaffDirectory* staff_directory = nullptr;
  // Mutual TLS on the gRPC port (test_certificates.h makes the PEMs); empty
  // means plaintext. With it, channel() is null: a test makes its own
  // grpc::SslCredentials channels, with the client certificate it means to
  // present.
  server::TlsIdentity tls;
};

class SuiteUnderTest {
 public:
  static absl::StatusOr<std::unique_ptr<SuiteUnderTest>> Start(
      SuiteOptions options = {});
  ~SuiteUnderTest();
  SuiteUnderTest(const SuiteUnderTest&) = delete;
  SuiteUnderTest& operator=(const SuiteUnderTest&) = delete;

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }  // 0 without metrics
  std::string address() const;                        // "127.0.0.1:<port>"
  std::string metrics_address() const;  // "127.0.0.1:<metrics port>"

  // A plaintext channel to the service; a new one after each Restart().
  // Null under mutual TLS (SuiteOptions::tls).
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  std::unique_ptr<participants::v1::Participants::Stub> NewStub() const;

  // The store the service writes through: tests read event streams with it.
  // Valid until Stop() or Restart().
  storage::Store& store() { return *store_; }

  // Shuts the server down (draining calls) and destroys modules, workers and
  // store, in the order the suite's main does. Idempotent.
  void Stop();
  // Stop(), then everything created anew against the same Redis, on the
  // same gRPC port when the kernel allows it.
  absl::Status Restart();

 private:
  explicit SuiteUnderTest(SuiteOptions options)
      : options_(std::move(options)) {}
  absl::Status StartParts(int port);

  SuiteOptions options_;
  SystemClock clock_;
  RandomIdSource ids_{clock_};
  storage::KeyHasher key_hasher_{"integration-test-secret"};  // kTestKeySecret
  std::unique_ptr<storage::RedisStore> store_;
  std::unique_ptr<server::WorkerPool> workers_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  // The suite's own credential for the calls its modules make to each
  // other (partners asks participants about consent): a service token.
  std::unique_ptr<server::OutgoingIdentity> outgoing_;
  server::SelfAddress self_address_;
  std::vector<std::unique_ptr<server::ServiceModule>> modules_;
  std::unique_ptr<server::ServerHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
  int metrics_port_ = 0;
};

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_SUPPORT_SUITE_UNDER_TEST_H_
