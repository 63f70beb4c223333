// employability: the project's own gRPC client, standing in for grpcurl.
//
//   employability [flags] call <pkg.Service/Method> '<request>'
//   employability [flags] list
//   employability [flags] describe <pkg.Message | pkg.Service[/Method]>
//   employability [flags] health [service]
//
// The request is protobuf text format, or JSON when it starts with '{'.
// Exit codes: 0 success, 1 an RPC error (or health not SERVING), 2 usage.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/cli/commands.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "server host:port");
ABSL_FLAG(std::string, token, "",
          "bearer token of the caller, sent as 'authorization: Bearer "
          "<token>'; empty: $EMPLOYABILITY_TOKEN");
ABSL_FLAG(std::string, purpose, "",
          "declared purpose of the calls (x-employability-purpose), e.g. "
          "EQUALITY_MONITORING");
ABSL_FLAG(int, deadline_ms, 5000, "deadline of each call, in milliseconds");
ABSL_FLAG(bool, json, false, "print responses as JSON, not text format");

namespace {

constexpr char kUsage[] =
    "the employability gRPC client.\n"
    "  employability [flags] call <pkg.Service/Method> '<request>'\n"
    "  employability [flags] list\n"
    "  employability [flags] describe <pkg.Message|pkg.Service[/Method]>\n"
    "  employability [flags] health [service]\n"
    "The request is protobuf text format, or JSON when it starts with '{'.";

employability::tools::ClientConfig ConfigFromFlags() {
  employability::tools::ClientConfig config;
  config.address = absl::GetFlag(FLAGS_address);
  config.call.token =
      employability::tools::TokenFrom(absl::GetFlag(FLAGS_token));
  config.call.purpose = absl::GetFlag(FLAGS_purpose);
  config.call.deadline =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms));
  config.json = absl::GetFlag(FLAGS_json);
  return config;
}

int UsageError(const std::string& why) {
  std::cerr << why << "\nusage: " << kUsage << "\n";
  return employability::tools::kExitUsage;
}

// args[0] is the command; the rest are its operands.
int Dispatch(const std::vector<std::string>& args) {
  namespace tools = employability::tools;
  if (args.empty()) return UsageError("no command");
  const std::string& command = args[0];
  size_t operands = args.size() - 1;
  if (command == "call" && (operands == 1 || operands == 2)) {
    return tools::RunCall(ConfigFromFlags(), args[1],
                          operands == 2 ? args[2] : "");
  }
  if (command == "list" && operands == 0) return tools::RunList();
  if (command == "describe" && operands == 1) {
    return tools::RunDescribe(args[1]);
  }
  if (command == "health" && operands <= 1) {
    return tools::RunHealth(ConfigFromFlags(), operands == 1 ? args[1] : "");
  }
  return UsageError("bad command line: " + command);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  return Dispatch(
      std::vector<std::string>(positional.begin() + 1, positional.end()));
}
