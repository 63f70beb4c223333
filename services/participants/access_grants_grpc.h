// The gRPC face of employability.participants.v1.AccessGrants: a thin
// adapter over its domain class, hosted in the participants module.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_ACCESS_GRANTS_GRPC_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_ACCESS_GRANTS_GRPC_H_

#include <memory>

#include "common/auth/call_gate.h"
#include "common/server/module.h"
#include "services/participants/case_file.h"

namespace employability::participants {

// The AccessGrants service over `files` (which outlives it).
std::unique_ptr<server::ServiceModule> NewAccessGrantsModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate);

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_ACCESS_GRANTS_GRPC_H_
