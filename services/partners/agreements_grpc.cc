#include "services/partners/agreements_grpc.h"

#include "common/server/unary.h"

namespace employability::partners {

grpc::ServerUnaryReactor* AgreementsService::CreateContract(
    grpc::CallbackServerContext* context,
    const v1::CreateContractRequest* request, v1::Contract* response) {
  return edge_.Serve(context, "CreateContract", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.CreateContract(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::GetContract(
    grpc::CallbackServerContext* context, const v1::GetContractRequest* request,
    v1::Contract* response) {
  return edge_.Serve(context, "GetContract", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.GetContract(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::ListContracts(
    grpc::CallbackServerContext* context,
    const v1::ListContractsRequest* request,
    v1::ListContractsResponse* response) {
  return edge_.Serve(context, "ListContracts", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.ListContracts(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::UpdateContract(
    grpc::CallbackServerContext* context,
    const v1::UpdateContractRequest* request, v1::Contract* response) {
  return edge_.Serve(context, "UpdateContract", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.UpdateContract(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::CreateSubContract(
    grpc::CallbackServerContext* context,
    const v1::CreateSubContractRequest* request, v1::SubContract* response) {
  return edge_.Serve(context, "CreateSubContract", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.CreateSubContract(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::GetSubContract(
    grpc::CallbackServerContext* context,
    const v1::GetSubContractRequest* request, v1::SubContract* response) {
  return edge_.Serve(context, "GetSubContract", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.GetSubContract(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::ListSubContracts(
    grpc::CallbackServerContext* context,
    const v1::ListSubContractsRequest* request,
    v1::ListSubContractsResponse* response) {
  return edge_.Serve(context, "ListSubContracts", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.ListSubContracts(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::UpdateSubContract(
    grpc::CallbackServerContext* context,
    const v1::UpdateSubContractRequest* request, v1::SubContract* response) {
  return edge_.Serve(context, "UpdateSubContract", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.UpdateSubContract(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::CreateOutcomePayment(
    grpc::CallbackServerContext* context,
    const v1::CreateOutcomePaymentRequest* request,
    v1::OutcomePayment* response) {
  return edge_.Serve(context, "CreateOutcomePayment", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.CreateOutcomePayment(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::ListOutcomePayments(
    grpc::CallbackServerContext* context,
    const v1::ListOutcomePaymentsRequest* request,
    v1::ListOutcomePaymentsResponse* response) {
  return edge_.Serve(context, "ListOutcomePayments", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.ListOutcomePayments(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::UpdateOutcomePayment(
    grpc::CallbackServerContext* context,
    const v1::UpdateOutcomePaymentRequest* request,
    v1::OutcomePayment* response) {
  return edge_.Serve(context, "UpdateOutcomePayment", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.UpdateOutcomePayment(caller, *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::CreateDataSharingAgreement(
    grpc::CallbackServerContext* context,
    const v1::CreateDataSharingAgreementRequest* request,
    v1::DataSharingAgreement* response) {
  return edge_.Serve(context, "CreateDataSharingAgreement", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.CreateDataSharingAgreement(caller,
                                                                  *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::GetDataSharingAgreement(
    grpc::CallbackServerContext* context,
    const v1::GetDataSharingAgreementRequest* request,
    v1::DataSharingAgreement* response) {
  return edge_.Serve(context, "GetDataSharingAgreement", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.GetDataSharingAgreement(caller,
                                                               *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::ListDataSharingAgreements(
    grpc::CallbackServerContext* context,
    const v1::ListDataSharingAgreementsRequest* request,
    v1::ListDataSharingAgreementsResponse* response) {
  return edge_.Serve(context, "ListDataSharingAgreements", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.ListDataSharingAgreements(caller,
                                                                 *request);
                     });
}

grpc::ServerUnaryReactor* AgreementsService::UpdateDataSharingAgreement(
    grpc::CallbackServerContext* context,
    const v1::UpdateDataSharingAgreementRequest* request,
    v1::DataSharingAgreement* response) {
  return edge_.Serve(context, "UpdateDataSharingAgreement", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.UpdateDataSharingAgreement(caller,
                                                                  *request);
                     });
}

}  // namespace employability::partners
