// The main() of every server binary: flags (with environment overrides),
// store, workers, modules, server, then wait for SIGTERM/SIGINT and drain.
#ifndef EMPLOYABILITY_COMMON_SERVER_SERVICE_MAIN_H_
#define EMPLOYABILITY_COMMON_SERVER_SERVICE_MAIN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/auth/tokens.h"
#include "common/server/module.h"
#include "common/storage/store.h"
#include "common/time/clock.h"

namespace employability::server {

// A server binary: what it says in --help, who it is, what it hosts.
struct Process {
  absl::string_view description;
  // The process's service identity ("suite", "participants"): the name in
  // its service tokens, and what access policies list under services.
  std::string name;
  std::vector<ModuleFactory> modules;
  StaffDirectoryFactory staff_directory;
};

int ServiceMain(int argc, char** argv, const Process& process);

// ---- The same configuration, for commands that share it (the admin
// command): call after config::ParseFlags.

// The token settings and keys of --token_*: INVALID_ARGUMENT naming the
// flag when they are missing or unreadable.
struct TokenConfig {
  auth::TokenSettings settings;
  std::vector<auth::TokenKey> keys;  // verification keys (two while rotating)
  // The key this process signs with (service tokens, the admin command's
  // tokens); nullopt when it verifies only.
  std::optional<auth::TokenKey> signing_key;
};
absl::StatusOr<TokenConfig> TokenConfigFromFlags();
// --store and --redis*: exits with the fault on bad configuration.
std::unique_ptr<storage::Store> StoreFromFlags(const Clock& clock);
// --key_secret, or the development secret where allowed.
std::string KeySecretFromFlags();
// Checks the flags every server shares.
absl::Status CheckServerFlags();

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_SERVICE_MAIN_H_
