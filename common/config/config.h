// Configuration: absl flags, each of which can also be set from the
// environment as EMPLOYABILITY_<FLAG NAME IN UPPER CASE>, so that containers
// can be configured without rewriting their command lines. The command line
// wins over the environment.
//
// Typical main():
//   int main(int argc, char** argv) {
//     employability::config::ParseFlags(argc, argv, "Participants service.");
//     employability::config::ExitOnBadConfig(
//         employability::config::CheckHostPort("--listen",
//                                              absl::GetFlag(FLAGS_listen)));
//     ...
//   }
#ifndef EMPLOYABILITY_COMMON_CONFIG_CONFIG_H_
#define EMPLOYABILITY_COMMON_CONFIG_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace employability::config {

// Prefix of the environment variables that set flags.
inline constexpr absl::string_view kEnvPrefix = "EMPLOYABILITY_";

// "port" -> "EMPLOYABILITY_PORT".
std::string EnvVarForFlag(absl::string_view flag_name);

// Applies EMPLOYABILITY_* environment variables to our flags, then parses the
// command line (which therefore wins) and returns the positional arguments,
// argv[0] first, like absl::ParseCommandLine. Makes --help list every flag
// defined in this repository and explain the environment variables. A bad
// environment value exits with code 2 naming both the variable and the flag.
// Call once, from main, before any flag is read; may be called again (tests).
std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view usage);

// Only the environment half of ParseFlags: sets every flag whose variable is
// present. Returns InvalidArgument naming the variable and the flag on the
// first bad value, and leaves that flag unchanged.
absl::Status ApplyEnvironment();

// Validation helpers. Each takes the setting's name ("--port"; "port" gets
// the dashes added) and returns InvalidArgument with a message that starts
// with "--port", so the operator knows which setting to fix.

// A TCP port, 1..65535; 0 ("pick a free port") only where allow_zero.
absl::Status CheckPort(absl::string_view flag, int port,
                       bool allow_zero = false);

// "host:port" with a non-empty host ("[::1]" brackets for IPv6) and a port
// as CheckPort accepts it.
absl::Status CheckHostPort(absl::string_view flag, absl::string_view value,
                           bool allow_zero_port = false);

// A count, size or limit that must be at least 1.
absl::Status CheckPositive(absl::string_view flag, int64_t value);

// A timeout or interval: finite and greater than zero.
absl::Status CheckPositiveDuration(absl::string_view flag,
                                   absl::Duration value);

// A setting that must not be empty (an address, a name).
absl::Status CheckNonEmpty(absl::string_view flag, absl::string_view value);

// Does nothing for OK; otherwise prints "bad configuration: <message>" to
// stderr and exits with code 2 (the conventional "usage error" code, distinct
// from a crash), so a misconfigured deployment fails fast and says why.
void ExitOnBadConfig(const absl::Status& status);

}  // namespace employability::config

#endif  // EMPLOYABILITY_COMMON_CONFIG_CONFIG_H_
