#include "services/participants/contact_records.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "google/protobuf/util/message_differencer.h"

namespace employability::participants {
namespace {

using google::protobuf::util::MessageDifferencer;
using validation::ToCivilDay;

// A date as stored: already checked when it was written.
absl::CivilDay DayOf(const type::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

bool IsSet(const type::v1::Date& date) { return date.year() != 0; }

bool OnProgramme(v1::ParticipantStatus status) {
  return status == v1::REFERRED || status == v1::STARTED ||
         status == v1::IN_WORK;
}

// In person: a face-to-face meeting or a group session.
bool FaceToFace(const v1::Contact& contact) {
  return contact.channel() == v1::FACE_TO_FACE ||
         contact.channel() == v1::GROUP;
}

absl::Status CheckDuration(const v1::Contact& contact) {
  const bool attended = contact.attendance() == v1::ATTENDED;
  const int least = attended ? 1 : 0;
  if (contact.duration_minutes() < least ||
      contact.duration_minutes() > kMaxContactMinutes) {
    return InvalidField(
        "contact.duration_minutes",
        absl::StrCat("must be ", least, "..", kMaxContactMinutes,
                     attended ? " for an attended contact" : ""));
  }
  return absl::OkStatus();
}

// The contact's own fields, apart from the case: formats and bounds. An
// adviser left empty is the caller. `booking` checks that an appointment is
// not in the past: on a create, or an update of its date or attendance (an
// appointment whose day has passed keeps its notes editable).
absl::Status CheckContactFields(const auth::Caller& caller,
                                absl::CivilDay today, bool booking,
                                v1::Contact& contact) {
  ASSIGN_OR_RETURN(absl::CivilDay date,
                   ToCivilDay("contact.contact_date", contact.contact_date()));
  if (contact.attendance() == v1::ATTENDANCE_UNSPECIFIED) {
    return RequiredField("contact.attendance");
  }
  if (!v1::Attendance_IsValid(contact.attendance())) {
    return InvalidField("contact.attendance",
                        "must be one of the listed attendances");
  }
  if (contact.attendance() == v1::BOOKED) {
    if (booking && date < today) {
      return InvalidField("contact.contact_date",
                          "an appointment (attendance BOOKED) must be today or "
                          "later; record a past contact with its attendance");
    }
  } else {
    RETURN_IF_ERROR(validation::CheckNotAfter("contact.contact_date", date,
                                              today, "today"));
  }
  if (contact.channel() == v1::CONTACT_CHANNEL_UNSPECIFIED) {
    return RequiredField("contact.channel");
  }
  if (!v1::ContactChannel_IsValid(contact.channel())) {
    return InvalidField("contact.channel",
                        "must be one of the listed channels");
  }
  RETURN_IF_ERROR(CheckDuration(contact));
  if (contact.adviser().empty()) contact.set_adviser(caller.user);
  RETURN_IF_ERROR(CheckResourceId("contact.adviser", contact.adviser()));
  return CheckText("contact.notes", contact.notes(), kMaxContactNotes,
                   /*required=*/false);
}

// The contact against the case: within the current spell, an appointment
// only while the participant is on the programme, and a held (or missed)
// contact moves the spell's activity on.
absl::Status CheckAgainstCase(CaseChange& change, const v1::Contact& contact) {
  const v1::ProgrammeSpell& spell = *change.participant().spells().rbegin();
  const absl::CivilDay date = DayOf(contact.contact_date());
  RETURN_IF_ERROR(CheckNotBeforeReferral(spell, "contact.contact_date", date));
  if (contact.attendance() == v1::BOOKED) {
    if (spell.has_exit_date()) {
      return absl::FailedPreconditionError(
          absl::StrCat("contact.attendance: no appointment can be booked: the "
                       "participant's spell ended on ",
                       absl::FormatCivilTime(DayOf(spell.exit_date()))));
    }
    return absl::OkStatus();
  }
  // An appointment left booked at the exit can still be cancelled; only a
  // contact held (or missed) is activity of the spell.
  if (contact.attendance() == v1::CANCELLED) return absl::OkStatus();
  return change.NoteActivity("contact.contact_date", date);
}

template <typename Event>
Event ContactEvent(const CaseChange& change, const v1::Contact& contact) {
  Event event;
  *event.mutable_facts() = FactsOf(change.participant());
  event.set_contact(contact.name());
  *event.mutable_contact_date() = contact.contact_date();
  event.set_channel(contact.channel());
  event.set_duration_minutes(contact.duration_minutes());
  event.set_attendance(contact.attendance());
  event.set_contact_adviser(contact.adviser());
  return event;
}

const std::set<std::string>& UpdatablePaths() {
  static const auto* paths = new std::set<std::string>{
      "contact_date", "channel",    "duration_minutes",
      "adviser",      "attendance", "notes"};
  return *paths;
}

bool Has(const std::set<std::string>& paths, const char* path) {
  return paths.count(path) > 0;
}

// Copies the fields named in `paths` from `from` into `contact`.
void ApplyPaths(const std::set<std::string>& paths, const v1::Contact& from,
                v1::Contact& contact) {
  if (Has(paths, "contact_date")) {
    *contact.mutable_contact_date() = from.contact_date();
  }
  if (Has(paths, "channel")) contact.set_channel(from.channel());
  if (Has(paths, "duration_minutes")) {
    contact.set_duration_minutes(from.duration_minutes());
  }
  if (Has(paths, "adviser")) contact.set_adviser(from.adviser());
  if (Has(paths, "attendance")) contact.set_attendance(from.attendance());
  if (Has(paths, "notes")) contact.set_notes(from.notes());
}

// What the contact summary is made of.
bool MovesSummary(const v1::Contact& a, const v1::Contact& b) {
  return a.attendance() != b.attendance() || a.channel() != b.channel() ||
         !MessageDifferencer::Equals(a.contact_date(), b.contact_date());
}

}  // namespace

v1::ContactStandard StandardFor(const v1::ContactStandards& standards,
                                absl::string_view programme) {
  for (const v1::ContactStandard& standard : standards.standards()) {
    if (standard.programme() == programme) return standard;
  }
  v1::ContactStandard standard = standards.default_standard();
  standard.set_programme(std::string(programme));
  return standard;
}

std::optional<absl::CivilDay> ContactsDue::next_due() const {
  if (!contact_due.has_value()) return face_to_face_due;
  if (!face_to_face_due.has_value()) return contact_due;
  return std::min(*contact_due, *face_to_face_due);
}

ContactsDue AssessContacts(const v1::Participant& participant,
                           const v1::ContactStandard& standard,
                           absl::CivilDay today) {
  ContactsDue due;
  if (!OnProgramme(participant.status()) || participant.spells().empty()) {
    return due;
  }
  const absl::CivilDay referral =
      DayOf(participant.spells().rbegin()->referral_date());
  // A last contact before the referral belongs to an earlier spell.
  auto due_after = [referral](const type::v1::Date& last,
                              int interval) -> std::optional<absl::CivilDay> {
    if (interval <= 0) return std::nullopt;
    const absl::CivilDay from =
        IsSet(last) ? std::max(referral, DayOf(last)) : referral;
    return from + interval;
  };
  const v1::ContactSummary& summary = participant.contact_summary();
  due.contact_due =
      due_after(summary.last_contact_date(), standard.contact_interval_days());
  due.face_to_face_due = due_after(summary.last_face_to_face_date(),
                                   standard.face_to_face_interval_days());
  auto consider = [&due, today](const std::optional<absl::CivilDay>& day,
                                v1::ContactKind kind) {
    if (!day.has_value() || *day >= today) return;
    const int days = static_cast<int>(today - *day);
    if (due.overdue == v1::CONTACT_KIND_UNSPECIFIED ||
        days >= due.days_overdue) {
      due.overdue = kind;
      due.due_date = *day;
      due.days_overdue = days;
    }
  };
  consider(due.contact_due, v1::ANY_CONTACT);
  consider(due.face_to_face_due, v1::FACE_TO_FACE_CONTACT);
  return due;
}

ContactRecords::ContactRecords(CaseFiles& files, v1::ContactStandards standards)
    : files_(files), standards_(std::move(standards)) {}

absl::StatusOr<v1::Contact> ContactRecords::Create(
    const auth::Caller& caller, const v1::CreateContactRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_contact()) return RequiredField("contact");
  v1::Contact contact = request.contact();
  RETURN_IF_ERROR(
      CheckContactFields(caller, files_.Today(), /*booking=*/true, contact));
  return files_.CreateItem<v1::Contact>(
      caller, name, kContactItems, request, request.request_id(),
      [&](CaseChange& change,
          const std::string& item_name) -> absl::StatusOr<v1::Contact> {
        RETURN_IF_ERROR(CheckAgainstCase(change, contact));
        if (contact.attendance() == v1::ATTENDED) {
          NoteAttendedContact(change.mutable_participant(),
                              DayOf(contact.contact_date()),
                              FaceToFace(contact));
        }
        v1::Contact stored = contact;
        stored.set_name(item_name);
        stored.set_spell(change.read().spell().number());
        const google::protobuf::Timestamp now = ToProtoTimestamp(files_.Now());
        *stored.mutable_create_time() = now;
        *stored.mutable_update_time() = now;
        stored.clear_etag();
        change.Event(item_name, 1,
                     ContactEvent<v1::ContactRecorded>(change, stored));
        return stored;
      });
}

absl::StatusOr<v1::Contact> ContactRecords::Get(
    const auth::Caller& caller, const v1::GetContactRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kContactItems));
  return files_.GetItem<v1::Contact>(caller, name, kContactItems);
}

absl::StatusOr<v1::ListContactsResponse> ContactRecords::List(
    const auth::Caller& caller, const v1::ListContactsRequest& request) {
  return ListItemPage<v1::Contact, v1::ListContactsResponse>(
      files_, caller, request, kContactItems,
      &v1::ListContactsResponse::mutable_contacts);
}

absl::StatusOr<v1::Contact> ContactRecords::Update(
    const auth::Caller& caller, const v1::UpdateContactRequest& request) {
  ASSIGN_OR_RETURN(
      ItemName name,
      ParseItemName("contact.name", request.contact().name(), kContactItems));
  ASSIGN_OR_RETURN(const std::set<std::string> paths,
                   UpdatePaths(request.update_mask(), UpdatablePaths()));
  const absl::CivilDay today = files_.Today();
  return files_.ChangeItem<v1::Contact>(
      caller, name, kContactItems, request.contact().etag(), "contact.etag",
      [&](CaseChange& change, v1::Contact& contact,
          int64_t version) -> absl::Status {
        RETURN_IF_ERROR(CheckCurrentSpell(
            "contact.name", "contact", contact.spell(), change.read().spell()));
        const v1::Contact before = contact;
        ApplyPaths(paths, request.contact(), contact);
        RETURN_IF_ERROR(CheckContactFields(
            caller, today,
            /*booking=*/Has(paths, "contact_date") || Has(paths, "attendance"),
            contact));
        if (MessageDifferencer::Equals(contact, before)) {
          return absl::OkStatus();  // nothing changed: nothing written
        }
        RETURN_IF_ERROR(CheckAgainstCase(change, contact));
        if (MovesSummary(contact, before)) {
          RETURN_IF_ERROR(files_.ResummariseContacts(
              change.read(), change.mutable_participant(), &contact,
              /*session=*/nullptr));
        }
        *contact.mutable_update_time() = ToProtoTimestamp(files_.Now());
        v1::ContactUpdated event =
            ContactEvent<v1::ContactUpdated>(change, contact);
        event.set_previous_attendance(before.attendance());
        change.Event(contact.name(), version, event);
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::ContactStandard> ContactRecords::GetStandard(
    const v1::GetContactStandardRequest& request) const {
  if (request.programme().empty()) return RequiredField("programme");
  RETURN_IF_ERROR(CheckResourceId("programme", request.programme()));
  return StandardFor(standards_, request.programme());
}

}  // namespace employability::participants
