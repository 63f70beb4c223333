// The gRPC face of the participants service: a thin adapter over
// ParticipantRecords, and the module that hosts it in a server.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANTS_GRPC_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANTS_GRPC_H_

#include <memory>

#include "common/server/module.h"
#include "common/server/unary.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "services/participants/participant_records.h"

namespace employability::participants {

class ParticipantsService final : public v1::Participants::CallbackService {
 public:
  ParticipantsService(ParticipantRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateParticipant(
      grpc::CallbackServerContext* context,
      const v1::CreateParticipantRequest* request,
      v1::Participant* response) override;
  grpc::ServerUnaryReactor* GetParticipant(
      grpc::CallbackServerContext* context,
      const v1::GetParticipantRequest* request,
      v1::Participant* response) override;
  grpc::ServerUnaryReactor* ListParticipants(
      grpc::CallbackServerContext* context,
      const v1::ListParticipantsRequest* request,
      v1::ListParticipantsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateParticipant(
      grpc::CallbackServerContext* context,
      const v1::UpdateParticipantRequest* request,
      v1::Participant* response) override;
  grpc::ServerUnaryReactor* DeleteParticipant(
      grpc::CallbackServerContext* context,
      const v1::DeleteParticipantRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* CreateConsent(
      grpc::CallbackServerContext* context,
      const v1::CreateConsentRequest* request, v1::Consent* response) override;
  grpc::ServerUnaryReactor* WithdrawConsent(
      grpc::CallbackServerContext* context,
      const v1::WithdrawConsentRequest* request,
      v1::Consent* response) override;
  grpc::ServerUnaryReactor* ListConsents(
      grpc::CallbackServerContext* context,
      const v1::ListConsentsRequest* request,
      v1::ListConsentsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateEqualityData(
      grpc::CallbackServerContext* context,
      const v1::UpdateEqualityDataRequest* request,
      v1::EqualityData* response) override;
  grpc::ServerUnaryReactor* GetEqualityData(
      grpc::CallbackServerContext* context,
      const v1::GetEqualityDataRequest* request,
      v1::EqualityData* response) override;
  grpc::ServerUnaryReactor* ExitParticipant(
      grpc::CallbackServerContext* context,
      const v1::ExitParticipantRequest* request,
      v1::Participant* response) override;

 private:
  ParticipantRecords& records_;
  const server::ServiceEdge edge_;
};

// The participants service as a module of a server (suite or standalone).
std::unique_ptr<server::ServiceModule> NewModule(
    const server::ServiceDeps& deps);

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANTS_GRPC_H_
