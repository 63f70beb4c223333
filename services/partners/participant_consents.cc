#include "services/partners/participant_consents.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "common/status/macros.h"

ABSL_FLAG(std::string, participants_address, "",
          "host:port of the participants service, asked about consent when "
          "a referral is sent or accepted; empty: this process (the suite)");

namespace employability::partners {

ParticipantConsentsClient::ParticipantConsentsClient(
    std::function<std::string()> address,
    const server::OutgoingIdentity& identity, absl::Duration deadline)
    : address_(std::move(address)), identity_(identity), deadline_(deadline) {}

absl::StatusOr<participants::v1::Participants::Stub*>
ParticipantConsentsClient::Stub() {
  absl::MutexLock lock(&mu_);
  if (stub_ == nullptr) {
    const std::string address = address_();
    if (address.empty()) {
      return absl::UnavailableError(
          "the participants service's address is not known yet");
    }
    stub_ =
        participants::v1::Participants::NewStub(identity_.ChannelTo(address));
  }
  return stub_.get();
}

absl::StatusOr<std::optional<std::string>>
ParticipantConsentsClient::ConsentNaming(const auth::Caller& caller,
                                         bool on_behalf_of_caller,
                                         const std::string& participant,
                                         const std::string& organisation) {
  ASSIGN_OR_RETURN(participants::v1::Participants::Stub * stub, Stub());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  RETURN_IF_ERROR(identity_.Authorise(
      context, on_behalf_of_caller ? caller.user_credential : ""));
  participants::v1::ListConsentsRequest request;
  request.set_parent(participant);
  participants::v1::ListConsentsResponse response;
  const grpc::Status status = stub->ListConsents(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return absl::PermissionDeniedError(
        absl::StrCat("referral.participant: ", participant,
                     " is not a participant organisation ", caller.organisation,
                     " may refer (", status.error_message(), ")"));
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the participants service did not answer about consent: ",
                     status.error_message()));
  }
  for (const participants::v1::Consent& consent : response.consents()) {
    if (!consent.live() ||
        consent.purpose() != participants::v1::REFERRAL_SHARING) {
      continue;
    }
    for (const std::string& named : consent.organisations()) {
      if (named == organisation) return consent.name();
    }
  }
  return std::nullopt;
}

std::function<std::string()> ParticipantsAddress(
    std::function<std::string()> fallback) {
  return [fallback = std::move(fallback)]() {
    const std::string configured = absl::GetFlag(FLAGS_participants_address);
    return configured.empty() ? fallback() : configured;
  };
}

}  // namespace employability::partners
