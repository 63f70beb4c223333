#include "services/partners/agreement_records.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/log.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"

namespace employability::partners {
namespace {

using storage::Batch;
using storage::BatchResult;
using storage::KeySpace;
using DataCategory = participants::v1::DataCategory;
using Dsa = v1::DataSharingAgreement;

// Record kinds and indexes within the service's key space.
constexpr char kContract[] = "contract";
constexpr char kContracts[] = "contracts";
constexpr char kContractsOf[] = "contracts-of";
constexpr char kDsa[] = "dsa";
constexpr char kDsasOf[] = "dsas-of";
constexpr char kDsaBetween[] = "dsa-between";
constexpr char kSubContract[] = "sub-contract";
constexpr char kSubContracts[] = "sub-contracts";
constexpr char kSubContractOf[] = "sub-contract-of";
constexpr char kShare[] = "contracted-share";
constexpr char kShareTotal[] = "total";
constexpr char kOutcomePayment[] = "outcome-payment";
constexpr char kOutcomePayments[] = "outcome-payments";

constexpr char kContractsSegment[] = "contracts";
constexpr char kSubContractsSegment[] = "subContracts";
constexpr char kPaymentsSegment[] = "outcomePayments";
constexpr char kParticipantsSegment[] = "participants";
constexpr char kAgreementsPrefix[] = "dataSharingAgreements/";
constexpr char kEverySubContract[] = "-";
constexpr int kMaxShare = 100;
// Agreements between one pair of organisations: read in pages this size.
constexpr int kPairPage = 100;

// ---- Names

std::string ContractName(absl::string_view id) {
  return absl::StrCat(kContractsSegment, "/", id);
}

std::string SubContractName(absl::string_view contract, absl::string_view id) {
  return absl::StrCat(ContractName(contract), "/", kSubContractsSegment, "/",
                      id);
}

std::string PaymentName(absl::string_view contract,
                        absl::string_view sub_contract, absl::string_view id) {
  return absl::StrCat(SubContractName(contract, sub_contract), "/",
                      kPaymentsSegment, "/", id);
}

// The id of a contract as read from the store.
std::string ContractIdOf(const v1::Contract& contract) {
  return contract.name().substr(contract.name().rfind('/') + 1);
}

std::string AgreementName(absl::string_view id) {
  return absl::StrCat(kAgreementsPrefix, id);
}

// The segments of `name` when it has the shape `form` ("contracts", "",
// "subContracts", ""): the fixed segments equal, the ids checked.
absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view field, absl::string_view name,
    const std::vector<absl::string_view>& form, bool wildcard_last = false) {
  if (name.empty()) return RequiredField(field);
  const std::string shape = absl::StrCat(
      "must be ",
      absl::StrJoin(form, "/", [](std::string* out, absl::string_view part) {
        absl::StrAppend(out, part.empty() ? "{id}" : part);
      }));
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != form.size()) return InvalidField(field, shape);
  for (size_t i = 0; i < form.size(); ++i) {
    if (!form[i].empty()) {
      if (parts[i] != form[i]) return InvalidField(field, shape);
      continue;
    }
    if (wildcard_last && i + 1 == form.size() && parts[i] == kEverySubContract)
      continue;
    if (i == 1 && form[0] == kContractsSegment) {
      RETURN_IF_ERROR(CheckOrganisationId(field, parts[i]));
    } else {
      RETURN_IF_ERROR(CheckResourceId(field, parts[i]));
    }
  }
  return parts;
}

absl::StatusOr<std::string> ParseContractName(absl::string_view field,
                                              absl::string_view name) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts,
                   ParseName(field, name, {kContractsSegment, ""}));
  return parts[1];
}

struct SubContractRef {
  std::string contract;
  std::string sub_contract;  // "-" for every one, where allowed
};

absl::StatusOr<SubContractRef> ParseSubContractName(absl::string_view field,
                                                    absl::string_view name,
                                                    bool allow_every = false) {
  ASSIGN_OR_RETURN(
      std::vector<std::string> parts,
      ParseName(field, name, {kContractsSegment, "", kSubContractsSegment, ""},
                allow_every));
  return SubContractRef{parts[1], parts[3]};
}

struct PaymentRef {
  std::string contract;
  std::string sub_contract;
  std::string payment;
};

absl::StatusOr<PaymentRef> ParsePaymentName(absl::string_view field,
                                            absl::string_view name) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts,
                   ParseName(field, name,
                             {kContractsSegment, "", kSubContractsSegment, "",
                              kPaymentsSegment, ""}));
  return PaymentRef{parts[1], parts[3], parts[5]};
}

absl::StatusOr<std::string> ParseAgreementName(absl::string_view field,
                                               absl::string_view name) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts,
                   ParseName(field, name, {"dataSharingAgreements", ""}));
  return parts[1];
}

// ---- Field checks shared by the records

absl::Status CheckStandards(absl::string_view prefix,
                            const v1::ServiceStandards& standards) {
  const std::pair<const char*, int> fields[] = {
      {"respond_within_days", standards.respond_within_days()},
      {"start_within_days", standards.start_within_days()},
      {"close_within_days", standards.close_within_days()}};
  for (const auto& [name, days] : fields) {
    if (days < 0 || days > kMaxStandardDays) {
      return InvalidField(FieldPath(prefix, name),
                          absl::StrCat("must be 0..", kMaxStandardDays,
                                       " working days (0: the default)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPaymentModel(absl::string_view field,
                               v1::PaymentModel model) {
  if (model == v1::PAYMENT_MODEL_UNSPECIFIED) return RequiredField(field);
  if (!v1::PaymentModel_IsValid(model)) {
    return InvalidField(field, "must be one of the listed payment models");
  }
  return absl::OkStatus();
}

absl::Status CheckNotNegative(absl::string_view field, int64_t value) {
  if (value < 0) return InvalidField(field, "must not be negative");
  return absl::OkStatus();
}

struct Period {
  absl::CivilDay start;
  absl::CivilDay end;
};

// Both dates required, end after start.
absl::StatusOr<Period> CheckPeriod(absl::string_view prefix,
                                   const type::v1::Date& start,
                                   const type::v1::Date& end) {
  ASSIGN_OR_RETURN(
      absl::CivilDay first,
      validation::ToCivilDay(FieldPath(prefix, "start_date"), start));
  ASSIGN_OR_RETURN(absl::CivilDay last,
                   validation::ToCivilDay(FieldPath(prefix, "end_date"), end));
  if (last <= first) {
    return InvalidField(FieldPath(prefix, "end_date"),
                        "must be after start_date");
  }
  return Period{first, last};
}

// A date whose fields are all zero is not set.
bool IsSet(const type::v1::Date& date) {
  return date.year() != 0 || date.month() != 0 || date.day() != 0;
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

// The standards in force: each 0 replaced by the fallback's, then by the
// default.
v1::ServiceStandards InForce(const v1::ServiceStandards& own,
                             const v1::ServiceStandards& fallback) {
  const auto pick = [](int own_days, int fallback_days, int default_days) {
    if (own_days > 0) return own_days;
    return fallback_days > 0 ? fallback_days : default_days;
  };
  v1::ServiceStandards standards;
  standards.set_respond_within_days(pick(own.respond_within_days(),
                                         fallback.respond_within_days(),
                                         kDefaultRespondWithinDays));
  standards.set_start_within_days(pick(own.start_within_days(),
                                       fallback.start_within_days(),
                                       kDefaultStartWithinDays));
  standards.set_close_within_days(pick(own.close_within_days(),
                                       fallback.close_within_days(),
                                       kDefaultCloseWithinDays));
  return standards;
}

// ---- Contracts

// An organisation id a record names: required.
absl::Status CheckParty(absl::string_view field, const std::string& id) {
  if (id.empty()) return RequiredField(field);
  return CheckOrganisationId(field, id);
}

absl::Status NormaliseContract(absl::string_view prefix, v1::Contract& c) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "display_name"), c.display_name(),
                            kMaxDisplayName,
                            /*required=*/true));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "programme"), c.programme(),
                            kMaxDisplayName, /*required=*/true));
  RETURN_IF_ERROR(
      CheckParty(FieldPath(prefix, "commissioner"), c.commissioner()));
  RETURN_IF_ERROR(
      CheckParty(FieldPath(prefix, "prime_provider"), c.prime_provider()));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "contract_area"),
                            c.contract_area(), kMaxDisplayName,
                            /*required=*/false));
  RETURN_IF_ERROR(stored::NormaliseAreas(FieldPath(prefix, "area_districts"),
                                         *c.mutable_area_districts()));
  if (c.nation() == v1::NATION_UNSPECIFIED) {
    return RequiredField(FieldPath(prefix, "nation"));
  }
  if (!v1::Nation_IsValid(c.nation())) {
    return InvalidField(FieldPath(prefix, "nation"),
                        "must be one of the listed nations");
  }
  RETURN_IF_ERROR(CheckPeriod(prefix, c.start_date(), c.end_date()).status());
  RETURN_IF_ERROR(CheckNotNegative(FieldPath(prefix, "expected_referrals"),
                                   c.expected_referrals()));
  RETURN_IF_ERROR(
      CheckPaymentModel(FieldPath(prefix, "payment_model"), c.payment_model()));
  return CheckStandards(FieldPath(prefix, "service_standards"),
                        c.service_standards());
}

v1::ContractFacts FactsOf(const v1::Contract& c) {
  v1::ContractFacts facts;
  facts.set_contract(c.name());
  facts.set_programme(c.programme());
  facts.set_commissioner(c.commissioner());
  facts.set_prime_provider(c.prime_provider());
  facts.set_nation(c.nation());
  *facts.mutable_area_districts() = c.area_districts();
  *facts.mutable_start_date() = c.start_date();
  *facts.mutable_end_date() = c.end_date();
  facts.set_expected_referrals(c.expected_referrals());
  facts.set_payment_model(c.payment_model());
  *facts.mutable_service_standards() = c.service_standards();
  facts.set_state(c.state());
  return facts;
}

// ---- Sub-contracts

absl::Status NormaliseSubContract(absl::string_view prefix,
                                  v1::SubContract& s) {
  RETURN_IF_ERROR(
      CheckParty(FieldPath(prefix, "sub_contractor"), s.sub_contractor()));
  RETURN_IF_ERROR(CheckPeriod(prefix, s.start_date(), s.end_date()).status());
  RETURN_IF_ERROR(CheckNotNegative(FieldPath(prefix, "expected_referrals"),
                                   s.expected_referrals()));
  if (s.contracted_share_percent() < 0 ||
      s.contracted_share_percent() > kMaxShare) {
    return InvalidField(FieldPath(prefix, "contracted_share_percent"),
                        "must be 0..100");
  }
  RETURN_IF_ERROR(
      CheckPaymentModel(FieldPath(prefix, "payment_model"), s.payment_model()));
  return CheckStandards(FieldPath(prefix, "service_standards"),
                        s.service_standards());
}

// A sub-contract runs within its contract's dates.
absl::Status CheckWithinContract(absl::string_view prefix,
                                 const v1::SubContract& s,
                                 const v1::Contract& c) {
  ASSIGN_OR_RETURN(Period own,
                   CheckPeriod(prefix, s.start_date(), s.end_date()));
  ASSIGN_OR_RETURN(Period whole,
                   CheckPeriod("contract", c.start_date(), c.end_date()));
  if (own.start < whole.start) {
    return InvalidField(FieldPath(prefix, "start_date"),
                        absl::StrCat("must not be before the contract's "
                                     "start_date, ",
                                     DayText(whole.start)));
  }
  if (own.end > whole.end) {
    return InvalidField(FieldPath(prefix, "end_date"),
                        absl::StrCat("must not be after the contract's "
                                     "end_date, ",
                                     DayText(whole.end)));
  }
  return absl::OkStatus();
}

int ActiveShare(const v1::SubContract& s) {
  return s.state() == v1::SubContract::ACTIVE ? s.contracted_share_percent()
                                              : 0;
}

v1::SubContractFacts FactsOf(const v1::SubContract& s, const v1::Contract& c) {
  v1::SubContractFacts facts;
  facts.set_sub_contract(s.name());
  facts.set_contract(c.name());
  facts.set_prime_provider(c.prime_provider());
  facts.set_sub_contractor(s.sub_contractor());
  *facts.mutable_start_date() = s.start_date();
  *facts.mutable_end_date() = s.end_date();
  facts.set_expected_referrals(s.expected_referrals());
  facts.set_contracted_share_percent(s.contracted_share_percent());
  facts.set_payment_model(s.payment_model());
  *facts.mutable_service_standards() =
      InForce(s.service_standards(), c.service_standards());
  facts.set_state(s.state());
  return facts;
}

// ---- Outcome payments

// Checks the fields a caller sets and fills days_to_pay and paid. `today`
// is the Europe/London date.
absl::Status NormalisePayment(absl::string_view prefix,
                              const std::string& contract, absl::CivilDay today,
                              v1::OutcomePayment& p) {
  const std::string outcome = FieldPath(prefix, "outcome");
  if (p.outcome() == v1::OutcomePayment::OUTCOME_TYPE_UNSPECIFIED) {
    return RequiredField(outcome);
  }
  if (!v1::OutcomePayment::OutcomeType_IsValid(p.outcome())) {
    return InvalidField(outcome, "must be one of the listed outcome types");
  }
  if (!p.participant().empty()) {
    const std::string field = FieldPath(prefix, "participant");
    ASSIGN_OR_RETURN(
        std::vector<std::string> parts,
        ParseName(field, p.participant(),
                  {kContractsSegment, "", kParticipantsSegment, ""}));
    if (parts[1] != contract) {
      return InvalidField(field, absl::StrCat("must be a participant of ",
                                              ContractName(contract)));
    }
  }
  if (p.amount_pence() <= 0) {
    return InvalidField(FieldPath(prefix, "amount_pence"),
                        "must be more than 0");
  }
  const std::string claim_field = FieldPath(prefix, "claim_date");
  ASSIGN_OR_RETURN(absl::CivilDay claimed,
                   validation::ToCivilDay(claim_field, p.claim_date()));
  RETURN_IF_ERROR(
      validation::CheckNotAfter(claim_field, claimed, today, "today"));
  p.set_paid(false);
  p.set_days_to_pay(0);
  if (!IsSet(p.paid_date())) {
    p.clear_paid_date();
    return absl::OkStatus();
  }
  const std::string paid_field = FieldPath(prefix, "paid_date");
  ASSIGN_OR_RETURN(absl::CivilDay paid,
                   validation::ToCivilDay(paid_field, p.paid_date()));
  RETURN_IF_ERROR(validation::CheckNotAfter(paid_field, paid, today, "today"));
  if (paid < claimed) {
    return InvalidField(paid_field, "must not be before claim_date");
  }
  p.set_paid(true);
  p.set_days_to_pay(static_cast<int32_t>(paid - claimed));
  return absl::OkStatus();
}

v1::OutcomePaymentFacts FactsOf(const v1::OutcomePayment& p,
                                const v1::SubContract& s,
                                const v1::Contract& c) {
  v1::OutcomePaymentFacts facts;
  facts.set_outcome_payment(p.name());
  facts.set_contract(c.name());
  facts.set_sub_contract(s.name());
  facts.set_prime_provider(c.prime_provider());
  facts.set_sub_contractor(s.sub_contractor());
  facts.set_outcome(p.outcome());
  facts.set_participant(p.participant());
  facts.set_amount_pence(p.amount_pence());
  *facts.mutable_claim_date() = p.claim_date();
  if (p.has_paid_date()) *facts.mutable_paid_date() = p.paid_date();
  facts.set_days_to_pay(p.days_to_pay());
  facts.set_paid(p.paid());
  return facts;
}

// ---- Data-sharing agreements

bool IsSpecialCategory(int category) {
  return category == participants::v1::HEALTH ||
         category == participants::v1::EQUALITY;
}

bool SharesSpecialCategory(const Dsa& a) {
  return std::any_of(a.data_categories().begin(), a.data_categories().end(),
                     IsSpecialCategory);
}

absl::Status CheckParties(absl::string_view prefix, const Dsa& a) {
  const std::string field = FieldPath(prefix, "parties");
  if (a.parties().empty()) return RequiredField(field);
  if (a.parties_size() != 2) {
    return InvalidField(field, "must name exactly two organisations");
  }
  for (int i = 0; i < 2; ++i) {
    RETURN_IF_ERROR(
        CheckOrganisationId(absl::StrCat(field, "[", i, "]"), a.parties(i)));
  }
  if (a.parties(0) == a.parties(1)) {
    return InvalidField(field, "must name two different organisations");
  }
  return absl::OkStatus();
}

absl::Status CheckCategories(absl::string_view field, const Dsa& a) {
  if (a.data_categories().empty()) return RequiredField(field);
  std::set<int> seen;
  for (int i = 0; i < a.data_categories_size(); ++i) {
    const int category = a.data_categories(i);
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (category == participants::v1::DATA_CATEGORY_UNSPECIFIED ||
        !participants::v1::DataCategory_IsValid(category)) {
      return InvalidField(at, "must be one of the listed data categories");
    }
    if (!seen.insert(category).second) {
      return InvalidField(at, "is listed twice");
    }
  }
  return absl::OkStatus();
}

absl::Status NormaliseAgreement(absl::string_view prefix, const Dsa& a) {
  RETURN_IF_ERROR(CheckParties(prefix, a));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "purpose"), a.purpose(),
                            kMaxPurpose, /*required=*/true));
  RETURN_IF_ERROR(CheckCategories(FieldPath(prefix, "data_categories"), a));
  const std::string basis = FieldPath(prefix, "lawful_basis");
  if (a.lawful_basis() == Dsa::LAWFUL_BASIS_UNSPECIFIED) {
    return RequiredField(basis);
  }
  if (!Dsa::LawfulBasis_IsValid(a.lawful_basis())) {
    return InvalidField(basis, "must be one of the listed lawful bases");
  }
  const std::string condition = FieldPath(prefix, "special_category_condition");
  // UK GDPR Article 9: special category data needs a condition of its own
  // beside the Article 6 basis.
  RETURN_IF_ERROR(CheckText(condition, a.special_category_condition(),
                            kMaxPurpose,
                            /*required=*/SharesSpecialCategory(a)));
  if (!a.has_start_time())
    return RequiredField(FieldPath(prefix, "start_time"));
  if (a.has_end_time() &&
      FromProtoTimestamp(a.end_time()) <= FromProtoTimestamp(a.start_time())) {
    return InvalidField(FieldPath(prefix, "end_time"),
                        "must be after start_time");
  }
  return absl::OkStatus();
}

// The moves a status may make (UpdateDataSharingAgreement's comment).
absl::Status CheckStatusMove(absl::string_view field, Dsa::Status from,
                             Dsa::Status to) {
  if (to == Dsa::STATUS_UNSPECIFIED || !Dsa::Status_IsValid(to)) {
    return InvalidField(field, "must be one of the listed statuses");
  }
  if (from == to) return absl::OkStatus();
  const bool legal =
      from != Dsa::ENDED &&
      (to == Dsa::ENDED || (from == Dsa::DRAFT && to == Dsa::ACTIVE) ||
       (from == Dsa::ACTIVE && to == Dsa::SUSPENDED) ||
       (from == Dsa::SUSPENDED && to == Dsa::ACTIVE));
  if (legal) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      field, ": the agreement is ", Dsa::Status_Name(from),
      from == Dsa::ENDED
          ? ", which is final"
          : absl::StrCat(" and cannot move to ", Dsa::Status_Name(to))));
}

std::pair<std::string, std::string> Pair(const std::string& a,
                                         const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

std::string PairIndex(const KeySpace& keys, const std::string& a,
                      const std::string& b) {
  const auto [low, high] = Pair(a, b);
  return keys.Index(kDsaBetween, absl::StrCat(low, ":", high));
}

v1::DataSharingAgreementFacts FactsOf(const Dsa& a) {
  v1::DataSharingAgreementFacts facts;
  facts.set_data_sharing_agreement(a.name());
  *facts.mutable_parties() = a.parties();
  *facts.mutable_data_categories() = a.data_categories();
  facts.set_lawful_basis(a.lawful_basis());
  facts.set_special_category(SharesSpecialCategory(a));
  *facts.mutable_start_time() = a.start_time();
  if (a.has_end_time()) *facts.mutable_end_time() = a.end_time();
  facts.set_status(a.status());
  return facts;
}

bool InForceAt(const Dsa& a, absl::Time at) {
  return a.status() == Dsa::ACTIVE &&
         FromProtoTimestamp(a.start_time()) <= at &&
         (!a.has_end_time() || at < FromProtoTimestamp(a.end_time()));
}

// ---- Updates

// The service_standards paths, for both kinds of contract.
template <typename M>
void AddStandardsFields(stored::FieldCopies<M>& fields) {
  fields.push_back({"service_standards", [](const M& f, M& t) {
                      *t.mutable_service_standards() = f.service_standards();
                    }});
  fields.push_back(
      {"service_standards.respond_within_days", [](const M& f, M& t) {
         t.mutable_service_standards()->set_respond_within_days(
             f.service_standards().respond_within_days());
       }});
  fields.push_back(
      {"service_standards.start_within_days", [](const M& f, M& t) {
         t.mutable_service_standards()->set_start_within_days(
             f.service_standards().start_within_days());
       }});
  fields.push_back(
      {"service_standards.close_within_days", [](const M& f, M& t) {
         t.mutable_service_standards()->set_close_within_days(
             f.service_standards().close_within_days());
       }});
}

const stored::FieldCopies<v1::Contract>& ContractFields() {
  using C = v1::Contract;
  static const auto* fields = [] {
    auto* f = new stored::FieldCopies<C>{
        {"display_name",
         [](const C& f, C& t) { t.set_display_name(f.display_name()); }},
        {"programme", [](const C& f, C& t) { t.set_programme(f.programme()); }},
        {"contract_area",
         [](const C& f, C& t) { t.set_contract_area(f.contract_area()); }},
        {"area_districts",
         [](const C& f, C& t) {
           *t.mutable_area_districts() = f.area_districts();
         }},
        {"nation", [](const C& f, C& t) { t.set_nation(f.nation()); }},
        {"start_date",
         [](const C& f, C& t) { *t.mutable_start_date() = f.start_date(); }},
        {"end_date",
         [](const C& f, C& t) { *t.mutable_end_date() = f.end_date(); }},
        {"expected_referrals",
         [](const C& f, C& t) {
           t.set_expected_referrals(f.expected_referrals());
         }},
        {"payment_model",
         [](const C& f, C& t) { t.set_payment_model(f.payment_model()); }},
        {"state", [](const C& f, C& t) { t.set_state(f.state()); }},
    };
    AddStandardsFields(*f);
    return f;
  }();
  return *fields;
}

const stored::FieldCopies<v1::SubContract>& SubContractFields() {
  using S = v1::SubContract;
  static const auto* fields = [] {
    auto* f = new stored::FieldCopies<S>{
        {"start_date",
         [](const S& f, S& t) { *t.mutable_start_date() = f.start_date(); }},
        {"end_date",
         [](const S& f, S& t) { *t.mutable_end_date() = f.end_date(); }},
        {"expected_referrals",
         [](const S& f, S& t) {
           t.set_expected_referrals(f.expected_referrals());
         }},
        {"contracted_share_percent",
         [](const S& f, S& t) {
           t.set_contracted_share_percent(f.contracted_share_percent());
         }},
        {"payment_model",
         [](const S& f, S& t) { t.set_payment_model(f.payment_model()); }},
        {"state", [](const S& f, S& t) { t.set_state(f.state()); }},
    };
    AddStandardsFields(*f);
    return f;
  }();
  return *fields;
}

const stored::FieldCopies<v1::OutcomePayment>& PaymentFields() {
  using P = v1::OutcomePayment;
  static const auto* fields = new stored::FieldCopies<P>{
      {"paid_date",
       [](const P& f, P& t) {
         if (f.has_paid_date()) {
           *t.mutable_paid_date() = f.paid_date();
         } else {
           t.clear_paid_date();
         }
       }},
      {"amount_pence",
       [](const P& f, P& t) { t.set_amount_pence(f.amount_pence()); }},
  };
  return *fields;
}

const stored::FieldCopies<Dsa>& AgreementFields() {
  static const auto* fields = new stored::FieldCopies<Dsa>{
      {"purpose", [](const Dsa& f, Dsa& t) { t.set_purpose(f.purpose()); }},
      {"data_categories",
       [](const Dsa& f, Dsa& t) {
         *t.mutable_data_categories() = f.data_categories();
       }},
      {"lawful_basis",
       [](const Dsa& f, Dsa& t) { t.set_lawful_basis(f.lawful_basis()); }},
      {"special_category_condition",
       [](const Dsa& f, Dsa& t) {
         t.set_special_category_condition(f.special_category_condition());
       }},
      {"start_time",
       [](const Dsa& f, Dsa& t) { *t.mutable_start_time() = f.start_time(); }},
      {"end_time",
       [](const Dsa& f, Dsa& t) {
         if (f.has_end_time()) {
           *t.mutable_end_time() = f.end_time();
         } else {
           t.clear_end_time();
         }
       }},
      {"status", [](const Dsa& f, Dsa& t) { t.set_status(f.status()); }},
  };
  return *fields;
}

// ACTIVE may become ENDED; ENDED is final.
template <typename State>
absl::Status CheckEndedIsFinal(absl::string_view field, absl::string_view what,
                               State from, State to, State active,
                               State ended) {
  if (to != active && to != ended) {
    return InvalidField(field, "must be ACTIVE or ENDED");
  }
  if (from == ended && to != ended) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": the ", what, " is ENDED, which is final"));
  }
  return absl::OkStatus();
}

// ---- Reach

// A member of staff whose call carries no scope reaches nothing.
bool HasScope(const auth::Caller& caller) {
  return caller.scope != auth::v1::SCOPE_UNSPECIFIED;
}

absl::Status ContractDenied(const auth::Caller& caller, const std::string& id,
                            AgreementRecords::Need need) {
  if (need == AgreementRecords::Need::kSee) {
    return absl::PermissionDeniedError(
        absl::StrCat(ContractName(id),
                     " is seen only by its commissioner, prime provider and "
                     "sub-contractors: organisation ",
                     caller.organisation, " may not reach it"));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      ContractName(id),
      " is changed only by its commissioner or prime provider: organisation ",
      caller.organisation, " may not change it"));
}

absl::Status SubContractDenied(const auth::Caller& caller,
                               const std::string& name,
                               AgreementRecords::Need need) {
  absl::string_view who =
      need == AgreementRecords::Need::kSee
          ? " is seen only by the contract's commissioner and prime provider "
            "and the sub-contractor"
      : need == AgreementRecords::Need::kClaim
          ? " takes claims only from the sub-contractor or the prime provider"
          : " is changed only by the contract's prime provider";
  return absl::PermissionDeniedError(absl::StrCat(
      name, who, ": organisation ", caller.organisation, " may not reach it"));
}

absl::Status AgreementDenied(const auth::Caller& caller,
                             const std::string& name) {
  return absl::PermissionDeniedError(
      absl::StrCat(name, " is reached only by its two parties: organisation ",
                   caller.organisation, " may not reach it"));
}

bool IsParty(const Dsa& a, const std::string& organisation) {
  return std::find(a.parties().begin(), a.parties().end(), organisation) !=
         a.parties().end();
}

}  // namespace

// ---- The records

AgreementRecords::AgreementRecords(storage::Store& store, const Clock& clock,
                                   IdSource& ids,
                                   OrganisationDirectory& directory)
    : store_(store),
      clock_(clock),
      ids_(ids),
      directory_(directory),
      events_(store, clock, ids) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) {
    EMP_LOG(WARNING) << "no tzdata for Europe/London; dates use UTC";
    london_ = absl::UTCTimeZone();
  }
}

KeySpace AgreementRecords::GlobalKeys() const {
  return KeySpace(kServiceKeyspace, kDirectoryTenancy);
}

KeySpace AgreementRecords::ContractKeys(const std::string& contract) const {
  return KeySpace(kServiceKeyspace, storage::ContractTenancy(contract));
}

absl::CivilDay AgreementRecords::Today() const {
  return absl::ToCivilDay(clock_.Now(), london_);
}

// ---- Loading

absl::StatusOr<AgreementRecords::Loaded<v1::Contract>>
AgreementRecords::LoadContract(absl::string_view field, const std::string& id) {
  return stored::Load<v1::Contract>(
      store_, GlobalKeys().Record(kContract, id),
      absl::StrCat(field, ": contract ", ContractName(id), " not found"));
}

absl::StatusOr<AgreementRecords::Loaded<v1::SubContract>>
AgreementRecords::LoadSubContract(absl::string_view field,
                                  const std::string& contract,
                                  const std::string& id) {
  return stored::Load<v1::SubContract>(
      store_, ContractKeys(contract).Record(kSubContract, id),
      absl::StrCat(field, ": sub-contract ", SubContractName(contract, id),
                   " not found"));
}

absl::StatusOr<AgreementRecords::Loaded<v1::OutcomePayment>>
AgreementRecords::LoadOutcomePayment(absl::string_view field,
                                     const std::string& contract,
                                     const std::string& sub_contract,
                                     const std::string& id) {
  return stored::Load<v1::OutcomePayment>(
      store_, ContractKeys(contract).Child(kOutcomePayment, sub_contract, id),
      absl::StrCat(field, ": outcome payment ",
                   PaymentName(contract, sub_contract, id), " not found"));
}

absl::StatusOr<AgreementRecords::Loaded<Dsa>> AgreementRecords::LoadAgreement(
    absl::string_view field, const std::string& id) {
  return stored::Load<Dsa>(store_, GlobalKeys().Record(kDsa, id),
                           absl::StrCat(field, ": data-sharing agreement ",
                                        AgreementName(id), " not found"));
}

absl::Status AgreementRecords::CheckOrganisationIs(
    absl::string_view field, const std::string& id,
    const std::set<v1::OrganisationType>& types, bool must_be_active) {
  ASSIGN_OR_RETURN(v1::Organisation organisation,
                   directory_.ReadOrganisation(field, id));
  if (!types.count(organisation.type())) {
    std::vector<std::string> names;
    for (v1::OrganisationType type : types) {
      names.push_back(v1::OrganisationType_Name(type));
    }
    return InvalidField(
        field, absl::StrCat("organisation ", organisation.name(), " is a ",
                            v1::OrganisationType_Name(organisation.type()),
                            ", not a ", absl::StrJoin(names, " or ")));
  }
  if (must_be_active && !organisation.active()) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": organisation ", organisation.name(), " is inactive"));
  }
  return absl::OkStatus();
}

// ---- Reach

absl::StatusOr<bool> AgreementRecords::MaySeeContract(
    const auth::Caller& caller, const v1::Contract& contract) {
  if (caller.is_service()) return true;
  if (!HasScope(caller)) return false;
  if (caller.organisation == contract.commissioner() ||
      caller.organisation == contract.prime_provider()) {
    return true;
  }
  if (caller.organisation.empty()) return false;
  const std::string id = ContractIdOf(contract);
  ASSIGN_OR_RETURN(
      std::vector<std::string> held,
      store_.IndexRange(
          ContractKeys(id).Index(kSubContractOf, caller.organisation), "", 1));
  return !held.empty();
}

absl::StatusOr<AgreementRecords::Loaded<v1::Contract>>
AgreementRecords::ContractFor(const auth::Caller& caller,
                              absl::string_view field, const std::string& id,
                              Need need) {
  absl::StatusOr<Loaded<v1::Contract>> loaded = LoadContract(field, id);
  if (caller.is_service()) return loaded;
  if (!loaded.ok() && !absl::IsNotFound(loaded.status())) {
    return loaded.status();
  }
  bool reached = false;
  if (loaded.ok() && need == Need::kSee) {
    ASSIGN_OR_RETURN(reached, MaySeeContract(caller, loaded->message));
  } else if (loaded.ok()) {
    reached = HasScope(caller) &&
              (caller.organisation == loaded->message.commissioner() ||
               caller.organisation == loaded->message.prime_provider());
  }
  if (!reached) return ContractDenied(caller, id, need);
  return loaded;
}

absl::StatusOr<AgreementRecords::SubContractOf>
AgreementRecords::SubContractFor(const auth::Caller& caller,
                                 absl::string_view field,
                                 const std::string& contract,
                                 const std::string& id, Need need) {
  const std::string name = SubContractName(contract, id);
  absl::StatusOr<Loaded<v1::Contract>> c = LoadContract(field, contract);
  absl::StatusOr<Loaded<v1::SubContract>> s =
      c.ok() ? LoadSubContract(field, contract, id)
             : absl::StatusOr<Loaded<v1::SubContract>>(c.status());
  if (caller.is_service()) {
    RETURN_IF_ERROR(s.status());
    return SubContractOf{*std::move(c), *std::move(s)};
  }
  if (!s.ok() && !absl::IsNotFound(s.status())) return s.status();
  bool reached = false;
  if (s.ok() && HasScope(caller)) {
    const std::string& org = caller.organisation;
    const bool prime = org == c->message.prime_provider();
    const bool contractor = org == s->message.sub_contractor();
    switch (need) {
      case Need::kSee:
        reached = prime || contractor || org == c->message.commissioner();
        break;
      case Need::kClaim:
        reached = prime || contractor;
        break;
      case Need::kChange:
        reached = prime;
        break;
    }
  }
  if (!reached) return SubContractDenied(caller, name, need);
  return SubContractOf{*std::move(c), *std::move(s)};
}

absl::StatusOr<AgreementRecords::Loaded<Dsa>> AgreementRecords::AgreementFor(
    const auth::Caller& caller, absl::string_view field,
    const std::string& id) {
  absl::StatusOr<Loaded<Dsa>> loaded = LoadAgreement(field, id);
  if (caller.is_service()) return loaded;
  if (!loaded.ok() && !absl::IsNotFound(loaded.status())) {
    return loaded.status();
  }
  if (!loaded.ok() || !HasScope(caller) ||
      !IsParty(loaded->message, caller.organisation)) {
    return AgreementDenied(caller, AgreementName(id));
  }
  return loaded;
}

// ---- Contracts

absl::StatusOr<v1::Contract> AgreementRecords::CreateContract(
    const auth::Caller& caller, const v1::CreateContractRequest& request) {
  RETURN_IF_ERROR(CheckOrganisationId("contract_id", request.contract_id()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_contract()) return RequiredField("contract");
  v1::Contract contract = request.contract();
  RETURN_IF_ERROR(NormaliseContract("contract", contract));
  const std::string& id = request.contract_id();
  if (!caller.is_service() &&
      !(HasScope(caller) &&
        (caller.organisation == contract.commissioner() ||
         caller.organisation == contract.prime_provider()))) {
    return ContractDenied(caller, id, Need::kChange);
  }
  RETURN_IF_ERROR(CheckOrganisationIs("contract.commissioner",
                                      contract.commissioner(),
                                      {v1::COMMISSIONER}, false));
  RETURN_IF_ERROR(CheckOrganisationIs("contract.prime_provider",
                                      contract.prime_provider(),
                                      {v1::PRIME_PROVIDER}, false));
  // Output-only fields are ours to set, whatever the caller sent.
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  contract.set_name(ContractName(id));
  contract.set_state(v1::Contract::ACTIVE);
  *contract.mutable_create_time() = now;
  *contract.mutable_update_time() = now;
  contract.clear_etag();

  const KeySpace keys = GlobalKeys();
  const std::string fingerprint = idempotency::Fingerprint(request);
  v1::Contract first;  // a replay reads the contract as it is now
  first.set_name(contract.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectAbsent(keys.Record(kContract, id));
  batch.Put(keys.Record(kContract, id), stored::Encode(contract));
  batch.IndexAdd(keys.Index(kContracts), id);
  batch.IndexAdd(keys.Index(kContractsOf, contract.commissioner()), id);
  batch.IndexAdd(keys.Index(kContractsOf, contract.prime_provider()), id);
  v1::ContractCreated created;
  *created.mutable_facts() = FactsOf(contract);
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy,
                                 contract.name(), 1, created));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    contract.set_etag(stored::VersionTag(1));
    return contract;
  }
  if (result.failed_step == guard) {
    RETURN_IF_ERROR(
        idempotency::Replay(*result.found, fingerprint, "request_id", &first));
    ASSIGN_OR_RETURN(std::string replayed,
                     ParseContractName("name", first.name()));
    ASSIGN_OR_RETURN(Loaded<v1::Contract> loaded,
                     LoadContract("name", replayed));
    return std::move(loaded.message);
  }
  return absl::AlreadyExistsError(absl::StrCat(
      "contract_id: contract ", contract.name(), " is already recorded"));
}

absl::StatusOr<v1::Contract> AgreementRecords::GetContract(
    const auth::Caller& caller, const v1::GetContractRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseContractName("name", request.name()));
  ASSIGN_OR_RETURN(Loaded<v1::Contract> loaded,
                   ContractFor(caller, "name", id, Need::kSee));
  return std::move(loaded.message);
}

absl::StatusOr<v1::ListContractsResponse> AgreementRecords::ListContracts(
    const auth::Caller& caller, const v1::ListContractsRequest& request) {
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  if (!request.organisation().empty()) {
    RETURN_IF_ERROR(
        CheckOrganisationId("organisation", request.organisation()));
  }
  const KeySpace keys = GlobalKeys();
  const std::string index =
      request.organisation().empty()
          ? keys.Index(kContracts)
          : keys.Index(kContractsOf, request.organisation());
  v1::ListContractsResponse response;
  ASSIGN_OR_RETURN(
      std::string next,
      stored::Page(
          store_,
          [&](const std::string& id) { return keys.Record(kContract, id); },
          index, request.page_token(), stored::QueryDigest(request), page_size,
          [&](const std::string&,
              const storage::Record& record) -> absl::StatusOr<bool> {
            ASSIGN_OR_RETURN(v1::Contract contract,
                             stored::Decode<v1::Contract>(record));
            ASSIGN_OR_RETURN(bool seen, MaySeeContract(caller, contract));
            if (seen) *response.add_contracts() = std::move(contract);
            return seen;
          }));
  response.set_next_page_token(std::move(next));
  return response;
}

absl::StatusOr<v1::Contract> AgreementRecords::UpdateContract(
    const auth::Caller& caller, const v1::UpdateContractRequest& request) {
  ASSIGN_OR_RETURN(
      std::string id,
      ParseContractName("contract.name", request.contract().name()));
  ASSIGN_OR_RETURN(
      std::set<std::string> paths,
      UpdatePaths(request.update_mask(), stored::Updatable(ContractFields())));
  return stored::WriteWithRetries<v1::Contract>("contract", [&] {
    return UpdateContractOnce(caller, request, id, paths);
  });
}

absl::StatusOr<std::optional<v1::Contract>>
AgreementRecords::UpdateContractOnce(const auth::Caller& caller,
                                     const v1::UpdateContractRequest& request,
                                     const std::string& id,
                                     const std::set<std::string>& paths) {
  ASSIGN_OR_RETURN(Loaded<v1::Contract> loaded,
                   ContractFor(caller, "contract.name", id, Need::kChange));
  const v1::Contract& before = loaded.message;
  const stored::NamedEtag etag{request.contract().etag(), "contract.etag",
                               "contract"};
  RETURN_IF_ERROR(etag.Check(before.etag()));
  v1::Contract after = before;
  stored::Apply(ContractFields(), paths, request.contract(), after);
  RETURN_IF_ERROR(NormaliseContract("contract", after));
  RETURN_IF_ERROR(CheckEndedIsFinal("contract.state", "contract",
                                    before.state(), after.state(),
                                    v1::Contract::ACTIVE, v1::Contract::ENDED));
  const std::vector<std::string> changed =
      stored::ChangedPaths(ContractFields(), paths, before, after);
  // Nothing to write: no new version, no event, the record as it is.
  if (changed.empty()) return after;
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const std::string key = GlobalKeys().Record(kContract, id);
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, stored::Encode(after));
  v1::ContractUpdated updated;
  *updated.mutable_facts() = FactsOf(after);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy, after.name(),
                                 version, updated));
  return stored::CommitUpdate(store_, batch, std::move(after), version, etag);
}

// ---- The contracted share

absl::StatusOr<AgreementRecords::ShareTotal> AgreementRecords::ReadShareTotal(
    const std::string& contract) {
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> record,
      store_.Get(ContractKeys(contract).Record(kShare, kShareTotal)));
  ShareTotal share;
  if (!record.has_value()) return share;
  if (!absl::SimpleAtoi(record->value, &share.total)) {
    return absl::DataLossError("a stored share total is unreadable");
  }
  share.version = record->version;
  return share;
}

absl::Status AgreementRecords::MoveShareTotal(Batch& batch,
                                              const std::string& contract,
                                              const ShareTotal& now, int delta,
                                              absl::string_view field) {
  if (delta == 0) return absl::OkStatus();
  const int total = now.total + delta;
  if (delta > 0 && total > kMaxShare) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": the active sub-contracts of ", ContractName(contract),
        " would hold ", total, "% of its referrals; at most ", kMaxShare, "% (",
        now.total, "% is held now)"));
  }
  const std::string key = ContractKeys(contract).Record(kShare, kShareTotal);
  if (now.version == 0) {
    batch.ExpectAbsent(key);
  } else {
    batch.ExpectVersion(key, now.version);
  }
  batch.Put(key, absl::StrCat(total));
  return absl::OkStatus();
}

// ---- Sub-contracts

absl::StatusOr<v1::SubContract> AgreementRecords::CreateSubContract(
    const auth::Caller& caller, const v1::CreateSubContractRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   ParseContractName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_sub_contract()) return RequiredField("sub_contract");
  v1::SubContract proposed = request.sub_contract();
  RETURN_IF_ERROR(NormaliseSubContract("sub_contract", proposed));
  // Only the prime sub-contracts its contract.
  ASSIGN_OR_RETURN(Loaded<v1::Contract> parent,
                   ContractFor(caller, "parent", contract, Need::kChange));
  if (!caller.is_service() &&
      caller.organisation != parent.message.prime_provider()) {
    return ContractDenied(caller, contract, Need::kChange);
  }
  // A retry replays the first result before anything is checked again.
  const KeySpace keys = ContractKeys(contract);
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> earlier,
      store_.Get(keys.Idempotency(caller.organisation, request.request_id())));
  const std::string fingerprint = idempotency::Fingerprint(request);
  v1::SubContract first;
  if (earlier.has_value()) {
    RETURN_IF_ERROR(
        idempotency::Replay(*earlier, fingerprint, "request_id", &first));
    ASSIGN_OR_RETURN(SubContractRef ref,
                     ParseSubContractName("name", first.name()));
    ASSIGN_OR_RETURN(Loaded<v1::SubContract> loaded,
                     LoadSubContract("name", ref.contract, ref.sub_contract));
    return std::move(loaded.message);
  }
  if (parent.message.state() != v1::Contract::ACTIVE) {
    return absl::FailedPreconditionError(
        absl::StrCat("parent: contract ", parent.message.name(), " is ENDED"));
  }
  RETURN_IF_ERROR(
      CheckWithinContract("sub_contract", proposed, parent.message));
  RETURN_IF_ERROR(CheckOrganisationIs("sub_contract.sub_contractor",
                                      proposed.sub_contractor(),
                                      {v1::SUB_CONTRACTOR, v1::PARTNER_AGENCY},
                                      /*must_be_active=*/true));
  const std::string id = ids_.NewId();
  return stored::WriteWithRetries<v1::SubContract>(
      "contract's sub-contracts", [&] {
        return CreateSubContractOnce(caller, request, contract, id, proposed);
      });
}

absl::StatusOr<std::optional<v1::SubContract>>
AgreementRecords::CreateSubContractOnce(
    const auth::Caller& caller, const v1::CreateSubContractRequest& request,
    const std::string& contract, const std::string& id,
    const v1::SubContract& proposed) {
  ASSIGN_OR_RETURN(Loaded<v1::Contract> parent,
                   LoadContract("parent", contract));
  ASSIGN_OR_RETURN(ShareTotal share, ReadShareTotal(contract));
  v1::SubContract sub = proposed;
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  sub.set_name(SubContractName(contract, id));
  sub.set_state(v1::SubContract::ACTIVE);
  *sub.mutable_create_time() = now;
  *sub.mutable_update_time() = now;
  sub.clear_etag();

  const KeySpace keys = ContractKeys(contract);
  const std::string fingerprint = idempotency::Fingerprint(request);
  v1::SubContract first;
  first.set_name(sub.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  RETURN_IF_ERROR(MoveShareTotal(batch, contract, share, ActiveShare(sub),
                                 "sub_contract.contracted_share_percent"));
  batch.ExpectAbsent(keys.Record(kSubContract, id));
  batch.Put(keys.Record(kSubContract, id), stored::Encode(sub));
  batch.IndexAdd(keys.Index(kSubContracts), id);
  batch.IndexAdd(keys.Index(kSubContractOf, sub.sub_contractor()), id);
  v1::SubContractCreated created;
  *created.mutable_facts() = FactsOf(sub, parent.message);
  RETURN_IF_ERROR(events_.Append(batch, caller,
                                 storage::ContractTenancy(contract), sub.name(),
                                 1, created));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    sub.set_etag(stored::VersionTag(1));
    return sub;
  }
  if (result.failed_step == guard) {
    RETURN_IF_ERROR(
        idempotency::Replay(*result.found, fingerprint, "request_id", &first));
    ASSIGN_OR_RETURN(Loaded<v1::SubContract> loaded,
                     LoadSubContract("name", contract, id));
    return std::move(loaded.message);
  }
  return std::nullopt;  // the share moved meanwhile: read again and retry
}

absl::StatusOr<v1::SubContract> AgreementRecords::GetSubContract(
    const auth::Caller& caller, const v1::GetSubContractRequest& request) {
  ASSIGN_OR_RETURN(SubContractRef ref,
                   ParseSubContractName("name", request.name()));
  ASSIGN_OR_RETURN(SubContractOf found,
                   SubContractFor(caller, "name", ref.contract,
                                  ref.sub_contract, Need::kSee));
  return std::move(found.sub_contract.message);
}

absl::StatusOr<v1::ListSubContractsResponse> AgreementRecords::ListSubContracts(
    const auth::Caller& caller, const v1::ListSubContractsRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   ParseContractName("parent", request.parent()));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  ASSIGN_OR_RETURN(Loaded<v1::Contract> parent,
                   ContractFor(caller, "parent", contract, Need::kSee));
  // A sub-contractor sees its own sub-contracts only: walk its index.
  const KeySpace keys = ContractKeys(contract);
  const bool whole = caller.is_service() ||
                     caller.organisation == parent.message.commissioner() ||
                     caller.organisation == parent.message.prime_provider();
  const std::string index =
      whole ? keys.Index(kSubContracts)
            : keys.Index(kSubContractOf, caller.organisation);
  v1::ListSubContractsResponse response;
  ASSIGN_OR_RETURN(
      std::string next,
      stored::Page(
          store_,
          [&](const std::string& id) { return keys.Record(kSubContract, id); },
          index, request.page_token(), stored::QueryDigest(request), page_size,
          [&](const std::string&,
              const storage::Record& record) -> absl::StatusOr<bool> {
            ASSIGN_OR_RETURN(v1::SubContract sub,
                             stored::Decode<v1::SubContract>(record));
            *response.add_sub_contracts() = std::move(sub);
            return true;
          }));
  response.set_next_page_token(std::move(next));
  return response;
}

absl::StatusOr<v1::SubContract> AgreementRecords::UpdateSubContract(
    const auth::Caller& caller, const v1::UpdateSubContractRequest& request) {
  ASSIGN_OR_RETURN(
      SubContractRef ref,
      ParseSubContractName("sub_contract.name", request.sub_contract().name()));
  ASSIGN_OR_RETURN(std::set<std::string> paths,
                   UpdatePaths(request.update_mask(),
                               stored::Updatable(SubContractFields())));
  return stored::WriteWithRetries<v1::SubContract>("sub-contract", [&] {
    return UpdateSubContractOnce(caller, request, ref.contract,
                                 ref.sub_contract, paths);
  });
}

absl::StatusOr<std::optional<v1::SubContract>>
AgreementRecords::UpdateSubContractOnce(
    const auth::Caller& caller, const v1::UpdateSubContractRequest& request,
    const std::string& contract, const std::string& id,
    const std::set<std::string>& paths) {
  ASSIGN_OR_RETURN(
      SubContractOf found,
      SubContractFor(caller, "sub_contract.name", contract, id, Need::kChange));
  const v1::SubContract& before = found.sub_contract.message;
  const stored::NamedEtag etag{request.sub_contract().etag(),
                               "sub_contract.etag", "sub-contract"};
  RETURN_IF_ERROR(etag.Check(before.etag()));
  v1::SubContract after = before;
  stored::Apply(SubContractFields(), paths, request.sub_contract(), after);
  RETURN_IF_ERROR(NormaliseSubContract("sub_contract", after));
  RETURN_IF_ERROR(CheckEndedIsFinal(
      "sub_contract.state", "sub-contract", before.state(), after.state(),
      v1::SubContract::ACTIVE, v1::SubContract::ENDED));
  const std::vector<std::string> changed =
      stored::ChangedPaths(SubContractFields(), paths, before, after);
  if (changed.empty()) return after;  // nothing to write
  RETURN_IF_ERROR(
      CheckWithinContract("sub_contract", after, found.contract.message));
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const KeySpace keys = ContractKeys(contract);
  const std::string key = keys.Record(kSubContract, id);
  const int64_t version = found.sub_contract.version + 1;
  Batch batch;
  batch.ExpectVersion(key, found.sub_contract.version);
  const int delta = ActiveShare(after) - ActiveShare(before);
  if (delta != 0) {
    ASSIGN_OR_RETURN(ShareTotal share, ReadShareTotal(contract));
    RETURN_IF_ERROR(MoveShareTotal(batch, contract, share, delta,
                                   "sub_contract.contracted_share_percent"));
  }
  batch.Put(key, stored::Encode(after));
  v1::SubContractUpdated updated;
  *updated.mutable_facts() = FactsOf(after, found.contract.message);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  RETURN_IF_ERROR(events_.Append(batch, caller,
                                 storage::ContractTenancy(contract),
                                 after.name(), version, updated));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    after.set_etag(stored::VersionTag(version));
    return after;
  }
  // The share total moving is not the caller's stale read: retry even with
  // an etag, which the next round checks again.
  if (!etag.given.empty() && result.failed_step == 0) {
    return stored::StaleEtag(etag.field, etag.what);
  }
  return std::nullopt;
}

// ---- Outcome payments

absl::StatusOr<v1::OutcomePayment> AgreementRecords::CreateOutcomePayment(
    const auth::Caller& caller,
    const v1::CreateOutcomePaymentRequest& request) {
  ASSIGN_OR_RETURN(SubContractRef ref,
                   ParseSubContractName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_outcome_payment()) return RequiredField("outcome_payment");
  v1::OutcomePayment payment = request.outcome_payment();
  if (IsSet(payment.paid_date())) {
    return InvalidField("outcome_payment.paid_date",
                        "is set by UpdateOutcomePayment once paid, not on "
                        "the claim");
  }
  RETURN_IF_ERROR(
      NormalisePayment("outcome_payment", ref.contract, Today(), payment));
  ASSIGN_OR_RETURN(SubContractOf found,
                   SubContractFor(caller, "parent", ref.contract,
                                  ref.sub_contract, Need::kClaim));
  const std::string id = ids_.NewId();
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  payment.set_name(PaymentName(ref.contract, ref.sub_contract, id));
  *payment.mutable_create_time() = now;
  *payment.mutable_update_time() = now;
  payment.clear_etag();

  const KeySpace keys = ContractKeys(ref.contract);
  const std::string key = keys.Child(kOutcomePayment, ref.sub_contract, id);
  const std::string fingerprint = idempotency::Fingerprint(request);
  v1::OutcomePayment first;
  first.set_name(payment.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectAbsent(key);
  batch.Put(key, stored::Encode(payment));
  batch.IndexAdd(keys.Index(kOutcomePayments, ref.sub_contract), id);
  batch.IndexAdd(keys.Index(kOutcomePayments),
                 absl::StrCat(ref.sub_contract, ":", id));
  v1::OutcomePaymentClaimed claimed;
  *claimed.mutable_facts() =
      FactsOf(payment, found.sub_contract.message, found.contract.message);
  RETURN_IF_ERROR(events_.Append(batch, caller,
                                 storage::ContractTenancy(ref.contract),
                                 payment.name(), 1, claimed));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    payment.set_etag(stored::VersionTag(1));
    return payment;
  }
  if (result.failed_step != guard) {
    return absl::InternalError("a new outcome payment's id was taken");
  }
  RETURN_IF_ERROR(
      idempotency::Replay(*result.found, fingerprint, "request_id", &first));
  ASSIGN_OR_RETURN(PaymentRef replayed, ParsePaymentName("name", first.name()));
  ASSIGN_OR_RETURN(Loaded<v1::OutcomePayment> loaded,
                   LoadOutcomePayment("name", replayed.contract,
                                      replayed.sub_contract, replayed.payment));
  return std::move(loaded.message);
}

absl::StatusOr<v1::ListOutcomePaymentsResponse>
AgreementRecords::ListOutcomePayments(
    const auth::Caller& caller, const v1::ListOutcomePaymentsRequest& request) {
  ASSIGN_OR_RETURN(SubContractRef ref,
                   ParseSubContractName("parent", request.parent(),
                                        /*allow_every=*/true));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  const KeySpace keys = ContractKeys(ref.contract);
  std::string index;
  stored::KeyOf key_of;
  // Whether the caller sees each sub-contract's payments, as read.
  std::map<std::string, bool> seen;
  if (ref.sub_contract != kEverySubContract) {
    RETURN_IF_ERROR(SubContractFor(caller, "parent", ref.contract,
                                   ref.sub_contract, Need::kSee)
                        .status());
    index = keys.Index(kOutcomePayments, ref.sub_contract);
    key_of = [&](const std::string& id) {
      return keys.Child(kOutcomePayment, ref.sub_contract, id);
    };
    seen[ref.sub_contract] = true;
  } else {
    ASSIGN_OR_RETURN(Loaded<v1::Contract> parent,
                     ContractFor(caller, "parent", ref.contract, Need::kSee));
    index = keys.Index(kOutcomePayments);
    key_of = [&](const std::string& member) {
      return keys.Record(kOutcomePayment, member);
    };
    if (!caller.is_service() &&
        caller.organisation != parent.message.commissioner() &&
        caller.organisation != parent.message.prime_provider()) {
      // A sub-contractor: only its own sub-contracts' payments.
      ASSIGN_OR_RETURN(
          std::vector<std::string> own,
          store_.IndexRange(keys.Index(kSubContractOf, caller.organisation), "",
                            kMaxPageSize));
      seen[""] = false;  // marks a filtered walk
      for (const std::string& sub : own) seen[sub] = true;
    }
  }
  const bool filtered = seen.count("") > 0;
  v1::ListOutcomePaymentsResponse response;
  ASSIGN_OR_RETURN(
      std::string next,
      stored::Page(
          store_, key_of, index, request.page_token(),
          stored::QueryDigest(request), page_size,
          [&](const std::string& member,
              const storage::Record& record) -> absl::StatusOr<bool> {
            if (filtered) {
              const std::string sub = member.substr(0, member.find(':'));
              auto it = seen.find(sub);
              if (it == seen.end() || !it->second) return false;
            }
            ASSIGN_OR_RETURN(v1::OutcomePayment payment,
                             stored::Decode<v1::OutcomePayment>(record));
            *response.add_outcome_payments() = std::move(payment);
            return true;
          }));
  response.set_next_page_token(std::move(next));
  return response;
}

absl::StatusOr<v1::OutcomePayment> AgreementRecords::UpdateOutcomePayment(
    const auth::Caller& caller,
    const v1::UpdateOutcomePaymentRequest& request) {
  ASSIGN_OR_RETURN(PaymentRef ref,
                   ParsePaymentName("outcome_payment.name",
                                    request.outcome_payment().name()));
  ASSIGN_OR_RETURN(
      std::set<std::string> paths,
      UpdatePaths(request.update_mask(), stored::Updatable(PaymentFields())));
  return stored::WriteWithRetries<v1::OutcomePayment>("outcome payment", [&] {
    return UpdateOutcomePaymentOnce(caller, request, ref.contract,
                                    ref.sub_contract, ref.payment, paths);
  });
}

absl::StatusOr<std::optional<v1::OutcomePayment>>
AgreementRecords::UpdateOutcomePaymentOnce(
    const auth::Caller& caller, const v1::UpdateOutcomePaymentRequest& request,
    const std::string& contract, const std::string& sub_contract,
    const std::string& id, const std::set<std::string>& paths) {
  // Reach is judged on the sub-contract first, so that a payment's
  // existence is not revealed to whoever may not change it.
  ASSIGN_OR_RETURN(SubContractOf found,
                   SubContractFor(caller, "outcome_payment.name", contract,
                                  sub_contract, Need::kChange));
  ASSIGN_OR_RETURN(
      Loaded<v1::OutcomePayment> loaded,
      LoadOutcomePayment("outcome_payment.name", contract, sub_contract, id));
  const v1::OutcomePayment& before = loaded.message;
  const stored::NamedEtag etag{request.outcome_payment().etag(),
                               "outcome_payment.etag", "outcome payment"};
  RETURN_IF_ERROR(etag.Check(before.etag()));
  v1::OutcomePayment after = before;
  stored::Apply(PaymentFields(), paths, request.outcome_payment(), after);
  RETURN_IF_ERROR(
      NormalisePayment("outcome_payment", contract, Today(), after));
  const std::vector<std::string> changed =
      stored::ChangedPaths(PaymentFields(), paths, before, after);
  if (changed.empty()) return after;  // nothing to write
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const std::string key =
      ContractKeys(contract).Child(kOutcomePayment, sub_contract, id);
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, stored::Encode(after));
  v1::OutcomePaymentUpdated updated;
  *updated.mutable_facts() =
      FactsOf(after, found.sub_contract.message, found.contract.message);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  RETURN_IF_ERROR(events_.Append(batch, caller,
                                 storage::ContractTenancy(contract),
                                 after.name(), version, updated));
  return stored::CommitUpdate(store_, batch, std::move(after), version, etag);
}

// ---- Data-sharing agreements

absl::StatusOr<Dsa> AgreementRecords::CreateDataSharingAgreement(
    const auth::Caller& caller,
    const v1::CreateDataSharingAgreementRequest& request) {
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_data_sharing_agreement()) {
    return RequiredField("data_sharing_agreement");
  }
  Dsa agreement = request.data_sharing_agreement();
  RETURN_IF_ERROR(NormaliseAgreement("data_sharing_agreement", agreement));
  if (agreement.status() == Dsa::STATUS_UNSPECIFIED) {
    agreement.set_status(Dsa::DRAFT);
  }
  if (agreement.status() != Dsa::DRAFT && agreement.status() != Dsa::ACTIVE) {
    return InvalidField("data_sharing_agreement.status",
                        "a new agreement is DRAFT or ACTIVE");
  }
  if (!caller.is_service() &&
      (!HasScope(caller) || !IsParty(agreement, caller.organisation))) {
    return absl::PermissionDeniedError(absl::StrCat(
        "data_sharing_agreement.parties: organisation ", caller.organisation,
        " records only agreements it is party to"));
  }
  const KeySpace keys = GlobalKeys();
  const std::string fingerprint = idempotency::Fingerprint(request);
  Dsa first;
  // A retry replays the first result before anything is checked again.
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> earlier,
      store_.Get(keys.Idempotency(caller.organisation, request.request_id())));
  if (earlier.has_value()) {
    RETURN_IF_ERROR(
        idempotency::Replay(*earlier, fingerprint, "request_id", &first));
    ASSIGN_OR_RETURN(std::string id, ParseAgreementName("name", first.name()));
    ASSIGN_OR_RETURN(Loaded<Dsa> loaded, LoadAgreement("name", id));
    return std::move(loaded.message);
  }
  for (int i = 0; i < 2; ++i) {
    RETURN_IF_ERROR(
        directory_
            .ReadOrganisation(
                absl::StrCat("data_sharing_agreement.parties[", i, "]"),
                agreement.parties(i))
            .status());
  }
  const std::string id = ids_.NewId();
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  agreement.set_name(AgreementName(id));
  *agreement.mutable_create_time() = now;
  *agreement.mutable_update_time() = now;
  agreement.clear_etag();

  first.set_name(agreement.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectAbsent(keys.Record(kDsa, id));
  batch.Put(keys.Record(kDsa, id), stored::Encode(agreement));
  for (const std::string& party : agreement.parties()) {
    batch.IndexAdd(keys.Index(kDsasOf, party), id);
  }
  batch.IndexAdd(PairIndex(keys, agreement.parties(0), agreement.parties(1)),
                 id);
  v1::DataSharingAgreementCreated created;
  *created.mutable_facts() = FactsOf(agreement);
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy,
                                 agreement.name(), 1, created));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    agreement.set_etag(stored::VersionTag(1));
    return agreement;
  }
  if (result.failed_step != guard) {
    return absl::InternalError("a new agreement's id was taken");
  }
  // A concurrent retry of the same request won.
  RETURN_IF_ERROR(
      idempotency::Replay(*result.found, fingerprint, "request_id", &first));
  ASSIGN_OR_RETURN(std::string replayed,
                   ParseAgreementName("name", first.name()));
  ASSIGN_OR_RETURN(Loaded<Dsa> loaded, LoadAgreement("name", replayed));
  return std::move(loaded.message);
}

absl::StatusOr<Dsa> AgreementRecords::GetDataSharingAgreement(
    const auth::Caller& caller,
    const v1::GetDataSharingAgreementRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseAgreementName("name", request.name()));
  ASSIGN_OR_RETURN(Loaded<Dsa> loaded, AgreementFor(caller, "name", id));
  return std::move(loaded.message);
}

absl::StatusOr<v1::ListDataSharingAgreementsResponse>
AgreementRecords::ListDataSharingAgreements(
    const auth::Caller& caller,
    const v1::ListDataSharingAgreementsRequest& request) {
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  const std::string& filter = request.organisation();
  if (!filter.empty()) {
    RETURN_IF_ERROR(CheckOrganisationId("organisation", filter));
  }
  // Staff walk their own organisation's index; a service the one named.
  std::string walked = filter;
  if (!caller.is_service()) {
    if (!HasScope(caller) || caller.organisation.empty()) {
      return absl::PermissionDeniedError(
          "data-sharing agreements are listed only to their parties");
    }
    walked = caller.organisation;
  } else if (filter.empty()) {
    return RequiredField("organisation");
  }
  const KeySpace keys = GlobalKeys();
  v1::ListDataSharingAgreementsResponse response;
  ASSIGN_OR_RETURN(
      std::string next,
      stored::Page(
          store_, [&](const std::string& id) { return keys.Record(kDsa, id); },
          keys.Index(kDsasOf, walked), request.page_token(),
          stored::QueryDigest(request), page_size,
          [&](const std::string&,
              const storage::Record& record) -> absl::StatusOr<bool> {
            ASSIGN_OR_RETURN(Dsa agreement, stored::Decode<Dsa>(record));
            if (!filter.empty() && !IsParty(agreement, filter)) return false;
            *response.add_data_sharing_agreements() = std::move(agreement);
            return true;
          }));
  response.set_next_page_token(std::move(next));
  return response;
}

absl::StatusOr<Dsa> AgreementRecords::UpdateDataSharingAgreement(
    const auth::Caller& caller,
    const v1::UpdateDataSharingAgreementRequest& request) {
  ASSIGN_OR_RETURN(std::string id,
                   ParseAgreementName("data_sharing_agreement.name",
                                      request.data_sharing_agreement().name()));
  ASSIGN_OR_RETURN(
      std::set<std::string> paths,
      UpdatePaths(request.update_mask(), stored::Updatable(AgreementFields())));
  return stored::WriteWithRetries<Dsa>("data-sharing agreement", [&] {
    return UpdateDataSharingAgreementOnce(caller, request, id, paths);
  });
}

absl::StatusOr<std::optional<Dsa>>
AgreementRecords::UpdateDataSharingAgreementOnce(
    const auth::Caller& caller,
    const v1::UpdateDataSharingAgreementRequest& request, const std::string& id,
    const std::set<std::string>& paths) {
  ASSIGN_OR_RETURN(Loaded<Dsa> loaded,
                   AgreementFor(caller, "data_sharing_agreement.name", id));
  const Dsa& before = loaded.message;
  const stored::NamedEtag etag{request.data_sharing_agreement().etag(),
                               "data_sharing_agreement.etag",
                               "data-sharing agreement"};
  RETURN_IF_ERROR(etag.Check(before.etag()));
  Dsa after = before;
  stored::Apply(AgreementFields(), paths, request.data_sharing_agreement(),
                after);
  RETURN_IF_ERROR(CheckStatusMove("data_sharing_agreement.status",
                                  before.status(), after.status()));
  RETURN_IF_ERROR(NormaliseAgreement("data_sharing_agreement", after));
  const std::vector<std::string> changed =
      stored::ChangedPaths(AgreementFields(), paths, before, after);
  if (changed.empty()) return after;  // nothing to write
  // An ended agreement is the record of what was agreed: it stays as it is.
  if (before.status() == Dsa::ENDED) {
    return absl::FailedPreconditionError(
        "data_sharing_agreement.status: the agreement is ENDED, which is "
        "final");
  }
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const std::string key = GlobalKeys().Record(kDsa, id);
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, stored::Encode(after));
  v1::DataSharingAgreementUpdated updated;
  *updated.mutable_facts() = FactsOf(after);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  updated.set_previous_status(before.status());
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy, after.name(),
                                 version, updated));
  return stored::CommitUpdate(store_, batch, std::move(after), version, etag);
}

// ---- AgreementTerms

absl::StatusOr<std::optional<SharingAgreement>>
AgreementRecords::ActiveSharingAgreement(const std::string& organisation_a,
                                         const std::string& organisation_b,
                                         absl::Time at) {
  if (!CheckOrganisationId("organisation", organisation_a).ok() ||
      !CheckOrganisationId("organisation", organisation_b).ok()) {
    return std::nullopt;  // no agreement can name them
  }
  const KeySpace keys = GlobalKeys();
  const std::string index = PairIndex(keys, organisation_a, organisation_b);
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     store_.IndexRange(index, after, kPairPage));
    std::vector<std::string> record_keys;
    for (const std::string& id : ids)
      record_keys.push_back(keys.Record(kDsa, id));
    ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                     store_.GetMany(record_keys));
    for (const std::optional<storage::Record>& record : records) {
      if (!record.has_value()) continue;
      ASSIGN_OR_RETURN(Dsa agreement, stored::Decode<Dsa>(*record));
      if (!InForceAt(agreement, at)) continue;
      SharingAgreement found;
      found.name = agreement.name();
      for (int category : agreement.data_categories()) {
        found.data_categories.push_back(static_cast<DataCategory>(category));
      }
      if (agreement.has_end_time()) {
        found.end_time = FromProtoTimestamp(agreement.end_time());
      }
      return found;
    }
    if (static_cast<int>(ids.size()) < kPairPage) return std::nullopt;
    after = ids.back();
  }
}

absl::StatusOr<DeliveryTerms> AgreementRecords::TermsFor(
    const std::string& contract, const std::string& receiver, absl::Time at) {
  const absl::Status not_found = absl::NotFoundError(
      absl::StrCat("contract ", ContractName(contract), " not found"));
  if (!CheckOrganisationId("contract", contract).ok()) return not_found;
  ASSIGN_OR_RETURN(std::optional<storage::Record> record,
                   store_.Get(GlobalKeys().Record(kContract, contract)));
  if (!record.has_value()) return not_found;
  ASSIGN_OR_RETURN(v1::Contract found, stored::Decode<v1::Contract>(*record));
  DeliveryTerms terms;
  terms.contract = found.name();
  terms.nation = found.nation();
  terms.standards = InForce(found.service_standards(), {});
  if (!CheckOrganisationId("receiver", receiver).ok()) return terms;

  const absl::CivilDay day = absl::ToCivilDay(at, london_);
  const KeySpace keys = ContractKeys(contract);
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     store_.IndexRange(keys.Index(kSubContractOf, receiver),
                                       after, kPairPage));
    std::vector<std::string> record_keys;
    for (const std::string& id : ids) {
      record_keys.push_back(keys.Record(kSubContract, id));
    }
    ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                     store_.GetMany(record_keys));
    for (const std::optional<storage::Record>& stored : records) {
      if (!stored.has_value()) continue;
      ASSIGN_OR_RETURN(v1::SubContract sub,
                       stored::Decode<v1::SubContract>(*stored));
      if (sub.state() != v1::SubContract::ACTIVE) continue;
      ASSIGN_OR_RETURN(
          Period period,
          CheckPeriod("sub_contract", sub.start_date(), sub.end_date()));
      if (day < period.start || day > period.end) continue;
      terms.sub_contract = sub.name();
      terms.standards =
          InForce(sub.service_standards(), found.service_standards());
      return terms;
    }
    if (static_cast<int>(ids.size()) < kPairPage) return terms;
    after = ids.back();
  }
}

}  // namespace employability::partners
