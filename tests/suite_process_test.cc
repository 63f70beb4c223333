// The real all-in-one binary, run as operators run it: flags and
// environment, health, a call end to end by a real staff user with a token,
// the bootstrap and development-token command, a graceful stop on SIGTERM,
// and bad configuration refused at start with exit code 2 and the setting
// named.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/metrics/scrape.h"
#include "common/storage/redis_store.h"
#include "employability/partners/v1/partners.grpc.pb.h"
#include "tests/harness/directory_seed.h"
#include "tests/harness/process.h"
#include "tests/harness/redis_process.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"
#include "tests/harness/test_identity.h"

#ifndef SUITE_BINARY
#error "SUITE_BINARY must name the employability_suite binary"
#endif
#ifndef ADMIN_BINARY
#error "ADMIN_BINARY must name the employability_admin binary"
#endif

namespace employability {
namespace {

using grpc::health::v1::HealthCheckResponse;
using test_harness::CallContext;
using test_harness::CreateRequest;
using test_harness::Describe;
using test_harness::FreeLoopbackPort;
using test_harness::kParticipantsService;
using test_harness::RedisProcess;
using test_harness::Subprocess;
using test_harness::TempDir;
using test_harness::UniqueId;
using test_harness::ValidParticipant;
using test_harness::WaitForHealth;
namespace v1 = ::employability::participants::v1;

// Generous: a sanitized binary on a busy 2-core machine starts slowly.
constexpr absl::Duration kStartup = absl::Seconds(20);
constexpr absl::Duration kExit = absl::Seconds(15);
// SIGTERM to exit with nothing in flight. gRPC's drain also waits for idle
// client connections to close (ours stays open, as real clients' do), up
// to the drain deadline; the /metrics exposer then takes up to 2 s to stop.
constexpr int kDrainSeconds = 2;
constexpr absl::Duration kPromptExit = absl::Seconds(kDrainSeconds + 3);

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

// The port in the suite's "serving gRPC on port <n>" line; 0 without one.
int PrintedPort(const std::string& out) {
  constexpr absl::string_view kSays = "serving gRPC on port ";
  const size_t at = out.find(std::string(kSays));
  if (at == std::string::npos) return 0;
  absl::string_view rest = absl::string_view(out).substr(at + kSays.size());
  rest = rest.substr(0, rest.find_first_not_of("0123456789"));
  int port = 0;
  return absl::SimpleAtoi(rest, &port) ? port : 0;
}

constexpr char kKeySecretEnv[] = "EMPLOYABILITY_KEY_SECRET";
constexpr char kKeySecret[] = "suite-process-test";
constexpr char kTokenKeysEnv[] = "EMPLOYABILITY_TOKEN_KEYS";

// An adviser in a new organisation of the staff directory in the Redis at
// `redis`, put there as the bootstrap command would (the suite confirms
// callers against that directory); the caller to call as.
absl::StatusOr<test_harness::TestCaller> SeedAdviser(const std::string& redis) {
  absl::StatusOr<storage::RedisOptions> options =
      storage::ParseRedisAddress("redis", redis);
  if (!options.ok()) return options.status();
  std::unique_ptr<storage::RedisStore> store =
      storage::RedisStore::Create(*options);
  test_harness::DirectorySeed seed(*store, nullptr, kKeySecret);
  test_harness::TestCaller adviser{UniqueId("org"), "adviser-1",
                                   type::v1::ADVISER};
  partners::v1::CreateOrganisationRequest organisation;
  organisation.set_organisation_id(adviser.organisation);
  // Request ids are per caller: a bootstrap's are shared by every run.
  organisation.set_request_id(UniqueId("seed"));
  organisation.mutable_organisation()->set_display_name("Seeded Ltd");
  organisation.mutable_organisation()->set_type(partners::v1::PRIME_PROVIDER);
  absl::Status made = seed.Organisation(organisation).status();
  if (!made.ok()) return made;
  partners::v1::CreateStaffUserRequest staff;
  staff.set_parent(absl::StrCat("organisations/", adviser.organisation));
  staff.set_staff_user_id(adviser.user);
  staff.set_request_id(UniqueId("seed"));
  staff.mutable_staff_user()->set_display_name("Seeded Adviser");
  staff.mutable_staff_user()->set_email("adviser@seeded.example");
  staff.mutable_staff_user()->set_role(type::v1::ADVISER);
  made = seed.Staff(staff).status();
  if (!made.ok()) return made;
  return adviser;
}

class SuiteProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TempDir>> dir = TempDir::Create("emp-suite");
    ASSERT_TRUE(dir.ok()) << dir.status();
    logs_ = *std::move(dir);
  }

  // Starts the suite binary with `args`; the environment is ours without
  // any EMPLOYABILITY_* setting, plus `env`.
  std::unique_ptr<Subprocess> Run(
      std::vector<std::string> args,
      std::vector<std::pair<std::string, std::string>> env = {}) {
    return Start(SUITE_BINARY, std::move(args), std::move(env), logs_->path());
  }

  // What the admin command printed, and its exit code.
  struct AdminRun {
    int code = -1;
    std::string out;
    std::string err;
  };
  // Runs the admin command to its end, configured as Run() configures the
  // suite.
  AdminRun RunAdmin(std::vector<std::string> args,
                    std::vector<std::pair<std::string, std::string>> env) {
    AdminRun run;
    absl::StatusOr<std::unique_ptr<TempDir>> dir = TempDir::Create("emp-admin");
    EXPECT_TRUE(dir.ok()) << dir.status();
    if (!dir.ok()) return run;
    std::unique_ptr<Subprocess> admin =
        Start(ADMIN_BINARY, std::move(args), std::move(env), (*dir)->path());
    if (admin == nullptr) return run;
    absl::StatusOr<int> code = admin->Wait(kExit);
    EXPECT_TRUE(code.ok()) << code.status();
    run.code = code.value_or(-1);
    run.out = admin->Stdout();
    run.err = admin->Stderr();
    return run;
  }

  std::unique_ptr<Subprocess> Start(
      const std::string& binary, std::vector<std::string> args,
      std::vector<std::pair<std::string, std::string>> env,
      const std::string& log_dir) {
    Subprocess::Options options;
    options.argv = {binary};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.unset_prefixes = {"EMPLOYABILITY_"};
    // A key secret, as production must have, unless the test sets its own.
    const bool has_secret =
        std::any_of(env.begin(), env.end(),
                    [](const auto& kv) { return kv.first == kKeySecretEnv; });
    if (!has_secret) env.emplace_back(kKeySecretEnv, kKeySecret);
    // The harness's token key and issuer, so that CallContext's tokens
    // verify, unless the test sets its own.
    const bool has_keys =
        std::any_of(env.begin(), env.end(),
                    [](const auto& kv) { return kv.first == kTokenKeysEnv; });
    if (!has_keys) env.emplace_back(kTokenKeysEnv, TokenKeys());
    env.emplace_back("EMPLOYABILITY_TOKEN_ISSUER",
                     test_harness::TestTokenSettings().issuer);
    options.set = std::move(env);
    options.log_dir = log_dir;
    absl::StatusOr<std::unique_ptr<Subprocess>> process =
        Subprocess::Start(options);
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? *std::move(process) : nullptr;
  }

  // "<kid>:<file>" of the harness's token key, written once per test.
  std::string TokenKeys() {
    const auth::TokenKey key = test_harness::TestTokenKey();
    const std::string path = logs_->path() + "/token-key";
    if (test_harness::ReadFileOrEmpty(path).empty()) {
      std::ofstream(path) << key.material;
    }
    return absl::StrCat(key.id, ":", path);
  }

  // Two free loopback ports, for gRPC and /metrics.
  std::pair<int, int> Ports() {
    absl::StatusOr<int> grpc_port = FreeLoopbackPort();
    absl::StatusOr<int> metrics_port = FreeLoopbackPort();
    EXPECT_TRUE(grpc_port.ok() && metrics_port.ok());
    return {grpc_port.value_or(0), metrics_port.value_or(0)};
  }

  // Waits until the suite says it serves, then until `port` answers health
  // checks with SERVING; false (with the logs in the failure) if it exits or
  // takes too long. Reading the log first spares the client gRPC's
  // reconnect backoff after connecting too early.
  bool BecomesReady(Subprocess& process, int port) {
    auto channel = test_harness::NewTestChannel(Loopback(port));
    bool ready = test_harness::PollUntil(
        [&] {
          return !process.Running() ||
                 absl::StrContains(process.Stdout(), "serving gRPC on port");
        },
        kStartup);
    ready = ready && process.Running() &&
            WaitForHealth(channel, kParticipantsService,
                          HealthCheckResponse::SERVING, kStartup);
    EXPECT_TRUE(ready) << "stdout:\n"
                       << process.Stdout() << "\nstderr:\n"
                       << process.Stderr();
    return ready;
  }

  std::unique_ptr<TempDir> logs_;
};

TEST_F(SuiteProcessTest, ServesAndStopsGracefullyOnSigterm) {
  absl::StatusOr<std::string> redis = test_harness::TestRedisAddress();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto [port, metrics_port] = Ports();
  std::unique_ptr<Subprocess> suite =
      Run({absl::StrCat("--listen=", Loopback(port)),
           absl::StrCat("--metrics_listen=", Loopback(metrics_port)),
           absl::StrCat("--redis=", *redis), "--workers=4",
           absl::StrCat("--drain_s=", kDrainSeconds)});
  ASSERT_NE(suite, nullptr);
  ASSERT_TRUE(BecomesReady(*suite, port));

  auto channel = test_harness::NewTestChannel(Loopback(port));
  EXPECT_TRUE(WaitForHealth(channel, "", HealthCheckResponse::SERVING,
                            absl::ZeroDuration()));
  auto stub = v1::Participants::NewStub(channel);
  absl::StatusOr<test_harness::TestCaller> adviser = SeedAdviser(*redis);
  ASSERT_TRUE(adviser.ok()) << adviser.status();
  const auto CallContext = [&] { return test_harness::CallContext(*adviser); };
  const std::string contract = UniqueId("process");
  v1::Participant person = ValidParticipant();
  person.set_family_name("Quixotic-Marchbanks");
  v1::Participant created;
  grpc::Status status = stub->CreateParticipant(
      CallContext().get(), CreateRequest(contract, person), &created);
  ASSERT_TRUE(status.ok()) << Describe(status);
  // Failures too, with personal data in the request: none of it may reach
  // the logs.
  v1::Participant refused;
  person.mutable_contact()->set_email("quixotic at example");
  EXPECT_FALSE(stub->CreateParticipant(CallContext().get(),
                                       CreateRequest(contract, person),
                                       &refused)
                   .ok());
  person.mutable_contact()->set_email("q@example.org");
  EXPECT_FALSE(stub->CreateParticipant(CallContext().get(),
                                       CreateRequest(contract, person),
                                       &refused)
                   .ok());  // a duplicate
  v1::GetParticipantRequest get;
  get.set_name(created.name());
  v1::Participant got;
  status = stub->GetParticipant(CallContext().get(), get, &got);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(got.name(), created.name());
  EXPECT_TRUE(absl::StrContains(suite->Stdout(), absl::StrCat("port ", port)))
      << suite->Stdout();
  absl::StatusOr<std::string> scraped =
      metrics::HttpGet(Loopback(metrics_port), "/metrics");
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  EXPECT_TRUE(absl::StrContains(*scraped, "employability_rpc_requests_total{"));

  const absl::Time signalled = absl::Now();
  ASSERT_TRUE(suite->Signal(SIGTERM).ok());
  absl::StatusOr<int> code = suite->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << suite->Stderr();
  EXPECT_LT(absl::Now() - signalled, kPromptExit);
  const std::string logs = suite->Stdout() + suite->Stderr();
  for (const std::string& personal :
       {person.national_insurance_number(), person.family_name(),
        person.given_name(), std::string("quixotic at example"),
        person.contact().phone()}) {
    EXPECT_FALSE(absl::StrContains(logs, personal))
        << "logs hold \"" << personal << "\"";
  }
}

TEST_F(SuiteProcessTest, SigtermLetsACallInFlightFinish) {
  // A Redis of our own, frozen to hold a call in the server while SIGTERM
  // arrives, then thawed: the drain must let that call finish with OK.
  absl::StatusOr<std::unique_ptr<RedisProcess>> redis = RedisProcess::Launch();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto [port, metrics_port] = Ports();
  std::unique_ptr<Subprocess> suite =
      Run({absl::StrCat("--listen=", Loopback(port)),
           absl::StrCat("--metrics_listen=", Loopback(metrics_port)),
           absl::StrCat("--redis=", (*redis)->address()),
           "--redis_timeout_ms=4000", "--drain_s=8"});
  ASSERT_NE(suite, nullptr);
  ASSERT_TRUE(BecomesReady(*suite, port));
  auto channel = test_harness::NewTestChannel(Loopback(port));
  auto stub = v1::Participants::NewStub(channel);
  absl::StatusOr<test_harness::TestCaller> adviser =
      SeedAdviser((*redis)->address());
  ASSERT_TRUE(adviser.ok()) << adviser.status();
  const std::string contract = UniqueId("drain");
  v1::Participant warm;  // connects the client and the store's connections
  ASSERT_TRUE(stub->CreateParticipant(
                      CallContext(*adviser).get(),
                      CreateRequest(contract, ValidParticipant()), &warm)
                  .ok());

  ASSERT_TRUE((*redis)->Pause().ok());
  grpc::Status in_flight;
  std::thread caller([&] {
    v1::Participant out;
    in_flight = stub->CreateParticipant(
        CallContext(*adviser, absl::Seconds(10)).get(),
        CreateRequest(contract, ValidParticipant()), &out);
  });
  // Nothing to poll for "the call reached the server": give it a moment.
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_TRUE(suite->Signal(SIGTERM).ok());
  absl::SleepFor(absl::Milliseconds(300));  // the server is now draining
  EXPECT_TRUE(suite->Running()) << "exited without draining the call in flight";
  ASSERT_TRUE((*redis)->Resume().ok());
  caller.join();
  EXPECT_TRUE(in_flight.ok()) << Describe(in_flight);
  absl::StatusOr<int> code = suite->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << suite->Stderr();
}

TEST_F(SuiteProcessTest,
       BootstrapsOnceAndIssuesDevelopmentTokensOnlyWhenAsked) {
  // A Redis of our own: bootstrap works only on an empty directory.
  absl::StatusOr<std::unique_ptr<RedisProcess>> redis = RedisProcess::Launch();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string redis_flag = absl::StrCat("--redis=", (*redis)->address());
  auto [port, metrics_port] = Ports();
  std::unique_ptr<Subprocess> suite = Run(
      {absl::StrCat("--listen=", Loopback(port)),
       absl::StrCat("--metrics_listen=", Loopback(metrics_port)), redis_flag});
  ASSERT_NE(suite, nullptr);
  ASSERT_TRUE(BecomesReady(*suite, port));
  auto partners = partners::v1::Partners::NewStub(
      test_harness::NewTestChannel(Loopback(port)));

  // Nothing can be done without a token.
  partners::v1::ListOrganisationsRequest list;
  partners::v1::ListOrganisationsResponse organisations;
  EXPECT_EQ(partners
                ->ListOrganisations(test_harness::AnonymousContext().get(),
                                    list, &organisations)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const std::vector<std::string> bootstrap = {
      "bootstrap",
      redis_flag,
      "--organisation_id=prime-north",
      "--organisation_name=Prime North",
      "--admin_id=alex",
      "--admin_name=Alex Admin",
      "--admin_email=alex@prime-north.example"};
  AdminRun first = RunAdmin(bootstrap, {{kTokenKeysEnv, TokenKeys()}});
  ASSERT_EQ(first.code, 0) << first.err;
  const std::string token(absl::StripTrailingAsciiWhitespace(first.out));
  ASSERT_FALSE(token.empty());

  // The printed token is the admin's: they may onboard and add staff.
  auto AsAdmin = [&] {
    auto context = test_harness::AnonymousContext();
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return context;
  };
  grpc::Status status =
      partners->ListOrganisations(AsAdmin().get(), list, &organisations);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(organisations.organisations_size(), 1);
  EXPECT_EQ(organisations.organisations(0).name(), "organisations/prime-north");
  partners::v1::CreateStaffUserRequest staff;
  staff.set_parent("organisations/prime-north");
  staff.set_staff_user_id("adviser-1");
  staff.set_request_id("r1");
  staff.mutable_staff_user()->set_display_name("Ada Adviser");
  staff.mutable_staff_user()->set_email("ada@prime-north.example");
  staff.mutable_staff_user()->set_role(type::v1::ADVISER);
  partners::v1::StaffUser adviser;
  status = partners->CreateStaffUser(AsAdmin().get(), staff, &adviser);
  ASSERT_TRUE(status.ok()) << Describe(status);

  // A second bootstrap is refused.
  AdminRun second = RunAdmin(bootstrap, {{kTokenKeysEnv, TokenKeys()}});
  EXPECT_NE(second.code, 0);
  EXPECT_TRUE(absl::StrContains(second.err, "bootstrapped already"))
      << second.err;
  EXPECT_TRUE(second.out.empty());

  // Development tokens: refused unless asked for; loud when given.
  const std::vector<std::string> token_for_adviser = {
      "token", redis_flag, "--organisation=prime-north", "--user=adviser-1"};
  AdminRun refused =
      RunAdmin(token_for_adviser, {{kTokenKeysEnv, TokenKeys()}});
  EXPECT_NE(refused.code, 0);
  EXPECT_TRUE(absl::StrContains(refused.err, "--development_mode"))
      << refused.err;
  std::vector<std::string> asked = token_for_adviser;
  asked.push_back("--development_mode");
  AdminRun given = RunAdmin(asked, {{kTokenKeysEnv, TokenKeys()}});
  ASSERT_EQ(given.code, 0) << given.err;
  EXPECT_TRUE(absl::StrContains(given.err, "DEVELOPMENT MODE")) << given.err;
  const std::string adviser_token(
      absl::StripTrailingAsciiWhitespace(given.out));
  auto context = test_harness::AnonymousContext();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", adviser_token));
  // The adviser's token carries the adviser's role: reading the directory
  // is allowed, adding staff is not.
  status = partners->ListOrganisations(context.get(), list, &organisations);
  EXPECT_TRUE(status.ok()) << Describe(status);
  context = test_harness::AnonymousContext();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", adviser_token));
  staff.set_staff_user_id("adviser-2");
  staff.set_request_id("r2");
  EXPECT_EQ(
      partners->CreateStaffUser(context.get(), staff, &adviser).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(suite->Signal(SIGTERM).ok());
  absl::StatusOr<int> code = suite->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
}

TEST_F(SuiteProcessTest, ListensOnAPortOfItsChoosingAndSaysWhich) {
  // Port 0 for both: the kernel picks, the suite prints what it got.
  std::unique_ptr<Subprocess> suite =
      Run({"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
           "--store=memory"});
  ASSERT_NE(suite, nullptr);
  std::string out;
  ASSERT_TRUE(test_harness::PollUntil(
      [&] {
        out = suite->Stdout();
        return !suite->Running() || absl::StrContains(out, "\n");
      },
      kStartup))
      << suite->Stderr();
  const int port = PrintedPort(out);
  ASSERT_GT(port, 0) << out << suite->Stderr();
  EXPECT_TRUE(BecomesReady(*suite, port));
  ASSERT_TRUE(suite->Signal(SIGTERM).ok());
  absl::StatusOr<int> code = suite->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << suite->Stderr();
}

TEST_F(SuiteProcessTest, HelpListsTheFlagsAndTheEnvironment) {
  std::unique_ptr<Subprocess> help = Run({"--help"});
  ASSERT_NE(help, nullptr);
  absl::StatusOr<int> code = help->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  // absl's --help exits 1; what matters is that it is not a crash or a
  // configuration error.
  EXPECT_TRUE(*code == 0 || *code == 1) << "exit code " << *code << "\n"
                                        << help->Stderr();
  const std::string text = help->Stdout() + help->Stderr();
  for (const char* expected : {"--listen", "--metrics_listen", "--redis",
                               "--workers", "--store", "EMPLOYABILITY_"}) {
    EXPECT_TRUE(absl::StrContains(text, expected))
        << expected << " missing from:\n"
        << text;
  }
}

TEST_F(SuiteProcessTest, EnvironmentSetsWhatTheCommandLineDoesNot) {
  absl::StatusOr<std::string> redis = test_harness::TestRedisAddress();
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto [port, metrics_port] = Ports();
  // No --listen: the environment names the port. The command line still
  // wins where both are given (EMPLOYABILITY_WORKERS=-1 would be refused).
  std::unique_ptr<Subprocess> suite =
      Run({"--workers=2"},
          {{"EMPLOYABILITY_LISTEN", Loopback(port)},
           {"EMPLOYABILITY_METRICS_LISTEN", Loopback(metrics_port)},
           {"EMPLOYABILITY_REDIS", *redis},
           {"EMPLOYABILITY_WORKERS", "-1"}});
  ASSERT_NE(suite, nullptr);
  ASSERT_TRUE(BecomesReady(*suite, port));
  ASSERT_TRUE(suite->Signal(SIGTERM).ok());
  absl::StatusOr<int> code = suite->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << suite->Stderr();
}

// ---- Bad configuration: exit code 2, the setting named
// -----------------------

struct BadConfig {
  std::string label;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string named;  // must appear in stderr
};

void PrintTo(const BadConfig& bad, std::ostream* os) { *os << bad.label; }

class BadConfigTest : public SuiteProcessTest,
                      public ::testing::WithParamInterface<BadConfig> {};

TEST_P(BadConfigTest, ExitsWithCodeTwoNamingTheSetting) {
  // Every case but the broken one is valid, so that the broken one is what
  // stops the start. The in-memory store needs no Redis.
  auto [port, metrics_port] = Ports();
  std::vector<std::string> args = {
      absl::StrCat("--listen=", Loopback(port)),
      absl::StrCat("--metrics_listen=", Loopback(metrics_port)),
      "--store=memory"};
  args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
  std::unique_ptr<Subprocess> suite = Run(args, GetParam().env);
  ASSERT_NE(suite, nullptr);
  absl::StatusOr<int> code = suite->Wait(kExit);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 2) << suite->Stderr();
  EXPECT_TRUE(absl::StrContains(suite->Stderr(), GetParam().named))
      << "stderr does not name " << GetParam().named << ":\n"
      << suite->Stderr();
}

INSTANTIATE_TEST_SUITE_P(
    Settings, BadConfigTest,
    ::testing::ValuesIn(std::vector<BadConfig>{
        {"NegativeWorkers", {"--workers=-1"}, {}, "--workers"},
        {"NoWorkers", {"--workers=0"}, {}, "--workers"},
        {"NoKeySecretWithRedis",
         {"--store=redis"},
         {{"EMPLOYABILITY_KEY_SECRET", ""}},
         "--key_secret"},
        {"TooManyWorkers", {"--workers=100000"}, {}, "--workers"},
        {"RedisNotHostPort",
         {"--store=redis", "--redis=nonsense"},
         {},
         "--redis"},
        {"RedisPortOutOfRange",
         {"--store=redis", "--redis=127.0.0.1:70000"},
         {},
         "--redis"},
        {"UnknownStore", {"--store=other"}, {}, "--store"},
        {"ListenNotHostPort", {"--listen=nonsense"}, {}, "--listen"},
        {"ZeroRedisPool", {"--redis_pool=0"}, {}, "--redis_pool"},
        {"NegativeDrain", {"--drain_s=-1"}, {}, "--drain_s"},
        {"NoTokenKeys", {}, {{"EMPLOYABILITY_TOKEN_KEYS", ""}}, "--token_keys"},
        {"TokenKeyFileMissing",
         {},
         {{"EMPLOYABILITY_TOKEN_KEYS", "k1:/nonexistent/token-key"}},
         "--token_keys"},
        {"TokenAlgorithmNone", {"--token_algorithm=none"}, {}, "algorithm"},
        {"EnvironmentNotANumber",
         {},
         {{"EMPLOYABILITY_WORKERS", "many"}},
         "EMPLOYABILITY_WORKERS"},
        {"EnvironmentOutOfRange",
         {},
         {{"EMPLOYABILITY_WORKERS", "-1"}},
         "--workers"},
    }),
    [](const ::testing::TestParamInfo<BadConfig>& info) {
      return info.param.label;
    });

// A port some other process listens on: starting there must fail with the
// setting named, not half start.
class PortInUseTest : public SuiteProcessTest {
 protected:
  void SetUp() override {
    SuiteProcessTest::SetUp();
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
              0);
    ASSERT_EQ(listen(fd_, 1), 0);
    ASSERT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length),
              0);
    taken_ = ntohs(address.sin_port);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
  }

  void ExpectRefused(const std::vector<std::string>& args,
                     const std::string& named) {
    std::unique_ptr<Subprocess> suite = Run(args);
    ASSERT_NE(suite, nullptr);
    absl::StatusOr<int> code = suite->Wait(kExit);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 2) << suite->Stderr();
    EXPECT_TRUE(absl::StrContains(suite->Stderr(), named))
        << "stderr does not name " << named << ":\n"
        << suite->Stderr();
  }

  int fd_ = -1;
  int taken_ = 0;
};

TEST_F(PortInUseTest, GrpcPortInUseNamesListen) {
  auto [port, metrics_port] = Ports();
  ExpectRefused({absl::StrCat("--listen=", Loopback(taken_)),
                 absl::StrCat("--metrics_listen=", Loopback(metrics_port)),
                 "--store=memory"},
                "--listen");
}

TEST_F(PortInUseTest, MetricsPortInUseNamesMetricsListen) {
  auto [port, metrics_port] = Ports();
  ExpectRefused(
      {absl::StrCat("--listen=", Loopback(port)),
       absl::StrCat("--metrics_listen=", Loopback(taken_)), "--store=memory"},
      "--metrics_listen");
}

}  // namespace
}  // namespace employability
