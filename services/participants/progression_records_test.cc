// Unit tests of progression facts (jobs, retention checks, earnings, job
// outcomes), on the in-memory store.
#include "services/participants/progression_records.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

using Code = absl::StatusCode;
using Events = std::vector<std::string>;

class ProgressionRecordsTest : public JourneyTest {
 protected:
  ProgressionRecordsTest() : progression_(files_) {}

  v1::CreateJobRequest JobRequest(const v1::Participant& p,
                                  const std::string& request_id = "j1",
                                  type::v1::Date start = Day(2026, 3, 2)) {
    v1::CreateJobRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    v1::Job* job = request.mutable_job();
    job->set_employer("Northern Rail");
    job->set_occupation("Customer service assistant");
    job->set_soc_code("7219");
    job->set_weekly_hours(30);
    job->set_hourly_pay_pence(1250);
    job->set_employment_type(v1::PERMANENT);
    *job->mutable_start_date() = start;
    return request;
  }

  v1::Job StartJob(const v1::Participant& p,
                   const std::string& request_id = "j1",
                   type::v1::Date start = Day(2026, 3, 2)) {
    absl::StatusOr<v1::Job> job =
        progression_.CreateJob(adviser_, JobRequest(p, request_id, start));
    EXPECT_TRUE(job.ok()) << job.status();
    return job.value_or(v1::Job());
  }

  absl::StatusOr<v1::Job> End(const v1::Job& job, type::v1::Date end_date,
                              v1::JobEndReason reason = v1::RESIGNED) {
    v1::EndJobRequest request;
    request.set_name(job.name());
    *request.mutable_end_date() = end_date;
    request.set_reason(reason);
    return progression_.EndJob(adviser_, request);
  }

  v1::RecordRetentionCheckRequest CheckRequest(const v1::Job& job,
                                               v1::RetentionMilestone milestone,
                                               type::v1::Date check_date) {
    v1::RecordRetentionCheckRequest request;
    request.set_name(job.name());
    v1::RetentionCheck* check = request.mutable_check();
    check->set_milestone(milestone);
    *check->mutable_check_date() = check_date;
    check->set_still_in_work(true);
    check->set_weekly_hours(32.5);
    check->set_hourly_pay_pence(1300);
    return request;
  }

  v1::CreateEarningsEvidenceRequest EarningsRequest(
      const v1::Participant& p, const std::string& job = "",
      const std::string& request_id = "e1") {
    v1::CreateEarningsEvidenceRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    v1::EarningsEvidence* evidence = request.mutable_earnings_evidence();
    evidence->set_job(job);
    *evidence->mutable_period_start() = Day(2026, 3, 2);
    *evidence->mutable_period_end() = Day(2026, 3, 8);
    evidence->set_gross_earnings_pence(37500);
    evidence->set_source(v1::PAYSLIP);
    return request;
  }

  v1::RecordJobOutcomeRequest OutcomeRequest(const v1::Participant& p,
                                             const v1::Job& job,
                                             type::v1::Date outcome_date) {
    v1::RecordJobOutcomeRequest request;
    request.set_name(p.name());
    request.set_job(job.name());
    *request.mutable_outcome_date() = outcome_date;
    request.set_rule("restart-jo-1");
    return request;
  }

  // Moves the fake clock on to `days` after 2 March 2026.
  void AdvanceDays(int days) { clock_.Advance(absl::Hours(24 * days)); }

  ProgressionRecords progression_;
};

// A FAILED_PRECONDITION naming `field` and the ordering rule `rule`.
::testing::AssertionResult BreaksRule(const absl::Status& status,
                                      const std::string& field,
                                      const std::string& rule) {
  ::testing::AssertionResult named =
      Names(status, Code::kFailedPrecondition, field);
  if (!named) return named;
  if (!absl::StrContains(status.message(), absl::StrCat("rule ", rule, ":"))) {
    return ::testing::AssertionFailure() << status << " should name " << rule;
  }
  return ::testing::AssertionSuccess();
}

// ---- Job starts

TEST_F(ProgressionRecordsTest, JobStartMovesStartedToInWork) {
  v1::Participant p = EnrolAndStart();
  NewEvents();
  v1::CreateJobRequest request = JobRequest(p);
  // Output-only fields are ignored.
  request.mutable_job()->set_spell(7);
  *request.mutable_job()->mutable_end_date() = Day(2026, 3, 2);
  request.mutable_job()->add_retention_checks()->set_milestone(v1::WEEK_4);
  absl::StatusOr<v1::Job> job = progression_.CreateJob(adviser_, request);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(absl::StartsWith(job->name(), p.name() + "/jobs/"));
  EXPECT_EQ(job->spell(), 1);
  EXPECT_FALSE(job->has_end_date());
  EXPECT_EQ(job->retention_checks_size(), 0);
  EXPECT_EQ(job->etag(), "1");
  EXPECT_TRUE(job->has_create_time());

  EXPECT_EQ(NewEvents(), (Events{"JobStarted", "ParticipantStatusChanged"}));
  std::vector<events::v1::EventEnvelope> all = Envelopes();
  v1::JobStarted started;
  ASSERT_TRUE(all[all.size() - 2].payload().UnpackTo(&started));
  EXPECT_EQ(all[all.size() - 2].aggregate(), job->name());
  EXPECT_EQ(started.facts().status(), v1::IN_WORK);  // after the change
  EXPECT_EQ(started.job().job(), job->name());
  EXPECT_EQ(started.job().weekly_hours(), 30);
  EXPECT_EQ(started.job().hourly_pay_pence(), 1250);
  EXPECT_EQ(started.job().employment_type(), v1::PERMANENT);
  EXPECT_EQ(started.job().soc_code(), "7219");

  v1::Participant after = Reread(p);
  EXPECT_EQ(after.status(), v1::IN_WORK);
  EXPECT_EQ(after.spells(0).history().rbegin()->status(), v1::IN_WORK);
  EXPECT_EQ(after.spells(0).last_activity_date().day(), 2);

  v1::GetJobRequest get;
  get.set_name(job->name());
  absl::StatusOr<v1::Job> got = progression_.GetJob(adviser_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->employer(), "Northern Rail");
  EXPECT_EQ(got->etag(), "1");
}

TEST_F(ProgressionRecordsTest, JobBeforeTheProgrammeStartIsRefused) {
  v1::Participant p = EnrolAndStart();  // started 2 March
  NewEvents();
  EXPECT_TRUE(BreaksRule(
      progression_.CreateJob(adviser_, JobRequest(p, "j1", Day(2026, 3, 1)))
          .status(),
      "job.start_date", "job-start-after-programme-start"));
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(p).status(), v1::STARTED);
}

TEST_F(ProgressionRecordsTest, JobForAReferredParticipantIsRefused) {
  v1::Participant p = Enrol();
  NewEvents();
  EXPECT_TRUE(
      BreaksRule(progression_.CreateJob(adviser_, JobRequest(p)).status(),
                 "job.start_date", "job-start-after-programme-start"));
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(p).status(), v1::REFERRED);
}

TEST_F(ProgressionRecordsTest, BadJobFieldsAreNamedAndNothingIsStored) {
  v1::Participant p = EnrolAndStart();
  NewEvents();
  struct Case {
    std::function<void(v1::CreateJobRequest&)> spoil;
    std::string field;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double infinity = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {[](auto& r) { r.set_parent("contracts/x"); }, "parent"},
      {[](auto& r) { r.clear_request_id(); }, "request_id"},
      {[](auto& r) { r.clear_job(); }, "job"},
      {[](auto& r) { r.mutable_job()->clear_employer(); }, "job.employer"},
      {[](auto& r) { r.mutable_job()->set_employer(std::string(201, 'x')); },
       "job.employer"},
      {[](auto& r) { r.mutable_job()->clear_occupation(); }, "job.occupation"},
      {[](auto& r) { r.mutable_job()->set_occupation(std::string(201, 'x')); },
       "job.occupation"},
      {[](auto& r) { r.mutable_job()->set_soc_code("721"); }, "job.soc_code"},
      {[](auto& r) { r.mutable_job()->set_soc_code("72a9"); }, "job.soc_code"},
      {[](auto& r) { r.mutable_job()->set_soc_code("72190"); }, "job.soc_code"},
      {[](auto& r) { r.mutable_job()->clear_weekly_hours(); },
       "job.weekly_hours"},
      {[](auto& r) { r.mutable_job()->set_weekly_hours(-5); },
       "job.weekly_hours"},
      {[](auto& r) { r.mutable_job()->set_weekly_hours(100.5); },
       "job.weekly_hours"},
      {[nan](auto& r) { r.mutable_job()->set_weekly_hours(nan); },
       "job.weekly_hours"},
      {[infinity](auto& r) { r.mutable_job()->set_weekly_hours(infinity); },
       "job.weekly_hours"},
      {[](auto& r) { r.mutable_job()->clear_hourly_pay_pence(); },
       "job.hourly_pay_pence"},
      {[](auto& r) { r.mutable_job()->set_hourly_pay_pence(-1); },
       "job.hourly_pay_pence"},
      {[](auto& r) { r.mutable_job()->set_hourly_pay_pence(100001); },
       "job.hourly_pay_pence"},
      {[](auto& r) { r.mutable_job()->clear_employment_type(); },
       "job.employment_type"},
      {[](auto& r) {
         r.mutable_job()->set_employment_type(
             static_cast<v1::EmploymentType>(42));
       },
       "job.employment_type"},
      {[](auto& r) { r.mutable_job()->clear_start_date(); }, "job.start_date"},
      {[](auto& r) {
         *r.mutable_job()->mutable_start_date() = Day(2026, 3, 3);
       },
       "job.start_date"},
      {[](auto& r) { r.mutable_job()->mutable_start_date()->set_month(13); },
       "job.start_date.month"},
  };
  for (const Case& c : cases) {
    v1::CreateJobRequest request = JobRequest(p);
    c.spoil(request);
    EXPECT_TRUE(Names(progression_.CreateJob(adviser_, request).status(),
                      Code::kInvalidArgument, c.field));
  }
  // The bounds themselves are allowed.
  v1::CreateJobRequest edge = JobRequest(p, "edge");
  edge.mutable_job()->set_weekly_hours(100);
  edge.mutable_job()->set_hourly_pay_pence(100000);
  edge.mutable_job()->clear_soc_code();
  ASSERT_TRUE(progression_.CreateJob(adviser_, edge).ok());
  EXPECT_EQ(NewEvents(), (Events{"JobStarted", "ParticipantStatusChanged"}));
  v1::ListJobsRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(progression_.ListJobs(adviser_, list)->jobs_size(), 1);
}

TEST_F(ProgressionRecordsTest, CreateJobIsIdempotentOnRequestId) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  NewEvents();
  absl::StatusOr<v1::Job> again =
      progression_.CreateJob(adviser_, JobRequest(p));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), job.name());
  EXPECT_TRUE(NewEvents().empty());
  v1::CreateJobRequest other = JobRequest(p);
  other.mutable_job()->set_employer("Someone else");
  EXPECT_TRUE(Names(progression_.CreateJob(adviser_, other).status(),
                    Code::kInvalidArgument, "request_id"));
  v1::ListJobsRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(progression_.ListJobs(adviser_, list)->jobs_size(), 1);
}

TEST_F(ProgressionRecordsTest, PagesThroughJobsOldestFirst) {
  v1::Participant p = EnrolAndStart();
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(StartJob(p, absl::StrCat("j", i)).name());
  }
  v1::ListJobsRequest list;
  list.set_parent(p.name());
  list.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    absl::StatusOr<v1::ListJobsResponse> response =
        progression_.ListJobs(adviser_, list);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const v1::Job& job : response->jobs()) seen.push_back(job.name());
    if (response->next_page_token().empty()) break;
    list.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(seen, names);
  list.set_page_token("garbage");
  EXPECT_TRUE(Names(progression_.ListJobs(adviser_, list).status(),
                    Code::kInvalidArgument, "page_token"));
  list.clear_page_token();
  list.set_page_size(501);
  EXPECT_TRUE(Names(progression_.ListJobs(adviser_, list).status(),
                    Code::kInvalidArgument, "page_size"));
}

// ---- Job ends

TEST_F(ProgressionRecordsTest, EndingTheLastCurrentJobGoesBackToStarted) {
  v1::Participant p = EnrolAndStart();
  v1::Job first = StartJob(p, "j1");
  NewEvents();
  // A second job at the same time keeps the participant IN_WORK.
  AdvanceDays(7);
  v1::Job second = StartJob(p, "j2", Day(2026, 3, 9));
  EXPECT_EQ(NewEvents(), Events{"JobStarted"});
  EXPECT_EQ(Reread(p).status(), v1::IN_WORK);

  absl::StatusOr<v1::Job> ended = End(first, Day(2026, 3, 9));
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->end_reason(), v1::RESIGNED);
  EXPECT_EQ(ended->end_date().day(), 9);
  EXPECT_EQ(ended->etag(), "2");
  EXPECT_EQ(NewEvents(), Events{"JobEnded"});
  EXPECT_EQ(Reread(p).status(), v1::IN_WORK);  // the second job goes on
  auto event = LastEvent<v1::JobEnded>();
  EXPECT_EQ(event.job().end_date().day(), 9);
  EXPECT_EQ(event.job().end_reason(), v1::RESIGNED);
  EXPECT_EQ(event.facts().status(), v1::IN_WORK);

  ASSERT_TRUE(End(second, Day(2026, 3, 9), v1::CONTRACT_ENDED).ok());
  EXPECT_EQ(NewEvents(), (Events{"JobEnded", "ParticipantStatusChanged"}));
  v1::Participant after = Reread(p);
  EXPECT_EQ(after.status(), v1::STARTED);
  EXPECT_EQ(after.spells(0).start_date().day(), 2);  // the start stays
  EXPECT_EQ(after.spells(0).last_activity_date().day(), 9);
}

TEST_F(ProgressionRecordsTest, EndJobRules) {
  v1::Participant p = EnrolAndStart();
  AdvanceDays(3);
  v1::Job job = StartJob(p, "j1", Day(2026, 3, 4));
  NewEvents();
  EXPECT_TRUE(BreaksRule(End(job, Day(2026, 3, 3)).status(), "end_date",
                         "job-end-after-start"));
  // Bad input, checked before anything is read.
  EXPECT_TRUE(Names(End(job, Day(2026, 3, 6)).status(), Code::kInvalidArgument,
                    "end_date"));
  EXPECT_TRUE(Names(End(job, type::v1::Date()).status(), Code::kInvalidArgument,
                    "end_date"));
  EXPECT_TRUE(
      Names(End(job, Day(2026, 3, 5), v1::JOB_END_REASON_UNSPECIFIED).status(),
            Code::kInvalidArgument, "reason"));
  EXPECT_TRUE(Names(
      End(job, Day(2026, 3, 5), static_cast<v1::JobEndReason>(99)).status(),
      Code::kInvalidArgument, "reason"));
  v1::Job unnamed;
  unnamed.set_name(p.name() + "/barriers/x");
  EXPECT_TRUE(Names(End(unnamed, Day(2026, 3, 5)).status(),
                    Code::kInvalidArgument, "name"));
  unnamed.set_name(p.name() + "/jobs/missing");
  EXPECT_EQ(End(unnamed, Day(2026, 3, 5)).status().code(), Code::kNotFound);
  // A stale etag is refused.
  v1::EndJobRequest stale;
  stale.set_name(job.name());
  *stale.mutable_end_date() = Day(2026, 3, 5);
  stale.set_reason(v1::DISMISSED);
  stale.set_etag("7");
  EXPECT_TRUE(Names(progression_.EndJob(adviser_, stale).status(),
                    Code::kAborted, "etag"));
  EXPECT_TRUE(NewEvents().empty());

  stale.set_etag("1");
  ASSERT_TRUE(progression_.EndJob(adviser_, stale).ok());
  EXPECT_TRUE(Names(End(job, Day(2026, 3, 5)).status(),
                    Code::kFailedPrecondition, "end_date"));
}

TEST_F(ProgressionRecordsTest, AJobOfAnEarlierSpellCannotBeEnded) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  p = Exit(p, Day(2026, 3, 2));
  AdvanceDays(20);
  v1::UpdateParticipantRequest rejoin;
  *rejoin.mutable_participant() = p;
  rejoin.mutable_participant()->set_status(v1::REFERRED);
  *rejoin.mutable_participant()->mutable_referral_date() = Day(2026, 3, 20);
  rejoin.mutable_update_mask()->add_paths("status");
  rejoin.mutable_update_mask()->add_paths("referral_date");
  ASSERT_TRUE(participants_.Update(adviser_, rejoin).ok());
  NewEvents();
  EXPECT_TRUE(Names(End(job, Day(2026, 3, 21)).status(),
                    Code::kFailedPrecondition, "name"));
  EXPECT_TRUE(Names(
      progression_
          .RecordJobOutcome(adviser_, OutcomeRequest(p, job, Day(2026, 3, 21)))
          .status(),
      Code::kFailedPrecondition, "job"));
  EXPECT_TRUE(NewEvents().empty());
}

// ---- Retention checks

TEST_F(ProgressionRecordsTest, RetentionCheckFromItsMilestoneOnceEach) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);  // 2 March
  AdvanceDays(27);            // 29 March: one day short of 4 weeks
  NewEvents();
  EXPECT_TRUE(BreaksRule(
      progression_
          .RecordRetentionCheck(adviser_,
                                CheckRequest(job, v1::WEEK_4, Day(2026, 3, 29)))
          .status(),
      "check.check_date", "retention-after-milestone"));
  EXPECT_TRUE(NewEvents().empty());

  AdvanceDays(1);  // 30 March
  absl::StatusOr<v1::Job> checked = progression_.RecordRetentionCheck(
      adviser_, CheckRequest(job, v1::WEEK_4, Day(2026, 3, 30)));
  ASSERT_TRUE(checked.ok()) << checked.status();
  ASSERT_EQ(checked->retention_checks_size(), 1);
  EXPECT_EQ(checked->retention_checks(0).recorded_by(), "adviser-1");
  EXPECT_EQ(checked->retention_checks(0).weekly_hours(), 32.5);
  EXPECT_EQ(checked->etag(), "2");
  EXPECT_EQ(NewEvents(), Events{"RetentionChecked"});
  auto event = LastEvent<v1::RetentionChecked>();
  EXPECT_EQ(event.check().milestone(), v1::WEEK_4);
  EXPECT_EQ(event.check().hourly_pay_pence(), 1300);
  EXPECT_EQ(event.check().recorded_by(), "adviser-1");
  EXPECT_EQ(event.job().job(), job.name());
  EXPECT_EQ(event.facts().status(), v1::IN_WORK);
  EXPECT_EQ(Reread(p).spells(0).last_activity_date().day(), 30);

  // Each milestone once.
  EXPECT_TRUE(
      Names(progression_
                .RecordRetentionCheck(
                    adviser_, CheckRequest(job, v1::WEEK_4, Day(2026, 3, 30)))
                .status(),
            Code::kFailedPrecondition, "check.milestone"));
  // Week 13 is not due yet.
  EXPECT_TRUE(BreaksRule(
      progression_
          .RecordRetentionCheck(
              adviser_, CheckRequest(job, v1::WEEK_13, Day(2026, 3, 30)))
          .status(),
      "check.check_date", "retention-after-milestone"));
  EXPECT_TRUE(NewEvents().empty());

  // Out of work at week 13: no hours or pay.
  AdvanceDays(13 * 7 - 28);  // 1 June
  v1::RecordRetentionCheckRequest out =
      CheckRequest(job, v1::WEEK_13, Day(2026, 6, 1));
  out.mutable_check()->set_still_in_work(false);
  out.mutable_check()->clear_weekly_hours();
  out.mutable_check()->clear_hourly_pay_pence();
  absl::StatusOr<v1::Job> second =
      progression_.RecordRetentionCheck(adviser_, out);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->retention_checks_size(), 2);
}

TEST_F(ProgressionRecordsTest, BadRetentionChecksAreNamed) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  AdvanceDays(28);
  NewEvents();
  struct Case {
    std::function<void(v1::RecordRetentionCheckRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.set_name("jobs/x"); }, "name"},
      {[](auto& r) { r.clear_check(); }, "check"},
      {[](auto& r) { r.mutable_check()->clear_milestone(); },
       "check.milestone"},
      {[](auto& r) {
         r.mutable_check()->set_milestone(
             static_cast<v1::RetentionMilestone>(8));
       },
       "check.milestone"},
      {[](auto& r) { r.mutable_check()->clear_check_date(); },
       "check.check_date"},
      {[](auto& r) {
         *r.mutable_check()->mutable_check_date() = Day(2026, 3, 31);
       },
       "check.check_date"},
      // In work: hours and pay as for a job.
      {[](auto& r) { r.mutable_check()->clear_weekly_hours(); },
       "check.weekly_hours"},
      {[](auto& r) { r.mutable_check()->set_weekly_hours(101); },
       "check.weekly_hours"},
      {[](auto& r) { r.mutable_check()->clear_hourly_pay_pence(); },
       "check.hourly_pay_pence"},
      {[](auto& r) { r.mutable_check()->set_hourly_pay_pence(100001); },
       "check.hourly_pay_pence"},
      // Out of work: neither.
      {[](auto& r) {
         r.mutable_check()->set_still_in_work(false);
         r.mutable_check()->clear_hourly_pay_pence();
       },
       "check.weekly_hours"},
      {[](auto& r) {
         r.mutable_check()->set_still_in_work(false);
         r.mutable_check()->clear_weekly_hours();
       },
       "check.hourly_pay_pence"},
  };
  for (const Case& c : cases) {
    v1::RecordRetentionCheckRequest request =
        CheckRequest(job, v1::WEEK_4, Day(2026, 3, 30));
    c.spoil(request);
    EXPECT_TRUE(
        Names(progression_.RecordRetentionCheck(adviser_, request).status(),
              Code::kInvalidArgument, c.field));
  }
  EXPECT_TRUE(NewEvents().empty());
  v1::GetJobRequest get;
  get.set_name(job.name());
  EXPECT_EQ(progression_.GetJob(adviser_, get)->retention_checks_size(), 0);
}

// ---- Earnings

TEST_F(ProgressionRecordsTest, EarningsEvidenceIsRecordedAndListed) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  AdvanceDays(7);  // 9 March
  NewEvents();
  v1::CreateEarningsEvidenceRequest request = EarningsRequest(p, job.name());
  request.mutable_earnings_evidence()->set_recorded_by("someone");  // ignored
  request.mutable_earnings_evidence()->set_spell(4);                // ignored
  absl::StatusOr<v1::EarningsEvidence> evidence =
      progression_.CreateEarningsEvidence(adviser_, request);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_TRUE(absl::StartsWith(evidence->name(), p.name() + "/earnings/"));
  EXPECT_EQ(evidence->recorded_by(), "adviser-1");
  EXPECT_EQ(evidence->spell(), 1);
  EXPECT_TRUE(evidence->has_create_time());
  EXPECT_EQ(NewEvents(), Events{"EarningsRecorded"});
  auto event = LastEvent<v1::EarningsRecorded>();
  EXPECT_EQ(event.earnings_evidence(), evidence->name());
  EXPECT_EQ(event.job(), job.name());
  EXPECT_EQ(event.gross_earnings_pence(), 37500);
  EXPECT_EQ(event.source(), v1::PAYSLIP);
  EXPECT_EQ(event.period_end().day(), 8);
  EXPECT_EQ(Reread(p).spells(0).last_activity_date().day(), 8);

  // A replay returns the same evidence; another body is refused.
  absl::StatusOr<v1::EarningsEvidence> again =
      progression_.CreateEarningsEvidence(adviser_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), evidence->name());
  request.mutable_earnings_evidence()->set_gross_earnings_pence(1);
  EXPECT_TRUE(
      Names(progression_.CreateEarningsEvidence(adviser_, request).status(),
            Code::kInvalidArgument, "request_id"));
  EXPECT_TRUE(NewEvents().empty());

  // Without a job, too.
  ASSERT_TRUE(
      progression_
          .CreateEarningsEvidence(adviser_, EarningsRequest(p, "", "e2"))
          .ok());
  v1::ListEarningsEvidenceRequest list;
  list.set_parent(p.name());
  list.set_page_size(1);
  absl::StatusOr<v1::ListEarningsEvidenceResponse> page =
      progression_.ListEarningsEvidence(adviser_, list);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->earnings_evidence_size(), 1);
  EXPECT_EQ(page->earnings_evidence(0).name(), evidence->name());
  ASSERT_FALSE(page->next_page_token().empty());
  list.set_page_token(page->next_page_token());
  page = progression_.ListEarningsEvidence(adviser_, list);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->earnings_evidence_size(), 1);
  EXPECT_TRUE(page->earnings_evidence(0).job().empty());
  EXPECT_TRUE(page->next_page_token().empty());
}

TEST_F(ProgressionRecordsTest, EarningsWithAnotherParticipantsJobAreRefused) {
  v1::Participant p = EnrolAndStart();
  v1::Participant q = EnrolAndStart("AB123456C");
  v1::Job theirs = StartJob(q, "q1");
  AdvanceDays(7);
  NewEvents();
  EXPECT_TRUE(Names(
      progression_
          .CreateEarningsEvidence(adviser_, EarningsRequest(p, theirs.name()))
          .status(),
      Code::kInvalidArgument, "earnings_evidence.job"));
  // A job of this participant that does not exist.
  EXPECT_TRUE(
      Names(progression_
                .CreateEarningsEvidence(
                    adviser_, EarningsRequest(p, p.name() + "/jobs/missing"))
                .status(),
            Code::kNotFound, "earnings_evidence.job"));
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(ProgressionRecordsTest, BadEarningsFieldsAreNamed) {
  v1::Participant p = EnrolAndStart();
  AdvanceDays(7);  // 9 March
  NewEvents();
  struct Case {
    std::function<void(v1::CreateEarningsEvidenceRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.set_parent(""); }, "parent"},
      {[](auto& r) { r.set_request_id("not ok!"); }, "request_id"},
      {[](auto& r) { r.clear_earnings_evidence(); }, "earnings_evidence"},
      {[](auto& r) { r.mutable_earnings_evidence()->clear_period_start(); },
       "earnings_evidence.period_start"},
      {[](auto& r) { r.mutable_earnings_evidence()->clear_period_end(); },
       "earnings_evidence.period_end"},
      {[](auto& r) {
         *r.mutable_earnings_evidence()->mutable_period_end() = Day(2026, 3, 1);
       },
       "earnings_evidence.period_end"},
      {[](auto& r) {
         *r.mutable_earnings_evidence()->mutable_period_end() =
             Day(2026, 3, 10);
       },
       "earnings_evidence.period_end"},
      {[](auto& r) {
         r.mutable_earnings_evidence()->set_gross_earnings_pence(-1);
       },
       "earnings_evidence.gross_earnings_pence"},
      {[](auto& r) {
         r.mutable_earnings_evidence()->set_gross_earnings_pence(10000001);
       },
       "earnings_evidence.gross_earnings_pence"},
      {[](auto& r) { r.mutable_earnings_evidence()->clear_source(); },
       "earnings_evidence.source"},
      {[](auto& r) {
         r.mutable_earnings_evidence()->set_source(
             static_cast<v1::EvidenceSource>(77));
       },
       "earnings_evidence.source"},
      {[](auto& r) { r.mutable_earnings_evidence()->set_job("jobs/1"); },
       "earnings_evidence.job"},
  };
  for (const Case& c : cases) {
    v1::CreateEarningsEvidenceRequest request = EarningsRequest(p);
    c.spoil(request);
    EXPECT_TRUE(
        Names(progression_.CreateEarningsEvidence(adviser_, request).status(),
              Code::kInvalidArgument, c.field));
  }
  EXPECT_TRUE(NewEvents().empty());
  // Nil earnings for a period are evidence too.
  v1::CreateEarningsEvidenceRequest nil = EarningsRequest(p);
  nil.mutable_earnings_evidence()->set_gross_earnings_pence(0);
  EXPECT_TRUE(progression_.CreateEarningsEvidence(adviser_, nil).ok());
}

// ---- Job outcomes

TEST_F(ProgressionRecordsTest, OutcomeMovesToOutcomeAchievedOnce) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  AdvanceDays(7 * 26);  // 31 August
  NewEvents();
  EXPECT_TRUE(Names(
      progression_
          .RecordJobOutcome(adviser_, OutcomeRequest(p, job, Day(2026, 3, 1)))
          .status(),
      Code::kFailedPrecondition, "outcome_date"));
  absl::StatusOr<v1::Participant> achieved = progression_.RecordJobOutcome(
      adviser_, OutcomeRequest(p, job, Day(2026, 8, 31)));
  ASSERT_TRUE(achieved.ok()) << achieved.status();
  EXPECT_EQ(achieved->status(), v1::OUTCOME_ACHIEVED);
  EXPECT_EQ(achieved->etag(), Reread(p).etag());
  EXPECT_EQ(achieved->spells(0).last_activity_date().month(), 8);
  EXPECT_EQ(NewEvents(),
            (Events{"JobOutcomeRecorded", "ParticipantStatusChanged"}));
  std::vector<events::v1::EventEnvelope> all = Envelopes();
  v1::JobOutcomeRecorded outcome;
  ASSERT_TRUE(all[all.size() - 2].payload().UnpackTo(&outcome));
  EXPECT_EQ(outcome.job(), job.name());
  EXPECT_EQ(outcome.rule(), "restart-jo-1");
  EXPECT_EQ(outcome.outcome_date().month(), 8);
  EXPECT_EQ(outcome.facts().status(), v1::OUTCOME_ACHIEVED);
  EXPECT_EQ(all[all.size() - 2].aggregate(), p.name());

  // Again: the participant unchanged, nothing written.
  absl::StatusOr<v1::Participant> again = progression_.RecordJobOutcome(
      adviser_, OutcomeRequest(p, job, Day(2026, 8, 31)));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->etag(), achieved->etag());
  EXPECT_TRUE(NewEvents().empty());

  // A job ending after the outcome leaves the outcome in place.
  ASSERT_TRUE(End(job, Day(2026, 8, 31)).ok());
  EXPECT_EQ(NewEvents(), Events{"JobEnded"});
  EXPECT_EQ(Reread(p).status(), v1::OUTCOME_ACHIEVED);
}

TEST_F(ProgressionRecordsTest, OutcomeAfterTheJobEndedMovesFromStarted) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  AdvanceDays(10);
  ASSERT_TRUE(End(job, Day(2026, 3, 10)).ok());
  EXPECT_EQ(Reread(p).status(), v1::STARTED);
  absl::StatusOr<v1::Participant> achieved = progression_.RecordJobOutcome(
      adviser_, OutcomeRequest(p, job, Day(2026, 3, 12)));
  ASSERT_TRUE(achieved.ok()) << achieved.status();
  EXPECT_EQ(achieved->status(), v1::OUTCOME_ACHIEVED);
}

TEST_F(ProgressionRecordsTest, BadOutcomeRequestsAreNamed) {
  v1::Participant p = EnrolAndStart();
  v1::Participant q = EnrolAndStart("AB123456C");
  v1::Job job = StartJob(p);
  v1::Job theirs = StartJob(q, "q1");
  NewEvents();
  struct Case {
    std::function<void(v1::RecordJobOutcomeRequest&)> spoil;
    std::string field;
  };
  const std::string other_job = theirs.name();
  const std::vector<Case> cases = {
      {[](auto& r) { r.clear_name(); }, "name"},
      {[](auto& r) { r.clear_job(); }, "job"},
      {[other_job](auto& r) { r.set_job(other_job); }, "job"},
      {[](auto& r) { r.clear_outcome_date(); }, "outcome_date"},
      {[](auto& r) { *r.mutable_outcome_date() = Day(2026, 3, 3); },
       "outcome_date"},
      {[](auto& r) { r.clear_rule(); }, "rule"},
      {[](auto& r) { r.set_rule("Restart JO 1"); }, "rule"},
      {[](auto& r) { r.set_rule(std::string(65, 'r')); }, "rule"},
  };
  for (const Case& c : cases) {
    v1::RecordJobOutcomeRequest request =
        OutcomeRequest(p, job, Day(2026, 3, 2));
    c.spoil(request);
    EXPECT_TRUE(Names(progression_.RecordJobOutcome(adviser_, request).status(),
                      Code::kInvalidArgument, c.field));
  }
  v1::Job missing;
  missing.set_name(p.name() + "/jobs/missing");
  EXPECT_EQ(progression_
                .RecordJobOutcome(adviser_,
                                  OutcomeRequest(p, missing, Day(2026, 3, 2)))
                .status()
                .code(),
            Code::kNotFound);
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(p).status(), v1::IN_WORK);
}

// ---- The case's rules across the area

TEST_F(ProgressionRecordsTest, NothingAfterExit) {
  v1::Participant p = EnrolAndStart();  // 2 March
  v1::Job job = StartJob(p);
  AdvanceDays(10);  // 12 March
  Exit(p, Day(2026, 3, 5));
  NewEvents();
  const std::string rule = "nothing-after-exit";
  EXPECT_TRUE(BreaksRule(
      progression_.CreateJob(adviser_, JobRequest(p, "j2", Day(2026, 3, 8)))
          .status(),
      "job.start_date", rule));
  EXPECT_TRUE(BreaksRule(End(job, Day(2026, 3, 8)).status(), "end_date", rule));
  v1::CreateEarningsEvidenceRequest earnings = EarningsRequest(p, job.name());
  EXPECT_TRUE(BreaksRule(
      progression_.CreateEarningsEvidence(adviser_, earnings).status(),
      "earnings_evidence.period_end", rule));
  EXPECT_TRUE(BreaksRule(
      progression_
          .RecordJobOutcome(adviser_, OutcomeRequest(p, job, Day(2026, 3, 8)))
          .status(),
      "outcome_date", rule));
  EXPECT_TRUE(NewEvents().empty());
  // A fact of the spell recorded late, dated before the exit, is kept.
  ASSERT_TRUE(End(job, Day(2026, 3, 5)).ok());
  EXPECT_EQ(Reread(p).status(), v1::EXITED);
}

TEST_F(ProgressionRecordsTest, RetentionCheckAfterExitIsRefused) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  AdvanceDays(28);
  Exit(p, Day(2026, 3, 20));
  EXPECT_TRUE(BreaksRule(
      progression_
          .RecordRetentionCheck(adviser_,
                                CheckRequest(job, v1::WEEK_4, Day(2026, 3, 30)))
          .status(),
      "check.check_date", "nothing-after-exit"));
}

TEST_F(ProgressionRecordsTest, OtherOrganisationsAreDenied) {
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  AdvanceDays(28);
  NewEvents();
  const Code denied = Code::kPermissionDenied;
  EXPECT_EQ(progression_.CreateJob(other_agency_, JobRequest(p, "j2"))
                .status()
                .code(),
            denied);
  v1::GetJobRequest get;
  get.set_name(job.name());
  EXPECT_EQ(progression_.GetJob(other_agency_, get).status().code(), denied);
  v1::ListJobsRequest jobs;
  jobs.set_parent(p.name());
  EXPECT_EQ(progression_.ListJobs(other_agency_, jobs).status().code(), denied);
  v1::EndJobRequest end;
  end.set_name(job.name());
  *end.mutable_end_date() = Day(2026, 3, 20);
  end.set_reason(v1::RESIGNED);
  EXPECT_EQ(progression_.EndJob(other_agency_, end).status().code(), denied);
  EXPECT_EQ(
      progression_
          .RecordRetentionCheck(other_agency_,
                                CheckRequest(job, v1::WEEK_4, Day(2026, 3, 30)))
          .status()
          .code(),
      denied);
  EXPECT_EQ(
      progression_.CreateEarningsEvidence(other_agency_, EarningsRequest(p))
          .status()
          .code(),
      denied);
  v1::ListEarningsEvidenceRequest earnings;
  earnings.set_parent(p.name());
  EXPECT_EQ(progression_.ListEarningsEvidence(other_agency_, earnings)
                .status()
                .code(),
            denied);
  EXPECT_EQ(progression_
                .RecordJobOutcome(other_agency_,
                                  OutcomeRequest(p, job, Day(2026, 3, 30)))
                .status()
                .code(),
            denied);
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(p).status(), v1::IN_WORK);
}

}  // namespace
}  // namespace employability::participants

namespace employability::participants {
namespace {

TEST_F(ProgressionRecordsTest, ASelfEmployedTradingNameNeverTravelsInEvents) {
  v1::Participant p = EnrolAndStart();
  v1::CreateJobRequest request = JobRequest(p);
  request.mutable_job()->set_employer("A Khan Alterations");
  request.mutable_job()->set_employment_type(v1::SELF_EMPLOYED);
  auto job = progression_.CreateJob(adviser_, request);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->employer(), "A Khan Alterations");  // kept on the record
  std::vector<events::v1::EventEnvelope> all = Envelopes();
  v1::JobStarted started;
  ASSERT_TRUE(all[all.size() - 2].payload().UnpackTo(&started));
  EXPECT_TRUE(started.job().employer().empty());
  EXPECT_EQ(started.job().employment_type(), v1::SELF_EMPLOYED);
  EXPECT_EQ(started.job().weekly_hours(), 30);

  StartJob(p, "j2");  // an employer's name does travel
  EXPECT_EQ(LastEvent<v1::JobStarted>().job().employer(), "Northern Rail");
}

TEST_F(ProgressionRecordsTest, EndingAJobWritesTheParticipant) {
  // So that two jobs ending at once race on the participant's version
  // instead of both deciding another job is still current.
  v1::Participant p = EnrolAndStart();
  v1::Job job = StartJob(p);
  StartJob(p, "j2");
  const std::string before = Reread(p).etag();
  AdvanceDays(1);
  ASSERT_TRUE(End(job, Day(2026, 3, 2)).ok());
  const v1::Participant after = Reread(p);
  EXPECT_NE(after.etag(), before);
  EXPECT_EQ(after.status(), v1::IN_WORK);  // the other job is current
}

}  // namespace
}  // namespace employability::participants
