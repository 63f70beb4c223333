#include "services/participants/group_sessions_grpc.h"

#include "common/server/unary.h"
#include "employability/participants/v1/group_sessions.grpc.pb.h"
#include "services/participants/group_session_records.h"

namespace employability::participants {
namespace {

class GroupSessionsService final : public v1::GroupSessions::CallbackService {
 public:
  GroupSessionsService(GroupSessionRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateGroupSession(
      grpc::CallbackServerContext* context,
      const v1::CreateGroupSessionRequest* request,
      v1::GroupSession* response) override {
    return edge_.Serve(context, "CreateGroupSession", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Create(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* GetGroupSession(
      grpc::CallbackServerContext* context,
      const v1::GetGroupSessionRequest* request,
      v1::GroupSession* response) override {
    return edge_.Serve(context, "GetGroupSession", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Get(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ListGroupSessions(
      grpc::CallbackServerContext* context,
      const v1::ListGroupSessionsRequest* request,
      v1::ListGroupSessionsResponse* response) override {
    return edge_.Serve(context, "ListGroupSessions", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.List(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* UpdateGroupSession(
      grpc::CallbackServerContext* context,
      const v1::UpdateGroupSessionRequest* request,
      v1::GroupSession* response) override {
    return edge_.Serve(context, "UpdateGroupSession", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Update(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* RecordAttendance(
      grpc::CallbackServerContext* context,
      const v1::RecordAttendanceRequest* request,
      v1::GroupSession* response) override {
    return edge_.Serve(context, "RecordAttendance", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.RecordAttendance(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* RecordEvaluation(
      grpc::CallbackServerContext* context,
      const v1::RecordEvaluationRequest* request,
      v1::GroupSession* response) override {
    return edge_.Serve(context, "RecordEvaluation", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.RecordEvaluation(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* RecordFollowUp(
      grpc::CallbackServerContext* context,
      const v1::RecordFollowUpRequest* request,
      v1::GroupSession* response) override {
    return edge_.Serve(context, "RecordFollowUp", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.RecordFollowUp(caller, *request);
                       });
  }

 private:
  GroupSessionRecords& records_;
  const server::ServiceEdge edge_;
};

class GroupSessionsModule final : public server::ServiceModule {
 public:
  GroupSessionsModule(CaseFiles& files, server::ServiceEdge edge)
      : files_(files), records_(files), service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::GroupSessions::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  GroupSessionRecords records_;
  GroupSessionsService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewGroupSessionsModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<GroupSessionsModule>(
      files, server::ServiceEdge(v1::GroupSessions::service_full_name(), gate,
                                 deps.workers));
}

}  // namespace employability::participants
