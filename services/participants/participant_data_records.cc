#include "services/participants/participant_data_records.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "employability/participants/v1/participant_events.pb.h"

namespace employability::participants {

// ---- What erasure leaves

void ErasePersonalFields(v1::Participant& p) {
  p.clear_given_name();
  p.clear_family_name();
  p.clear_date_of_birth();
  p.clear_national_insurance_number();
  // The area (outward code) stays for area-level aggregates; the rest of the
  // address and every way of reaching the person goes.
  const std::string outward_code = p.contact().outward_code();
  p.clear_contact();
  if (!outward_code.empty())
    p.mutable_contact()->set_outward_code(outward_code);
}

void ErasePersonalFields(v1::Barrier& barrier) { barrier.clear_notes(); }

void ErasePersonalFields(v1::ActionPlan& plan) {
  for (v1::Goal& goal : *plan.mutable_goals()) {
    goal.clear_description();
    goal.clear_employment_outcome_link();
    v1::SmartDetail* smart = goal.mutable_smart();
    smart->clear_specific();
    smart->clear_measure();
    smart->clear_achievable_support();
    smart->clear_relevance();
    for (v1::Action& action : *goal.mutable_actions()) {
      action.clear_description();
    }
  }
  for (v1::PlanReview& review : *plan.mutable_reviews()) {
    review.clear_progress();
    review.clear_changes();
  }
}

void ErasePersonalFields(v1::Contact& contact) { contact.clear_notes(); }

void ErasePersonalFields(v1::CaseReview& review) {
  review.clear_findings();
  review.clear_decisions();
}

// Employer, occupation, hours and pay are the outcome evidence aggregates
// are built from, and name no one once the participant is anonymous; but a
// self-employed person's trading name is often their own.
void ErasePersonalFields(v1::Job& job) {
  if (job.employment_type() == v1::SELF_EMPLOYED) job.clear_employer();
}
void ErasePersonalFields(v1::EarningsEvidence&) {}

void ErasePersonalFields(const std::string& participant,
                         v1::GroupSession& session) {
  for (v1::Attendee& attendee : *session.mutable_attendees()) {
    if (attendee.participant() == participant) attendee.clear_comment();
  }
}

// ---- Reading everything held

namespace {

using storage::Batch;

// How each kind of item goes into an export and comes out of an erasure.
struct ItemHandler {
  const ItemKind* kind;
  absl::Status (*add_to)(const StoredItem&, v1::ParticipantDataExport&);
  absl::StatusOr<std::string> (*erased)(const StoredItem&);
};

template <typename Item>
absl::Status AddTo(const StoredItem& stored,
                   google::protobuf::RepeatedPtrField<Item>* out) {
  ASSIGN_OR_RETURN(Item item, DecodeItem<Item>(stored));
  *out->Add() = std::move(item);
  return absl::OkStatus();
}

template <typename Item>
absl::StatusOr<std::string> Erased(const StoredItem& stored) {
  Item item;  // stored without its etag
  if (!item.ParseFromString(stored.record.value)) {
    return absl::DataLossError("a stored record is unreadable");
  }
  ErasePersonalFields(item);
  return item.SerializeAsString();
}

const ItemHandler kHandlers[] = {
    {&kBarrierItems,
     [](const StoredItem& s, v1::ParticipantDataExport& e) {
       return AddTo(s, e.mutable_barriers());
     },
     &Erased<v1::Barrier>},
    {&kActionPlanItems,
     [](const StoredItem& s, v1::ParticipantDataExport& e) {
       return AddTo(s, e.mutable_action_plans());
     },
     &Erased<v1::ActionPlan>},
    {&kContactItems,
     [](const StoredItem& s, v1::ParticipantDataExport& e) {
       return AddTo(s, e.mutable_contacts());
     },
     &Erased<v1::Contact>},
    {&kJobItems,
     [](const StoredItem& s, v1::ParticipantDataExport& e) {
       return AddTo(s, e.mutable_jobs());
     },
     &Erased<v1::Job>},
    {&kEarningsItems,
     [](const StoredItem& s, v1::ParticipantDataExport& e) {
       return AddTo(s, e.mutable_earnings_evidence());
     },
     &Erased<v1::EarningsEvidence>},
    {&kCaseReviewItems,
     [](const StoredItem& s, v1::ParticipantDataExport& e) {
       return AddTo(s, e.mutable_case_reviews());
     },
     &Erased<v1::CaseReview>},
};

template <typename Message>
absl::StatusOr<Message> Decode(const storage::Record& record) {
  Message message;
  if (!message.ParseFromString(record.value)) {
    return absl::DataLossError("a stored record is unreadable");
  }
  return message;
}

}  // namespace

struct ParticipantDataRecords::Held {
  std::optional<storage::Record> consents;
  std::optional<storage::Record> equality;
  std::optional<storage::Record> duplicate;
  std::vector<std::pair<const ItemHandler*, StoredItem>> items;
  std::vector<std::pair<std::string, storage::Record>> sessions;  // key, rec
};

absl::StatusOr<ParticipantDataRecords::Held>
ParticipantDataRecords::ReadEverything(const Case& c) {
  const storage::KeySpace keys = files_.Keys(c.name.contract);
  Held held;
  ASSIGN_OR_RETURN(
      std::vector<std::optional<storage::Record>> records,
      files_.store().GetMany({keys.Record(kConsentsRecord, c.name.participant),
                              keys.Record(kEqualityRecord, c.name.participant),
                              files_.DuplicateKey(c.participant)}));
  held.consents = records[0];
  held.equality = records[1];
  held.duplicate = records[2];
  for (const ItemHandler& handler : kHandlers) {
    ASSIGN_OR_RETURN(std::vector<StoredItem> items,
                     files_.AllItems(c, *handler.kind));
    for (StoredItem& item : items) {
      held.items.emplace_back(&handler, std::move(item));
    }
  }
  ASSIGN_OR_RETURN(
      std::vector<std::string> session_ids,
      files_.store().IndexRange(
          keys.Index(kGroupSessionRecord, c.name.participant), "", 10000));
  std::vector<std::string> session_keys;
  for (const std::string& id : session_ids) {
    session_keys.push_back(keys.Record(kGroupSessionRecord, id));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> sessions,
                   files_.store().GetMany(session_keys));
  for (size_t i = 0; i < sessions.size(); ++i) {
    if (sessions[i].has_value()) {
      held.sessions.emplace_back(session_keys[i], *std::move(sessions[i]));
    }
  }
  return held;
}

// ---- Subject access

absl::StatusOr<v1::ParticipantDataExport> ParticipantDataRecords::Export(
    const auth::Caller& caller,
    const v1::ExportParticipantDataRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("name", request.name()));
  ASSIGN_OR_RETURN(Case c, files_.Read(caller, name, v1::IDENTITY));
  ASSIGN_OR_RETURN(Held held, ReadEverything(c));
  ASSIGN_OR_RETURN(v1::ParticipantDataExport out, ExportOf(caller, c, held));
  // Everything held leaves the suite: one EXPORT entry, before it does.
  RETURN_IF_ERROR(files_.AuditRead(caller, AuditedParticipant(c.participant),
                                   audit::v1::EXPORT));
  return out;
}

absl::StatusOr<v1::ParticipantDataExport> ParticipantDataRecords::ExportOf(
    const auth::Caller& caller, const Case& c, const Held& held) {
  const ParticipantName& name = c.name;
  v1::ParticipantDataExport out;
  *out.mutable_export_time() = ToProtoTimestamp(files_.Now());
  out.set_exported_by(caller.user);
  out.set_organisation(caller.organisation);
  *out.mutable_participant() = c.participant;
  if (held.consents.has_value()) {
    ASSIGN_OR_RETURN(auto consents,
                     Decode<v1::ListConsentsResponse>(*held.consents));
    *out.mutable_consents() = std::move(*consents.mutable_consents());
  }
  // The data subject is owed everything, equality data included, whatever
  // purpose other reads must state.
  if (held.equality.has_value()) {
    ASSIGN_OR_RETURN(*out.mutable_equality_data(),
                     Decode<v1::EqualityData>(*held.equality));
  }
  for (const auto& [handler, item] : held.items) {
    RETURN_IF_ERROR(handler->add_to(item, out));
  }
  for (const auto& [key, record] : held.sessions) {
    ASSIGN_OR_RETURN(v1::GroupSession session,
                     Decode<v1::GroupSession>(record));
    for (const v1::Attendee& attendee : session.attendees()) {
      if (attendee.participant() != name.str()) continue;
      v1::GroupSessionRecord* entry = out.add_group_sessions();
      entry->set_group_session(session.name());
      entry->set_title(session.title());
      *entry->mutable_session_date() = session.session_date();
      *entry->mutable_attendee() = attendee;
    }
  }
  return out;
}

// ---- Erasure

absl::StatusOr<v1::Participant> ParticipantDataRecords::Erase(
    const auth::Caller& caller, const v1::EraseParticipantRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("name", request.name()));
  RETURN_IF_ERROR(idempotency::CheckRequestId("erasure_reference",
                                              request.erasure_reference()));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Case c, files_.Read(caller, name, v1::IDENTITY));
    if (c.participant.erased()) {
      // Already done: nothing written, the erased record read.
      RETURN_IF_ERROR(
          files_.AuditRead(caller, AuditedParticipant(c.participant)));
      return c.participant;
    }
    ASSIGN_OR_RETURN(bool erased,
                     EraseOnce(caller, c, request.erasure_reference()));
    if (erased) {
      ASSIGN_OR_RETURN(Case now, files_.Read(caller, name, v1::IDENTITY));
      return now.participant;
    }
  }
  return Conflict("participant");
}

// Erasure ends every consent: nothing is processed on their strength any
// more. The consents stay, withdrawn, as the record of what was agreed.
absl::Status ParticipantDataRecords::WithdrawConsents(CaseChange& change,
                                                      const Held& held,
                                                      absl::Time now) {
  if (!held.consents.has_value()) {
    change.batch().ExpectAbsent(
        files_.Keys(change.read().name.contract)
            .Record(kConsentsRecord, change.read().name.participant));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto consents,
                   Decode<v1::ListConsentsResponse>(*held.consents));
  for (v1::Consent& consent : *consents.mutable_consents()) {
    if (!consent.live()) continue;
    consent.set_live(false);
    *consent.mutable_withdrawn_time() = ToProtoTimestamp(now);
    consent.set_withdrawn_recorded_by(change.caller().user);
    v1::ConsentWithdrawn withdrawn;
    withdrawn.set_participant(change.read().name.str());
    withdrawn.set_consent(consent.name());
    withdrawn.set_purpose(consent.purpose());
    *withdrawn.mutable_organisations() = consent.organisations();
    change.Event(change.read().name.str(), change.read().version + 1,
                 withdrawn);
  }
  const std::string key =
      files_.Keys(change.read().name.contract)
          .Record(kConsentsRecord, change.read().name.participant);
  change.batch().ExpectVersion(key, held.consents->version);
  change.batch().Put(key, consents.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<bool> ParticipantDataRecords::EraseOnce(
    const auth::Caller& caller, const Case& c, const std::string& reference) {
  ASSIGN_OR_RETURN(Held held, ReadEverything(c));
  const storage::KeySpace keys = files_.Keys(c.name.contract);
  CaseChange change = files_.Begin(caller, c);
  change.AuditAs(audit::v1::ERASE);
  Batch& batch = change.batch();
  const absl::Time now = files_.Now();

  v1::Participant& p = change.mutable_participant();
  ErasePersonalFields(p);
  p.set_erased(true);
  *p.mutable_erase_time() = ToProtoTimestamp(now);
  p.set_erasure_reference(reference);

  // The duplicate check is derived from the National Insurance number: it
  // goes, but only while it is still this participant's.
  if (held.duplicate.has_value() &&
      absl::EndsWith(held.duplicate->value, c.name.str())) {
    const std::string key = files_.DuplicateKey(c.participant);
    batch.ExpectVersion(key, held.duplicate->version);
    batch.Delete(key);
  }
  const std::string equality_key =
      keys.Record(kEqualityRecord, c.name.participant);
  if (held.equality.has_value()) {
    batch.ExpectVersion(equality_key, held.equality->version);
    batch.Delete(equality_key);
    v1::EqualityDataErased erased;
    erased.set_participant(c.name.str());
    change.Event(c.name.str(), c.version + 1, erased);
  } else {
    batch.ExpectAbsent(equality_key);  // none may land meanwhile either
  }
  RETURN_IF_ERROR(WithdrawConsents(change, held, now));
  for (const auto& [handler, item] : held.items) {
    ASSIGN_OR_RETURN(std::string value, handler->erased(item));
    const std::string key = files_.ItemKey(c.name, *handler->kind, item.id);
    batch.ExpectVersion(key, item.record.version);
    batch.Put(key, std::move(value));
  }
  for (const auto& [key, record] : held.sessions) {
    ASSIGN_OR_RETURN(v1::GroupSession session,
                     Decode<v1::GroupSession>(record));
    ErasePersonalFields(c.name.str(), session);
    batch.ExpectVersion(key, record.version);
    batch.Put(key, session.SerializeAsString());
  }
  v1::ParticipantErased event;
  event.set_participant(c.name.str());
  event.set_contract(c.name.contract);
  *event.mutable_erase_time() = ToProtoTimestamp(now);
  event.set_erasure_reference(reference);
  change.Event(c.name.str(), c.version + 1, event);
  ASSIGN_OR_RETURN(storage::BatchResult result, files_.Commit(change));
  return result.committed;
}

}  // namespace employability::participants
