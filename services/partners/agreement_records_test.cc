// Unit tests of the agreements' rules, on the in-memory store, with the
// directory of organisations seeded as the bootstrap command does.
#include "services/partners/agreement_records.h"

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "common/events/event_log.h"
#include "common/storage/memory_store.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"

namespace employability::partners {
namespace {

using Dsa = v1::DataSharingAgreement;

// Success when `status` has `code` and a message that names `field` first.
testing::AssertionResult Names(const absl::Status& status,
                               absl::StatusCode code,
                               const std::string& field) {
  if (status.code() == code &&
      (absl::StartsWith(status.message(), absl::StrCat(field, ":")) ||
       absl::StartsWith(status.message(),
                        absl::StrCat(field, " is required")))) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << status << " should be " << absl::StatusCodeToString(code)
         << " naming " << field;
}

type::v1::Date D(int year, int month, int day) {
  type::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

absl::Time UtcTime(int year, int month, int day, int hour = 0, int min = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, min, 0),
                         absl::UTCTimeZone());
}

// A member of staff admitted by the call gate with the scope the access
// policy gives agreements' methods.
auth::Caller Staff(const std::string& organisation,
                   const std::string& user = "manager-1") {
  auth::Caller caller(organisation, user, type::v1::CONTRACT_MANAGER);
  caller.scope = auth::v1::ORGANISATION;
  return caller;
}

auth::Caller Service() {
  auth::Caller caller;
  caller.service = "referrals";
  return caller;
}

class AgreementRecordsTest : public testing::Test {
 protected:
  AgreementRecordsTest()
      : clock_(UtcTime(2026, 3, 2, 10)),
        store_(clock_),
        directory_(store_, clock_, ids_, key_hasher_),
        records_(store_, clock_, ids_, directory_) {}

  void SetUp() override {
    Seed("dwp-north", v1::COMMISSIONER);
    Seed("prime-north", v1::PRIME_PROVIDER);
    Seed("prime-south", v1::PRIME_PROVIDER);  // a stranger to the contract
    Seed("sub-east", v1::SUB_CONTRACTOR);
    Seed("agency-west", v1::PARTNER_AGENCY);
    Seed("sub-idle", v1::SUB_CONTRACTOR);
    v1::UpdateOrganisationRequest idle;
    idle.mutable_organisation()->set_name("organisations/sub-idle");
    idle.mutable_organisation()->set_active(false);
    idle.mutable_update_mask()->add_paths("active");
    ASSERT_TRUE(directory_.UpdateOrganisation(Service(), idle).ok());
  }

  void Seed(const std::string& id, v1::OrganisationType type) {
    v1::CreateOrganisationRequest request;
    request.set_organisation_id(id);
    request.set_request_id(absl::StrCat("seed-", id));
    request.mutable_organisation()->set_display_name(id);
    request.mutable_organisation()->set_type(type);
    ASSERT_TRUE(directory_.CreateOrganisation(Service(), request).ok());
  }

  static v1::CreateContractRequest ContractRequest(
      const std::string& id = "restart-nw",
      const std::string& request_id = "c1") {
    v1::CreateContractRequest request;
    request.set_contract_id(id);
    request.set_request_id(request_id);
    v1::Contract* c = request.mutable_contract();
    c->set_display_name("Restart North West");
    c->set_programme("Restart Scheme");
    c->set_commissioner("dwp-north");
    c->set_prime_provider("prime-north");
    c->set_contract_area("North West");
    c->add_area_districts("m1");
    c->add_area_districts(" M1");
    c->add_area_districts("ls1");
    c->set_nation(v1::ENGLAND_AND_WALES);
    *c->mutable_start_date() = D(2026, 1, 1);
    *c->mutable_end_date() = D(2027, 12, 31);
    c->set_expected_referrals(1000);
    c->set_payment_model(v1::SERVICE_FEE_AND_OUTCOMES);
    c->mutable_service_standards()->set_respond_within_days(3);
    return request;
  }

  v1::Contract CreateContract(const std::string& id = "restart-nw") {
    absl::StatusOr<v1::Contract> c = records_.CreateContract(
        Staff("prime-north"), ContractRequest(id, absl::StrCat("c-", id)));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : v1::Contract();
  }

  static v1::CreateSubContractRequest SubRequest(
      const std::string& contractor, int share, const std::string& request_id,
      const std::string& contract = "restart-nw") {
    v1::CreateSubContractRequest request;
    request.set_parent(absl::StrCat("contracts/", contract));
    request.set_request_id(request_id);
    v1::SubContract* s = request.mutable_sub_contract();
    s->set_sub_contractor(contractor);
    *s->mutable_start_date() = D(2026, 2, 1);
    *s->mutable_end_date() = D(2026, 12, 31);
    s->set_expected_referrals(300);
    s->set_contracted_share_percent(share);
    s->set_payment_model(v1::OUTCOME_BASED);
    s->mutable_service_standards()->set_close_within_days(30);
    return request;
  }

  v1::SubContract CreateSub(const std::string& contractor, int share = 30) {
    absl::StatusOr<v1::SubContract> s = records_.CreateSubContract(
        Staff("prime-north"),
        SubRequest(contractor, share,
                   absl::StrCat("s-", contractor, "-", ++sub_count_)));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : v1::SubContract();
  }

  static v1::CreateOutcomePaymentRequest ClaimRequest(
      const std::string& sub_contract, const std::string& request_id) {
    v1::CreateOutcomePaymentRequest request;
    request.set_parent(sub_contract);
    request.set_request_id(request_id);
    v1::OutcomePayment* p = request.mutable_outcome_payment();
    p->set_outcome(v1::OutcomePayment::JOB_OUTCOME);
    p->set_participant("contracts/restart-nw/participants/p-1");
    p->set_amount_pence(150000);
    *p->mutable_claim_date() = D(2026, 2, 10);
    return request;
  }

  static v1::CreateDataSharingAgreementRequest DsaRequest(
      const std::string& a = "prime-north",
      const std::string& b = "agency-west",
      const std::string& request_id = "d1",
      Dsa::Status status = Dsa::STATUS_UNSPECIFIED) {
    v1::CreateDataSharingAgreementRequest request;
    request.set_request_id(request_id);
    Dsa* d = request.mutable_data_sharing_agreement();
    d->add_parties(a);
    d->add_parties(b);
    d->set_purpose("Referrals for housing support");
    d->add_data_categories(participants::v1::IDENTITY);
    d->add_data_categories(participants::v1::CONTACT);
    d->set_lawful_basis(Dsa::PUBLIC_TASK);
    *d->mutable_start_time() = ToProtoTimestamp(UtcTime(2026, 1, 1));
    *d->mutable_end_time() = ToProtoTimestamp(UtcTime(2027, 1, 1));
    d->set_status(status);
    return request;
  }

  Dsa CreateDsa(Dsa::Status status = Dsa::STATUS_UNSPECIFIED,
                const std::string& request_id = "d1") {
    absl::StatusOr<Dsa> d = records_.CreateDataSharingAgreement(
        Staff("prime-north"),
        DsaRequest("prime-north", "agency-west", request_id, status));
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Dsa();
  }

  absl::StatusOr<Dsa> MoveDsa(const Dsa& dsa, Dsa::Status status) {
    v1::UpdateDataSharingAgreementRequest request;
    request.mutable_data_sharing_agreement()->set_name(dsa.name());
    request.mutable_data_sharing_agreement()->set_status(status);
    request.mutable_update_mask()->add_paths("status");
    return records_.UpdateDataSharingAgreement(Staff("agency-west"), request);
  }

  // Every event on a tenancy's stream, oldest first.
  std::vector<events::v1::EventEnvelope> Envelopes(const std::string& tenancy) {
    storage::KeySpace keys(kServiceKeyspace, tenancy);
    auto entries = store_.StreamRead(keys.Events(), "", 10000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::vector<events::v1::EventEnvelope> envelopes;
    if (!entries.ok()) return envelopes;
    for (const storage::StreamEntry& entry : *entries) {
      auto envelope = events::ParseEnvelope(entry.payload);
      EXPECT_TRUE(envelope.ok()) << envelope.status();
      if (envelope.ok()) envelopes.push_back(*envelope);
    }
    return envelopes;
  }

  // The short type names of a tenancy's events, oldest first.
  std::vector<std::string> Events(const std::string& tenancy) {
    std::vector<std::string> types;
    for (const auto& envelope : Envelopes(tenancy)) {
      types.push_back(envelope.type().substr(envelope.type().rfind('.') + 1));
    }
    return types;
  }

  template <typename Payload>
  Payload Last(const std::string& tenancy) {
    Payload payload;
    std::vector<events::v1::EventEnvelope> envelopes = Envelopes(tenancy);
    EXPECT_FALSE(envelopes.empty());
    if (!envelopes.empty()) {
      EXPECT_TRUE(envelopes.back().payload().UnpackTo(&payload))
          << envelopes.back().type();
    }
    return payload;
  }

  FakeClock clock_;
  SequentialIdSource ids_{"e"};
  storage::MemoryStore store_;
  storage::KeyHasher key_hasher_{"test-secret"};
  OrganisationDirectory directory_;
  AgreementRecords records_;
  int sub_count_ = 0;
};

// ---- Contracts

TEST_F(AgreementRecordsTest, CreateContractSetsOutputFieldsAndOneEvent) {
  v1::CreateContractRequest request = ContractRequest();
  request.mutable_contract()->set_state(v1::Contract::ENDED);  // output only
  request.mutable_contract()->set_name("contracts/other");
  const size_t before = Envelopes("global").size();
  absl::StatusOr<v1::Contract> c =
      records_.CreateContract(Staff("prime-north"), request);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name(), "contracts/restart-nw");
  EXPECT_EQ(c->state(), v1::Contract::ACTIVE);
  EXPECT_EQ(c->etag(), "1");
  EXPECT_EQ(c->create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(std::vector<std::string>(c->area_districts().begin(),
                                     c->area_districts().end()),
            (std::vector<std::string>{"M1", "LS1"}));

  std::vector<events::v1::EventEnvelope> events = Envelopes("global");
  ASSERT_EQ(events.size(), before + 1);
  EXPECT_EQ(events.back().aggregate(), "contracts/restart-nw");
  EXPECT_EQ(events.back().acting_organisation(), "prime-north");
  EXPECT_EQ(events.back().acting_user(), "manager-1");
  v1::ContractCreated created;
  ASSERT_TRUE(events.back().payload().UnpackTo(&created));
  EXPECT_EQ(created.facts().contract(), "contracts/restart-nw");
  EXPECT_EQ(created.facts().commissioner(), "dwp-north");
  EXPECT_EQ(created.facts().prime_provider(), "prime-north");
  EXPECT_EQ(created.facts().nation(), v1::ENGLAND_AND_WALES);
  EXPECT_EQ(created.facts().end_date().year(), 2027);
  EXPECT_EQ(created.facts().payment_model(), v1::SERVICE_FEE_AND_OUTCOMES);
  EXPECT_EQ(created.facts().service_standards().respond_within_days(), 3);

  v1::GetContractRequest get;
  get.set_name("contracts/restart-nw");
  absl::StatusOr<v1::Contract> read =
      records_.GetContract(Staff("dwp-north"), get);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->display_name(), "Restart North West");
  EXPECT_EQ(read->etag(), "1");
}

TEST_F(AgreementRecordsTest, CreateContractNamesEveryBadFieldStoringNothing) {
  using Change = std::function<void(v1::CreateContractRequest&)>;
  const std::vector<std::tuple<std::string, Change, absl::StatusCode>> cases = {
      {"contract_id", [](auto& r) { r.set_contract_id(""); },
       absl::StatusCode::kInvalidArgument},
      {"contract_id", [](auto& r) { r.set_contract_id("ab"); },
       absl::StatusCode::kInvalidArgument},
      {"request_id", [](auto& r) { r.set_request_id(""); },
       absl::StatusCode::kInvalidArgument},
      {"contract", [](auto& r) { r.clear_contract(); },
       absl::StatusCode::kInvalidArgument},
      {"contract.display_name",
       [](auto& r) { r.mutable_contract()->set_display_name(""); },
       absl::StatusCode::kInvalidArgument},
      {"contract.programme",
       [](auto& r) { r.mutable_contract()->set_programme(""); },
       absl::StatusCode::kInvalidArgument},
      {"contract.commissioner",
       [](auto& r) { r.mutable_contract()->set_commissioner(""); },
       absl::StatusCode::kInvalidArgument},
      {"contract.prime_provider",
       [](auto& r) { r.mutable_contract()->set_prime_provider("Prime!"); },
       absl::StatusCode::kInvalidArgument},
      {"contract.area_districts[1]",
       [](auto& r) { r.mutable_contract()->set_area_districts(1, "M1 1AE"); },
       absl::StatusCode::kInvalidArgument},
      {"contract.nation", [](auto& r) { r.mutable_contract()->clear_nation(); },
       absl::StatusCode::kInvalidArgument},
      {"contract.start_date",
       [](auto& r) { r.mutable_contract()->clear_start_date(); },
       absl::StatusCode::kInvalidArgument},
      {"contract.end_date",
       [](auto& r) {
         *r.mutable_contract()->mutable_end_date() = D(2025, 12, 31);
       },
       absl::StatusCode::kInvalidArgument},
      {"contract.expected_referrals",
       [](auto& r) { r.mutable_contract()->set_expected_referrals(-1); },
       absl::StatusCode::kInvalidArgument},
      {"contract.payment_model",
       [](auto& r) { r.mutable_contract()->clear_payment_model(); },
       absl::StatusCode::kInvalidArgument},
      {"contract.service_standards.start_within_days",
       [](auto& r) {
         r.mutable_contract()
             ->mutable_service_standards()
             ->set_start_within_days(251);
       },
       absl::StatusCode::kInvalidArgument},
      // The directory is asked too.
      {"contract.commissioner",
       [](auto& r) { r.mutable_contract()->set_commissioner("prime-south"); },
       absl::StatusCode::kInvalidArgument},
      {"contract.prime_provider",
       [](auto& r) { r.mutable_contract()->set_prime_provider("nowhere-1"); },
       absl::StatusCode::kNotFound},
  };
  const size_t before = Envelopes("global").size();
  for (const auto& [field, change, code] : cases) {
    v1::CreateContractRequest request = ContractRequest();
    change(request);
    EXPECT_TRUE(Names(records_.CreateContract(Service(), request).status(),
                      code, field))
        << field;
  }
  EXPECT_EQ(Envelopes("global").size(), before);
  v1::GetContractRequest get;
  get.set_name("contracts/restart-nw");
  EXPECT_EQ(records_.GetContract(Service(), get).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AgreementRecordsTest, CreateContractReplaysARetryAndRefusesReuse) {
  const v1::Contract first = CreateContract();
  const size_t events = Envelopes("global").size();
  absl::StatusOr<v1::Contract> again = records_.CreateContract(
      Staff("prime-north"), ContractRequest("restart-nw", "c-restart-nw"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), first.name());
  EXPECT_EQ(Envelopes("global").size(), events);
  // The same request id with another body.
  v1::CreateContractRequest other =
      ContractRequest("restart-nw", "c-restart-nw");
  other.mutable_contract()->set_expected_referrals(5);
  EXPECT_TRUE(
      Names(records_.CreateContract(Staff("prime-north"), other).status(),
            absl::StatusCode::kInvalidArgument, "request_id"));
  // Another request for a taken id.
  EXPECT_TRUE(Names(records_
                        .CreateContract(Staff("prime-north"),
                                        ContractRequest("restart-nw", "c2"))
                        .status(),
                    absl::StatusCode::kAlreadyExists, "contract_id"));
}

TEST_F(AgreementRecordsTest, UpdateContractChangesMaskedFieldsAndEmits) {
  const v1::Contract created = CreateContract();
  v1::UpdateContractRequest request;
  *request.mutable_contract() = created;
  request.mutable_contract()->set_expected_referrals(1200);
  request.mutable_contract()->set_programme("ignored: not in the mask");
  request.mutable_contract()
      ->mutable_service_standards()
      ->set_close_within_days(35);
  request.mutable_update_mask()->add_paths("expected_referrals");
  request.mutable_update_mask()->add_paths(
      "service_standards.close_within_days");
  absl::StatusOr<v1::Contract> updated =
      records_.UpdateContract(Staff("dwp-north"), request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->expected_referrals(), 1200);
  EXPECT_EQ(updated->programme(), "Restart Scheme");
  EXPECT_EQ(updated->service_standards().respond_within_days(), 3);
  EXPECT_EQ(updated->service_standards().close_within_days(), 35);
  EXPECT_EQ(updated->etag(), "2");
  v1::ContractUpdated event = Last<v1::ContractUpdated>("global");
  EXPECT_EQ(event.facts().expected_referrals(), 1200);
  EXPECT_EQ(event.changed_fields_size(), 2);

  // The first etag is stale now.
  EXPECT_EQ(
      records_.UpdateContract(Staff("dwp-north"), request).status().code(),
      absl::StatusCode::kAborted);
  // The parties never change.
  request.mutable_contract()->clear_etag();
  request.mutable_update_mask()->add_paths("commissioner");
  EXPECT_TRUE(
      Names(records_.UpdateContract(Staff("dwp-north"), request).status(),
            absl::StatusCode::kInvalidArgument, "update_mask"));
  // Bad values are refused naming the field.
  request.mutable_update_mask()->Clear();
  request.mutable_update_mask()->add_paths("end_date");
  *request.mutable_contract()->mutable_end_date() = D(2025, 1, 1);
  EXPECT_TRUE(
      Names(records_.UpdateContract(Staff("dwp-north"), request).status(),
            absl::StatusCode::kInvalidArgument, "contract.end_date"));
}

TEST_F(AgreementRecordsTest, AnEndedContractStaysEnded) {
  const v1::Contract created = CreateContract();
  v1::UpdateContractRequest request;
  request.mutable_contract()->set_name(created.name());
  request.mutable_contract()->set_state(v1::Contract::ENDED);
  request.mutable_update_mask()->add_paths("state");
  ASSERT_TRUE(records_.UpdateContract(Staff("prime-north"), request).ok());
  request.mutable_contract()->set_state(v1::Contract::ACTIVE);
  EXPECT_TRUE(
      Names(records_.UpdateContract(Staff("prime-north"), request).status(),
            absl::StatusCode::kFailedPrecondition, "contract.state"));
  // And takes no new sub-contracts.
  EXPECT_EQ(records_
                .CreateSubContract(Staff("prime-north"),
                                   SubRequest("sub-east", 10, "s1"))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- Reach

TEST_F(AgreementRecordsTest, AStrangerIsRefusedAlikeForRealAndMissingRecords) {
  CreateContract();
  const v1::SubContract sub = CreateSub("sub-east");
  const Dsa dsa = CreateDsa();
  const auth::Caller stranger = Staff("prime-south");

  v1::GetContractRequest real, missing;
  real.set_name("contracts/restart-nw");
  missing.set_name("contracts/no-such");
  const absl::Status a = records_.GetContract(stranger, real).status();
  const absl::Status b = records_.GetContract(stranger, missing).status();
  EXPECT_EQ(a.code(), absl::StatusCode::kPermissionDenied) << a;
  EXPECT_EQ(b.code(), a.code());
  EXPECT_EQ(absl::StrReplaceAll(b.message(), {{"no-such", "restart-nw"}}),
            a.message());

  v1::GetSubContractRequest real_sub, missing_sub;
  real_sub.set_name(sub.name());
  missing_sub.set_name("contracts/restart-nw/subContracts/e9");
  const absl::Status c = records_.GetSubContract(stranger, real_sub).status();
  const absl::Status d =
      records_.GetSubContract(stranger, missing_sub).status();
  EXPECT_EQ(c.code(), absl::StatusCode::kPermissionDenied) << c;
  EXPECT_EQ(d.code(), c.code());
  EXPECT_EQ(
      absl::StrReplaceAll(d.message(),
                          {{"/e9", sub.name().substr(sub.name().rfind('/'))}}),
      c.message());

  v1::GetDataSharingAgreementRequest real_dsa, missing_dsa;
  real_dsa.set_name(dsa.name());
  missing_dsa.set_name("dataSharingAgreements/e9");
  const absl::Status e =
      records_.GetDataSharingAgreement(stranger, real_dsa).status();
  const absl::Status f =
      records_.GetDataSharingAgreement(stranger, missing_dsa).status();
  EXPECT_EQ(e.code(), absl::StatusCode::kPermissionDenied) << e;
  EXPECT_EQ(f.code(), e.code());
  EXPECT_EQ(
      absl::StrReplaceAll(f.message(),
                          {{"/e9", dsa.name().substr(dsa.name().rfind('/'))}}),
      e.message());

  // A service reaches every record, and is told what is missing.
  EXPECT_EQ(records_.GetContract(Service(), missing).status().code(),
            absl::StatusCode::kNotFound);
  // Staff whose call carries no scope reach nothing, even their own.
  auth::Caller unscoped = Staff("prime-north");
  unscoped.scope = auth::v1::SCOPE_UNSPECIFIED;
  EXPECT_EQ(records_.GetContract(unscoped, real).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AgreementRecordsTest, ASubContractorSeesItsContractButCannotChangeIt) {
  const v1::Contract contract = CreateContract();
  CreateContract("other-nw");
  const v1::SubContract own = CreateSub("sub-east");
  const v1::SubContract theirs = CreateSub("agency-west");
  const auth::Caller sub = Staff("sub-east");

  v1::GetContractRequest get;
  get.set_name(contract.name());
  EXPECT_TRUE(records_.GetContract(sub, get).ok());
  v1::UpdateContractRequest update;
  update.mutable_contract()->set_name(contract.name());
  update.mutable_contract()->set_expected_referrals(1);
  update.mutable_update_mask()->add_paths("expected_referrals");
  EXPECT_EQ(records_.UpdateContract(sub, update).status().code(),
            absl::StatusCode::kPermissionDenied);

  // Its own sub-contract, not another's; and it changes neither.
  v1::GetSubContractRequest get_sub;
  get_sub.set_name(own.name());
  EXPECT_TRUE(records_.GetSubContract(sub, get_sub).ok());
  get_sub.set_name(theirs.name());
  EXPECT_EQ(records_.GetSubContract(sub, get_sub).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::UpdateSubContractRequest change;
  change.mutable_sub_contract()->set_name(own.name());
  change.mutable_sub_contract()->set_contracted_share_percent(90);
  change.mutable_update_mask()->add_paths("contracted_share_percent");
  EXPECT_EQ(records_.UpdateSubContract(sub, change).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Nor does the commissioner: sub-contracting is the prime's.
  EXPECT_EQ(
      records_.UpdateSubContract(Staff("dwp-north"), change).status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(records_
                .CreateSubContract(Staff("dwp-north"),
                                   SubRequest("sub-east", 1, "s-dwp"))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);

  // Lists hold what one could get one by one.
  v1::ListContractsRequest list;
  absl::StatusOr<v1::ListContractsResponse> contracts =
      records_.ListContracts(sub, list);
  ASSERT_TRUE(contracts.ok()) << contracts.status();
  ASSERT_EQ(contracts->contracts_size(), 1);
  EXPECT_EQ(contracts->contracts(0).name(), contract.name());
  EXPECT_EQ(
      records_.ListContracts(Staff("prime-north"), list)->contracts_size(), 2);
  EXPECT_EQ(
      records_.ListContracts(Staff("prime-south"), list)->contracts_size(), 0);
  list.set_organisation("dwp-north");
  EXPECT_EQ(records_.ListContracts(Staff("dwp-north"), list)->contracts_size(),
            2);
  v1::ListSubContractsRequest subs;
  subs.set_parent(contract.name());
  absl::StatusOr<v1::ListSubContractsResponse> seen =
      records_.ListSubContracts(sub, subs);
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->sub_contracts_size(), 1);
  EXPECT_EQ(seen->sub_contracts(0).name(), own.name());
  EXPECT_EQ(
      records_.ListSubContracts(Staff("dwp-north"), subs)->sub_contracts_size(),
      2);
  EXPECT_EQ(
      records_.ListSubContracts(Staff("prime-south"), subs).status().code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(AgreementRecordsTest, ListContractsPages) {
  for (const char* id : {"c-aaa", "c-bbb", "c-ccc", "c-ddd", "c-eee"}) {
    CreateContract(id);
  }
  v1::ListContractsRequest request;
  request.set_page_size(2);
  std::vector<std::string> names;
  int pages = 0;
  do {
    absl::StatusOr<v1::ListContractsResponse> page =
        records_.ListContracts(Staff("prime-north"), request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const v1::Contract& c : page->contracts()) names.push_back(c.name());
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "contracts/c-aaa", "contracts/c-bbb", "contracts/c-ccc",
                       "contracts/c-ddd", "contracts/c-eee"}));
  // A token works only for the query it was issued for.
  request.set_page_size(2);
  request.set_page_token("");
  const std::string token =
      records_.ListContracts(Staff("prime-north"), request)->next_page_token();
  request.set_page_token(token);
  request.set_organisation("dwp-north");
  EXPECT_TRUE(
      Names(records_.ListContracts(Staff("prime-north"), request).status(),
            absl::StatusCode::kInvalidArgument, "page_token"));
}

// ---- Sub-contracts

TEST_F(AgreementRecordsTest, CreateSubContractSetsFieldsAndStandardsInForce) {
  CreateContract();
  const size_t before = Envelopes("c:restart-nw").size();
  const v1::SubContract sub = CreateSub("sub-east", 40);
  EXPECT_TRUE(
      absl::StartsWith(sub.name(), "contracts/restart-nw/subContracts/"))
      << sub.name();
  EXPECT_EQ(sub.state(), v1::SubContract::ACTIVE);
  EXPECT_EQ(sub.etag(), "1");
  ASSERT_EQ(Envelopes("c:restart-nw").size(), before + 1);
  const v1::SubContractCreated created =
      Last<v1::SubContractCreated>("c:restart-nw");
  EXPECT_EQ(created.facts().sub_contract(), sub.name());
  EXPECT_EQ(created.facts().contract(), "contracts/restart-nw");
  EXPECT_EQ(created.facts().prime_provider(), "prime-north");
  EXPECT_EQ(created.facts().sub_contractor(), "sub-east");
  EXPECT_EQ(created.facts().contracted_share_percent(), 40);
  // Its own 30, the contract's 3, the default 20.
  EXPECT_EQ(created.facts().service_standards().respond_within_days(), 3);
  EXPECT_EQ(created.facts().service_standards().start_within_days(), 20);
  EXPECT_EQ(created.facts().service_standards().close_within_days(), 30);
}

TEST_F(AgreementRecordsTest, CreateSubContractNamesEveryBadField) {
  CreateContract();
  using Change = std::function<void(v1::CreateSubContractRequest&)>;
  const std::vector<std::tuple<std::string, Change, absl::StatusCode>> cases = {
      {"parent", [](auto& r) { r.set_parent("contract/restart-nw"); },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.sub_contractor",
       [](auto& r) { r.mutable_sub_contract()->clear_sub_contractor(); },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.end_date",
       [](auto& r) { r.mutable_sub_contract()->clear_end_date(); },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.contracted_share_percent",
       [](auto& r) {
         r.mutable_sub_contract()->set_contracted_share_percent(101);
       },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.expected_referrals",
       [](auto& r) { r.mutable_sub_contract()->set_expected_referrals(-5); },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.service_standards.respond_within_days",
       [](auto& r) {
         r.mutable_sub_contract()
             ->mutable_service_standards()
             ->set_respond_within_days(-1);
       },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.start_date",
       [](auto& r) {
         *r.mutable_sub_contract()->mutable_start_date() = D(2025, 12, 1);
       },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.end_date",
       [](auto& r) {
         *r.mutable_sub_contract()->mutable_end_date() = D(2028, 1, 1);
       },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.sub_contractor",
       [](auto& r) {
         r.mutable_sub_contract()->set_sub_contractor("prime-south");
       },
       absl::StatusCode::kInvalidArgument},
      {"sub_contract.sub_contractor",
       [](auto& r) {
         r.mutable_sub_contract()->set_sub_contractor("sub-idle");
       },
       absl::StatusCode::kFailedPrecondition},
      {"sub_contract.sub_contractor",
       [](auto& r) {
         r.mutable_sub_contract()->set_sub_contractor("nowhere-1");
       },
       absl::StatusCode::kNotFound},
  };
  const size_t before = Envelopes("c:restart-nw").size();
  int n = 0;
  for (const auto& [field, change, code] : cases) {
    v1::CreateSubContractRequest request =
        SubRequest("sub-east", 10, absl::StrCat("bad-", ++n));
    change(request);
    EXPECT_TRUE(Names(
        records_.CreateSubContract(Staff("prime-north"), request).status(),
        code, field))
        << field;
  }
  EXPECT_EQ(Envelopes("c:restart-nw").size(), before);
  v1::ListSubContractsRequest list;
  list.set_parent("contracts/restart-nw");
  EXPECT_EQ(records_.ListSubContracts(Service(), list)->sub_contracts_size(),
            0);
}

TEST_F(AgreementRecordsTest, CreateSubContractReplaysARetry) {
  CreateContract();
  const v1::CreateSubContractRequest request = SubRequest("sub-east", 50, "r1");
  absl::StatusOr<v1::SubContract> first =
      records_.CreateSubContract(Staff("prime-north"), request);
  ASSERT_TRUE(first.ok()) << first.status();
  const size_t events = Envelopes("c:restart-nw").size();
  // A retry neither creates again nor counts its share twice.
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<v1::SubContract> again =
        records_.CreateSubContract(Staff("prime-north"), request);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->name(), first->name());
  }
  EXPECT_EQ(Envelopes("c:restart-nw").size(), events);
  EXPECT_TRUE(records_
                  .CreateSubContract(Staff("prime-north"),
                                     SubRequest("agency-west", 50, "r2"))
                  .ok());
}

TEST_F(AgreementRecordsTest, ActiveSubContractsHoldAtMostAllReferrals) {
  CreateContract();
  const v1::SubContract east = CreateSub("sub-east", 60);
  CreateSub("agency-west", 40);
  const size_t events = Envelopes("c:restart-nw").size();
  const absl::Status over =
      records_
          .CreateSubContract(Staff("prime-north"),
                             SubRequest("agency-west", 1, "over"))
          .status();
  EXPECT_TRUE(Names(over, absl::StatusCode::kFailedPrecondition,
                    "sub_contract.contracted_share_percent"));
  EXPECT_TRUE(absl::StrContains(over.message(), "101%")) << over;
  EXPECT_EQ(Envelopes("c:restart-nw").size(), events);  // nothing stored
  // A share of 0 always fits.
  CreateSub("agency-west", 0);

  // Raising a share past the cap is refused too.
  v1::UpdateSubContractRequest raise;
  raise.mutable_sub_contract()->set_name(east.name());
  raise.mutable_sub_contract()->set_contracted_share_percent(61);
  raise.mutable_update_mask()->add_paths("contracted_share_percent");
  EXPECT_TRUE(
      Names(records_.UpdateSubContract(Staff("prime-north"), raise).status(),
            absl::StatusCode::kFailedPrecondition,
            "sub_contract.contracted_share_percent"));
  // Ending a sub-contract frees its share.
  v1::UpdateSubContractRequest end;
  end.mutable_sub_contract()->set_name(east.name());
  end.mutable_sub_contract()->set_state(v1::SubContract::ENDED);
  end.mutable_update_mask()->add_paths("state");
  absl::StatusOr<v1::SubContract> ended =
      records_.UpdateSubContract(Staff("prime-north"), end);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(Last<v1::SubContractUpdated>("c:restart-nw").facts().state(),
            v1::SubContract::ENDED);
  EXPECT_TRUE(records_
                  .CreateSubContract(Staff("prime-north"),
                                     SubRequest("sub-east", 60, "again"))
                  .ok());
  // An ended sub-contract stays ended.
  end.mutable_sub_contract()->set_state(v1::SubContract::ACTIVE);
  EXPECT_TRUE(
      Names(records_.UpdateSubContract(Staff("prime-north"), end).status(),
            absl::StatusCode::kFailedPrecondition, "sub_contract.state"));
}

TEST_F(AgreementRecordsTest, RacingSubContractsStillHoldAtMostAllReferrals) {
  CreateContract();
  constexpr int kRacers = 6;
  std::vector<absl::Status> results(kRacers);
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      results[i] =
          records_
              .CreateSubContract(Staff("prime-north"),
                                 SubRequest(i % 2 ? "sub-east" : "agency-west",
                                            30, absl::StrCat("race-", i)))
              .status();
    });
  }
  for (std::thread& racer : racers) racer.join();
  int created = 0;
  for (const absl::Status& result : results) {
    if (result.ok()) {
      ++created;
    } else {
      EXPECT_TRUE(result.code() == absl::StatusCode::kFailedPrecondition ||
                  result.code() == absl::StatusCode::kAborted)
          << result;
    }
  }
  EXPECT_LE(created * 30, 100);
  v1::ListSubContractsRequest list;
  list.set_parent("contracts/restart-nw");
  EXPECT_EQ(records_.ListSubContracts(Service(), list)->sub_contracts_size(),
            created);
}

TEST_F(AgreementRecordsTest, UpdateSubContractRefusesAStaleEtag) {
  CreateContract();
  const v1::SubContract sub = CreateSub("sub-east", 10);
  v1::UpdateSubContractRequest request;
  *request.mutable_sub_contract() = sub;
  request.mutable_sub_contract()->set_expected_referrals(20);
  request.mutable_update_mask()->add_paths("expected_referrals");
  absl::StatusOr<v1::SubContract> updated =
      records_.UpdateSubContract(Staff("prime-north"), request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_TRUE(
      Names(records_.UpdateSubContract(Staff("prime-north"), request).status(),
            absl::StatusCode::kAborted, "sub_contract.etag"));
  // Dates must stay within the contract's.
  request.mutable_sub_contract()->clear_etag();
  request.mutable_update_mask()->add_paths("end_date");
  *request.mutable_sub_contract()->mutable_end_date() = D(2028, 6, 1);
  EXPECT_TRUE(
      Names(records_.UpdateSubContract(Staff("prime-north"), request).status(),
            absl::StatusCode::kInvalidArgument, "sub_contract.end_date"));
}

// ---- Outcome payments

TEST_F(AgreementRecordsTest, APaymentIsClaimedThenPaidAndTimed) {
  CreateContract();
  const v1::SubContract sub = CreateSub("sub-east");
  absl::StatusOr<v1::OutcomePayment> claim = records_.CreateOutcomePayment(
      Staff("sub-east"), ClaimRequest(sub.name(), "p1"));
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_TRUE(absl::StartsWith(claim->name(),
                               absl::StrCat(sub.name(), "/outcomePayments/")));
  EXPECT_FALSE(claim->paid());
  EXPECT_EQ(claim->days_to_pay(), 0);
  const v1::OutcomePaymentClaimed claimed =
      Last<v1::OutcomePaymentClaimed>("c:restart-nw");
  EXPECT_EQ(claimed.facts().sub_contractor(), "sub-east");
  EXPECT_EQ(claimed.facts().prime_provider(), "prime-north");
  EXPECT_EQ(claimed.facts().amount_pence(), 150000);
  EXPECT_EQ(claimed.facts().outcome(), v1::OutcomePayment::JOB_OUTCOME);

  v1::UpdateOutcomePaymentRequest pay;
  pay.mutable_outcome_payment()->set_name(claim->name());
  *pay.mutable_outcome_payment()->mutable_paid_date() = D(2026, 3, 1);
  pay.mutable_update_mask()->add_paths("paid_date");
  // The sub-contractor does not mark its own claim paid.
  EXPECT_EQ(
      records_.UpdateOutcomePayment(Staff("sub-east"), pay).status().code(),
      absl::StatusCode::kPermissionDenied);
  absl::StatusOr<v1::OutcomePayment> paid =
      records_.UpdateOutcomePayment(Staff("prime-north"), pay);
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_TRUE(paid->paid());
  EXPECT_EQ(paid->days_to_pay(), 19);  // 10 Feb to 1 Mar 2026
  const v1::OutcomePaymentUpdated updated =
      Last<v1::OutcomePaymentUpdated>("c:restart-nw");
  EXPECT_EQ(updated.facts().days_to_pay(), 19);
  EXPECT_EQ(updated.facts().paid_date().day(), 1);
  EXPECT_EQ(updated.changed_fields(0), "paid_date");

  // Not before the claim, nor in the future.
  *pay.mutable_outcome_payment()->mutable_paid_date() = D(2026, 2, 9);
  EXPECT_TRUE(
      Names(records_.UpdateOutcomePayment(Staff("prime-north"), pay).status(),
            absl::StatusCode::kInvalidArgument, "outcome_payment.paid_date"));
  *pay.mutable_outcome_payment()->mutable_paid_date() = D(2026, 3, 3);
  EXPECT_TRUE(
      Names(records_.UpdateOutcomePayment(Staff("prime-north"), pay).status(),
            absl::StatusCode::kInvalidArgument, "outcome_payment.paid_date"));
}

TEST_F(AgreementRecordsTest, AClaimNamesEveryBadField) {
  CreateContract();
  const v1::SubContract sub = CreateSub("sub-east");
  using Change = std::function<void(v1::CreateOutcomePaymentRequest&)>;
  const std::vector<std::pair<std::string, Change>> cases = {
      {"outcome_payment.outcome",
       [](auto& r) { r.mutable_outcome_payment()->clear_outcome(); }},
      {"outcome_payment.participant",
       [](auto& r) {
         r.mutable_outcome_payment()->set_participant(
             "contracts/other-nw/participants/p-1");
       }},
      {"outcome_payment.amount_pence",
       [](auto& r) { r.mutable_outcome_payment()->set_amount_pence(0); }},
      {"outcome_payment.claim_date",
       [](auto& r) { r.mutable_outcome_payment()->clear_claim_date(); }},
      {"outcome_payment.claim_date",
       [](auto& r) {
         *r.mutable_outcome_payment()->mutable_claim_date() = D(2026, 3, 3);
       }},
      {"outcome_payment.paid_date",
       [](auto& r) {
         *r.mutable_outcome_payment()->mutable_paid_date() = D(2026, 3, 1);
       }},
  };
  const size_t before = Envelopes("c:restart-nw").size();
  int n = 0;
  for (const auto& [field, change] : cases) {
    v1::CreateOutcomePaymentRequest request =
        ClaimRequest(sub.name(), absl::StrCat("bad-", ++n));
    change(request);
    EXPECT_TRUE(Names(
        records_.CreateOutcomePayment(Staff("sub-east"), request).status(),
        absl::StatusCode::kInvalidArgument, field))
        << field;
  }
  EXPECT_EQ(Envelopes("c:restart-nw").size(), before);
  // The commissioner sees payments but claims none.
  EXPECT_EQ(records_
                .CreateOutcomePayment(Staff("dwp-north"),
                                      ClaimRequest(sub.name(), "dwp"))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AgreementRecordsTest, PaymentsAreListedToThoseWhoSeeTheirSubContract) {
  CreateContract();
  const v1::SubContract east = CreateSub("sub-east");
  const v1::SubContract west = CreateSub("agency-west");
  const v1::CreateOutcomePaymentRequest claim_east =
      ClaimRequest(east.name(), "p1");
  absl::StatusOr<v1::OutcomePayment> first =
      records_.CreateOutcomePayment(Staff("sub-east"), claim_east);
  ASSERT_TRUE(first.ok()) << first.status();
  // A retried claim is the same claim.
  absl::StatusOr<v1::OutcomePayment> retried =
      records_.CreateOutcomePayment(Staff("sub-east"), claim_east);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->name(), first->name());
  ASSERT_TRUE(records_
                  .CreateOutcomePayment(Staff("prime-north"),
                                        ClaimRequest(west.name(), "p2"))
                  .ok());

  v1::ListOutcomePaymentsRequest every;
  every.set_parent("contracts/restart-nw/subContracts/-");
  EXPECT_EQ(records_.ListOutcomePayments(Staff("dwp-north"), every)
                ->outcome_payments_size(),
            2);
  absl::StatusOr<v1::ListOutcomePaymentsResponse> own =
      records_.ListOutcomePayments(Staff("sub-east"), every);
  ASSERT_TRUE(own.ok()) << own.status();
  ASSERT_EQ(own->outcome_payments_size(), 1);
  EXPECT_EQ(own->outcome_payments(0).name(), first->name());

  v1::ListOutcomePaymentsRequest one;
  one.set_parent(west.name());
  EXPECT_EQ(records_.ListOutcomePayments(Staff("prime-north"), one)
                ->outcome_payments_size(),
            1);
  EXPECT_EQ(
      records_.ListOutcomePayments(Staff("sub-east"), one).status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      records_.ListOutcomePayments(Staff("prime-south"), every).status().code(),
      absl::StatusCode::kPermissionDenied);
}

// ---- Data-sharing agreements

TEST_F(AgreementRecordsTest, CreateDsaIsDraftUnlessAskedAndEmits) {
  const Dsa draft = CreateDsa();
  EXPECT_TRUE(absl::StartsWith(draft.name(), "dataSharingAgreements/"));
  EXPECT_EQ(draft.status(), Dsa::DRAFT);
  EXPECT_EQ(draft.etag(), "1");
  const Dsa active = CreateDsa(Dsa::ACTIVE, "d2");
  EXPECT_EQ(active.status(), Dsa::ACTIVE);
  const v1::DataSharingAgreementCreated created =
      Last<v1::DataSharingAgreementCreated>("global");
  EXPECT_EQ(created.facts().data_sharing_agreement(), active.name());
  EXPECT_EQ(created.facts().parties_size(), 2);
  EXPECT_EQ(created.facts().status(), Dsa::ACTIVE);
  EXPECT_EQ(created.facts().lawful_basis(), Dsa::PUBLIC_TASK);
  EXPECT_FALSE(created.facts().special_category());
  // No free text travels.
  std::vector<events::v1::EventEnvelope> envelopes = Envelopes("global");
  EXPECT_FALSE(absl::StrContains(envelopes.back().SerializeAsString(),
                                 "housing support"));

  EXPECT_TRUE(Names(
      records_
          .CreateDataSharingAgreement(
              Staff("prime-north"),
              DsaRequest("prime-north", "agency-west", "d3", Dsa::SUSPENDED))
          .status(),
      absl::StatusCode::kInvalidArgument, "data_sharing_agreement.status"));
  // A retry is the same agreement.
  const Dsa again = CreateDsa(Dsa::ACTIVE, "d2");
  EXPECT_EQ(again.name(), active.name());
}

TEST_F(AgreementRecordsTest, CreateDsaNamesEveryBadFieldStoringNothing) {
  using Change = std::function<void(Dsa&)>;
  const std::vector<std::tuple<std::string, Change, absl::StatusCode>> cases = {
      {"data_sharing_agreement.parties", [](Dsa& d) { d.clear_parties(); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.parties",
       [](Dsa& d) { d.add_parties("sub-east"); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.parties",
       [](Dsa& d) { d.set_parties(1, "prime-north"); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.parties[1]",
       [](Dsa& d) { d.set_parties(1, "A B"); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.purpose", [](Dsa& d) { d.clear_purpose(); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.purpose",
       [](Dsa& d) { d.set_purpose(std::string(501, 'x')); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.data_categories",
       [](Dsa& d) { d.clear_data_categories(); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.data_categories[2]",
       [](Dsa& d) { d.add_data_categories(participants::v1::IDENTITY); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.lawful_basis",
       [](Dsa& d) { d.clear_lawful_basis(); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.special_category_condition",
       [](Dsa& d) { d.add_data_categories(participants::v1::HEALTH); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.start_time",
       [](Dsa& d) { d.clear_start_time(); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.end_time",
       [](Dsa& d) { *d.mutable_end_time() = d.start_time(); },
       absl::StatusCode::kInvalidArgument},
      {"data_sharing_agreement.parties[1]",
       [](Dsa& d) { d.set_parties(1, "nowhere-1"); },
       absl::StatusCode::kNotFound},
  };
  const size_t before = Envelopes("global").size();
  int n = 0;
  for (const auto& [field, change, code] : cases) {
    v1::CreateDataSharingAgreementRequest request =
        DsaRequest("prime-north", "agency-west", absl::StrCat("bad-", ++n));
    change(*request.mutable_data_sharing_agreement());
    EXPECT_TRUE(
        Names(records_.CreateDataSharingAgreement(Staff("prime-north"), request)
                  .status(),
              code, field))
        << field;
  }
  EXPECT_EQ(Envelopes("global").size(), before);
  // With the Article 9 condition, health data may be shared.
  v1::CreateDataSharingAgreementRequest health = DsaRequest();
  health.mutable_data_sharing_agreement()->add_data_categories(
      participants::v1::HEALTH);
  health.mutable_data_sharing_agreement()->set_special_category_condition(
      "Art. 9(2)(h): health or social care");
  EXPECT_TRUE(
      records_.CreateDataSharingAgreement(Staff("prime-north"), health).ok());
  // Only a party records an agreement.
  EXPECT_EQ(
      records_.CreateDataSharingAgreement(Staff("prime-south"), DsaRequest())
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(AgreementRecordsTest, DsaStatusMovesOnlyAsAgreed) {
  using S = Dsa::Status;
  struct Move {
    std::vector<S> path;  // from DRAFT, each step legal
    S illegal;            // then refused
  };
  const std::vector<Move> moves = {
      {{}, Dsa::SUSPENDED},
      {{Dsa::ACTIVE}, Dsa::DRAFT},
      {{Dsa::ACTIVE, Dsa::SUSPENDED}, Dsa::DRAFT},
      {{Dsa::ACTIVE, Dsa::SUSPENDED, Dsa::ACTIVE, Dsa::ENDED}, Dsa::ACTIVE},
      {{Dsa::ENDED}, Dsa::DRAFT},
      {{Dsa::ACTIVE, Dsa::ENDED}, Dsa::SUSPENDED},
  };
  int n = 0;
  for (const Move& move : moves) {
    Dsa dsa = CreateDsa(Dsa::STATUS_UNSPECIFIED, absl::StrCat("m", ++n));
    for (S to : move.path) {
      absl::StatusOr<Dsa> moved = MoveDsa(dsa, to);
      ASSERT_TRUE(moved.ok()) << moved.status();
      EXPECT_EQ(moved->status(), to);
      const auto event = Last<v1::DataSharingAgreementUpdated>("global");
      EXPECT_EQ(event.previous_status(), dsa.status());
      EXPECT_EQ(event.facts().status(), to);
      dsa = *moved;
    }
    const size_t events = Envelopes("global").size();
    const absl::Status refused = MoveDsa(dsa, move.illegal).status();
    EXPECT_TRUE(Names(refused, absl::StatusCode::kFailedPrecondition,
                      "data_sharing_agreement.status"))
        << Dsa::Status_Name(dsa.status());
    EXPECT_TRUE(
        absl::StrContains(refused.message(), Dsa::Status_Name(dsa.status())))
        << refused;
    EXPECT_EQ(Envelopes("global").size(), events);
  }
  // An ended agreement keeps what was agreed.
  Dsa ended = CreateDsa(Dsa::ACTIVE, "ended");
  ended = *MoveDsa(ended, Dsa::ENDED);
  v1::UpdateDataSharingAgreementRequest purpose;
  purpose.mutable_data_sharing_agreement()->set_name(ended.name());
  purpose.mutable_data_sharing_agreement()->set_purpose("Something else");
  purpose.mutable_update_mask()->add_paths("purpose");
  EXPECT_EQ(records_.UpdateDataSharingAgreement(Staff("prime-north"), purpose)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AgreementRecordsTest, DsaUpdatesCheckTheEtagAndTheParty) {
  const Dsa dsa = CreateDsa();
  v1::UpdateDataSharingAgreementRequest request;
  *request.mutable_data_sharing_agreement() = dsa;
  request.mutable_data_sharing_agreement()->clear_end_time();  // open-ended
  request.mutable_update_mask()->add_paths("end_time");
  absl::StatusOr<Dsa> updated =
      records_.UpdateDataSharingAgreement(Staff("agency-west"), request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_FALSE(updated->has_end_time());
  EXPECT_TRUE(
      Names(records_.UpdateDataSharingAgreement(Staff("agency-west"), request)
                .status(),
            absl::StatusCode::kAborted, "data_sharing_agreement.etag"));
  request.mutable_data_sharing_agreement()->clear_etag();
  EXPECT_EQ(records_.UpdateDataSharingAgreement(Staff("sub-east"), request)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  request.mutable_update_mask()->add_paths("parties");
  EXPECT_TRUE(
      Names(records_.UpdateDataSharingAgreement(Staff("agency-west"), request)
                .status(),
            absl::StatusCode::kInvalidArgument, "update_mask"));
}

TEST_F(AgreementRecordsTest, DsasAreListedToTheirParties) {
  CreateDsa(Dsa::ACTIVE, "d1");
  ASSERT_TRUE(
      records_
          .CreateDataSharingAgreement(
              Staff("sub-east"), DsaRequest("sub-east", "prime-north", "d2"))
          .ok());
  v1::ListDataSharingAgreementsRequest request;
  EXPECT_EQ(records_.ListDataSharingAgreements(Staff("prime-north"), request)
                ->data_sharing_agreements_size(),
            2);
  EXPECT_EQ(records_.ListDataSharingAgreements(Staff("agency-west"), request)
                ->data_sharing_agreements_size(),
            1);
  EXPECT_EQ(records_.ListDataSharingAgreements(Staff("prime-south"), request)
                ->data_sharing_agreements_size(),
            0);
  // Staff naming another organisation see only what they share with it.
  request.set_organisation("sub-east");
  EXPECT_EQ(records_.ListDataSharingAgreements(Staff("agency-west"), request)
                ->data_sharing_agreements_size(),
            0);
  EXPECT_EQ(records_.ListDataSharingAgreements(Service(), request)
                ->data_sharing_agreements_size(),
            1);
  request.clear_organisation();
  EXPECT_TRUE(
      Names(records_.ListDataSharingAgreements(Service(), request).status(),
            absl::StatusCode::kInvalidArgument, "organisation"));
}

// ---- The port referrals read

TEST_F(AgreementRecordsTest, ActiveSharingAgreementFollowsStatusAndDates) {
  const absl::Time during = UtcTime(2026, 6, 1);
  auto active = [&](const std::string& a, const std::string& b, absl::Time at) {
    absl::StatusOr<std::optional<SharingAgreement>> found =
        records_.ActiveSharingAgreement(a, b, at);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? *found : std::nullopt;
  };
  EXPECT_FALSE(active("prime-north", "agency-west", during).has_value());
  Dsa dsa = CreateDsa();  // DRAFT: shares nothing
  EXPECT_FALSE(active("prime-north", "agency-west", during).has_value());
  dsa = *MoveDsa(dsa, Dsa::ACTIVE);
  std::optional<SharingAgreement> found =
      active("agency-west", "prime-north", during);  // either way round
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, dsa.name());
  EXPECT_EQ(found->data_categories,
            (std::vector<participants::v1::DataCategory>{
                participants::v1::IDENTITY, participants::v1::CONTACT}));
  EXPECT_EQ(found->end_time, UtcTime(2027, 1, 1));
  // Not before its start, not from its end.
  EXPECT_FALSE(active("prime-north", "agency-west", UtcTime(2025, 12, 31, 23))
                   .has_value());
  EXPECT_TRUE(
      active("prime-north", "agency-west", UtcTime(2026, 1, 1)).has_value());
  EXPECT_FALSE(
      active("prime-north", "agency-west", UtcTime(2027, 1, 1)).has_value());
  // Another pair shares nothing through it.
  EXPECT_FALSE(active("prime-north", "sub-east", during).has_value());
  // Suspended, then active again.
  dsa = *MoveDsa(dsa, Dsa::SUSPENDED);
  EXPECT_FALSE(active("prime-north", "agency-west", during).has_value());
  dsa = *MoveDsa(dsa, Dsa::ACTIVE);
  EXPECT_TRUE(active("prime-north", "agency-west", during).has_value());
  // A second, open-ended agreement answers when the first has ended.
  CreateDsa(Dsa::ACTIVE, "open");
  v1::UpdateDataSharingAgreementRequest open;
  const std::string open_name =
      records_
          .ListDataSharingAgreements(Staff("prime-north"),
                                     v1::ListDataSharingAgreementsRequest())
          ->data_sharing_agreements(1)
          .name();
  open.mutable_data_sharing_agreement()->set_name(open_name);
  open.mutable_update_mask()->add_paths("end_time");
  ASSERT_TRUE(
      records_.UpdateDataSharingAgreement(Staff("prime-north"), open).ok());
  dsa = *MoveDsa(dsa, Dsa::ENDED);
  found = active("prime-north", "agency-west", UtcTime(2030, 1, 1));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, open_name);
  EXPECT_EQ(found->end_time, absl::InfiniteFuture());
}

TEST_F(AgreementRecordsTest,
       TermsForFillsStandardsFromSubContractThenContract) {
  absl::StatusOr<DeliveryTerms> unknown =
      records_.TermsFor("no-such", "sub-east", UtcTime(2026, 6, 1));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "contract contracts/no-such not found");

  CreateContract();
  // No sub-contract: the contract's own terms, zeros as the defaults.
  absl::StatusOr<DeliveryTerms> own =
      records_.TermsFor("restart-nw", "sub-east", UtcTime(2026, 6, 1));
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->contract, "contracts/restart-nw");
  EXPECT_EQ(own->sub_contract, "");
  EXPECT_EQ(own->nation, v1::ENGLAND_AND_WALES);
  EXPECT_EQ(own->standards.respond_within_days(), 3);
  EXPECT_EQ(own->standards.start_within_days(), 20);
  EXPECT_EQ(own->standards.close_within_days(), 40);

  // A sub-contract from 1 July 2026: its 30 days to close, the contract's 3
  // to respond, the default 20 to start.
  v1::CreateSubContractRequest request = SubRequest("sub-east", 20, "july");
  *request.mutable_sub_contract()->mutable_start_date() = D(2026, 7, 1);
  absl::StatusOr<v1::SubContract> sub =
      records_.CreateSubContract(Staff("prime-north"), request);
  ASSERT_TRUE(sub.ok()) << sub.status();
  // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
  absl::StatusOr<DeliveryTerms> terms =
      records_.TermsFor("restart-nw", "sub-east", UtcTime(2026, 6, 30, 23, 30));
  ASSERT_TRUE(terms.ok()) << terms.status();
  EXPECT_EQ(terms->sub_contract, sub->name());
  EXPECT_EQ(terms->nation, v1::ENGLAND_AND_WALES);
  EXPECT_EQ(terms->standards.respond_within_days(), 3);
  EXPECT_EQ(terms->standards.start_within_days(), 20);
  EXPECT_EQ(terms->standards.close_within_days(), 30);
  // The day before, and after its end (31 December, inclusive): the
  // contract's.
  EXPECT_EQ(
      records_.TermsFor("restart-nw", "sub-east", UtcTime(2026, 6, 30, 22))
          ->sub_contract,
      "");
  EXPECT_EQ(
      records_.TermsFor("restart-nw", "sub-east", UtcTime(2026, 12, 31, 23))
          ->sub_contract,
      sub->name());
  EXPECT_EQ(records_.TermsFor("restart-nw", "sub-east", UtcTime(2027, 1, 1, 1))
                ->sub_contract,
            "");
  // Another organisation: the contract's.
  EXPECT_EQ(records_.TermsFor("restart-nw", "agency-west", UtcTime(2026, 8, 1))
                ->sub_contract,
            "");
  // An ended sub-contract no longer sets the terms.
  v1::UpdateSubContractRequest end;
  end.mutable_sub_contract()->set_name(sub->name());
  end.mutable_sub_contract()->set_state(v1::SubContract::ENDED);
  end.mutable_update_mask()->add_paths("state");
  ASSERT_TRUE(records_.UpdateSubContract(Staff("prime-north"), end).ok());
  EXPECT_EQ(records_.TermsFor("restart-nw", "sub-east", UtcTime(2026, 8, 1))
                ->sub_contract,
            "");
}

}  // namespace
}  // namespace employability::partners
