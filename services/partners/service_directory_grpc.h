// The gRPC face of the service directory: a thin adapter over
// ServiceDirectory. Who may call what is access_policy.textproto; the
// directory applies the record-level rules (only the providing
// organisation changes its services).
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_SERVICE_DIRECTORY_GRPC_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_SERVICE_DIRECTORY_GRPC_H_

#include <utility>

#include "common/server/unary.h"
#include "employability/partners/v1/service_directory.grpc.pb.h"
#include "services/partners/service_directory.h"

namespace employability::partners {

class ServiceDirectoryService final
    : public v1::ServiceDirectory::CallbackService {
 public:
  ServiceDirectoryService(ServiceDirectory& directory, server::ServiceEdge edge)
      : directory_(directory), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateService(
      grpc::CallbackServerContext* context,
      const v1::CreateServiceRequest* request,
      v1::DirectoryService* response) override;
  grpc::ServerUnaryReactor* GetService(grpc::CallbackServerContext* context,
                                       const v1::GetServiceRequest* request,
                                       v1::DirectoryService* response) override;
  grpc::ServerUnaryReactor* ListServices(
      grpc::CallbackServerContext* context,
      const v1::ListServicesRequest* request,
      v1::ListServicesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateService(
      grpc::CallbackServerContext* context,
      const v1::UpdateServiceRequest* request,
      v1::DirectoryService* response) override;
  grpc::ServerUnaryReactor* UpdateServiceCapacity(
      grpc::CallbackServerContext* context,
      const v1::UpdateServiceCapacityRequest* request,
      v1::DirectoryService* response) override;
  grpc::ServerUnaryReactor* SearchServices(
      grpc::CallbackServerContext* context,
      const v1::SearchServicesRequest* request,
      v1::SearchServicesResponse* response) override;

 private:
  ServiceDirectory& directory_;
  const server::ServiceEdge edge_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_SERVICE_DIRECTORY_GRPC_H_
