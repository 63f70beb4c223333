// What a service library gives the process that hosts it. The all-in-one
// suite and each single-service binary build modules from the same
// ServiceDeps, so a service runs the same code either way.
#ifndef EMPLOYABILITY_COMMON_SERVER_MODULE_H_
#define EMPLOYABILITY_COMMON_SERVER_MODULE_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/authenticator.h"
#include "common/server/outgoing.h"
#include "common/server/server.h"
#include "common/server/worker_pool.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "prometheus/registry.h"

namespace employability::server {

// What a process has made before its modules: enough to reach the staff
// directory that its authenticator asks.
struct ProcessParts {
  storage::Store& store;
  const Clock& clock;
  IdSource& ids;
  const storage::KeyHasher& key_hasher;
  const OutgoingIdentity& outgoing;
};

// Where a process learns callers' standings: the partners service's
// directory, read in-process when the process hosts it, else over gRPC.
using StaffDirectoryFactory =
    std::function<absl::StatusOr<std::unique_ptr<auth::StaffDirectory>>(
        const ProcessParts&)>;

// Where this process serves gRPC, known once its server has started (port 0
// picks one). A module that calls a service this same process may host
// (the all-in-one suite) calls it here when no other address is configured.
class SelfAddress {
 public:
  void Set(std::string address) {
    absl::MutexLock lock(&mu_);
    address_ = std::move(address);
  }
  // "host:port"; empty until the server has started.
  std::string Get() const {
    absl::MutexLock lock(&mu_);
    return address_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string address_ ABSL_GUARDED_BY(mu_);
};

// Everything a service depends on, passed in (never global) so tests swap it.
struct ServiceDeps {
  storage::Store& store;
  const Clock& clock;
  IdSource& ids;
  WorkerPool& workers;
  prometheus::Registry& metrics;
  const storage::KeyHasher& key_hasher;  // key parts from personal data
  // Who is calling: shared by every module's call gate (auth/call_gate.h),
  // so that they share one cache of staff standings.
  auth::Authenticator& authenticator;
  // How the module identifies itself when it calls another service.
  const OutgoingIdentity& outgoing;
  // Where this process itself serves (set once the server has started).
  const SelfAddress& self_address;
};

class ServiceModule {
 public:
  virtual ~ServiceModule() = default;
  // The gRPC services to host; valid for the module's lifetime.
  virtual std::vector<HostedService> Services() = 0;
};

using ModuleFactory =
    std::function<std::unique_ptr<ServiceModule>(const ServiceDeps&)>;

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_MODULE_H_
