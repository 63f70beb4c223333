// The main() of every server binary: flags (with environment overrides),
// store, workers, modules, server, then wait for SIGTERM/SIGINT and drain.
#ifndef EMPLOYABILITY_COMMON_SERVER_SERVICE_MAIN_H_
#define EMPLOYABILITY_COMMON_SERVER_SERVICE_MAIN_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "common/server/module.h"

namespace employability::server {

int ServiceMain(int argc, char** argv, absl::string_view description,
                const std::vector<ModuleFactory>& modules);

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_SERVICE_MAIN_H_
