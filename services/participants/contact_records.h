// Contacts and appointments between a participant and their adviser, and the
// contact-frequency standards (data/contact_standards.textproto) that say
// when the next one is due. A domain class: no gRPC.
//
// Attended contacts keep the participant's contact_summary (last contact and
// last face-to-face contact of the current spell), so that caseloads and
// overdue lists read one record per participant.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_CONTACT_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_CONTACT_RECORDS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/contacts.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

inline constexpr int kMaxContactNotes = 4000;
inline constexpr int kMaxContactMinutes = 480;

// The standard that applies to `programme`: its own, else the default with
// programme set to the one asked.
v1::ContactStandard StandardFor(const v1::ContactStandards& standards,
                                absl::string_view programme);

// When a participant's next contacts fall due under a standard, and how
// overdue they are on a given day.
struct ContactsDue {
  // Unset: no standard of that kind applies.
  std::optional<absl::CivilDay> contact_due;
  std::optional<absl::CivilDay> face_to_face_due;
  // The kind most overdue (UNSPECIFIED: not overdue), its due date and the
  // days since.
  v1::ContactKind overdue = v1::CONTACT_KIND_UNSPECIFIED;
  absl::CivilDay due_date;
  int days_overdue = 0;

  // The earlier of the due dates; unset when no standard applies.
  std::optional<absl::CivilDay> next_due() const;
};

// The overdue rule. Only participants on the programme (REFERRED, STARTED,
// IN_WORK) have contacts due: each kind falls due its interval after the
// last attended contact of that kind, or after the spell's referral when
// there was none; an interval of 0 is no standard. A kind is overdue when
// due before `today`. Both kinds equally overdue: face to face, as one
// face-to-face contact clears both.
ContactsDue AssessContacts(const v1::Participant& participant,
                           const v1::ContactStandard& standard,
                           absl::CivilDay today);

class ContactRecords {
 public:
  ContactRecords(CaseFiles& files, v1::ContactStandards standards);

  absl::StatusOr<v1::Contact> Create(const auth::Caller& caller,
                                     const v1::CreateContactRequest& request);
  absl::StatusOr<v1::Contact> Get(const auth::Caller& caller,
                                  const v1::GetContactRequest& request);
  absl::StatusOr<v1::ListContactsResponse> List(
      const auth::Caller& caller, const v1::ListContactsRequest& request);
  absl::StatusOr<v1::Contact> Update(const auth::Caller& caller,
                                     const v1::UpdateContactRequest& request);
  absl::StatusOr<v1::ContactStandard> GetStandard(
      const v1::GetContactStandardRequest& request) const;

 private:
  // Recomputes the participant's contact summary from every contact of the
  // current spell, `changed` as it will be stored.

  CaseFiles& files_;
  const v1::ContactStandards standards_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_CONTACT_RECORDS_H_
