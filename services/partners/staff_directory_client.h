// The staff directory as other services see it: auth::StaffDirectory over
// the partners service's CheckStaffStatus, with a deadline on every call.
// Wrap it in an auth::CachedStaffDirectory so that most calls never leave
// the process and a deactivation still bites within a minute.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_STAFF_DIRECTORY_CLIENT_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_STAFF_DIRECTORY_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/auth/authenticator.h"
#include "employability/partners/v1/partners.grpc.pb.h"

namespace employability::partners {

class StaffDirectoryClient final : public auth::StaffDirectory {
 public:
  // `self` is who this process is when it asks (its service identity).
  StaffDirectoryClient(std::shared_ptr<grpc::Channel> channel,
                       auth::Caller self,
                       absl::Duration deadline = absl::Milliseconds(500));

  // NOT_FOUND for a user the directory does not hold; UNAVAILABLE for any
  // other failure (the directory down, slow or refusing): callers fail
  // closed on it.
  absl::StatusOr<auth::StaffStanding> Standing(
      const std::string& organisation, const std::string& user) override;

 private:
  std::unique_ptr<v1::Partners::Stub> stub_;
  auth::Caller self_;
  absl::Duration deadline_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_STAFF_DIRECTORY_CLIENT_H_
