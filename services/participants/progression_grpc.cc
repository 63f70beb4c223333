#include "services/participants/progression_grpc.h"

namespace employability::participants {

// Not built yet: the participants module hosts nothing for it.
std::unique_ptr<server::ServiceModule> NewProgressionModule(
    CaseFiles& files, const server::ServiceDeps& deps) {
  (void)files;
  (void)deps;
  return nullptr;
}

}  // namespace employability::participants
