// The all-in-one binary: every service of the suite on one port. A new
// service plugs in with one line in the list below.
#include "common/server/service_main.h"
#include "services/participants/participants_grpc.h"
#include "services/partners/partners_grpc.h"

int main(int argc, char** argv) {
  return employability::server::ServiceMain(
      argc, argv,
      "The employability delivery suite: every service on one port.",
      {
          employability::participants::NewModule,
          employability::partners::NewModule,
      });
}
