#include "services/partners/staff_directory_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/auth/caller.h"

namespace employability::partners {

StaffDirectoryClient::StaffDirectoryClient(
    std::shared_ptr<grpc::Channel> channel, auth::Caller self,
    absl::Duration deadline)
    : stub_(v1::Partners::NewStub(std::move(channel))),
      self_(std::move(self)),
      deadline_(deadline) {}

absl::StatusOr<auth::StaffStanding> StaffDirectoryClient::Standing(
    const std::string& organisation, const std::string& user) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  context.AddMetadata(auth::kOrganisationHeader, self_.organisation);
  context.AddMetadata(auth::kUserHeader, self_.user);
  v1::CheckStaffStatusRequest request;
  request.set_name(
      absl::StrCat("organisations/", organisation, "/staff/", user));
  v1::StaffStatus status;
  grpc::Status result = stub_->CheckStaffStatus(&context, request, &status);
  if (result.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(
        absl::StrCat("staff user ", request.name(), " not found"));
  }
  if (!result.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the staff directory did not answer: ", result.error_message()));
  }
  auth::StaffStanding standing;
  standing.active = status.active();
  standing.organisation_active = status.organisation_active();
  standing.role = status.role();
  standing.team = status.team();
  return standing;
}

}  // namespace employability::partners
