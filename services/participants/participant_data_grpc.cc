#include "services/participants/participant_data_grpc.h"

#include "common/server/unary.h"
#include "employability/participants/v1/participant_data.grpc.pb.h"
#include "services/participants/participant_data_records.h"

namespace employability::participants {
namespace {

class ParticipantDataService final
    : public v1::ParticipantData::CallbackService {
 public:
  ParticipantDataService(ParticipantDataRecords& records,
                         server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* ExportParticipantData(
      grpc::CallbackServerContext* context,
      const v1::ExportParticipantDataRequest* request,
      v1::ParticipantDataExport* response) override {
    return edge_.Serve(context, "ExportParticipantData", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Export(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* EraseParticipant(
      grpc::CallbackServerContext* context,
      const v1::EraseParticipantRequest* request,
      v1::Participant* response) override {
    return edge_.Serve(context, "EraseParticipant", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Erase(caller, *request);
                       });
  }

 private:
  ParticipantDataRecords& records_;
  const server::ServiceEdge edge_;
};

class ParticipantDataModule final : public server::ServiceModule {
 public:
  ParticipantDataModule(CaseFiles& files, server::ServiceEdge edge)
      : files_(files), records_(files), service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::ParticipantData::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  ParticipantDataRecords records_;
  ParticipantDataService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewParticipantDataModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<ParticipantDataModule>(
      files, server::ServiceEdge(v1::ParticipantData::service_full_name(), gate,
                                 deps.workers));
}

}  // namespace employability::participants
