#include "services/participants/participants_grpc.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/server/background_task.h"
#include "common/server/unary.h"
#include "services/participants/access_grants_grpc.h"
#include "services/participants/action_plans_grpc.h"
#include "services/participants/barriers_grpc.h"
#include "services/participants/case_reviews_grpc.h"
#include "services/participants/caseloads_grpc.h"
#include "services/participants/catalogues.h"
#include "services/participants/contacts_grpc.h"
#include "services/participants/group_sessions_grpc.h"
#include "services/participants/participant_data_grpc.h"
#include "services/participants/progression_grpc.h"
#include "services/participants/referral_access.h"

namespace employability::participants {

grpc::ServerUnaryReactor* ParticipantsService::CreateParticipant(
    grpc::CallbackServerContext* context,
    const v1::CreateParticipantRequest* request, v1::Participant* response) {
  return edge_.Serve(context, "CreateParticipant", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Create(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::GetParticipant(
    grpc::CallbackServerContext* context,
    const v1::GetParticipantRequest* request, v1::Participant* response) {
  return edge_.Serve(context, "GetParticipant", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Get(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::ListParticipants(
    grpc::CallbackServerContext* context,
    const v1::ListParticipantsRequest* request,
    v1::ListParticipantsResponse* response) {
  return edge_.Serve(context, "ListParticipants", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.List(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::UpdateParticipant(
    grpc::CallbackServerContext* context,
    const v1::UpdateParticipantRequest* request, v1::Participant* response) {
  return edge_.Serve(context, "UpdateParticipant", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Update(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::DeleteParticipant(
    grpc::CallbackServerContext* context,
    const v1::DeleteParticipantRequest* request,
    google::protobuf::Empty* response) {
  return edge_.Serve(context, "DeleteParticipant", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Delete(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::CreateConsent(
    grpc::CallbackServerContext* context,
    const v1::CreateConsentRequest* request, v1::Consent* response) {
  return edge_.Serve(context, "CreateConsent", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.CreateConsent(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::WithdrawConsent(
    grpc::CallbackServerContext* context,
    const v1::WithdrawConsentRequest* request, v1::Consent* response) {
  return edge_.Serve(context, "WithdrawConsent", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.WithdrawConsent(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::ListConsents(
    grpc::CallbackServerContext* context,
    const v1::ListConsentsRequest* request,
    v1::ListConsentsResponse* response) {
  return edge_.Serve(context, "ListConsents", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.ListConsents(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::UpdateEqualityData(
    grpc::CallbackServerContext* context,
    const v1::UpdateEqualityDataRequest* request, v1::EqualityData* response) {
  return edge_.Serve(context, "UpdateEqualityData", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.UpdateEqualityData(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::GetEqualityData(
    grpc::CallbackServerContext* context,
    const v1::GetEqualityDataRequest* request, v1::EqualityData* response) {
  return edge_.Serve(context, "GetEqualityData", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.GetEqualityData(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ParticipantsService::ExitParticipant(
    grpc::CallbackServerContext* context,
    const v1::ExitParticipantRequest* request, v1::Participant* response) {
  return edge_.Serve(context, "ExitParticipant", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Exit(caller, *request);
                     });
}

namespace {

// The whole participants service: the participant core and every area of the
// journey, sharing one set of case files.
class ParticipantsModule final : public server::ServiceModule {
 public:
  explicit ParticipantsModule(const server::ServiceDeps& deps)
      : policy_(auth::AccessPolicy::ParseBuiltIn(AccessPolicyText())),
        gate_(deps.authenticator, policy_),
        files_(deps.store, deps.clock, deps.ids, deps.key_hasher),
        records_(files_),
        service_(records_,
                 server::ServiceEdge(v1::Participants::service_full_name(),
                                     gate_, deps.workers)),
        referral_grants_(files_),
        referral_access_(deps.store, referral_grants_,
                         events::ConsumerName("participants")),
        referral_access_task_(
            absl::GetFlag(FLAGS_referral_events_interval), [this] {
              absl::StatusOr<int> handled = referral_access_.Poll();
              if (!handled.ok()) {
                EMP_LOG(WARNING) << "referral events: " << handled.status();
              }
            }) {
    for (const auto& area :
         {NewBarriersModule, NewActionPlansModule, NewContactsModule,
          NewCaseloadsModule, NewCaseReviewsModule, NewProgressionModule,
          NewGroupSessionsModule, NewParticipantDataModule,
          NewAccessGrantsModule}) {
      std::unique_ptr<server::ServiceModule> module = area(files_, deps, gate_);
      if (module != nullptr) areas_.push_back(std::move(module));
    }
  }

  std::vector<server::HostedService> Services() override {
    std::vector<server::HostedService> services = {
        {&service_, v1::Participants::service_full_name(),
         [this] { return records_.Ready(); }}};
    for (const auto& area : areas_) {
      for (server::HostedService& hosted : area->Services()) {
        services.push_back(std::move(hosted));
      }
    }
    return services;
  }

 private:
  // Who may call what, for every service of the module
  // (access_policy.textproto).
  const auth::AccessPolicy policy_;
  const auth::CallGate gate_;
  CaseFiles files_;
  ParticipantRecords records_;
  ParticipantsService service_;
  std::vector<std::unique_ptr<server::ServiceModule>> areas_;
  // Access grants that follow the partners service's referral events.
  AccessGrantRecords referral_grants_;
  ReferralAccess referral_access_;
  server::BackgroundTask referral_access_task_;  // last: stops first
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewModule(
    const server::ServiceDeps& deps) {
  return std::make_unique<ParticipantsModule>(deps);
}

}  // namespace employability::participants
