// The partners service on its own (in Kubernetes, say); the suite binary
// hosts the same module beside the others.
#include "common/server/service_main.h"
#include "services/partners/partners_grpc.h"

int main(int argc, char** argv) {
  return employability::server::ServiceMain(
      argc, argv,
      "The partners service of the employability suite: the directory of "
      "organisations and staff users.",
      {employability::partners::NewModule});
}
