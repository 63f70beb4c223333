#include "services/participants/progression_grpc.h"

#include <memory>
#include <vector>

#include "common/server/unary.h"
#include "employability/participants/v1/progression.grpc.pb.h"
#include "services/participants/progression_records.h"

namespace employability::participants {
namespace {

class ProgressionService final : public v1::Progression::CallbackService {
 public:
  ProgressionService(ProgressionRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateJob(grpc::CallbackServerContext* context,
                                      const v1::CreateJobRequest* request,
                                      v1::Job* response) override {
    return edge_.Serve(context, "CreateJob", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.CreateJob(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const v1::GetJobRequest* request,
                                   v1::Job* response) override {
    return edge_.Serve(context, "GetJob", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.GetJob(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const v1::ListJobsRequest* request,
                                     v1::ListJobsResponse* response) override {
    return edge_.Serve(context, "ListJobs", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.ListJobs(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* EndJob(grpc::CallbackServerContext* context,
                                   const v1::EndJobRequest* request,
                                   v1::Job* response) override {
    return edge_.Serve(context, "EndJob", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.EndJob(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* RecordRetentionCheck(
      grpc::CallbackServerContext* context,
      const v1::RecordRetentionCheckRequest* request,
      v1::Job* response) override {
    return edge_.Serve(context, "RecordRetentionCheck", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.RecordRetentionCheck(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* CreateEarningsEvidence(
      grpc::CallbackServerContext* context,
      const v1::CreateEarningsEvidenceRequest* request,
      v1::EarningsEvidence* response) override {
    return edge_.Serve(context, "CreateEarningsEvidence", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.CreateEarningsEvidence(caller,
                                                                *request);
                       });
  }
  grpc::ServerUnaryReactor* ListEarningsEvidence(
      grpc::CallbackServerContext* context,
      const v1::ListEarningsEvidenceRequest* request,
      v1::ListEarningsEvidenceResponse* response) override {
    return edge_.Serve(context, "ListEarningsEvidence", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.ListEarningsEvidence(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* RecordJobOutcome(
      grpc::CallbackServerContext* context,
      const v1::RecordJobOutcomeRequest* request,
      v1::Participant* response) override {
    return edge_.Serve(context, "RecordJobOutcome", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.RecordJobOutcome(caller, *request);
                       });
  }

 private:
  ProgressionRecords& records_;
  const server::ServiceEdge edge_;
};

class ProgressionModule final : public server::ServiceModule {
 public:
  ProgressionModule(CaseFiles& files, server::ServiceEdge edge)
      : files_(files), records_(files), service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::Progression::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  ProgressionRecords records_;
  ProgressionService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewProgressionModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<ProgressionModule>(
      files, server::ServiceEdge(v1::Progression::service_full_name(), gate,
                                 deps.workers));
}

}  // namespace employability::participants
