#include "services/partners/partners_grpc.h"

#include "absl/flags/flag.h"
#include "common/calendar/working_calendar.h"
#include "common/logging/log.h"
#include "common/server/background_task.h"
#include "common/server/unary.h"
#include "services/partners/agreement_records.h"
#include "services/partners/agreements_grpc.h"
#include "services/partners/participant_consents.h"
#include "services/partners/participant_erasure.h"
#include "services/partners/referral_records.h"
#include "services/partners/referrals_grpc.h"
#include "services/partners/service_directory.h"
#include "services/partners/service_directory_grpc.h"

namespace employability::partners {

grpc::ServerUnaryReactor* PartnersService::CreateOrganisation(
    grpc::CallbackServerContext* context,
    const v1::CreateOrganisationRequest* request, v1::Organisation* response) {
  return edge_.Serve(context, "CreateOrganisation", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.CreateOrganisation(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::GetOrganisation(
    grpc::CallbackServerContext* context,
    const v1::GetOrganisationRequest* request, v1::Organisation* response) {
  return edge_.Serve(context, "GetOrganisation", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.GetOrganisation(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::ListOrganisations(
    grpc::CallbackServerContext* context,
    const v1::ListOrganisationsRequest* request,
    v1::ListOrganisationsResponse* response) {
  return edge_.Serve(context, "ListOrganisations", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.ListOrganisations(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::UpdateOrganisation(
    grpc::CallbackServerContext* context,
    const v1::UpdateOrganisationRequest* request, v1::Organisation* response) {
  return edge_.Serve(context, "UpdateOrganisation", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.UpdateOrganisation(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::CreateStaffUser(
    grpc::CallbackServerContext* context,
    const v1::CreateStaffUserRequest* request, v1::StaffUser* response) {
  return edge_.Serve(context, "CreateStaffUser", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.CreateStaffUser(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::GetStaffUser(
    grpc::CallbackServerContext* context,
    const v1::GetStaffUserRequest* request, v1::StaffUser* response) {
  return edge_.Serve(context, "GetStaffUser", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.GetStaffUser(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::ListStaffUsers(
    grpc::CallbackServerContext* context,
    const v1::ListStaffUsersRequest* request,
    v1::ListStaffUsersResponse* response) {
  return edge_.Serve(context, "ListStaffUsers", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.ListStaffUsers(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::UpdateStaffUser(
    grpc::CallbackServerContext* context,
    const v1::UpdateStaffUserRequest* request, v1::StaffUser* response) {
  return edge_.Serve(context, "UpdateStaffUser", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.UpdateStaffUser(caller, *request);
                     });
}

grpc::ServerUnaryReactor* PartnersService::CheckStaffStatus(
    grpc::CallbackServerContext* context,
    const v1::CheckStaffStatusRequest* request, v1::StaffStatus* response) {
  return edge_.Serve(context, "CheckStaffStatus", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.CheckStaffStatus(caller, *request);
                     });
}

namespace {

constexpr int kReferralWorkers = 16;
constexpr int kReferralQueue = 5000;

// The whole partners service: the directory of organisations and staff,
// the agreements, the service directory and referrals, under one access
// policy (access_policy.textproto).
class PartnersModule final : public server::ServiceModule {
 public:
  explicit PartnersModule(const server::ServiceDeps& deps)
      : policy_(auth::AccessPolicy::ParseBuiltIn(AccessPolicyText())),
        gate_(deps.authenticator, policy_),
        directory_(deps.store, deps.clock, deps.ids, deps.key_hasher),
        service_(directory_, Edge(v1::Partners::service_full_name(), deps)),
        agreements_(deps.store, deps.clock, deps.ids, directory_),
        agreements_service_(agreements_,
                            Edge(v1::Agreements::service_full_name(), deps)),
        services_(deps.store, deps.clock, deps.ids, directory_),
        services_service_(
            services_, Edge(v1::ServiceDirectory::service_full_name(), deps)),
        consents_(ParticipantsAddress(
                      [&self = deps.self_address] { return self.Get(); }),
                  deps.outgoing),
        referrals_(deps.store, deps.clock, deps.ids,
                   ReferralRecords::Ports{agreements_, services_, consents_,
                                          calendar::WorkingCalendar::Uk()}),
        feed_(referrals_, absl::GetFlag(FLAGS_referral_watch_interval)),
        referral_workers_(kReferralWorkers, kReferralQueue),
        referrals_service_(
            referrals_,
            server::ServiceEdge(v1::Referrals::service_full_name(), gate_,
                                referral_workers_),
            feed_),
        sweep_(referrals_, deps.metrics,
               absl::GetFlag(FLAGS_referral_sweep_interval)),
        erasure_(deps.store, referrals_, events::ConsumerName("partners")),
        erasure_task_(absl::GetFlag(FLAGS_erasure_events_interval), [this] {
          absl::StatusOr<int> handled = erasure_.Poll();
          if (!handled.ok()) {
            EMP_LOG(WARNING) << "erasure events: " << handled.status();
          }
        }) {}

  std::vector<server::HostedService> Services() override {
    const auto ready = [this] { return directory_.Ready(); };
    return {
        {&service_, v1::Partners::service_full_name(), ready},
        {&agreements_service_, v1::Agreements::service_full_name(), ready},
        {&services_service_, v1::ServiceDirectory::service_full_name(), ready},
        {&referrals_service_, v1::Referrals::service_full_name(), ready}};
  }

 private:
  server::ServiceEdge Edge(const std::string& service,
                           const server::ServiceDeps& deps) const {
    return server::ServiceEdge(service, gate_, deps.workers);
  }

  const auth::AccessPolicy policy_;  // access_policy.textproto
  const auth::CallGate gate_;
  OrganisationDirectory directory_;
  PartnersService service_;
  AgreementRecords agreements_;
  AgreementsService agreements_service_;
  ServiceDirectory services_;
  ServiceDirectoryService services_service_;
  ParticipantConsentsClient consents_;
  ReferralRecords referrals_;
  WatchFeed feed_;
  // Referral steps wait on the participants service (consent). In the
  // suite that service answers on the process's shared workers, so the
  // steps run on workers of their own: however many wait, the workers that
  // answer them are never all taken (a deadlock the benchmark found).
  server::WorkerPool referral_workers_;
  ReferralsService referrals_service_;
  ReferralSweep sweep_;
  ParticipantErasure erasure_;
  server::BackgroundTask erasure_task_;  // last: stops first
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewModule(
    const server::ServiceDeps& deps) {
  return std::make_unique<PartnersModule>(deps);
}

}  // namespace employability::partners
