#include "services/partners/partners_grpc.h"

#include "common/server/unary.h"

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

class PartnersModule final : public server::ServiceModule {
 public:
  explicit PartnersModule(const server::ServiceDeps& deps)
      : policy_(auth::AccessPolicy::ParseBuiltIn(AccessPolicyText())),
        gate_(deps.authenticator, policy_),
        directory_(deps.store, deps.clock, deps.ids, deps.key_hasher),
        service_(directory_,
                 server::ServiceEdge(v1::Partners::service_full_name(), gate_,
                                     deps.workers)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::Partners::service_full_name(),
             [this] { return directory_.Ready(); }}};
  }

 private:
  const auth::AccessPolicy policy_;  // access_policy.textproto
  const auth::CallGate gate_;
  OrganisationDirectory directory_;
  PartnersService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewModule(
    const server::ServiceDeps& deps) {
  return std::make_unique<PartnersModule>(deps);
}

}  // namespace employability::partners
