// The gRPC face of the audit service: a thin adapter over AuditRecords, and
// the module that hosts it in a server.
//
// Who may call what is access_policy.textproto; the records apply the
// caller's organisation to the trail a call names.
#ifndef EMPLOYABILITY_SERVICES_AUDIT_AUDIT_GRPC_H_
#define EMPLOYABILITY_SERVICES_AUDIT_AUDIT_GRPC_H_

#include <memory>

#include "common/server/module.h"
#include "common/server/unary.h"
#include "employability/audit/v1/audit.grpc.pb.h"
#include "services/audit/audit_records.h"

namespace employability::audit {

class AuditTrailService final : public v1::AuditTrail::CallbackService {
 public:
  AuditTrailService(AuditRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* ListAuditEntries(
      grpc::CallbackServerContext* context,
      const v1::ListAuditEntriesRequest* request,
      v1::ListAuditEntriesResponse* response) override;

 private:
  AuditRecords& records_;
  const server::ServiceEdge edge_;
};

// access_policy.textproto, compiled in.
const char* AccessPolicyText();

// The audit service as a module of a server (suite or standalone).
std::unique_ptr<server::ServiceModule> NewModule(
    const server::ServiceDeps& deps);

}  // namespace employability::audit

#endif  // EMPLOYABILITY_SERVICES_AUDIT_AUDIT_GRPC_H_
