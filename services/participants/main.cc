// The participants service on its own (in Kubernetes, say); the suite binary
// hosts the same module beside the others.
#include "common/server/service_main.h"
#include "services/participants/participants_grpc.h"

int main(int argc, char** argv) {
  return employability::server::ServiceMain(
      argc, argv, "The participants service of the employability suite.",
      {employability::participants::NewModule});
}
