#include "services/participants/action_plans_grpc.h"

#include "common/server/unary.h"
#include "employability/participants/v1/action_plans.grpc.pb.h"
#include "services/participants/action_plan_records.h"

namespace employability::participants {
namespace {

class ActionPlansService final : public v1::ActionPlans::CallbackService {
 public:
  ActionPlansService(ActionPlanRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateActionPlan(
      grpc::CallbackServerContext* context,
      const v1::CreateActionPlanRequest* request,
      v1::ActionPlan* response) override {
    return edge_.Serve(context, "CreateActionPlan", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Create(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* GetActionPlan(
      grpc::CallbackServerContext* context,
      const v1::GetActionPlanRequest* request,
      v1::ActionPlan* response) override {
    return edge_.Serve(context, "GetActionPlan", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Get(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ListActionPlans(
      grpc::CallbackServerContext* context,
      const v1::ListActionPlansRequest* request,
      v1::ListActionPlansResponse* response) override {
    return edge_.Serve(context, "ListActionPlans", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.List(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* UpdateActionPlan(
      grpc::CallbackServerContext* context,
      const v1::UpdateActionPlanRequest* request,
      v1::ActionPlan* response) override {
    return edge_.Serve(context, "UpdateActionPlan", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Update(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* AgreeActionPlan(
      grpc::CallbackServerContext* context,
      const v1::AgreeActionPlanRequest* request,
      v1::ActionPlan* response) override {
    return edge_.Serve(context, "AgreeActionPlan", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Agree(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ReviewActionPlan(
      grpc::CallbackServerContext* context,
      const v1::ReviewActionPlanRequest* request,
      v1::ActionPlan* response) override {
    return edge_.Serve(context, "ReviewActionPlan", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Review(caller, *request);
                       });
  }

 private:
  ActionPlanRecords& records_;
  const server::ServiceEdge edge_;
};

class ActionPlansModule final : public server::ServiceModule {
 public:
  ActionPlansModule(CaseFiles& files, server::ServiceEdge edge)
      : files_(files), records_(files), service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::ActionPlans::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  ActionPlanRecords records_;
  ActionPlansService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewActionPlansModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<ActionPlansModule>(
      files, server::ServiceEdge(v1::ActionPlans::service_full_name(), gate,
                                 deps.workers));
}

}  // namespace employability::participants
