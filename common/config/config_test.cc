#include "common/config/config.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int32_t, test_port, 8080, "A port, for the configuration tests.");
ABSL_FLAG(std::string, test_name, "default", "A name, for the tests.");

namespace employability::config {
namespace {

using ::testing::ExitedWithCode;
using ::testing::HasSubstr;

std::string MessageOf(const absl::Status& status) {
  return std::string(status.message());
}

constexpr char kUsage[] = "config_test: exercises the configuration library.";

// Owns an argv for ParseFlags, which wants mutable char*s.
class Args {
 public:
  explicit Args(std::vector<std::string> args) : storage_(std::move(args)) {
    for (std::string& arg : storage_) pointers_.push_back(arg.data());
  }
  int argc() { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("EMPLOYABILITY_TEST_PORT");
    unsetenv("EMPLOYABILITY_TEST_NAME");
  }

  // Restores every flag's value after each test.
  absl::FlagSaver saver_;
};

TEST_F(ConfigTest, EnvVarNameIsPrefixedUpperCase) {
  EXPECT_EQ(EnvVarForFlag("metrics_address"), "EMPLOYABILITY_METRICS_ADDRESS");
}

TEST_F(ConfigTest, DefaultsWithoutEnvironmentOrCommandLine) {
  Args args({"config_test"});
  ParseFlags(args.argc(), args.argv(), kUsage);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 8080);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_name), "default");
}

TEST_F(ConfigTest, EnvironmentOverridesDefault) {
  setenv("EMPLOYABILITY_TEST_PORT", "9090", 1);
  setenv("EMPLOYABILITY_TEST_NAME", "from-env", 1);
  Args args({"config_test"});
  ParseFlags(args.argc(), args.argv(), kUsage);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 9090);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_name), "from-env");
}

TEST_F(ConfigTest, CommandLineBeatsEnvironment) {
  setenv("EMPLOYABILITY_TEST_PORT", "9090", 1);
  setenv("EMPLOYABILITY_TEST_NAME", "from-env", 1);
  Args args({"config_test", "--test_port=7070"});
  ParseFlags(args.argc(), args.argv(), kUsage);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 7070);
  // Only the flag given on the command line is overridden.
  EXPECT_EQ(absl::GetFlag(FLAGS_test_name), "from-env");
}

TEST_F(ConfigTest, ReturnsPositionalArguments) {
  Args args({"config_test", "--test_name=x", "positional"});
  std::vector<char*> rest = ParseFlags(args.argc(), args.argv(), kUsage);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_STREQ(rest[1], "positional");
}

TEST_F(ConfigTest, ApplyEnvironmentReportsVariableAndFlag) {
  setenv("EMPLOYABILITY_TEST_PORT", "abc", 1);
  absl::Status status = ApplyEnvironment();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(MessageOf(status),
              HasSubstr("EMPLOYABILITY_TEST_PORT=abc: invalid value for "
                        "--test_port"));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 8080);
}

TEST_F(ConfigTest, BadEnvironmentValueExitsWithCode2) {
  setenv("EMPLOYABILITY_TEST_PORT", "abc", 1);
  Args args({"config_test"});
  EXPECT_EXIT(ParseFlags(args.argc(), args.argv(), kUsage), ExitedWithCode(2),
              "bad configuration: EMPLOYABILITY_TEST_PORT=abc: invalid value "
              "for --test_port");
}

// --help prints to stdout and exits; death tests only see stderr, so the
// child sends its stdout there.
void PrintHelp() {
  dup2(STDERR_FILENO, STDOUT_FILENO);
  Args args({"config_test", "--help"});
  ParseFlags(args.argc(), args.argv(), kUsage);
}

// absl exits after --help with a code that has changed between releases;
// what matters is a normal exit with the right text.
bool ExitedNormally(int wait_status) { return WIFEXITED(wait_status); }

TEST_F(ConfigTest, HelpListsFlagsOfEveryOwnFile) {
  // These flags are defined here, not in the (gtest) main file, which is all
  // absl's --help would show by default.
  EXPECT_EXIT(PrintHelp(), ExitedNormally, "--test_port");
  EXPECT_EXIT(PrintHelp(), ExitedNormally, "common/config/config_test.cc");
}

TEST_F(ConfigTest, HelpExplainsEnvironmentVariables) {
  EXPECT_EXIT(PrintHelp(), ExitedNormally, "config_test: exercises");
  EXPECT_EXIT(PrintHelp(), ExitedNormally, "EMPLOYABILITY_<NAME>");
}

TEST(CheckPortTest, AcceptsValidPorts) {
  EXPECT_TRUE(CheckPort("--port", 1).ok());
  EXPECT_TRUE(CheckPort("--port", 65535).ok());
  EXPECT_TRUE(CheckPort("--port", 0, /*allow_zero=*/true).ok());
}

TEST(CheckPortTest, RejectsOutOfRangeNamingTheFlag) {
  for (int port : {0, -1, 65536}) {
    absl::Status status = CheckPort("--port", port);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << port;
    EXPECT_THAT(MessageOf(status), ::testing::StartsWith("--port "));
  }
  EXPECT_FALSE(CheckPort("--port", -1, /*allow_zero=*/true).ok());
  EXPECT_THAT(MessageOf(CheckPort("--port", 70000)), HasSubstr("70000"));
}

TEST(CheckHostPortTest, AcceptsHostPorts) {
  for (const char* value : {"0.0.0.0:50051", "localhost:8080", "[::1]:50051",
                            "redis:6379", "a.b.example:65535"}) {
    EXPECT_TRUE(CheckHostPort("--listen", value).ok()) << value;
  }
  EXPECT_TRUE(CheckHostPort("--listen", "127.0.0.1:0", true).ok());
}

TEST(CheckHostPortTest, RejectsMalformedNamingTheFlag) {
  for (const char* value :
       {"", "localhost", ":8080", "host:", "host:abc", "host:+80", "host: 80",
        "host:0", "host:65536", "host:123456", "::1:80", "[]:80", "[::1:80"}) {
    absl::Status status = CheckHostPort("--listen", value);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_THAT(MessageOf(status), ::testing::StartsWith("--listen ")) << value;
  }
}

TEST(CheckHostPortTest, AddsDashesToABareFlagName) {
  EXPECT_THAT(MessageOf(CheckHostPort("listen", "nope")),
              ::testing::StartsWith("--listen must be host:port"));
}

TEST(CheckPositiveTest, AcceptsOnlyAtLeastOne) {
  EXPECT_TRUE(CheckPositive("--workers", 1).ok());
  EXPECT_TRUE(CheckPositive("--workers", int64_t{1} << 40).ok());
  EXPECT_THAT(MessageOf(CheckPositive("--workers", 0)),
              ::testing::StartsWith("--workers must be at least 1"));
  EXPECT_FALSE(CheckPositive("--workers", -5).ok());
}

TEST(CheckPositiveDurationTest, AcceptsOnlyFinitePositive) {
  EXPECT_TRUE(CheckPositiveDuration("--timeout", absl::Milliseconds(1)).ok());
  EXPECT_THAT(
      MessageOf(CheckPositiveDuration("--timeout", absl::ZeroDuration())),
      ::testing::StartsWith("--timeout "));
  EXPECT_FALSE(CheckPositiveDuration("--timeout", absl::Seconds(-1)).ok());
  EXPECT_FALSE(
      CheckPositiveDuration("--timeout", absl::InfiniteDuration()).ok());
}

TEST(CheckNonEmptyTest, RejectsEmpty) {
  EXPECT_TRUE(CheckNonEmpty("--redis", "localhost:6379").ok());
  EXPECT_EQ(CheckNonEmpty("--redis", "").message(),
            "--redis must not be empty");
}

TEST(ExitOnBadConfigTest, ReturnsOnOk) { ExitOnBadConfig(absl::OkStatus()); }

TEST(ExitOnBadConfigTest, ExitsWithCode2AndMessage) {
  EXPECT_EXIT(ExitOnBadConfig(CheckPort("--port", 0)), ExitedWithCode(2),
              "bad configuration: --port must be a TCP port");
}

}  // namespace
}  // namespace employability::config
