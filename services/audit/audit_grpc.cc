#include "services/audit/audit_grpc.h"

#include "common/server/unary.h"

namespace employability::audit {

grpc::ServerUnaryReactor* AuditTrailService::ListAuditEntries(
    grpc::CallbackServerContext* context,
    const v1::ListAuditEntriesRequest* request,
    v1::ListAuditEntriesResponse* response) {
  return edge_.Serve(context, "ListAuditEntries", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.List(caller, *request);
                     });
}

namespace {

class AuditModule final : public server::ServiceModule {
 public:
  explicit AuditModule(const server::ServiceDeps& deps)
      : policy_(auth::AccessPolicy::ParseBuiltIn(AccessPolicyText())),
        gate_(deps.authenticator, policy_),
        records_(deps.store, deps.clock, deps.key_hasher),
        service_(records_,
                 server::ServiceEdge(v1::AuditTrail::service_full_name(), gate_,
                                     deps.workers)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::AuditTrail::service_full_name(),
             [this] { return records_.Ready(); }}};
  }

 private:
  const auth::AccessPolicy policy_;  // access_policy.textproto
  const auth::CallGate gate_;
  AuditRecords records_;
  AuditTrailService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewModule(
    const server::ServiceDeps& deps) {
  return std::make_unique<AuditModule>(deps);
}

}  // namespace employability::audit
