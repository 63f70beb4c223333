// The gRPC face of the partners service: a thin adapter over
// OrganisationDirectory, and the module that hosts it in a server.
//
// Who may call what is access_policy.textproto; the directory applies the
// caller's scope to the organisation a call names.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_PARTNERS_GRPC_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_PARTNERS_GRPC_H_

#include <memory>

#include "common/server/module.h"
#include "common/server/unary.h"
#include "employability/partners/v1/partners.grpc.pb.h"
#include "services/partners/organisation_directory.h"

namespace employability::partners {

class PartnersService final : public v1::Partners::CallbackService {
 public:
  PartnersService(OrganisationDirectory& directory, server::ServiceEdge edge)
      : directory_(directory), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateOrganisation(
      grpc::CallbackServerContext* context,
      const v1::CreateOrganisationRequest* request,
      v1::Organisation* response) override;
  grpc::ServerUnaryReactor* GetOrganisation(
      grpc::CallbackServerContext* context,
      const v1::GetOrganisationRequest* request,
      v1::Organisation* response) override;
  grpc::ServerUnaryReactor* ListOrganisations(
      grpc::CallbackServerContext* context,
      const v1::ListOrganisationsRequest* request,
      v1::ListOrganisationsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateOrganisation(
      grpc::CallbackServerContext* context,
      const v1::UpdateOrganisationRequest* request,
      v1::Organisation* response) override;
  grpc::ServerUnaryReactor* CreateStaffUser(
      grpc::CallbackServerContext* context,
      const v1::CreateStaffUserRequest* request,
      v1::StaffUser* response) override;
  grpc::ServerUnaryReactor* GetStaffUser(grpc::CallbackServerContext* context,
                                         const v1::GetStaffUserRequest* request,
                                         v1::StaffUser* response) override;
  grpc::ServerUnaryReactor* ListStaffUsers(
      grpc::CallbackServerContext* context,
      const v1::ListStaffUsersRequest* request,
      v1::ListStaffUsersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateStaffUser(
      grpc::CallbackServerContext* context,
      const v1::UpdateStaffUserRequest* request,
      v1::StaffUser* response) override;
  grpc::ServerUnaryReactor* CheckStaffStatus(
      grpc::CallbackServerContext* context,
      const v1::CheckStaffStatusRequest* request,
      v1::StaffStatus* response) override;

 private:
  OrganisationDirectory& directory_;
  const server::ServiceEdge edge_;
};

// access_policy.textproto, compiled in.
const char* AccessPolicyText();

// The partners service as a module of a server (suite or standalone).
std::unique_ptr<server::ServiceModule> NewModule(
    const server::ServiceDeps& deps);

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_PARTNERS_GRPC_H_
