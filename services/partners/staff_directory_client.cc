#include "services/partners/staff_directory_client.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/status/macros.h"

ABSL_FLAG(std::string, partners_address, "",
          "host:port of the partners service, whose staff directory confirms "
          "every caller (for processes that do not host it)");

namespace employability::partners {
namespace {

std::string StaffResourceName(const std::string& organisation,
                              const std::string& user) {
  return absl::StrCat("organisations/", organisation, "/staff/", user);
}

auth::StaffStanding StandingOf(const v1::StaffStatus& status) {
  auth::StaffStanding standing;
  standing.active = status.active();
  standing.organisation_active = status.organisation_active();
  standing.role = status.role();
  standing.team = status.team();
  return standing;
}

}  // namespace

StaffDirectoryClient::StaffDirectoryClient(
    std::shared_ptr<grpc::Channel> channel,
    const server::OutgoingIdentity& identity, absl::Duration deadline)
    : stub_(v1::Partners::NewStub(std::move(channel))),
      identity_(identity),
      deadline_(deadline) {}

absl::StatusOr<auth::StaffStanding> StaffDirectoryClient::Standing(
    const std::string& organisation, const std::string& user) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  RETURN_IF_ERROR(identity_.Authorise(context));
  v1::CheckStaffStatusRequest request;
  request.set_name(StaffResourceName(organisation, user));
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
  return StandingOf(status);
}

absl::StatusOr<auth::StaffStanding> LocalStaffDirectory::Standing(
    const std::string& organisation, const std::string& user) {
  // The process asks on its own behalf, as the remote client does.
  auth::Caller self;
  self.service = "partners";
  v1::CheckStaffStatusRequest request;
  request.set_name(StaffResourceName(organisation, user));
  absl::StatusOr<v1::StaffStatus> status =
      directory_.CheckStaffStatus(self, request);
  if (absl::IsNotFound(status.status()) ||
      absl::IsInvalidArgument(status.status())) {
    return absl::NotFoundError(
        absl::StrCat("staff user ", request.name(), " not found"));
  }
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the staff directory cannot be read: ", status.status().message()));
  }
  return StandingOf(*status);
}

absl::StatusOr<std::unique_ptr<auth::StaffDirectory>> NewLocalStaffDirectory(
    const server::ProcessParts& parts) {
  return std::make_unique<LocalStaffDirectory>(parts);
}

absl::StatusOr<std::unique_ptr<auth::StaffDirectory>> NewRemoteStaffDirectory(
    const server::ProcessParts& parts) {
  const std::string address = absl::GetFlag(FLAGS_partners_address);
  RETURN_IF_ERROR(config::CheckHostPort("--partners_address", address,
                                        /*allow_zero_port=*/false));
  return std::make_unique<StaffDirectoryClient>(
      parts.outgoing.ChannelTo(address), parts.outgoing);
}

}  // namespace employability::partners
