#include "services/partners/service_directory_grpc.h"

namespace employability::partners {

grpc::ServerUnaryReactor* ServiceDirectoryService::CreateService(
    grpc::CallbackServerContext* context,
    const v1::CreateServiceRequest* request, v1::DirectoryService* response) {
  return edge_.Serve(context, "CreateService", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.CreateService(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ServiceDirectoryService::GetService(
    grpc::CallbackServerContext* context, const v1::GetServiceRequest* request,
    v1::DirectoryService* response) {
  return edge_.Serve(context, "GetService", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.GetService(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ServiceDirectoryService::ListServices(
    grpc::CallbackServerContext* context,
    const v1::ListServicesRequest* request,
    v1::ListServicesResponse* response) {
  return edge_.Serve(context, "ListServices", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.ListServices(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ServiceDirectoryService::UpdateService(
    grpc::CallbackServerContext* context,
    const v1::UpdateServiceRequest* request, v1::DirectoryService* response) {
  return edge_.Serve(context, "UpdateService", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.UpdateService(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ServiceDirectoryService::UpdateServiceCapacity(
    grpc::CallbackServerContext* context,
    const v1::UpdateServiceCapacityRequest* request,
    v1::DirectoryService* response) {
  return edge_.Serve(context, "UpdateServiceCapacity", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.UpdateServiceCapacity(caller,
                                                               *request);
                     });
}

grpc::ServerUnaryReactor* ServiceDirectoryService::SearchServices(
    grpc::CallbackServerContext* context,
    const v1::SearchServicesRequest* request,
    v1::SearchServicesResponse* response) {
  return edge_.Serve(context, "SearchServices", response,
                     [this, request](const auth::Caller& caller) {
                       return directory_.SearchServices(caller, *request);
                     });
}

}  // namespace employability::partners
