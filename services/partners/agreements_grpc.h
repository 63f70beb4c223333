// The gRPC face of the agreements (contracts, sub-contracts, outcome
// payments, data-sharing agreements): a thin adapter over AgreementRecords,
// hosted by the partners module (partners_grpc.h).
//
// Who may call what is access_policy.textproto; the records apply the
// caller's organisation to the record a call names.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_AGREEMENTS_GRPC_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_AGREEMENTS_GRPC_H_

#include <utility>

#include "common/server/unary.h"
#include "employability/partners/v1/agreements.grpc.pb.h"
#include "services/partners/agreement_records.h"

namespace employability::partners {

class AgreementsService final : public v1::Agreements::CallbackService {
 public:
  AgreementsService(AgreementRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}
  grpc::ServerUnaryReactor* CreateContract(
      grpc::CallbackServerContext* context,
      const v1::CreateContractRequest* request,
      v1::Contract* response) override;
  grpc::ServerUnaryReactor* GetContract(grpc::CallbackServerContext* context,
                                        const v1::GetContractRequest* request,
                                        v1::Contract* response) override;
  grpc::ServerUnaryReactor* ListContracts(
      grpc::CallbackServerContext* context,
      const v1::ListContractsRequest* request,
      v1::ListContractsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateContract(
      grpc::CallbackServerContext* context,
      const v1::UpdateContractRequest* request,
      v1::Contract* response) override;
  grpc::ServerUnaryReactor* CreateSubContract(
      grpc::CallbackServerContext* context,
      const v1::CreateSubContractRequest* request,
      v1::SubContract* response) override;
  grpc::ServerUnaryReactor* GetSubContract(
      grpc::CallbackServerContext* context,
      const v1::GetSubContractRequest* request,
      v1::SubContract* response) override;
  grpc::ServerUnaryReactor* ListSubContracts(
      grpc::CallbackServerContext* context,
      const v1::ListSubContractsRequest* request,
      v1::ListSubContractsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSubContract(
      grpc::CallbackServerContext* context,
      const v1::UpdateSubContractRequest* request,
      v1::SubContract* response) override;
  grpc::ServerUnaryReactor* CreateOutcomePayment(
      grpc::CallbackServerContext* context,
      const v1::CreateOutcomePaymentRequest* request,
      v1::OutcomePayment* response) override;
  grpc::ServerUnaryReactor* ListOutcomePayments(
      grpc::CallbackServerContext* context,
      const v1::ListOutcomePaymentsRequest* request,
      v1::ListOutcomePaymentsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateOutcomePayment(
      grpc::CallbackServerContext* context,
      const v1::UpdateOutcomePaymentRequest* request,
      v1::OutcomePayment* response) override;
  grpc::ServerUnaryReactor* CreateDataSharingAgreement(
      grpc::CallbackServerContext* context,
      const v1::CreateDataSharingAgreementRequest* request,
      v1::DataSharingAgreement* response) override;
  grpc::ServerUnaryReactor* GetDataSharingAgreement(
      grpc::CallbackServerContext* context,
      const v1::GetDataSharingAgreementRequest* request,
      v1::DataSharingAgreement* response) override;
  grpc::ServerUnaryReactor* ListDataSharingAgreements(
      grpc::CallbackServerContext* context,
      const v1::ListDataSharingAgreementsRequest* request,
      v1::ListDataSharingAgreementsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateDataSharingAgreement(
      grpc::CallbackServerContext* context,
      const v1::UpdateDataSharingAgreementRequest* request,
      v1::DataSharingAgreement* response) override;

 private:
  AgreementRecords& records_;
  const server::ServiceEdge edge_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_AGREEMENTS_GRPC_H_
