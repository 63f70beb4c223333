#include "common/config/config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace employability::config {
namespace {

// Where this file sits in the repository: stripping it from __FILE__ gives
// the repository root as the compiler saw it, whichever directory the build
// ran in.
constexpr absl::string_view kThisFile = "common/config/config.cc";

// Top-level directories whose flags are ours and so belong in --help.
constexpr absl::string_view kOwnDirs[] = {"common/", "services/", "tools/",
                                          "tests/"};

absl::string_view RepoRoot() {
  absl::string_view file = __FILE__;
  return absl::ConsumeSuffix(&file, kThisFile) ? file : absl::string_view();
}

// Shows our files relative to the repository root ("common/config/x.cc"),
// which is shorter to read and lets IsOwnFile test a prefix. Other files keep
// absl's default treatment: leading slashes dropped.
std::string NormalizeFilename(absl::string_view filename) {
  const absl::string_view root = RepoRoot();
  if (!root.empty() && absl::ConsumePrefix(&filename, root)) {
    return std::string(filename);
  }
  while (absl::ConsumePrefix(&filename, "/")) {
  }
  return std::string(filename);
}

bool IsOwnFile(absl::string_view normalized_filename) {
  for (absl::string_view dir : kOwnDirs) {
    if (absl::StartsWith(normalized_filename, dir)) return true;
  }
  return false;
}

// absl's built-in flags (--flagfile, --help, ...) are not settings of ours;
// letting the environment set them would only surprise.
bool IsAbslFlag(const absl::CommandLineFlag& flag) {
  const std::string file = flag.Filename();
  return absl::StartsWith(file, "absl/") || absl::StrContains(file, "/absl/");
}

std::string UsageText(absl::string_view usage) {
  return absl::StrCat(
      usage, "\n\nEvery flag can also be set by the environment variable ",
      kEnvPrefix,
      "<NAME>,\nNAME being the flag's name in upper case (--port by ",
      kEnvPrefix, "PORT).\nThe command line wins over the environment.");
}

// absl allows the usage message to be set once per process; tests call
// ParseFlags repeatedly, so only the first call's usage is kept.
void ConfigureUsage(absl::string_view usage) {
  static std::once_flag once;
  std::call_once(once, [usage] {
    absl::FlagsUsageConfig usage_config;
    usage_config.contains_help_flags = IsOwnFile;
    usage_config.contains_helpshort_flags = IsOwnFile;
    usage_config.normalize_filename = NormalizeFilename;
    absl::SetFlagsUsageConfig(usage_config);
    absl::SetProgramUsageMessage(UsageText(usage));
  });
}

// Messages name the setting as the operator writes it, "--port", whether the
// caller passed "--port" or "port".
absl::Status InvalidArgument(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(absl::StartsWith(flag, "--") ? "" : "--", flag, " ", what));
}

}  // namespace

std::string EnvVarForFlag(absl::string_view flag_name) {
  return absl::StrCat(kEnvPrefix, absl::AsciiStrToUpper(flag_name));
}

absl::Status ApplyEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsAbslFlag(*flag)) continue;
    const std::string variable = EnvVarForFlag(name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          variable, "=", value, ": invalid value for --", name, ": ", error));
    }
  }
  return absl::OkStatus();
}

std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view usage) {
  ConfigureUsage(usage);
  // The environment first, so that the command line parsed next overrides it.
  ExitOnBadConfig(ApplyEnvironment());
  return absl::ParseCommandLine(argc, argv);
}

absl::Status CheckPort(absl::string_view flag, int port, bool allow_zero) {
  const int low = allow_zero ? 0 : 1;
  if (port >= low && port <= 65535) return absl::OkStatus();
  return InvalidArgument(
      flag,
      absl::StrCat("must be a TCP port in ", low, "..65535",
                   allow_zero ? " (0 picks a free port)" : "", ", got ", port));
}

absl::Status CheckHostPort(absl::string_view flag, absl::string_view value,
                           bool allow_zero_port) {
  const std::string expected = absl::StrCat(
      "must be host:port (e.g. 0.0.0.0:50051 or [::1]:50051), got \"", value,
      "\"");
  const size_t colon = value.rfind(':');
  if (colon == absl::string_view::npos) return InvalidArgument(flag, expected);
  const absl::string_view host = value.substr(0, colon);
  const absl::string_view port_text = value.substr(colon + 1);
  const bool bracketed = absl::StartsWith(host, "[");
  if (host.empty() || (bracketed && (host.size() < 3 || host.back() != ']'))) {
    return InvalidArgument(flag, expected);
  }
  if (!bracketed && absl::StrContains(host, ':')) {
    return InvalidArgument(
        flag, absl::StrCat("must put an IPv6 host in brackets ([::1]:50051), "
                           "got \"",
                           value, "\""));
  }
  int port = -1;
  // SimpleAtoi also takes signs and spaces, which no address should have.
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &port)) {
    return InvalidArgument(flag, expected);
  }
  if (!CheckPort(flag, port, allow_zero_port).ok()) {
    return InvalidArgument(
        flag, absl::StrCat("must have a port in ", allow_zero_port ? 0 : 1,
                           "..65535, got \"", value, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckPositive(absl::string_view flag, int64_t value) {
  if (value > 0) return absl::OkStatus();
  return InvalidArgument(flag, absl::StrCat("must be at least 1, got ", value));
}

absl::Status CheckPositiveDuration(absl::string_view flag,
                                   absl::Duration value) {
  if (value > absl::ZeroDuration() && value != absl::InfiniteDuration()) {
    return absl::OkStatus();
  }
  return InvalidArgument(
      flag, absl::StrCat("must be a positive, finite duration (e.g. 5s), got ",
                         absl::FormatDuration(value)));
}

absl::Status CheckNonEmpty(absl::string_view flag, absl::string_view value) {
  if (!value.empty()) return absl::OkStatus();
  return InvalidArgument(flag, "must not be empty");
}

void ExitOnBadConfig(const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "bad configuration: %.*s\n",
               static_cast<int>(status.message().size()),
               status.message().data());
  std::exit(2);
}

}  // namespace employability::config
