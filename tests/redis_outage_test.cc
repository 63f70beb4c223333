// Redis goes away and comes back while the service runs: calls fail fast
// with UNAVAILABLE (never a hang, never a crash), readiness reports
// NOT_SERVING while liveness stays SERVING, and everything recovers by
// itself when Redis returns, without restarting the service.
//
// Each test starts a redis-server of its own (it stops it), with AOF on so
// that what was written before the outage is there after it.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "employability/partners/v1/referrals.grpc.pb.h"
#include "services/participants/participants_grpc.h"
#include "services/partners/partners_grpc.h"
#include "tests/harness/redis_process.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using grpc::health::v1::HealthCheckResponse;
using test_harness::CallContext;
using test_harness::ContractName;
using test_harness::CreateRequest;
using test_harness::Describe;
using test_harness::kParticipantsService;
using test_harness::RedisProcess;
using test_harness::StatusIs;
using test_harness::SuiteUnderTest;
using test_harness::UniqueId;
using test_harness::ValidParticipant;
using test_harness::WaitForHealth;
namespace v1 = ::employability::participants::v1;

// Far below the calls' 5 s deadline: a failed call must not wait for it.
constexpr absl::Duration kPrompt = absl::Seconds(3);
// Readiness is polled every 100 ms and a Redis command times out after 1 s.
constexpr absl::Duration kSettle = absl::Seconds(5);

class RedisOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RedisProcess::Options redis_options;
    redis_options.append_only = true;
    absl::StatusOr<std::unique_ptr<RedisProcess>> redis =
        RedisProcess::Launch(redis_options);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    contract_ = UniqueId("outage");
  }

  void StartSuite(bool require_redis = true,
                  std::vector<server::ModuleFactory> modules = {}) {
    test_harness::SuiteOptions options;
    options.modules = std::move(modules);
    options.redis_address = redis_->address();
    options.require_redis = require_redis;
    options.metrics = false;
    absl::StatusOr<std::unique_ptr<SuiteUnderTest>> suite =
        SuiteUnderTest::Start(options);
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    stub_ = suite_->NewStub();
  }

  grpc::Status Create(v1::Participant* out) {
    return stub_->CreateParticipant(
        CallContext().get(), CreateRequest(contract_, ValidParticipant()), out);
  }

  grpc::Status Get(const std::string& name, v1::Participant* out) {
    v1::GetParticipantRequest request;
    request.set_name(name);
    return stub_->GetParticipant(CallContext().get(), request, out);
  }

  // Runs `call`, expects UNAVAILABLE well within the deadline and a message
  // that does not leak how the store is built.
  void ExpectPromptlyUnavailable(const std::string& label,
                                 const std::function<grpc::Status()>& call) {
    SCOPED_TRACE(label);
    const absl::Time start = absl::Now();
    grpc::Status status = call();
    const absl::Duration took = absl::Now() - start;
    EXPECT_TRUE(StatusIs(status, grpc::StatusCode::UNAVAILABLE));
    EXPECT_LT(took, kPrompt) << "the call hung for " << took;
    EXPECT_FALSE(absl::StrContains(
        absl::AsciiStrToLower(status.error_message()), "redis"))
        << Describe(status);
  }

  // Every kind of call the service makes to its store, during an outage.
  void ExpectEveryCallUnavailable(const std::string& existing) {
    v1::Participant out;
    ExpectPromptlyUnavailable("create", [&] { return Create(&out); });
    ExpectPromptlyUnavailable("get", [&] { return Get(existing, &out); });
    ExpectPromptlyUnavailable("list", [&] {
      v1::ListParticipantsRequest request;
      request.set_parent(ContractName(contract_));
      v1::ListParticipantsResponse response;
      return stub_->ListParticipants(CallContext().get(), request, &response);
    });
    ExpectPromptlyUnavailable("update", [&] {
      v1::UpdateParticipantRequest request;
      request.mutable_participant()->set_name(existing);
      request.mutable_participant()->set_given_name("Grace");
      request.mutable_update_mask()->add_paths("given_name");
      return stub_->UpdateParticipant(CallContext().get(), request, &out);
    });
  }

  // Polls until a Get of `name` succeeds again.
  bool RecoversWithin(const std::string& name, absl::Duration timeout) {
    return test_harness::PollUntil(
        [&] {
          v1::Participant out;
          return Get(name, &out).ok();
        },
        timeout);
  }

  std::unique_ptr<RedisProcess> redis_;
  std::unique_ptr<SuiteUnderTest> suite_;
  std::unique_ptr<v1::Participants::Stub> stub_;
  std::string contract_;
};

TEST_F(RedisOutageTest, StoppedRedisFailsCallsFastAndRecoversWithoutRestart) {
  ASSERT_NO_FATAL_FAILURE(StartSuite());
  v1::Participant before;
  ASSERT_TRUE(Create(&before).ok());
  ASSERT_TRUE(WaitForHealth(suite_->channel(), kParticipantsService,
                            HealthCheckResponse::SERVING, kSettle));

  ASSERT_TRUE(redis_->Stop().ok());
  ExpectEveryCallUnavailable(before.name());
  EXPECT_TRUE(WaitForHealth(suite_->channel(), kParticipantsService,
                            HealthCheckResponse::NOT_SERVING, kSettle))
      << "readiness did not report the outage";
  // The process lives: liveness stays SERVING throughout.
  EXPECT_TRUE(WaitForHealth(suite_->channel(), "", HealthCheckResponse::SERVING,
                            absl::ZeroDuration()));

  absl::Status restarted = redis_->Start();
  ASSERT_TRUE(restarted.ok()) << restarted << redis_->Log();
  EXPECT_TRUE(RecoversWithin(before.name(), kSettle))
      << "calls still fail after Redis returned";
  EXPECT_TRUE(WaitForHealth(suite_->channel(), kParticipantsService,
                            HealthCheckResponse::SERVING, kSettle))
      << "readiness did not come back";
  v1::Participant after;
  grpc::Status status = Get(before.name(), &after);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(after.national_insurance_number(),
            before.national_insurance_number());
  v1::Participant created;
  status = Create(&created);
  EXPECT_TRUE(status.ok()) << Describe(status);
}

// The partners service's referrals, streaming calls included, go through
// the same store and edge: UNAVAILABLE at once, and back by themselves.
TEST_F(RedisOutageTest, ReferralsAreUnavailableInAnOutageAndRecover) {
  ASSERT_NO_FATAL_FAILURE(StartSuite(
      /*require_redis=*/true, {participants::NewModule, partners::NewModule}));
  namespace pv1 = ::employability::partners::v1;
  std::unique_ptr<pv1::Referrals::Stub> referrals =
      pv1::Referrals::NewStub(suite_->channel());
  const test_harness::TestCaller adviser;  // the harness's default adviser
  const std::string own = absl::StrCat("organisations/", adviser.organisation);
  const auto list = [&] {
    pv1::ListReferralsRequest request;
    request.set_parent(own);
    request.set_box(pv1::RECEIVED);
    pv1::ListReferralsResponse response;
    return referrals->ListReferrals(CallContext(adviser).get(), request,
                                    &response);
  };
  ASSERT_TRUE(list().ok()) << Describe(list());

  ASSERT_TRUE(redis_->Stop().ok());
  ExpectPromptlyUnavailable("list", list);
  ExpectPromptlyUnavailable("create", [&] {
    pv1::CreateReferralRequest request;
    request.set_parent("organisations/sub-east");
    request.set_request_id(UniqueId("r"));
    pv1::Referral* r = request.mutable_referral();
    r->set_kind(pv1::ALLOCATION);
    r->set_participant(absl::StrCat(ContractName(contract_),
                                    "/participants/p-1"));
    r->set_reason("Specialist support");
    r->set_urgency(pv1::ROUTINE);
    pv1::Referral out;
    return referrals->CreateReferral(CallContext(adviser).get(), request,
                                     &out);
  });
  ExpectPromptlyUnavailable("deadlines", [&] {
    pv1::ListReferralDeadlinesRequest request;
    request.set_parent(own);
    pv1::ListReferralDeadlinesResponse response;
    return referrals->ListReferralDeadlines(CallContext(adviser).get(),
                                            request, &response);
  });
  ExpectPromptlyUnavailable("watch", [&] {
    std::unique_ptr<grpc::ClientContext> context = CallContext(adviser);
    pv1::WatchReferralsRequest request;
    request.set_parent(own);
    auto reader = referrals->WatchReferrals(context.get(), request);
    pv1::ReferralChange change;
    while (reader->Read(&change)) {
    }
    return reader->Finish();
  });

  absl::Status restarted = redis_->Start();
  ASSERT_TRUE(restarted.ok()) << restarted << redis_->Log();
  EXPECT_TRUE(test_harness::PollUntil([&] { return list().ok(); }, kSettle))
      << Describe(list());
}

TEST_F(RedisOutageTest, FrozenRedisTimesOutInsteadOfHanging) {
  ASSERT_NO_FATAL_FAILURE(StartSuite());
  v1::Participant before;
  ASSERT_TRUE(Create(&before).ok());

  // Connections stay open but nothing answers: only timeouts save a caller.
  ASSERT_TRUE(redis_->Pause().ok());
  ExpectEveryCallUnavailable(before.name());
  EXPECT_TRUE(WaitForHealth(suite_->channel(), kParticipantsService,
                            HealthCheckResponse::NOT_SERVING, kSettle));
  EXPECT_TRUE(WaitForHealth(suite_->channel(), "", HealthCheckResponse::SERVING,
                            absl::ZeroDuration()));

  ASSERT_TRUE(redis_->Resume().ok());
  EXPECT_TRUE(RecoversWithin(before.name(), kSettle));
  EXPECT_TRUE(WaitForHealth(suite_->channel(), kParticipantsService,
                            HealthCheckResponse::SERVING, kSettle));
}

// A caller with a short deadline hears UNAVAILABLE before that deadline,
// not DEADLINE_EXCEEDED after it, though Redis's own timeout is longer.
TEST_F(RedisOutageTest, FrozenRedisIsUnavailableWithinTheCallersDeadline) {
  ASSERT_NO_FATAL_FAILURE(StartSuite());
  v1::Participant before;
  ASSERT_TRUE(Create(&before).ok());
  ASSERT_TRUE(redis_->Pause().ok());
  for (int i = 0; i < 4; ++i) {  // across the store's connections
    v1::GetParticipantRequest request;
    request.set_name(before.name());
    v1::Participant out;
    grpc::Status status = stub_->GetParticipant(
        CallContext({}, absl::Milliseconds(400)).get(), request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << Describe(status);
  }
  ASSERT_TRUE(redis_->Resume().ok());
  EXPECT_TRUE(RecoversWithin(before.name(), kSettle));
}

TEST_F(RedisOutageTest, ManyConcurrentCallsDuringOutageAllFailFast) {
  ASSERT_NO_FATAL_FAILURE(StartSuite());
  v1::Participant before;
  ASSERT_TRUE(Create(&before).ok());
  ASSERT_TRUE(redis_->Stop().ok());

  // More callers than workers and connections: none may be stuck behind
  // another's wait.
  constexpr int kCallers = 48;
  absl::Mutex mu;
  std::vector<std::string> problems;
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      const absl::Time start = absl::Now();
      v1::Participant out;
      grpc::Status status =
          i % 2 == 0 ? Create(&out) : Get(before.name(), &out);
      const absl::Duration took = absl::Now() - start;
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
          took >= kPrompt) {
        absl::MutexLock lock(&mu);
        problems.push_back(absl::StrCat(Describe(status), " after ",
                                        absl::FormatDuration(took)));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(problems.empty())
      << problems.size() << " calls, first: " << problems.front();

  ASSERT_TRUE(redis_->Start().ok());
  EXPECT_TRUE(RecoversWithin(before.name(), kSettle));
}

TEST_F(RedisOutageTest, ServiceStartedWhileRedisIsDownBecomesReadyWhenItComes) {
  ASSERT_TRUE(redis_->Stop().ok());
  // The store connects lazily: starting without Redis is not an error.
  ASSERT_NO_FATAL_FAILURE(StartSuite(/*require_redis=*/false));
  EXPECT_TRUE(WaitForHealth(suite_->channel(), kParticipantsService,
                            HealthCheckResponse::NOT_SERVING, kSettle));
  EXPECT_TRUE(WaitForHealth(suite_->channel(), "", HealthCheckResponse::SERVING,
                            absl::ZeroDuration()));
  v1::Participant out;
  ExpectPromptlyUnavailable("create before Redis",
                            [&] { return Create(&out); });

  ASSERT_TRUE(redis_->Start().ok());
  EXPECT_TRUE(WaitForHealth(suite_->channel(), kParticipantsService,
                            HealthCheckResponse::SERVING, kSettle));
  EXPECT_TRUE(
      test_harness::PollUntil([&] { return Create(&out).ok(); }, kSettle));
}

}  // namespace
}  // namespace employability
