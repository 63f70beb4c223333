#include "services/participants/progression_records.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"
#include "employability/participants/v1/participant_events.pb.h"

namespace employability::participants {
namespace {

using validation::ToCivilDay;

// A date a caller reports as having happened: required, real, not after
// today (Europe/London).
absl::StatusOr<absl::CivilDay> PastDay(absl::string_view field,
                                       const type::v1::Date& date,
                                       absl::CivilDay today) {
  ASSIGN_OR_RETURN(absl::CivilDay day, ToCivilDay(field, date));
  RETURN_IF_ERROR(validation::CheckNotAfter(field, day, today, "today"));
  return day;
}

// A required choice from a proto enum: unset is "required", a number the
// enum does not list is refused.
absl::Status CheckListed(absl::string_view field, int value,
                         bool (*is_valid)(int)) {
  if (value == 0) return RequiredField(field);
  if (!is_valid(value)) {
    return InvalidField(field, "must be one of the listed values");
  }
  return absl::OkStatus();
}

// Hours and pay of work, as a job records them and a retention check
// confirms them: the same bounds wherever they appear (`prefix` is "job" or
// "check").
absl::Status CheckWorkTerms(absl::string_view prefix, double weekly_hours,
                            int64_t hourly_pay_pence) {
  const std::string hours = FieldPath(prefix, "weekly_hours");
  if (weekly_hours == 0) return RequiredField(hours);
  if (!std::isfinite(weekly_hours) || weekly_hours < 0 ||
      weekly_hours > kMaxWeeklyHours) {
    return InvalidField(hours, absl::StrCat("must be more than 0 and at most ",
                                            kMaxWeeklyHours));
  }
  const std::string pay = FieldPath(prefix, "hourly_pay_pence");
  if (hourly_pay_pence == 0) return RequiredField(pay);
  if (hourly_pay_pence < 0 || hourly_pay_pence > kMaxHourlyPayPence) {
    return InvalidField(pay, absl::StrCat("must be more than 0 and at most ",
                                          kMaxHourlyPayPence));
  }
  return absl::OkStatus();
}

// A SOC 2020 unit group: exactly four digits.
absl::Status CheckSocCode(absl::string_view field, absl::string_view code) {
  bool digits = code.size() == 4;
  for (char c : code) digits = digits && absl::ascii_isdigit(c);
  if (!digits) {
    return InvalidField(field, "must be a SOC 2020 unit group (4 digits)");
  }
  return absl::OkStatus();
}

// The job's own fields, apart from the case: formats and bounds.
absl::Status CheckJobFields(absl::CivilDay today, const v1::Job& job) {
  RETURN_IF_ERROR(CheckText("job.employer", job.employer(), kMaxEmployerLength,
                            /*required=*/true));
  RETURN_IF_ERROR(CheckText("job.occupation", job.occupation(),
                            kMaxOccupationLength, /*required=*/true));
  if (!job.soc_code().empty()) {
    RETURN_IF_ERROR(CheckSocCode("job.soc_code", job.soc_code()));
  }
  RETURN_IF_ERROR(
      CheckWorkTerms("job", job.weekly_hours(), job.hourly_pay_pence()));
  RETURN_IF_ERROR(CheckListed("job.employment_type", job.employment_type(),
                              v1::EmploymentType_IsValid));
  return PastDay("job.start_date", job.start_date(), today).status();
}

// The job as the caller may give it: output-only fields dropped.
v1::Job CallerFields(const v1::Job& from) {
  v1::Job job = from;
  job.clear_name();
  job.clear_end_date();
  job.clear_end_reason();
  job.clear_retention_checks();
  job.clear_spell();
  job.clear_create_time();
  job.clear_update_time();
  job.clear_etag();
  return job;
}

// Rule job-start-after-programme-start: a job counts for the programme only
// once the participant started on it.
absl::Status CheckStartedBy(const v1::ProgrammeSpell& spell,
                            absl::CivilDay start) {
  constexpr char kRule[] =
      "job.start_date: rule job-start-after-programme-start: ";
  if (!spell.has_start_date()) {
    return absl::FailedPreconditionError(absl::StrCat(
        kRule, "the participant has not started on the programme"));
  }
  ASSIGN_OR_RETURN(absl::CivilDay started,
                   ToCivilDay("start_date", spell.start_date()));
  if (start < started) {
    return absl::FailedPreconditionError(absl::StrCat(
        kRule, "the participant started on the programme on ",
        absl::FormatCivilTime(started), "; a job cannot start before"));
  }
  return absl::OkStatus();
}

// Jobs are facts of the spell they started in: a later spell neither ends
// them nor checks them nor claims outcomes for them.
int WeeksOf(v1::RetentionMilestone milestone) {
  switch (milestone) {
    case v1::WEEK_4:
      return 4;
    case v1::WEEK_13:
      return 13;
    case v1::WEEK_26:
      return 26;
    default:
      return 0;
  }
}

// Rules of a retention check against its job: each milestone once, and
// dated on or after the milestone (rule retention-after-milestone).
absl::Status CheckMilestone(const v1::Job& job, const v1::RetentionCheck& check,
                            absl::CivilDay checked) {
  const std::string milestone = v1::RetentionMilestone_Name(check.milestone());
  for (const v1::RetentionCheck& done : job.retention_checks()) {
    if (done.milestone() == check.milestone()) {
      return absl::FailedPreconditionError(
          absl::StrCat("check.milestone: the ", milestone,
                       " check of this job was already recorded"));
    }
  }
  ASSIGN_OR_RETURN(absl::CivilDay start,
                   ToCivilDay("job.start_date", job.start_date()));
  const int weeks = WeeksOf(check.milestone());
  const absl::CivilDay due = start + 7 * weeks;
  if (checked < due) {
    return absl::FailedPreconditionError(absl::StrCat(
        "check.check_date: rule retention-after-milestone: the ", milestone,
        " check is due from ", absl::FormatCivilTime(due), " (", weeks,
        " weeks after the job started)"));
  }
  return absl::OkStatus();
}

// The check's own fields: in work, the hours and pay as for a job; out of
// work, none.
absl::Status CheckRetentionFields(absl::CivilDay today,
                                  const v1::RetentionCheck& check) {
  RETURN_IF_ERROR(CheckListed("check.milestone", check.milestone(),
                              v1::RetentionMilestone_IsValid));
  RETURN_IF_ERROR(
      PastDay("check.check_date", check.check_date(), today).status());
  if (check.still_in_work()) {
    return CheckWorkTerms("check", check.weekly_hours(),
                          check.hourly_pay_pence());
  }
  if (check.weekly_hours() != 0) {
    return InvalidField("check.weekly_hours",
                        "must be 0 when still_in_work is false");
  }
  if (check.hourly_pay_pence() != 0) {
    return InvalidField("check.hourly_pay_pence",
                        "must be 0 when still_in_work is false");
  }
  return absl::OkStatus();
}

// The evidence's own fields: the period, the amount, the source, and the
// job, which must be one of the participant's in `parent`.
absl::Status CheckEarningsFields(absl::CivilDay today,
                                 const ParticipantName& parent,
                                 const v1::EarningsEvidence& evidence) {
  ASSIGN_OR_RETURN(
      absl::CivilDay start,
      ToCivilDay("earnings_evidence.period_start", evidence.period_start()));
  ASSIGN_OR_RETURN(absl::CivilDay end, PastDay("earnings_evidence.period_end",
                                               evidence.period_end(), today));
  if (end < start) {
    return InvalidField("earnings_evidence.period_end",
                        "must not be before period_start");
  }
  if (evidence.gross_earnings_pence() < 0 ||
      evidence.gross_earnings_pence() > kMaxGrossEarningsPence) {
    return InvalidField("earnings_evidence.gross_earnings_pence",
                        absl::StrCat("must be 0 to ", kMaxGrossEarningsPence));
  }
  RETURN_IF_ERROR(CheckListed("earnings_evidence.source", evidence.source(),
                              v1::EvidenceSource_IsValid));
  if (evidence.job().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(ItemName job, ParseItemName("earnings_evidence.job",
                                               evidence.job(), kJobItems));
  if (job.participant.str() != parent.str()) {
    return InvalidField("earnings_evidence.job",
                        "must be a job of the participant in parent");
  }
  return absl::OkStatus();
}

v1::JobFacts JobFactsOf(const v1::Job& job) {
  v1::JobFacts facts;
  facts.set_job(job.name());
  // A trading name may name the self-employed person: events never carry it.
  if (job.employment_type() != v1::SELF_EMPLOYED) {
    facts.set_employer(job.employer());
  }
  facts.set_occupation(job.occupation());
  facts.set_soc_code(job.soc_code());
  facts.set_weekly_hours(job.weekly_hours());
  facts.set_hourly_pay_pence(job.hourly_pay_pence());
  facts.set_employment_type(job.employment_type());
  *facts.mutable_start_date() = job.start_date();
  if (job.has_end_date()) *facts.mutable_end_date() = job.end_date();
  facts.set_end_reason(job.end_reason());
  return facts;
}

// An event about a job, its facts taken after any status change.
template <typename Event>
Event JobEvent(const CaseChange& change, const v1::Job& job) {
  Event event;
  *event.mutable_facts() = FactsOf(change.participant());
  *event.mutable_job() = JobFactsOf(job);
  return event;
}

// True once the spell has reached OUTCOME_ACHIEVED, even if it has exited
// since: a replayed outcome is then already recorded.
bool OutcomeAchieved(const v1::ProgrammeSpell& spell) {
  for (const v1::StatusChange& change : spell.history()) {
    if (change.status() == v1::OUTCOME_ACHIEVED) return true;
  }
  return false;
}

}  // namespace

ProgressionRecords::ProgressionRecords(CaseFiles& files) : files_(files) {}

absl::StatusOr<v1::Job> ProgressionRecords::CreateJob(
    const auth::Caller& caller, const v1::CreateJobRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_job()) return RequiredField("job");
  const v1::Job job = CallerFields(request.job());
  RETURN_IF_ERROR(CheckJobFields(files_.Today(), job));
  const absl::CivilDay start = *ToCivilDay("job.start_date", job.start_date());
  return files_.CreateItem<v1::Job>(
      caller, name, kJobItems, request, request.request_id(),
      [&](CaseChange& change,
          const std::string& item_name) -> absl::StatusOr<v1::Job> {
        RETURN_IF_ERROR(CheckStartedBy(change.read().spell(), start));
        RETURN_IF_ERROR(change.NoteActivity("job.start_date", start));
        // A second job, or one after an outcome, changes no status.
        if (change.participant().status() == v1::STARTED) {
          RETURN_IF_ERROR(change.SetStatus(v1::IN_WORK, start, files_.Now()));
        }
        // An ending job decides the status on whether another job is
        // current: a new version makes that decision and this start race.
        change.Touch();
        v1::Job stored = job;
        stored.set_name(item_name);
        stored.set_spell(change.read().spell().number());
        const google::protobuf::Timestamp now = ToProtoTimestamp(files_.Now());
        *stored.mutable_create_time() = now;
        *stored.mutable_update_time() = now;
        change.Event(item_name, 1, JobEvent<v1::JobStarted>(change, stored));
        return stored;
      });
}

absl::StatusOr<v1::Job> ProgressionRecords::GetJob(
    const auth::Caller& caller, const v1::GetJobRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kJobItems));
  return files_.GetItem<v1::Job>(caller, name, kJobItems);
}

absl::StatusOr<v1::ListJobsResponse> ProgressionRecords::ListJobs(
    const auth::Caller& caller, const v1::ListJobsRequest& request) {
  return ListItemPage<v1::Job, v1::ListJobsResponse>(
      files_, caller, request, kJobItems, &v1::ListJobsResponse::mutable_jobs);
}

absl::StatusOr<v1::Job> ProgressionRecords::EndJob(
    const auth::Caller& caller, const v1::EndJobRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kJobItems));
  ASSIGN_OR_RETURN(absl::CivilDay end,
                   PastDay("end_date", request.end_date(), files_.Today()));
  RETURN_IF_ERROR(
      CheckListed("reason", request.reason(), v1::JobEndReason_IsValid));
  return files_.ChangeItem<v1::Job>(
      caller, name, kJobItems, request.etag(), "etag",
      [&](CaseChange& change, v1::Job& job, int64_t version) -> absl::Status {
        RETURN_IF_ERROR(CheckCurrentSpell("name", "job", job.spell(),
                                          change.read().spell()));
        if (job.has_end_date()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "end_date: the job already ended on ",
              absl::FormatCivilTime(*ToCivilDay("end_date", job.end_date()))));
        }
        ASSIGN_OR_RETURN(absl::CivilDay start,
                         ToCivilDay("job.start_date", job.start_date()));
        if (end < start) {
          return absl::FailedPreconditionError(absl::StrCat(
              "end_date: rule job-end-after-start: the job started on ",
              absl::FormatCivilTime(start)));
        }
        RETURN_IF_ERROR(change.NoteActivity("end_date", end));
        *job.mutable_end_date() = request.end_date();
        job.set_end_reason(request.reason());
        *job.mutable_update_time() = ToProtoTimestamp(files_.Now());
        RETURN_IF_ERROR(LeaveWorkIfNoJobLeft(change, job, end));
        change.Event(job.name(), version, JobEvent<v1::JobEnded>(change, job));
        return absl::OkStatus();
      });
}

absl::Status ProgressionRecords::LeaveWorkIfNoJobLeft(CaseChange& change,
                                                      const v1::Job& ended,
                                                      absl::CivilDay end) {
  // After an outcome the participant stays OUTCOME_ACHIEVED whatever ends.
  if (change.participant().status() != v1::IN_WORK) return absl::OkStatus();
  // The decision rests on the other jobs as read: a new participant version
  // makes two jobs ending (or one starting) at once race, not both win.
  change.Touch();
  ASSIGN_OR_RETURN(std::vector<StoredItem> jobs,
                   files_.AllItems(change.read(), kJobItems));
  for (const StoredItem& stored : jobs) {
    ASSIGN_OR_RETURN(v1::Job job, DecodeItem<v1::Job>(stored));
    if (job.name() != ended.name() && job.spell() == ended.spell() &&
        !job.has_end_date()) {
      return absl::OkStatus();  // still in work elsewhere
    }
  }
  return change.SetStatus(v1::STARTED, end, files_.Now());
}

absl::StatusOr<v1::Job> ProgressionRecords::RecordRetentionCheck(
    const auth::Caller& caller,
    const v1::RecordRetentionCheckRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kJobItems));
  if (!request.has_check()) return RequiredField("check");
  v1::RetentionCheck check = request.check();
  RETURN_IF_ERROR(CheckRetentionFields(files_.Today(), check));
  const absl::CivilDay checked =
      *ToCivilDay("check.check_date", check.check_date());
  check.set_recorded_by(caller.user);
  return files_.ChangeItem<v1::Job>(
      caller, name, kJobItems, /*etag=*/"", "name",
      [&](CaseChange& change, v1::Job& job, int64_t version) -> absl::Status {
        RETURN_IF_ERROR(CheckCurrentSpell("name", "job", job.spell(),
                                          change.read().spell()));
        RETURN_IF_ERROR(CheckMilestone(job, check, checked));
        RETURN_IF_ERROR(change.NoteActivity("check.check_date", checked));
        *job.add_retention_checks() = check;
        *job.mutable_update_time() = ToProtoTimestamp(files_.Now());
        v1::RetentionChecked event =
            JobEvent<v1::RetentionChecked>(change, job);
        *event.mutable_check() = check;
        change.Event(job.name(), version, event);
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::EarningsEvidence> ProgressionRecords::CreateEarningsEvidence(
    const auth::Caller& caller,
    const v1::CreateEarningsEvidenceRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_earnings_evidence()) {
    return RequiredField("earnings_evidence");
  }
  v1::EarningsEvidence evidence = request.earnings_evidence();
  evidence.clear_name();
  evidence.clear_spell();
  evidence.clear_create_time();
  RETURN_IF_ERROR(CheckEarningsFields(files_.Today(), name, evidence));
  evidence.set_recorded_by(caller.user);
  const absl::CivilDay end =
      *ToCivilDay("earnings_evidence.period_end", evidence.period_end());
  return files_.CreateItem<v1::EarningsEvidence>(
      caller, name, kEarningsItems, request, request.request_id(),
      [&](CaseChange& change, const std::string& item_name)
          -> absl::StatusOr<v1::EarningsEvidence> {
        if (!evidence.job().empty()) {
          const ItemName job = *ParseItemName("earnings_evidence.job",
                                              evidence.job(), kJobItems);
          absl::StatusOr<StoredItem> found =
              files_.ReadItem(change.read(), kJobItems, job.id);
          if (!found.ok()) {
            return absl::Status(found.status().code(),
                                absl::StrCat("earnings_evidence.job: ",
                                             found.status().message()));
          }
        }
        RETURN_IF_ERROR(
            change.NoteActivity("earnings_evidence.period_end", end));
        v1::EarningsEvidence stored = evidence;
        stored.set_name(item_name);
        stored.set_spell(change.read().spell().number());
        *stored.mutable_create_time() = ToProtoTimestamp(files_.Now());
        v1::EarningsRecorded event;
        *event.mutable_facts() = FactsOf(change.participant());
        event.set_earnings_evidence(item_name);
        event.set_job(stored.job());
        *event.mutable_period_start() = stored.period_start();
        *event.mutable_period_end() = stored.period_end();
        event.set_gross_earnings_pence(stored.gross_earnings_pence());
        event.set_source(stored.source());
        change.Event(item_name, 1, event);
        return stored;
      });
}

absl::StatusOr<v1::ListEarningsEvidenceResponse>
ProgressionRecords::ListEarningsEvidence(
    const auth::Caller& caller,
    const v1::ListEarningsEvidenceRequest& request) {
  return ListItemPage<v1::EarningsEvidence, v1::ListEarningsEvidenceResponse>(
      files_, caller, request, kEarningsItems,
      &v1::ListEarningsEvidenceResponse::mutable_earnings_evidence);
}

absl::StatusOr<v1::Participant> ProgressionRecords::RecordJobOutcome(
    const auth::Caller& caller, const v1::RecordJobOutcomeRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("name", request.name()));
  ASSIGN_OR_RETURN(ItemName job,
                   ParseItemName("job", request.job(), kJobItems));
  if (job.participant.str() != name.str()) {
    return InvalidField("job", "must be a job of the participant in name");
  }
  ASSIGN_OR_RETURN(
      absl::CivilDay outcome,
      PastDay("outcome_date", request.outcome_date(), files_.Today()));
  RETURN_IF_ERROR(CheckResourceId("rule", request.rule()));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<v1::Participant> recorded,
                     TryRecordOutcome(caller, request, job, outcome));
    if (recorded.has_value()) return *std::move(recorded);
  }
  return Conflict("participant");
}

absl::StatusOr<std::optional<v1::Participant>>
ProgressionRecords::TryRecordOutcome(const auth::Caller& caller,
                                     const v1::RecordJobOutcomeRequest& request,
                                     const ItemName& job_name,
                                     absl::CivilDay outcome) {
  ASSIGN_OR_RETURN(Case c, files_.ReadForChange(caller, job_name.participant,
                                                v1::PROGRESSION));
  ASSIGN_OR_RETURN(StoredItem stored,
                   files_.ReadItem(c, kJobItems, job_name.id));
  ASSIGN_OR_RETURN(v1::Job job, DecodeItem<v1::Job>(stored));
  RETURN_IF_ERROR(CheckCurrentSpell("job", "job", job.spell(), c.spell()));
  ASSIGN_OR_RETURN(absl::CivilDay start,
                   ToCivilDay("job.start_date", job.start_date()));
  if (outcome < start) {
    return absl::FailedPreconditionError(
        absl::StrCat("outcome_date: must not be before the job's start (",
                     absl::FormatCivilTime(start), ")"));
  }
  if (OutcomeAchieved(c.spell())) {
    // Already recorded: nothing written, the participant read.
    RETURN_IF_ERROR(
        files_.AuditRead(caller, AuditedParticipant(c.participant)));
    return std::make_optional(c.participant);
  }
  CaseChange change = files_.Begin(caller, c);
  RETURN_IF_ERROR(change.NoteActivity("outcome_date", outcome));
  RETURN_IF_ERROR(
      change.SetStatus(v1::OUTCOME_ACHIEVED, outcome, files_.Now()));
  v1::JobOutcomeRecorded event;
  *event.mutable_facts() = FactsOf(change.participant());
  event.set_job(job.name());
  *event.mutable_outcome_date() = request.outcome_date();
  event.set_rule(request.rule());
  change.Event(c.participant.name(), c.version + 1, event);
  ASSIGN_OR_RETURN(storage::BatchResult result, files_.Commit(change));
  if (!result.committed) return std::nullopt;
  return change.participant();
}

}  // namespace employability::participants
