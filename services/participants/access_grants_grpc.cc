#include "services/participants/access_grants_grpc.h"

#include "common/server/unary.h"
#include "employability/participants/v1/access_grants.grpc.pb.h"
#include "services/participants/access_grant_records.h"

namespace employability::participants {
namespace {

class AccessGrantsService final : public v1::AccessGrants::CallbackService {
 public:
  AccessGrantsService(AccessGrantRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateAccessGrant(
      grpc::CallbackServerContext* context,
      const v1::CreateAccessGrantRequest* request,
      v1::AccessGrant* response) override {
    return edge_.Serve(context, "CreateAccessGrant", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Create(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* RevokeAccessGrant(
      grpc::CallbackServerContext* context,
      const v1::RevokeAccessGrantRequest* request,
      v1::AccessGrant* response) override {
    return edge_.Serve(context, "RevokeAccessGrant", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Revoke(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ListAccessGrants(
      grpc::CallbackServerContext* context,
      const v1::ListAccessGrantsRequest* request,
      v1::ListAccessGrantsResponse* response) override {
    return edge_.Serve(context, "ListAccessGrants", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.List(caller, *request);
                       });
  }

 private:
  AccessGrantRecords& records_;
  const server::ServiceEdge edge_;
};

class AccessGrantsModule final : public server::ServiceModule {
 public:
  AccessGrantsModule(CaseFiles& files, server::ServiceEdge edge)
      : files_(files), records_(files), service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::AccessGrants::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  AccessGrantRecords records_;
  AccessGrantsService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewAccessGrantsModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<AccessGrantsModule>(
      files, server::ServiceEdge(v1::AccessGrants::service_full_name(), gate,
                                 deps.workers));
}

}  // namespace employability::participants
