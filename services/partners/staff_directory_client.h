// The staff directory as the rest of the suite sees it (auth::StaffDirectory,
// which every process's authenticator asks about each caller):
// - StaffDirectoryClient: over the partners service's CheckStaffStatus,
//   with this process's service identity and a deadline on every call;
// - LocalStaffDirectory: the directory read in-process, for the processes
//   that host the partners service (the suite, partners_server).
// Wrap either in an auth::CachedStaffDirectory so that most calls never
// leave the process and a deactivation still bites within a minute.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_STAFF_DIRECTORY_CLIENT_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_STAFF_DIRECTORY_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/auth/authenticator.h"
#include "common/server/module.h"
#include "common/server/outgoing.h"
#include "employability/partners/v1/partners.grpc.pb.h"
#include "services/partners/organisation_directory.h"

namespace employability::partners {

class StaffDirectoryClient final : public auth::StaffDirectory {
 public:
  // `identity` (which outlives the client) is who this process is when it
  // asks.
  StaffDirectoryClient(std::shared_ptr<grpc::Channel> channel,
                       const server::OutgoingIdentity& identity,
                       absl::Duration deadline = absl::Milliseconds(500));

  // NOT_FOUND for a user the directory does not hold; UNAVAILABLE for any
  // other failure (the directory down, slow or refusing): callers fail
  // closed on it.
  absl::StatusOr<auth::StaffStanding> Standing(
      const std::string& organisation, const std::string& user) override;

 private:
  std::unique_ptr<v1::Partners::Stub> stub_;
  const server::OutgoingIdentity& identity_;
  absl::Duration deadline_;
};

class LocalStaffDirectory final : public auth::StaffDirectory {
 public:
  explicit LocalStaffDirectory(const server::ProcessParts& parts)
      : directory_(parts.store, parts.clock, parts.ids, parts.key_hasher) {}

  absl::StatusOr<auth::StaffStanding> Standing(
      const std::string& organisation, const std::string& user) override;

 private:
  OrganisationDirectory directory_;
};

// StaffDirectoryFactory (common/server/module.h) of each kind: the remote
// one calls the partners service at --partners_address.
absl::StatusOr<std::unique_ptr<auth::StaffDirectory>> NewLocalStaffDirectory(
    const server::ProcessParts& parts);
absl::StatusOr<std::unique_ptr<auth::StaffDirectory>> NewRemoteStaffDirectory(
    const server::ProcessParts& parts);

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_STAFF_DIRECTORY_CLIENT_H_
