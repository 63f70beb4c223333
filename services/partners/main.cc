// The partners service on its own (in Kubernetes, say); the suite binary
// hosts the same module beside the others. It confirms callers against its
// own staff directory, in-process.
#include "common/server/service_main.h"
#include "services/partners/partners_grpc.h"
#include "services/partners/staff_directory_client.h"

int main(int argc, char** argv) {
  return employability::server::ServiceMain(
      argc, argv,
      {"The partners service of the employability suite: the directory of "
       "organisations and staff users.",
       "partners",
       {employability::partners::NewModule},
       employability::partners::NewLocalStaffDirectory});
}
