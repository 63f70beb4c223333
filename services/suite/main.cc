// The all-in-one binary: every service of the suite on one port. A new
// service plugs in with one line in the list below. Callers are confirmed
// against the partners module's staff directory, read in-process; every
// call passes the same call gate as in the single-service binaries.
#include "common/server/service_main.h"
#include "services/audit/audit_grpc.h"
#include "services/participants/participants_grpc.h"
#include "services/partners/partners_grpc.h"
#include "services/partners/staff_directory_client.h"

int main(int argc, char** argv) {
  return employability::server::ServiceMain(
      argc, argv,
      {"The employability delivery suite: every service on one port.",
       "suite",
       {
           employability::participants::NewModule,
           employability::partners::NewModule,
           employability::audit::NewModule,
       },
       employability::partners::NewLocalStaffDirectory});
}
