#include "services/participants/case_reviews_grpc.h"

#include "common/server/unary.h"
#include "employability/participants/v1/case_reviews.grpc.pb.h"
#include "services/participants/case_review_records.h"

namespace employability::participants {
namespace {

class CaseReviewsService final : public v1::CaseReviews::CallbackService {
 public:
  CaseReviewsService(CaseReviewRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateCaseReview(
      grpc::CallbackServerContext* context,
      const v1::CreateCaseReviewRequest* request,
      v1::CaseReview* response) override {
    return edge_.Serve(context, "CreateCaseReview", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Create(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* GetCaseReview(
      grpc::CallbackServerContext* context,
      const v1::GetCaseReviewRequest* request,
      v1::CaseReview* response) override {
    return edge_.Serve(context, "GetCaseReview", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Get(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ListCaseReviews(
      grpc::CallbackServerContext* context,
      const v1::ListCaseReviewsRequest* request,
      v1::ListCaseReviewsResponse* response) override {
    return edge_.Serve(context, "ListCaseReviews", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.List(caller, *request);
                       });
  }

 private:
  CaseReviewRecords& records_;
  const server::ServiceEdge edge_;
};

class CaseReviewsModule final : public server::ServiceModule {
 public:
  CaseReviewsModule(CaseFiles& files, server::ServiceEdge edge)
      : files_(files), records_(files), service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::CaseReviews::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  CaseReviewRecords records_;
  CaseReviewsService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewCaseReviewsModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<CaseReviewsModule>(
      files, server::ServiceEdge(v1::CaseReviews::service_full_name(), gate,
                                 deps.workers));
}

}  // namespace employability::participants
