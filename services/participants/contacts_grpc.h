// The gRPC face of employability.participants.v1.Contacts: a thin adapter
// over its domain class, hosted in the participants module.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_CONTACTS_GRPC_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_CONTACTS_GRPC_H_

#include <memory>

#include "common/auth/call_gate.h"
#include "common/server/module.h"
#include "employability/participants/v1/contacts.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

// The Contacts service over `files` (which outlives it).
std::unique_ptr<server::ServiceModule> NewContactsModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate);

// The contact standards compiled in from data/contact_standards.textproto,
// which Contacts and Caseloads both apply. A bad file is fatal: a build
// that must not ship.
v1::ContactStandards CompiledContactStandards();

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_CONTACTS_GRPC_H_
