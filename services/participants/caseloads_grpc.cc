#include "services/participants/caseloads_grpc.h"

#include "common/server/unary.h"
#include "employability/participants/v1/caseloads.grpc.pb.h"
#include "services/participants/caseload_records.h"
#include "services/participants/contacts_grpc.h"

namespace employability::participants {
namespace {

class CaseloadsService final : public v1::Caseloads::CallbackService {
 public:
  CaseloadsService(CaseloadRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* GetCaseload(grpc::CallbackServerContext* context,
                                        const v1::GetCaseloadRequest* request,
                                        v1::Caseload* response) override {
    return edge_.Serve(context, "GetCaseload", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.GetCaseload(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ReassignParticipants(
      grpc::CallbackServerContext* context,
      const v1::ReassignParticipantsRequest* request,
      v1::ReassignParticipantsResponse* response) override {
    return edge_.Serve(context, "ReassignParticipants", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.ReassignParticipants(caller, *request);
                       });
  }

 private:
  CaseloadRecords& records_;
  const server::ServiceEdge edge_;
};

class CaseloadsModule final : public server::ServiceModule {
 public:
  CaseloadsModule(CaseFiles& files, v1::ContactStandards standards,
                  server::ServiceEdge edge)
      : files_(files),
        records_(files, std::move(standards)),
        service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::Caseloads::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  CaseloadRecords records_;
  CaseloadsService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewCaseloadsModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<CaseloadsModule>(
      files, CompiledContactStandards(),
      server::ServiceEdge(v1::Caseloads::service_full_name(), gate,
                          deps.workers));
}

}  // namespace employability::participants
