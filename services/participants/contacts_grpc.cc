#include "services/participants/contacts_grpc.h"

namespace employability::participants {

// Not built yet: the participants module hosts nothing for it.
std::unique_ptr<server::ServiceModule> NewContactsModule(
    CaseFiles& files, const server::ServiceDeps& deps) {
  (void)files;
  (void)deps;
  return nullptr;
}

}  // namespace employability::participants
