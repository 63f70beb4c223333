#include "services/participants/caseload_records.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/macros.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/validation/dates.h"
#include "employability/participants/v1/participant_events.pb.h"

namespace employability::participants {
namespace {

// `status` with its message prefixed by the field it is about.
absl::Status About(absl::string_view field, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(field, ": ", status.message()));
}

absl::Status CheckAdviser(absl::string_view field, const std::string& id) {
  if (id.empty()) return RequiredField(field);
  return CheckResourceId(field, id);
}

// The records of the participants `ids`, in one round trip.
absl::StatusOr<std::vector<std::optional<storage::Record>>> ReadParticipants(
    CaseFiles& files, const std::string& contract,
    const std::vector<std::string>& ids) {
  const storage::KeySpace keys = files.Keys(contract);
  std::vector<std::string> record_keys;
  for (const std::string& id : ids) {
    record_keys.push_back(keys.Record(kParticipantRecord, id));
  }
  return files.store().GetMany(record_keys);
}

// The participants of a contract, as a list spanning them is audited.
std::string ParticipantsOf(const std::string& contract) {
  return absl::StrCat("contracts/", contract, "/participants");
}

// The contract of a caseload query (parent and adviser).
absl::StatusOr<std::string> CaseloadContract(const std::string& parent,
                                             const std::string& adviser) {
  ASSIGN_OR_RETURN(std::string contract, ParseContractName("parent", parent));
  RETURN_IF_ERROR(CheckAdviser("adviser", adviser));
  return contract;
}

// The participant ids named in a reassignment, each in the parent contract
// and named once.
absl::StatusOr<std::vector<std::string>> NamedParticipants(
    const std::string& contract,
    const google::protobuf::RepeatedPtrField<std::string>& names) {
  if (names.size() > kMaxReassignNamed) {
    return InvalidField(
        "participants",
        absl::StrCat("at most ", kMaxReassignNamed,
                     " participants at once; use from_adviser to move a "
                     "whole caseload"));
  }
  std::map<std::string, int> seen;
  std::vector<std::string> ids;
  for (int i = 0; i < names.size(); ++i) {
    const std::string field = absl::StrCat("participants[", i, "]");
    ASSIGN_OR_RETURN(ParticipantName name,
                     ParseParticipantName(field, names.Get(i)));
    if (name.contract != contract) {
      return InvalidField(
          field, absl::StrCat("must be a participant of contracts/", contract,
                              " (the parent)"));
    }
    auto [at, added] = seen.emplace(name.participant, i);
    if (!added) {
      return InvalidField(
          field, absl::StrCat("repeats participants[", at->second, "]"));
    }
    ids.push_back(name.participant);
  }
  return ids;
}

}  // namespace

CaseloadRecords::CaseloadRecords(CaseFiles& files,
                                 v1::ContactStandards standards)
    : files_(files), standards_(std::move(standards)) {}

ContactsDue CaseloadRecords::Assess(const v1::Participant& participant,
                                    absl::CivilDay today) const {
  return AssessContacts(
      participant, StandardFor(standards_, participant.programme()), today);
}

absl::StatusOr<std::vector<Case>> CaseloadRecords::ScanCaseload(
    const auth::Caller& caller, const std::string& contract,
    const std::string& adviser, absl::string_view field, int limit) {
  RETURN_IF_ERROR(files_.CheckScopeReaches(caller));
  const std::string index = files_.Keys(contract).Index("adviser", adviser);
  std::vector<Case> cases;
  std::string after;
  int scanned = 0;
  while (true) {
    ASSIGN_OR_RETURN(
        std::vector<std::string> ids,
        files_.store().IndexRange(index, after, kCaseloadScanPage));
    scanned += static_cast<int>(ids.size());
    if (scanned > limit) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": the caseload of ", adviser, " holds more than ", limit,
          " participants, more than one call handles"));
    }
    ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                     ReadParticipants(files_, contract, ids));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!records[i].has_value()) continue;  // deleted since the index read
      ASSIGN_OR_RETURN(v1::Participant participant,
                       files_.DecodeParticipant(*records[i]));
      cases.push_back(Case{ParticipantName{contract, ids[i]},
                           std::move(participant), records[i]->version});
    }
    if (static_cast<int>(ids.size()) < kCaseloadScanPage) break;
    after = ids.back();
  }
  // The caseload as the caller reaches it, record by record.
  RETURN_IF_ERROR(files_.KeepReachable(caller, cases, v1::IDENTITY));
  return cases;
}

absl::StatusOr<v1::Caseload> CaseloadRecords::GetCaseload(
    const auth::Caller& caller, const v1::GetCaseloadRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   CaseloadContract(request.parent(), request.adviser()));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  // The token is bound to the caseload it pages through.
  const std::string digest =
      files_.QueryDigest(absl::StrCat(contract, "|", request.adviser()));
  std::string after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(
        after, DecodePageToken("page_token", request.page_token(), digest));
  }
  ASSIGN_OR_RETURN(std::vector<Case> cases,
                   ScanCaseload(caller, contract, request.adviser(), "adviser",
                                kMaxCaseloadScan));
  const absl::CivilDay today = files_.Today();
  v1::Caseload caseload;
  caseload.set_adviser(request.adviser());
  caseload.set_total(static_cast<int>(cases.size()));
  std::map<v1::ParticipantStatus, int> counts;
  std::string last_on_page;
  for (const Case& c : cases) {
    const ContactsDue due = Assess(c.participant, today);
    const bool overdue = due.overdue != v1::CONTACT_KIND_UNSPECIFIED;
    ++counts[c.participant.status()];
    if (overdue) caseload.set_overdue_count(caseload.overdue_count() + 1);
    if (c.name.participant <= after) continue;  // an earlier page
    if (caseload.entries_size() == page_size) {
      caseload.set_next_page_token(EncodePageToken(last_on_page, digest));
      continue;
    }
    last_on_page = c.name.participant;
    v1::CaseloadEntry* entry = caseload.add_entries();
    entry->set_participant(c.name.str());
    entry->set_status(c.participant.status());
    if (std::optional<absl::CivilDay> next = due.next_due()) {
      *entry->mutable_next_contact_due() = validation::ToDate(*next);
    }
    entry->set_overdue(overdue);
  }
  for (const auto& [status, count] : counts) {
    v1::StatusCount* status_count = caseload.add_status_counts();
    status_count->set_status(status);
    status_count->set_count(count);
  }
  RETURN_IF_ERROR(files_.AuditRead(
      caller,
      CaseFiles::SpanningList(caller, contract, ParticipantsOf(contract))));
  return caseload;
}

absl::StatusOr<v1::ListOverdueParticipantsResponse>
CaseloadRecords::ListOverdueParticipants(
    const auth::Caller& caller,
    const v1::ListOverdueParticipantsRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   CaseloadContract(request.parent(), request.adviser()));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  ASSIGN_OR_RETURN(std::vector<Case> cases,
                   ScanCaseload(caller, contract, request.adviser(), "adviser",
                                kMaxCaseloadScan));
  const absl::CivilDay today = files_.Today();
  std::vector<v1::OverdueParticipant> overdue;
  for (const Case& c : cases) {
    const ContactsDue due = Assess(c.participant, today);
    if (due.overdue == v1::CONTACT_KIND_UNSPECIFIED) continue;
    v1::OverdueParticipant& entry = overdue.emplace_back();
    entry.set_participant(c.name.str());
    entry.set_adviser(c.participant.adviser());
    entry.set_overdue(due.overdue);
    *entry.mutable_due_date() = validation::ToDate(due.due_date);
    entry.set_days_overdue(due.days_overdue);
    const v1::ContactSummary& summary = c.participant.contact_summary();
    if (summary.has_last_contact_date()) {
      *entry.mutable_last_contact_date() = summary.last_contact_date();
    }
    if (summary.has_last_face_to_face_date()) {
      *entry.mutable_last_face_to_face_date() =
          summary.last_face_to_face_date();
    }
  }
  // Most overdue first; the caseload's order among equals.
  std::stable_sort(
      overdue.begin(), overdue.end(),
      [](const v1::OverdueParticipant& a, const v1::OverdueParticipant& b) {
        return a.days_overdue() > b.days_overdue();
      });
  v1::ListOverdueParticipantsResponse response;
  response.set_total_overdue(static_cast<int>(overdue.size()));
  for (size_t i = 0; i < overdue.size() && static_cast<int>(i) < page_size;
       ++i) {
    *response.add_participants() = std::move(overdue[i]);
  }
  RETURN_IF_ERROR(files_.AuditRead(
      caller,
      CaseFiles::SpanningList(caller, contract, ParticipantsOf(contract))));
  return response;
}

// ---- Reassignment

absl::StatusOr<v1::ReassignParticipantsResponse>
CaseloadRecords::ReassignParticipants(
    const auth::Caller& caller,
    const v1::ReassignParticipantsRequest& request) {
  Selection selection;
  ASSIGN_OR_RETURN(selection.contract,
                   ParseContractName("parent", request.parent()));
  RETURN_IF_ERROR(CheckAdviser("to_adviser", request.to_adviser()));
  const bool named = request.participants_size() > 0;
  if (named && !request.from_adviser().empty()) {
    return InvalidField("from_adviser",
                        "give either participants or from_adviser, not both");
  }
  if (named) {
    ASSIGN_OR_RETURN(
        selection.named,
        NamedParticipants(selection.contract, request.participants()));
  } else if (request.from_adviser().empty()) {
    return InvalidField("participants",
                        "name the participants to reassign, or give "
                        "from_adviser to reassign a whole caseload");
  } else {
    RETURN_IF_ERROR(CheckAdviser("from_adviser", request.from_adviser()));
    selection.from_adviser = request.from_adviser();
  }
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::vector<Case> cases, ReadSelection(caller, selection));
    const bool moves =
        std::any_of(cases.begin(), cases.end(), [&request](const Case& c) {
          return c.participant.adviser() != request.to_adviser();
        });
    if (moves) {
      ASSIGN_OR_RETURN(bool done, ReassignOnce(caller, selection,
                                               request.to_adviser(), cases));
      if (!done) continue;  // another write got in: read again
    } else {
      // Everyone is already with to_adviser: nothing written, the
      // selection read.
      RETURN_IF_ERROR(files_.AuditRead(
          caller, CaseFiles::SpanningList(caller, selection.contract,
                                          ParticipantsOf(selection.contract))));
    }
    v1::ReassignParticipantsResponse response;
    for (const Case& c : cases) response.add_participants(c.name.str());
    return response;
  }
  return Conflict("caseload");
}

absl::StatusOr<std::vector<Case>> CaseloadRecords::ReadSelection(
    const auth::Caller& caller, const Selection& selection) {
  if (!selection.named.empty()) {
    return ReadNamed(caller, selection.contract, selection.named);
  }
  // Erased records move too: the adviser is no personal data of theirs,
  // and a caseload must be able to leave with the adviser who held it.
  return ScanCaseload(caller, selection.contract, selection.from_adviser,
                      "from_adviser", kMaxReassignCaseload);
}

absl::StatusOr<std::vector<Case>> CaseloadRecords::ReadNamed(
    const auth::Caller& caller, const std::string& contract,
    const std::vector<std::string>& ids) {
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   ReadParticipants(files_, contract, ids));
  std::vector<Case> cases;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!records[i].has_value()) continue;
    ASSIGN_OR_RETURN(v1::Participant participant,
                     files_.DecodeParticipant(*records[i]));
    cases.push_back(Case{ParticipantName{contract, ids[i]},
                         std::move(participant), records[i]->version});
  }
  // Every grant needed is read in one round trip.
  ASSIGN_OR_RETURN(std::vector<bool> reached,
                   files_.Reaches(caller, cases, v1::IDENTITY));
  // The first participant named that is missing or out of reach, in the
  // order named, and in the same words either way (recorded as a refusal).
  size_t read = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool found = records[i].has_value();
    const Case* c = found ? &cases[read] : nullptr;
    if (found && reached[read++]) continue;
    const ParticipantName name{contract, ids[i]};
    return About(absl::StrCat("participants[", i, "]"),
                 caller.is_service() && !found
                     ? absl::NotFoundError(absl::StrCat(
                           "participant ", name.str(), " not found"))
                     : files_.Deny(caller, name,
                                   c != nullptr ? &c->participant : nullptr,
                                   v1::IDENTITY));
  }
  return cases;
}

absl::StatusOr<bool> CaseloadRecords::ReassignOnce(
    const auth::Caller& caller, const Selection& selection,
    const std::string& to_adviser, const std::vector<Case>& cases) {
  storage::Batch batch;
  std::vector<Audited> moved;  // one audit entry each
  for (const Case& c : cases) {
    v1::Participant after = c.participant;
    after.set_adviser(to_adviser);
    if (!files_.StageParticipant(batch, caller, c, after)) continue;
    v1::ParticipantUpdated event;
    *event.mutable_facts() = FactsOf(after);
    event.add_changed_fields("adviser");
    files_.AppendEvent(batch, caller, selection.contract, after.name(),
                       c.version + 1, event);
    moved.push_back(AuditedParticipant(after));
  }
  if (moved.empty()) return true;  // everyone is already with to_adviser
  for (const Audited& what : moved) {
    RETURN_IF_ERROR(files_.AuditWrite(batch, caller, audit::v1::UPDATE, what));
  }
  RETURN_IF_ERROR(files_.RegisterStream(selection.contract));
  ASSIGN_OR_RETURN(storage::BatchResult result, files_.store().Commit(batch));
  return result.committed;
}

}  // namespace employability::participants
