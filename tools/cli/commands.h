// The client's commands. Each returns the process exit code.
#ifndef EMPLOYABILITY_TOOLS_CLI_COMMANDS_H_
#define EMPLOYABILITY_TOOLS_CLI_COMMANDS_H_

#include <string>

#include "tools/common/call_options.h"

namespace employability::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRpcError = 1;  // also: health not SERVING
inline constexpr int kExitUsage = 2;

struct ClientConfig {
  std::string address;
  CallOptions call;
  bool json = false;  // print responses as JSON rather than text format
};

// Calls a unary method with a request in text format or JSON (when it starts
// with '{') and prints the response.
int RunCall(const ClientConfig& config, const std::string& method,
            const std::string& request);

// Prints every known method, one "pkg.Service/Method Request -> Response" a
// line.
int RunList();

// Prints a message, enum, service or method as .proto text.
int RunDescribe(const std::string& symbol);

// grpc.health.v1.Health/Check; prints the serving status.
int RunHealth(const ClientConfig& config, const std::string& service);

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_CLI_COMMANDS_H_
