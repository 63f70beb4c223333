// The audit service on its own (in Kubernetes, say); the suite binary hosts
// the same module beside the others. It confirms each caller with the
// partners service's staff directory at --partners_address.
#include "common/server/service_main.h"
#include "services/audit/audit_grpc.h"
#include "services/partners/staff_directory_client.h"

int main(int argc, char** argv) {
  return employability::server::ServiceMain(
      argc, argv,
      {"The audit service of the employability suite: the trail of every "
       "read and write of personal data.",
       "audit",
       {employability::audit::NewModule},
       employability::partners::NewRemoteStaffDirectory});
}
