// The participants service on its own (in Kubernetes, say); the suite binary
// hosts the same module beside the others. It confirms each caller with the
// partners service's staff directory at --partners_address.
#include "common/server/service_main.h"
#include "services/participants/participants_grpc.h"
#include "services/partners/staff_directory_client.h"

int main(int argc, char** argv) {
  return employability::server::ServiceMain(
      argc, argv,
      {"The participants service of the employability suite.",
       "participants",
       {employability::participants::NewModule},
       employability::partners::NewRemoteStaffDirectory});
}
