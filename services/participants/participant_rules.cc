#include "services/participants/participant_rules.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/contact.h"
#include "common/validation/dates.h"
#include "common/validation/national_insurance.h"
#include "common/validation/postcode.h"

namespace employability::participants {
namespace {

using validation::ToCivilDay;

absl::Status CheckDates(absl::string_view prefix, absl::CivilDay today,
                        const v1::Participant& p) {
  ASSIGN_OR_RETURN(
      absl::CivilDay referral,
      ToCivilDay(FieldPath(prefix, "referral_date"), p.referral_date()));
  RETURN_IF_ERROR(validation::CheckNotAfter(FieldPath(prefix, "referral_date"),
                                            referral, today, "today"));
  ASSIGN_OR_RETURN(
      absl::CivilDay birth,
      ToCivilDay(FieldPath(prefix, "date_of_birth"), p.date_of_birth()));
  RETURN_IF_ERROR(validation::CheckAgeInRange(
      FieldPath(prefix, "date_of_birth"), birth, today, kMinAge, kMaxAge));
  if (birth >= referral) {
    return InvalidField(FieldPath(prefix, "date_of_birth"),
                        "must be before referral_date");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status NormaliseContact(absl::string_view prefix,
                              v1::ContactDetails& contact) {
  ASSIGN_OR_RETURN(
      std::string email,
      validation::NormaliseEmail(FieldPath(prefix, "email"), contact.email()));
  contact.set_email(email);
  ASSIGN_OR_RETURN(std::string phone,
                   validation::NormaliseUkPhone(FieldPath(prefix, "phone"),
                                                contact.phone()));
  contact.set_phone(phone);
  if (contact.address_lines_size() > kMaxAddressLines) {
    return InvalidField(FieldPath(prefix, "address_lines"),
                        absl::StrCat("at most ", kMaxAddressLines, " lines"));
  }
  for (int i = 0; i < contact.address_lines_size(); ++i) {
    RETURN_IF_ERROR(CheckText(
        absl::StrCat(FieldPath(prefix, "address_lines"), "[", i, "]"),
        contact.address_lines(i), kMaxAddressLineLength, /*required=*/true));
  }
  ASSIGN_OR_RETURN(validation::Postcode postcode,
                   validation::NormalisePostcode(FieldPath(prefix, "postcode"),
                                                 contact.postcode()));
  contact.set_postcode(postcode.normalised);
  contact.set_outward_code(postcode.outward);
  return absl::OkStatus();
}

absl::Status NormaliseParticipant(absl::string_view prefix,
                                  absl::CivilDay today, v1::Participant& p) {
  RETURN_IF_ERROR(
      CheckResourceId(FieldPath(prefix, "programme"), p.programme()));
  if (!p.adviser().empty()) {
    RETURN_IF_ERROR(CheckResourceId(FieldPath(prefix, "adviser"), p.adviser()));
  }
  if (p.referral_source() == v1::REFERRAL_SOURCE_UNSPECIFIED ||
      !v1::ReferralSource_IsValid(p.referral_source())) {
    return InvalidField(FieldPath(prefix, "referral_source"),
                        "must be one of the listed sources");
  }
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "given_name"), p.given_name(),
                            kMaxNameLength, /*required=*/true));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "family_name"), p.family_name(),
                            kMaxNameLength, /*required=*/true));
  RETURN_IF_ERROR(CheckDates(prefix, today, p));
  ASSIGN_OR_RETURN(std::string nino,
                   validation::NormaliseNationalInsuranceNumber(
                       FieldPath(prefix, "national_insurance_number"),
                       p.national_insurance_number()));
  p.set_national_insurance_number(nino);
  return NormaliseContact(FieldPath(prefix, "contact"), *p.mutable_contact());
}

absl::Status CheckTransition(v1::ParticipantStatus from,
                             v1::ParticipantStatus to) {
  using S = v1::ParticipantStatus;
  static const auto allowed = [](S a, S b) {
    switch (a) {
      case v1::REFERRED:
        return b == v1::STARTED || b == v1::WITHDRAWN;
      case v1::STARTED:
        // An outcome can follow a job that has ended (earnings over time).
        return b == v1::IN_WORK || b == v1::OUTCOME_ACHIEVED ||
               b == v1::EXITED || b == v1::WITHDRAWN;
      case v1::IN_WORK:  // a job can end and the participant carry on
        return b == v1::STARTED || b == v1::OUTCOME_ACHIEVED || b == v1::EXITED;
      case v1::OUTCOME_ACHIEVED:
        return b == v1::EXITED;
      case v1::EXITED:  // re-joining opens a new spell, referred again
      case v1::WITHDRAWN:
        return b == v1::REFERRED;
      default:
        return false;
    }
  };
  if (to == v1::PARTICIPANT_STATUS_UNSPECIFIED ||
      !v1::ParticipantStatus_IsValid(to)) {
    return InvalidField("participant.status",
                        "must be one of the listed statuses");
  }
  if (!allowed(from, to)) {
    return absl::FailedPreconditionError(
        absl::StrCat("participant.status: cannot move from ",
                     v1::ParticipantStatus_Name(from), " to ",
                     v1::ParticipantStatus_Name(to)));
  }
  return absl::OkStatus();
}

absl::Status NormaliseConsent(absl::string_view prefix, v1::Consent& consent) {
  if (consent.purpose() == v1::CONSENT_PURPOSE_UNSPECIFIED ||
      !v1::ConsentPurpose_IsValid(consent.purpose())) {
    return InvalidField(FieldPath(prefix, "purpose"),
                        "must be one of the listed purposes");
  }
  if (consent.data_categories_size() == 0) {
    return RequiredField(FieldPath(prefix, "data_categories"));
  }
  for (int i = 0; i < consent.data_categories_size(); ++i) {
    int c = consent.data_categories(i);
    if (c == v1::DATA_CATEGORY_UNSPECIFIED || !v1::DataCategory_IsValid(c)) {
      return InvalidField(
          absl::StrCat(FieldPath(prefix, "data_categories"), "[", i, "]"),
          "must be one of the listed categories");
    }
  }
  if (consent.organisations_size() > 50) {
    return InvalidField(FieldPath(prefix, "organisations"),
                        "at most 50 organisations");
  }
  for (int i = 0; i < consent.organisations_size(); ++i) {
    RETURN_IF_ERROR(CheckResourceId(
        absl::StrCat(FieldPath(prefix, "organisations"), "[", i, "]"),
        consent.organisations(i)));
  }
  return CheckText(FieldPath(prefix, "statement"), consent.statement(), 2000,
                   /*required=*/false);
}

absl::Status NormaliseEqualityData(absl::string_view prefix,
                                   v1::EqualityData& data) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "disability"), data.disability(),
                            100, false));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "long_term_health_condition"),
                            data.long_term_health_condition(), 100, false));
  RETURN_IF_ERROR(
      CheckText(FieldPath(prefix, "ethnicity"), data.ethnicity(), 100, false));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "sex"), data.sex(), 100, false));
  if (!v1::AgeBand_IsValid(data.age_band())) {
    return InvalidField(FieldPath(prefix, "age_band"),
                        "must be one of the listed bands");
  }
  return absl::OkStatus();
}

absl::Status ApplyStatus(v1::Participant& p, v1::ParticipantStatus status,
                         absl::CivilDay date, absl::string_view user,
                         absl::Time now) {
  RETURN_IF_ERROR(CheckTransition(p.status(), status));
  p.set_status(status);
  v1::ProgrammeSpell* spell = p.mutable_spells(p.spells_size() - 1);
  v1::StatusChange* change = spell->add_history();
  change->set_status(status);
  *change->mutable_change_time() = ToProtoTimestamp(now);
  change->set_changed_by(std::string(user));
  if (status == v1::STARTED && !spell->has_start_date()) {
    *spell->mutable_start_date() = validation::ToDate(date);
  }
  if (status == v1::EXITED || status == v1::WITHDRAWN) {
    *spell->mutable_exit_date() = validation::ToDate(date);
  }
  return absl::OkStatus();
}

namespace {

void MoveOn(type::v1::Date* last, absl::CivilDay date) {
  if (last->year() != 0) {
    const absl::CivilDay current(last->year(), last->month(), last->day());
    if (current >= date) return;
  }
  *last = validation::ToDate(date);
}

}  // namespace

absl::Status NoteSpellActivity(v1::Participant& p, absl::string_view field,
                               absl::CivilDay date) {
  v1::ProgrammeSpell* spell = p.mutable_spells(p.spells_size() - 1);
  if (spell->has_exit_date()) {
    ASSIGN_OR_RETURN(absl::CivilDay exit,
                     validation::ToCivilDay("exit_date", spell->exit_date()));
    if (date > exit) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": rule nothing-after-exit: the participant's spell ended on ",
          absl::FormatCivilTime(exit), "; nothing can be dated after it"));
    }
  }
  MoveOn(spell->mutable_last_activity_date(), date);
  return absl::OkStatus();
}

absl::Status CheckCurrentSpell(absl::string_view field, absl::string_view what,
                               int item_spell,
                               const v1::ProgrammeSpell& current) {
  if (item_spell == current.number()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": the ", what, " belongs to programme spell ",
                   item_spell, ", not the current spell ", current.number(),
                   "; what belongs to an earlier spell is read-only"));
}

absl::Status CheckNotBeforeReferral(const v1::ProgrammeSpell& spell,
                                    absl::string_view field,
                                    absl::CivilDay day) {
  ASSIGN_OR_RETURN(
      absl::CivilDay referral,
      validation::ToCivilDay("referral_date", spell.referral_date()));
  if (day >= referral) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": must not be before the spell's referral date (",
                   absl::FormatCivilTime(referral), ")"));
}

void NoteAttendedContact(v1::Participant& p, absl::CivilDay date,
                         bool face_to_face) {
  v1::ContactSummary* summary = p.mutable_contact_summary();
  MoveOn(summary->mutable_last_contact_date(), date);
  if (face_to_face) MoveOn(summary->mutable_last_face_to_face_date(), date);
}

v1::ParticipantFacts FactsOf(const v1::Participant& p) {
  v1::ParticipantFacts facts;
  facts.set_participant(p.name());
  facts.set_contract(p.contract());
  facts.set_programme(p.programme());
  facts.set_enrolling_organisation(p.enrolling_organisation());
  facts.set_adviser(p.adviser());
  facts.set_status(p.status());
  facts.set_referral_source(p.referral_source());
  facts.set_outward_code(p.contact().outward_code());
  if (!p.spells().empty()) {
    const v1::ProgrammeSpell& spell = *p.spells().rbegin();
    facts.set_spell(spell.number());
    *facts.mutable_referral_date() = spell.referral_date();
    if (spell.has_start_date())
      *facts.mutable_start_date() = spell.start_date();
    if (spell.has_exit_date()) *facts.mutable_exit_date() = spell.exit_date();
    facts.set_exit_reason(spell.exit_reason());
  }
  facts.set_team(p.team());
  return facts;
}

std::string ParticipantName::str() const {
  return absl::StrCat("contracts/", contract, "/participants/", participant);
}

absl::StatusOr<std::string> ParseContractName(absl::string_view field,
                                              absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 || parts[0] != "contracts" ||
      !CheckResourceId(field, parts[1]).ok()) {
    return InvalidField(field, "must be contracts/{contract}");
  }
  return std::string(parts[1]);
}

namespace {

// Parses the first four segments "contracts/{c}/participants/{p}" of `parts`.
absl::StatusOr<ParticipantName> ParseParts(
    absl::string_view field, const std::vector<absl::string_view>& parts,
    absl::string_view shape) {
  if (parts.size() < 4 || parts[0] != "contracts" ||
      parts[2] != "participants" || !CheckResourceId(field, parts[1]).ok() ||
      !CheckResourceId(field, parts[3]).ok()) {
    return InvalidField(field, absl::StrCat("must be ", shape));
  }
  return ParticipantName{std::string(parts[1]), std::string(parts[3])};
}

}  // namespace

absl::StatusOr<ParticipantName> ParseParticipantName(absl::string_view field,
                                                     absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  constexpr absl::string_view kShape =
      "contracts/{contract}/participants/{participant}";
  if (parts.size() != 4)
    return InvalidField(field, absl::StrCat("must be ", kShape));
  return ParseParts(field, parts, kShape);
}

absl::StatusOr<std::pair<ParticipantName, std::string>> ParseConsentName(
    absl::string_view field, absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  constexpr absl::string_view kShape =
      "contracts/{contract}/participants/{participant}/consents/{consent}";
  if (parts.size() != 6 || parts[4] != "consents" ||
      !CheckResourceId(field, parts[5]).ok()) {
    return InvalidField(field, absl::StrCat("must be ", kShape));
  }
  ASSIGN_OR_RETURN(ParticipantName participant,
                   ParseParts(field, parts, kShape));
  return std::make_pair(participant, std::string(parts[5]));
}

absl::StatusOr<ParticipantName> ParseEqualityDataName(absl::string_view field,
                                                      absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  constexpr absl::string_view kShape =
      "contracts/{contract}/participants/{participant}/equalityData";
  if (parts.size() != 5 || parts[4] != "equalityData") {
    return InvalidField(field, absl::StrCat("must be ", kShape));
  }
  return ParseParts(field, parts, kShape);
}

}  // namespace employability::participants
