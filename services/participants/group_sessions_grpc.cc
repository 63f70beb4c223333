#include "services/participants/group_sessions_grpc.h"

namespace employability::participants {

// Not built yet: the participants module hosts nothing for it.
std::unique_ptr<server::ServiceModule> NewGroupSessionsModule(
    CaseFiles& files, const server::ServiceDeps& deps) {
  (void)files;
  (void)deps;
  return nullptr;
}

}  // namespace employability::participants
