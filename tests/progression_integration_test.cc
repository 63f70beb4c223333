// Progression (jobs, retention checks, earnings evidence, job outcomes) over
// real gRPC on loopback, against a real redis-server: every method, each
// class of bad input refused naming the field with nothing stored, the
// participant's status moves seen through Participants.GetParticipant, the
// events read back from the stream, and other organisations denied.
//
// The server's clock is real: participants start today (Europe/London), so
// a job may start today, and no retention milestone has come yet.
//
// Each test works in a contract of its own (a random id), so tests running
// in parallel against the one Redis never see each other's data.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "employability/participants/v1/progression.grpc.pb.h"
#include "tests/harness/journey_suite.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using test_harness::CallContext;
using test_harness::Describe;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::ToDate;
using test_harness::UniqueId;
namespace v1 = ::employability::participants::v1;
using Code = grpc::StatusCode;
using test_harness::LondonToday;

class ProgressionIntegrationTest : public test_harness::JourneySuiteTest {
 protected:
  ProgressionIntegrationTest() : JourneySuiteTest("it") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(JourneySuiteTest::SetUp());
    progression_ = Stub<v1::Progression>();
  }

  // A participant of `caller`'s organisation, referred in 2024 (MustEnrol)
  // and STARTED today.
  v1::Participant Started(const TestCaller& caller = {}) {
    return MustStart(MustEnrol(caller), caller);
  }

  v1::ParticipantStatus StatusOf(const v1::Participant& p) {
    return GetParticipant(p.name()).status();
  }

  static v1::CreateJobRequest JobRequest(const v1::Participant& p) {
    v1::CreateJobRequest request;
    request.set_parent(p.name());
    request.set_request_id(UniqueId("job"));
    v1::Job* job = request.mutable_job();
    job->set_employer("Manchester Care Ltd");
    job->set_occupation("Care worker");
    job->set_soc_code("6135");
    job->set_weekly_hours(37.5);
    job->set_hourly_pay_pence(1221);
    job->set_employment_type(v1::FIXED_TERM);
    *job->mutable_start_date() = ToDate(LondonToday());
    return request;
  }

  grpc::Status CreateJob(const v1::CreateJobRequest& request, v1::Job* out,
                         const TestCaller& caller = {}) {
    return progression_->CreateJob(CallContext(caller).get(), request, out);
  }

  v1::Job MustCreateJob(const v1::Participant& p) {
    v1::Job job;
    grpc::Status status = CreateJob(JobRequest(p), &job);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return job;
  }

  static v1::EndJobRequest EndRequest(const v1::Job& job) {
    v1::EndJobRequest request;
    request.set_name(job.name());
    *request.mutable_end_date() = ToDate(LondonToday());
    request.set_reason(v1::CONTRACT_ENDED);
    return request;
  }

  grpc::Status EndJob(const v1::EndJobRequest& request, v1::Job* out,
                      const TestCaller& caller = {}) {
    return progression_->EndJob(CallContext(caller).get(), request, out);
  }

  static v1::RecordRetentionCheckRequest CheckRequest(const v1::Job& job) {
    v1::RecordRetentionCheckRequest request;
    request.set_name(job.name());
    request.mutable_check()->set_milestone(v1::WEEK_4);
    *request.mutable_check()->mutable_check_date() = ToDate(LondonToday());
    request.mutable_check()->set_still_in_work(true);
    request.mutable_check()->set_weekly_hours(37.5);
    request.mutable_check()->set_hourly_pay_pence(1221);
    return request;
  }

  grpc::Status RecordCheck(const v1::RecordRetentionCheckRequest& request,
                           v1::Job* out, const TestCaller& caller = {}) {
    return progression_->RecordRetentionCheck(CallContext(caller).get(),
                                              request, out);
  }

  static v1::CreateEarningsEvidenceRequest EarningsRequest(
      const v1::Participant& p, const std::string& job) {
    v1::CreateEarningsEvidenceRequest request;
    request.set_parent(p.name());
    request.set_request_id(UniqueId("earnings"));
    v1::EarningsEvidence* evidence = request.mutable_earnings_evidence();
    evidence->set_job(job);
    *evidence->mutable_period_start() = ToDate(LondonToday() - 6);
    *evidence->mutable_period_end() = ToDate(LondonToday());
    evidence->set_gross_earnings_pence(45788);
    evidence->set_source(v1::TAX_RECORD);
    return request;
  }

  grpc::Status CreateEarnings(const v1::CreateEarningsEvidenceRequest& request,
                              v1::EarningsEvidence* out,
                              const TestCaller& caller = {}) {
    return progression_->CreateEarningsEvidence(CallContext(caller).get(),
                                                request, out);
  }

  static v1::RecordJobOutcomeRequest OutcomeRequest(const v1::Participant& p,
                                                    const v1::Job& job) {
    v1::RecordJobOutcomeRequest request;
    request.set_name(p.name());
    request.set_job(job.name());
    *request.mutable_outcome_date() = ToDate(LondonToday());
    request.set_rule("restart-jo-1");
    return request;
  }

  // As the quality service records outcomes: on its own behalf.
  grpc::Status RecordOutcome(const v1::RecordJobOutcomeRequest& request,
                             v1::Participant* out) {
    return progression_->RecordJobOutcome(
        test_harness::ServiceContext("quality").get(), request, out);
  }

  // The payload of the last event of type `Payload` about `aggregate`.
  template <typename Payload>
  Payload LastEventOf(const std::string& aggregate) {
    Payload payload;
    bool found = false;
    for (const test_harness::EventEnvelope& event : EventsOf(aggregate)) {
      if (event.payload().Is<Payload>()) {
        found = event.payload().UnpackTo(&payload);
      }
    }
    EXPECT_TRUE(found) << "no " << Payload::descriptor()->name() << " about "
                       << aggregate;
    return payload;
  }

  std::unique_ptr<v1::Progression::Stub> progression_;
};

TEST_F(ProgressionIntegrationTest, JobsMoveTheParticipantInAndOutOfWork) {
  v1::Participant p = Started();
  ASSERT_EQ(StatusOf(p), v1::STARTED);

  v1::CreateJobRequest request = JobRequest(p);
  v1::Job first;
  grpc::Status status = CreateJob(request, &first);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(absl::StartsWith(first.name(), p.name() + "/jobs/"));
  EXPECT_EQ(first.spell(), 1);
  EXPECT_EQ(first.etag(), "1");
  EXPECT_EQ(StatusOf(p), v1::IN_WORK);

  // A retry replays the first answer and stores nothing more.
  const size_t length = StreamLength();
  v1::Job replayed;
  ASSERT_TRUE(CreateJob(request, &replayed).ok());
  EXPECT_EQ(replayed.name(), first.name());
  EXPECT_EQ(StreamLength(), length);

  // The event carries hours and pay, and the status after the start.
  EXPECT_EQ(EventTypesOf(first.name()), std::vector<std::string>{"JobStarted"});
  auto started = LastEventOf<v1::JobStarted>(first.name());
  EXPECT_EQ(started.job().weekly_hours(), 37.5);
  EXPECT_EQ(started.job().hourly_pay_pence(), 1221);
  EXPECT_EQ(started.job().employment_type(), v1::FIXED_TERM);
  EXPECT_EQ(started.facts().status(), v1::IN_WORK);
  EXPECT_EQ(started.facts().participant(), p.name());
  auto moved = LastEventOf<v1::ParticipantStatusChanged>(p.name());
  EXPECT_EQ(moved.previous_status(), v1::STARTED);
  EXPECT_EQ(moved.facts().status(), v1::IN_WORK);

  v1::Job second = MustCreateJob(p);
  v1::GetJobRequest get;
  get.set_name(second.name());
  v1::Job got;
  status = progression_->GetJob(CallContext().get(), get, &got);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(got.employer(), "Manchester Care Ltd");
  v1::ListJobsRequest list;
  list.set_parent(p.name());
  list.set_page_size(1);
  v1::ListJobsResponse page;
  ASSERT_TRUE(progression_->ListJobs(CallContext().get(), list, &page).ok());
  ASSERT_EQ(page.jobs_size(), 1);
  EXPECT_EQ(page.jobs(0).name(), first.name());  // oldest first
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(progression_->ListJobs(CallContext().get(), list, &page).ok());
  ASSERT_EQ(page.jobs_size(), 1);
  EXPECT_EQ(page.jobs(0).name(), second.name());
  EXPECT_TRUE(page.next_page_token().empty());

  // Ending one job of two keeps them in work; ending the last does not.
  v1::Job ended;
  v1::EndJobRequest end = EndRequest(first);
  end.set_etag(first.etag());
  status = EndJob(end, &ended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(ended.end_reason(), v1::CONTRACT_ENDED);
  EXPECT_EQ(ended.etag(), "2");
  EXPECT_EQ(StatusOf(p), v1::IN_WORK);
  EXPECT_TRUE(StatusIs(EndJob(end, &ended), Code::ABORTED, "etag"));
  end.clear_etag();
  EXPECT_TRUE(
      StatusIs(EndJob(end, &ended), Code::FAILED_PRECONDITION, "end_date"));
  ASSERT_TRUE(EndJob(EndRequest(second), &ended).ok());
  EXPECT_EQ(StatusOf(p), v1::STARTED);
  auto job_ended = LastEventOf<v1::JobEnded>(second.name());
  EXPECT_EQ(job_ended.job().end_reason(), v1::CONTRACT_ENDED);
  EXPECT_EQ(job_ended.job().weekly_hours(), 37.5);
  EXPECT_EQ(job_ended.facts().status(), v1::STARTED);
}

TEST_F(ProgressionIntegrationTest, JobsFollowTheProgrammeStart) {
  v1::Participant referred = MustEnrol();
  v1::Job job;
  grpc::Status status = CreateJob(JobRequest(referred), &job);
  EXPECT_TRUE(StatusIs(status, Code::FAILED_PRECONDITION, "job.start_date"));
  EXPECT_TRUE(absl::StrContains(status.error_message(),
                                "job-start-after-programme-start"))
      << Describe(status);

  v1::Participant p = Started();
  v1::CreateJobRequest yesterday = JobRequest(p);
  *yesterday.mutable_job()->mutable_start_date() = ToDate(LondonToday() - 1);
  status = CreateJob(yesterday, &job);
  EXPECT_TRUE(StatusIs(status, Code::FAILED_PRECONDITION, "job.start_date"));
  EXPECT_TRUE(absl::StrContains(status.error_message(),
                                "job-start-after-programme-start"))
      << Describe(status);
  EXPECT_EQ(StatusOf(referred), v1::REFERRED);
  EXPECT_EQ(StatusOf(p), v1::STARTED);
}

TEST_F(ProgressionIntegrationTest, RetentionChecksWaitForTheirMilestone) {
  v1::Participant p = Started();
  v1::Job job = MustCreateJob(p);
  const size_t length = StreamLength();
  v1::Job out;
  grpc::Status status = RecordCheck(CheckRequest(job), &out);
  EXPECT_TRUE(StatusIs(status, Code::FAILED_PRECONDITION, "check.check_date"));
  EXPECT_TRUE(
      absl::StrContains(status.error_message(), "retention-after-milestone"))
      << Describe(status);
  EXPECT_EQ(StreamLength(), length);
  v1::GetJobRequest get;
  get.set_name(job.name());
  ASSERT_TRUE(progression_->GetJob(CallContext().get(), get, &out).ok());
  EXPECT_EQ(out.retention_checks_size(), 0);
}

TEST_F(ProgressionIntegrationTest, EarningsEvidenceIsRecordedAndListed) {
  v1::Participant p = Started();
  v1::Job job = MustCreateJob(p);
  v1::EarningsEvidence evidence;
  grpc::Status status =
      CreateEarnings(EarningsRequest(p, job.name()), &evidence);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(absl::StartsWith(evidence.name(), p.name() + "/earnings/"));
  EXPECT_EQ(evidence.recorded_by(), TestCaller{}.user);
  EXPECT_EQ(evidence.spell(), 1);
  auto recorded = LastEventOf<v1::EarningsRecorded>(evidence.name());
  EXPECT_EQ(recorded.gross_earnings_pence(), 45788);
  EXPECT_EQ(recorded.job(), job.name());
  EXPECT_EQ(recorded.source(), v1::TAX_RECORD);

  v1::ListEarningsEvidenceRequest list;
  list.set_parent(p.name());
  v1::ListEarningsEvidenceResponse listed;
  ASSERT_TRUE(
      progression_->ListEarningsEvidence(CallContext().get(), list, &listed)
          .ok());
  ASSERT_EQ(listed.earnings_evidence_size(), 1);
  EXPECT_EQ(listed.earnings_evidence(0).name(), evidence.name());

  // Another participant's job is not evidence of this one's earnings.
  v1::Participant q = Started();
  v1::Job theirs = MustCreateJob(q);
  const size_t length = StreamLength();
  EXPECT_TRUE(
      StatusIs(CreateEarnings(EarningsRequest(p, theirs.name()), &evidence),
               Code::INVALID_ARGUMENT, "earnings_evidence.job"));
  EXPECT_TRUE(StatusIs(
      CreateEarnings(EarningsRequest(p, p.name() + "/jobs/nope"), &evidence),
      Code::NOT_FOUND, "earnings_evidence.job"));
  EXPECT_EQ(StreamLength(), length);
}

TEST_F(ProgressionIntegrationTest, JobOutcomeIsRecordedOnce) {
  v1::Participant p = Started();
  v1::Job job = MustCreateJob(p);
  v1::Participant achieved;
  grpc::Status status = RecordOutcome(OutcomeRequest(p, job), &achieved);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(achieved.status(), v1::OUTCOME_ACHIEVED);
  EXPECT_EQ(StatusOf(p), v1::OUTCOME_ACHIEVED);
  auto outcome = LastEventOf<v1::JobOutcomeRecorded>(p.name());
  EXPECT_EQ(outcome.job(), job.name());
  EXPECT_EQ(outcome.rule(), "restart-jo-1");
  EXPECT_EQ(outcome.facts().status(), v1::OUTCOME_ACHIEVED);

  const size_t length = StreamLength();
  v1::Participant again;
  ASSERT_TRUE(RecordOutcome(OutcomeRequest(p, job), &again).ok());
  EXPECT_EQ(again.etag(), achieved.etag());
  EXPECT_EQ(StreamLength(), length);

  // The job ending afterwards leaves the outcome achieved.
  v1::Job ended;
  ASSERT_TRUE(EndJob(EndRequest(job), &ended).ok());
  EXPECT_EQ(StatusOf(p), v1::OUTCOME_ACHIEVED);
}

TEST_F(ProgressionIntegrationTest, BadInputNamesTheFieldAndStoresNothing) {
  v1::Participant p = Started();
  v1::Job job = MustCreateJob(p);
  const size_t length = StreamLength();
  const type::v1::Date tomorrow = ToDate(LondonToday() + 1);

  struct JobCase {
    std::function<void(v1::CreateJobRequest&)> spoil;
    std::string field;
  };
  const std::vector<JobCase> jobs = {
      {[](auto& r) { r.clear_request_id(); }, "request_id"},
      {[](auto& r) { r.mutable_job()->clear_employer(); }, "job.employer"},
      {[](auto& r) { r.mutable_job()->set_soc_code("61"); }, "job.soc_code"},
      {[](auto& r) { r.mutable_job()->set_weekly_hours(0); },
       "job.weekly_hours"},
      {[](auto& r) { r.mutable_job()->set_hourly_pay_pence(0); },
       "job.hourly_pay_pence"},
      {[](auto& r) { r.mutable_job()->clear_employment_type(); },
       "job.employment_type"},
      {[tomorrow](auto& r) {
         *r.mutable_job()->mutable_start_date() = tomorrow;
       },
       "job.start_date"},
  };
  for (const JobCase& c : jobs) {
    v1::CreateJobRequest request = JobRequest(p);
    c.spoil(request);
    v1::Job out;
    EXPECT_TRUE(
        StatusIs(CreateJob(request, &out), Code::INVALID_ARGUMENT, c.field));
  }

  v1::Job out;
  v1::EndJobRequest end = EndRequest(job);
  *end.mutable_end_date() = tomorrow;
  EXPECT_TRUE(StatusIs(EndJob(end, &out), Code::INVALID_ARGUMENT, "end_date"));
  end = EndRequest(job);
  end.clear_reason();
  EXPECT_TRUE(StatusIs(EndJob(end, &out), Code::INVALID_ARGUMENT, "reason"));

  v1::RecordRetentionCheckRequest check = CheckRequest(job);
  check.mutable_check()->clear_milestone();
  EXPECT_TRUE(StatusIs(RecordCheck(check, &out), Code::INVALID_ARGUMENT,
                       "check.milestone"));
  check = CheckRequest(job);
  check.mutable_check()->set_still_in_work(false);
  EXPECT_TRUE(StatusIs(RecordCheck(check, &out), Code::INVALID_ARGUMENT,
                       "check.weekly_hours"));

  v1::EarningsEvidence evidence;
  v1::CreateEarningsEvidenceRequest earnings = EarningsRequest(p, "");
  *earnings.mutable_earnings_evidence()->mutable_period_start() = tomorrow;
  EXPECT_TRUE(StatusIs(CreateEarnings(earnings, &evidence),
                       Code::INVALID_ARGUMENT, "earnings_evidence.period_end"));
  earnings = EarningsRequest(p, "");
  earnings.mutable_earnings_evidence()->set_gross_earnings_pence(-1);
  EXPECT_TRUE(StatusIs(CreateEarnings(earnings, &evidence),
                       Code::INVALID_ARGUMENT,
                       "earnings_evidence.gross_earnings_pence"));
  earnings = EarningsRequest(p, "");
  earnings.mutable_earnings_evidence()->clear_source();
  EXPECT_TRUE(StatusIs(CreateEarnings(earnings, &evidence),
                       Code::INVALID_ARGUMENT, "earnings_evidence.source"));

  v1::Participant participant;
  v1::RecordJobOutcomeRequest outcome = OutcomeRequest(p, job);
  outcome.clear_rule();
  EXPECT_TRUE(StatusIs(RecordOutcome(outcome, &participant),
                       Code::INVALID_ARGUMENT, "rule"));
  outcome = OutcomeRequest(p, job);
  *outcome.mutable_outcome_date() = tomorrow;
  EXPECT_TRUE(StatusIs(RecordOutcome(outcome, &participant),
                       Code::INVALID_ARGUMENT, "outcome_date"));

  // Nothing stored: no event, one job, no evidence, still in work.
  EXPECT_EQ(StreamLength(), length);
  v1::ListJobsRequest list;
  list.set_parent(p.name());
  v1::ListJobsResponse listed;
  ASSERT_TRUE(progression_->ListJobs(CallContext().get(), list, &listed).ok());
  ASSERT_EQ(listed.jobs_size(), 1);
  EXPECT_FALSE(listed.jobs(0).has_end_date());
  v1::ListEarningsEvidenceRequest list_earnings;
  list_earnings.set_parent(p.name());
  v1::ListEarningsEvidenceResponse listed_earnings;
  ASSERT_TRUE(progression_
                  ->ListEarningsEvidence(CallContext().get(), list_earnings,
                                         &listed_earnings)
                  .ok());
  EXPECT_EQ(listed_earnings.earnings_evidence_size(), 0);
  EXPECT_EQ(StatusOf(p), v1::IN_WORK);
}

TEST_F(ProgressionIntegrationTest, OtherOrganisationsAreDenied) {
  v1::Participant p = Started();
  v1::Job job = MustCreateJob(p);
  const TestCaller other{"org-elsewhere", "adviser-elsewhere"};
  const size_t length = StreamLength();
  const Code denied = Code::PERMISSION_DENIED;
  v1::Job out;
  EXPECT_TRUE(StatusIs(CreateJob(JobRequest(p), &out, other), denied));
  v1::GetJobRequest get;
  get.set_name(job.name());
  EXPECT_TRUE(StatusIs(
      progression_->GetJob(CallContext(other).get(), get, &out), denied));
  v1::ListJobsRequest jobs;
  jobs.set_parent(p.name());
  v1::ListJobsResponse listed;
  EXPECT_TRUE(StatusIs(
      progression_->ListJobs(CallContext(other).get(), jobs, &listed), denied));
  EXPECT_TRUE(StatusIs(EndJob(EndRequest(job), &out, other), denied));
  EXPECT_TRUE(StatusIs(RecordCheck(CheckRequest(job), &out, other), denied));
  v1::EarningsEvidence evidence;
  EXPECT_TRUE(
      StatusIs(CreateEarnings(EarningsRequest(p, job.name()), &evidence, other),
               denied));
  v1::ListEarningsEvidenceRequest earnings;
  earnings.set_parent(p.name());
  v1::ListEarningsEvidenceResponse listed_earnings;
  EXPECT_TRUE(
      StatusIs(progression_->ListEarningsEvidence(CallContext(other).get(),
                                                  earnings, &listed_earnings),
               denied));
  v1::Participant participant;
  // No member of staff records an outcome, theirs or ours.
  EXPECT_TRUE(StatusIs(progression_->RecordJobOutcome(
                           CallContext(other).get(), OutcomeRequest(p, job),
                           &participant),
                       Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(
      progression_->RecordJobOutcome(CallContext().get(),
                                     OutcomeRequest(p, job), &participant),
      Code::PERMISSION_DENIED, "ADVISER may not call RecordJobOutcome"));
  EXPECT_EQ(StreamLength(), length);
  EXPECT_EQ(StatusOf(p), v1::IN_WORK);
}

}  // namespace
}  // namespace employability
