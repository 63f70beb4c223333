// The participants service over real gRPC on loopback, against a real
// redis-server: every method, every class of bad input, idempotent retries,
// duplicates, authorisation, pagination through 1,000 participants, a
// restart that keeps every record, and the event stream holding exactly one
// event per change.
//
// Each test works in a contract of its own (a random id), so tests running
// in parallel against the one Redis never see each other's data.
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/keys.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "tests/harness/journey_suite.h"
#include "tests/harness/redis_process.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using test_harness::CallContext;
using test_harness::ContractName;
using test_harness::CreateRequest;
using test_harness::Describe;
using test_harness::EventEnvelope;
using test_harness::MakeDate;
using test_harness::ParticipantsEventType;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::UniqueId;
using test_harness::Unpack;
using test_harness::ValidParticipant;
namespace v1 = ::employability::participants::v1;
using Code = grpc::StatusCode;

::testing::AssertionResult SameMessage(const google::protobuf::Message& a,
                                       const google::protobuf::Message& b) {
  if (MessageDifferencer::Equals(a, b)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n"
                                       << a.DebugString() << "differs from\n"
                                       << b.DebugString();
}

class ParticipantsIntegrationTest : public test_harness::JourneySuiteTest {
 protected:
  ParticipantsIntegrationTest() : JourneySuiteTest("it") {}

  grpc::Status Create(const v1::CreateParticipantRequest& request,
                      v1::Participant* out, const TestCaller& caller = {}) {
    return participants_->CreateParticipant(CallContext(caller).get(), request,
                                            out);
  }

  grpc::Status Get(const std::string& name, v1::Participant* out,
                   const TestCaller& caller = {}) {
    v1::GetParticipantRequest request;
    request.set_name(name);
    return participants_->GetParticipant(CallContext(caller).get(), request,
                                         out);
  }

  grpc::Status Update(const v1::Participant& participant,
                      const std::vector<std::string>& paths,
                      v1::Participant* out, const TestCaller& caller = {}) {
    v1::UpdateParticipantRequest request;
    *request.mutable_participant() = participant;
    for (const std::string& path : paths)
      request.mutable_update_mask()->add_paths(path);
    return participants_->UpdateParticipant(CallContext(caller).get(), request,
                                            out);
  }

  grpc::Status SetStatus(const std::string& name, v1::ParticipantStatus status,
                         v1::Participant* out = nullptr,
                         const TestCaller& caller = {}) {
    v1::Participant ignored;
    if (status == v1::EXITED || status == v1::WITHDRAWN) {
      return ExitToday(name, out != nullptr ? out : &ignored, caller);
    }
    v1::Participant change;
    change.set_name(name);
    change.set_status(status);
    return Update(change, {"status"}, out != nullptr ? out : &ignored, caller);
  }

  // Exits (or withdraws, before a start) today, Europe/London.
  grpc::Status ExitToday(const std::string& name, v1::Participant* out,
                         const TestCaller& caller = {}) {
    v1::ExitParticipantRequest request;
    request.set_name(name);
    request.set_reason(v1::CHOSE_TO_LEAVE);
    *request.mutable_exit_date() = test_harness::DayFromToday(0);
    return participants_->ExitParticipant(CallContext(caller).get(), request,
                                          out);
  }

  grpc::Status Delete(const std::string& name, const std::string& etag = "",
                      const TestCaller& caller = {}) {
    v1::DeleteParticipantRequest request;
    request.set_name(name);
    request.set_etag(etag);
    google::protobuf::Empty empty;
    return participants_->DeleteParticipant(CallContext(caller).get(), request,
                                            &empty);
  }

  grpc::Status CreateConsent(const std::string& participant,
                             v1::ConsentPurpose purpose, v1::Consent* out,
                             const std::string& request_id = "",
                             const TestCaller& caller = {}) {
    v1::CreateConsentRequest request;
    request.set_parent(participant);
    request.set_request_id(request_id.empty() ? UniqueId("consent")
                                              : request_id);
    request.mutable_consent()->set_purpose(purpose);
    request.mutable_consent()->add_data_categories(
        purpose == v1::EQUALITY_MONITORING ? v1::EQUALITY : v1::IDENTITY);
    request.mutable_consent()->set_statement("Explained on the first visit.");
    return participants_->CreateConsent(CallContext(caller).get(), request,
                                        out);
  }

  grpc::Status Withdraw(const std::string& consent, v1::Consent* out,
                        const TestCaller& caller = {}) {
    v1::WithdrawConsentRequest request;
    request.set_name(consent);
    return participants_->WithdrawConsent(CallContext(caller).get(), request,
                                          out);
  }

  grpc::Status ListConsents(const std::string& participant,
                            bool include_withdrawn,
                            v1::ListConsentsResponse* out,
                            const TestCaller& caller = {}) {
    v1::ListConsentsRequest request;
    request.set_parent(participant);
    request.set_include_withdrawn(include_withdrawn);
    return participants_->ListConsents(CallContext(caller).get(), request, out);
  }

  grpc::Status PutEquality(const std::string& participant,
                           v1::ConsentPurpose purpose, v1::EqualityData* out,
                           const TestCaller& caller = {}) {
    v1::UpdateEqualityDataRequest request;
    request.mutable_equality_data()->set_name(
        absl::StrCat(participant, "/equalityData"));
    request.mutable_equality_data()->set_disability("prefer not to say");
    request.mutable_equality_data()->set_ethnicity("White British");
    request.mutable_equality_data()->set_sex("female");
    request.mutable_equality_data()->set_age_band(v1::AGE_25_49);
    request.set_purpose(purpose);
    // The caller declares the purpose, as every equality call must; the
    // request's own purpose is what these tests vary.
    return participants_->UpdateEqualityData(
        CallContext(For(caller, "EQUALITY_MONITORING")).get(), request, out);
  }

  grpc::Status GetEquality(const std::string& participant,
                           v1::ConsentPurpose purpose, v1::EqualityData* out,
                           const TestCaller& caller = {}) {
    v1::GetEqualityDataRequest request;
    request.set_name(absl::StrCat(participant, "/equalityData"));
    request.set_purpose(purpose);
    return participants_->GetEqualityData(
        CallContext(For(caller, "EQUALITY_MONITORING")).get(), request, out);
  }

  // Every participant matching `filter` (parent filled in), page by page.
  std::vector<v1::Participant> ListAll(v1::ListParticipantsRequest filter = {},
                                       const TestCaller& caller = {}) {
    filter.set_parent(ContractName(contract_));
    std::vector<v1::Participant> all;
    for (int page = 0; page < 1000; ++page) {
      v1::ListParticipantsResponse response;
      grpc::Status status = participants_->ListParticipants(
          CallContext(caller).get(), filter, &response);
      EXPECT_TRUE(status.ok()) << Describe(status);
      if (!status.ok()) break;
      all.insert(all.end(), response.participants().begin(),
                 response.participants().end());
      if (response.next_page_token().empty()) break;
      filter.set_page_token(response.next_page_token());
    }
    return all;
  }

  size_t Count() { return ListAll().size(); }

  // A well-formed name of a participant that does not exist.
  std::string UnknownParticipant() const {
    return absl::StrCat(ContractName(contract_), "/participants/",
                        UniqueId("nobody"));
  }
};

// ---- Create and Get
// ----------------------------------------------------------

TEST_F(ParticipantsIntegrationTest,
       CreateStoresNormalisedRecordThatGetReturns) {
  v1::Participant input = ValidParticipant();
  const std::string nino = input.national_insurance_number();
  // Lower case with spaces, as people type it: stored upper case without.
  input.set_national_insurance_number(absl::StrCat("jk ", nino.substr(2, 2),
                                                   " ", nino.substr(4, 2), " ",
                                                   nino.substr(6, 2), " a"));
  input.mutable_contact()->set_postcode("m11ae");
  input.set_status(v1::EXITED);                      // output only: ignored
  input.set_enrolling_organisation("someone-else");  // output only: ignored

  v1::Participant created = MustEnrol(input);
  EXPECT_TRUE(absl::StartsWith(
      created.name(), absl::StrCat(ContractName(contract_), "/participants/")))
      << created.name();
  EXPECT_EQ(created.contract(), contract_);
  EXPECT_EQ(created.national_insurance_number(), nino);
  EXPECT_EQ(created.contact().postcode(), "M1 1AE");
  EXPECT_EQ(created.contact().outward_code(), "M1");
  EXPECT_EQ(created.contact().phone(), "+447700900123");
  EXPECT_EQ(created.status(), v1::REFERRED);
  EXPECT_EQ(created.enrolling_organisation(), TestCaller{}.organisation);
  EXPECT_EQ(created.etag(), "1");
  EXPECT_TRUE(created.has_create_time());
  ASSERT_EQ(created.spells_size(), 1);
  EXPECT_EQ(created.spells(0).number(), 1);
  EXPECT_TRUE(
      SameMessage(created.spells(0).referral_date(), input.referral_date()));
  ASSERT_EQ(created.spells(0).history_size(), 1);
  EXPECT_EQ(created.spells(0).history(0).status(), v1::REFERRED);
  EXPECT_EQ(created.spells(0).history(0).changed_by(), TestCaller{}.user);

  v1::Participant got;
  grpc::Status status = Get(created.name(), &got);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(SameMessage(got, created));
}

// A participant that does not exist is refused as one not shared with the
// caller is: a refusal never says whether a record exists.
TEST_F(ParticipantsIntegrationTest, GetUnknownParticipantIsRefusedAsUnshared) {
  v1::Participant got;
  EXPECT_TRUE(StatusIs(Get(UnknownParticipant(), &got), Code::PERMISSION_DENIED,
                       "participant"));
  EXPECT_TRUE(
      StatusIs(Get("participants/x", &got), Code::INVALID_ARGUMENT, "name"));
  EXPECT_TRUE(StatusIs(Get("", &got), Code::INVALID_ARGUMENT, "name"));
}

// ---- Bad input on Create: INVALID_ARGUMENT naming the field, nothing stored
// --

struct BadCreate {
  std::string label;
  std::function<void(v1::CreateParticipantRequest&)> spoil;
  std::string field;
};

std::string Repeat(char c, int n) { return std::string(n, c); }

std::vector<BadCreate> BadCreates() {
  using R = v1::CreateParticipantRequest;
  auto p = [](R& r) { return r.mutable_participant(); };
  return {
      {"MissingParent", [](R& r) { r.clear_parent(); }, "parent"},
      {"ParentNotAContract", [](R& r) { r.set_parent("organisations/x"); },
       "parent"},
      {"ParentWithUpperCase",
       [](R& r) { r.set_parent("contracts/North-West"); }, "parent"},
      {"MissingRequestId", [](R& r) { r.clear_request_id(); }, "request_id"},
      {"RequestIdWithSpaces", [](R& r) { r.set_request_id("my request"); },
       "request_id"},
      {"RequestIdTooLong", [](R& r) { r.set_request_id(Repeat('r', 65)); },
       "request_id"},
      {"MissingParticipant", [](R& r) { r.clear_participant(); },
       "participant"},
      {"MissingProgramme", [p](R& r) { p(r)->clear_programme(); },
       "participant.programme"},
      {"MalformedAdviser", [p](R& r) { p(r)->set_adviser("Adviser One"); },
       "participant.adviser"},
      {"UnspecifiedReferralSource",
       [p](R& r) {
         p(r)->set_referral_source(v1::REFERRAL_SOURCE_UNSPECIFIED);
       },
       "participant.referral_source"},
      {"UnknownReferralSource",
       [p](R& r) {
         p(r)->set_referral_source(static_cast<v1::ReferralSource>(42));
       },
       "participant.referral_source"},
      {"MissingGivenName", [p](R& r) { p(r)->clear_given_name(); },
       "participant.given_name"},
      {"MissingFamilyName", [p](R& r) { p(r)->clear_family_name(); },
       "participant.family_name"},
      {"GivenNameTooLong",
       [p](R& r) { p(r)->set_given_name(Repeat('a', 101)); },
       "participant.given_name"},
      {"FamilyNameTooLong",
       [p](R& r) { p(r)->set_family_name(Repeat('b', 101)); },
       "participant.family_name"},
      {"NameWithControlCharacter", [p](R& r) { p(r)->set_given_name("Ada\n"); },
       "participant.given_name"},
      {"MissingReferralDate", [p](R& r) { p(r)->clear_referral_date(); },
       "participant.referral_date"},
      {"FutureReferralDate",
       [p](R& r) { *p(r)->mutable_referral_date() = MakeDate(2099, 1, 1); },
       "participant.referral_date"},
      {"ImpossibleReferralDate",
       [p](R& r) { *p(r)->mutable_referral_date() = MakeDate(2023, 2, 30); },
       "participant.referral_date"},
      {"MissingDateOfBirth", [p](R& r) { p(r)->clear_date_of_birth(); },
       "participant.date_of_birth"},
      {"ImpossibleDateOfBirth",
       [p](R& r) { *p(r)->mutable_date_of_birth() = MakeDate(1990, 13, 1); },
       "participant.date_of_birth"},
      {"TooYoung",
       [p](R& r) { *p(r)->mutable_date_of_birth() = MakeDate(2020, 1, 1); },
       "participant.date_of_birth"},
      {"TooOld",
       [p](R& r) { *p(r)->mutable_date_of_birth() = MakeDate(1901, 1, 1); },
       "participant.date_of_birth"},
      {"BornAfterReferral",
       [p](R& r) {
         *p(r)->mutable_date_of_birth() = MakeDate(2000, 1, 1);
         *p(r)->mutable_referral_date() = MakeDate(1999, 6, 1);
       },
       "participant.date_of_birth"},
      {"MissingNationalInsuranceNumber",
       [p](R& r) { p(r)->clear_national_insurance_number(); },
       "participant.national_insurance_number"},
      {"NationalInsuranceNumberForbiddenPrefix",
       [p](R& r) { p(r)->set_national_insurance_number("QQ123456C"); },
       "participant.national_insurance_number"},
      {"NationalInsuranceNumberUnallocatedPrefix",
       [p](R& r) { p(r)->set_national_insurance_number("GB123456A"); },
       "participant.national_insurance_number"},
      {"NationalInsuranceNumberBadSuffix",
       [p](R& r) { p(r)->set_national_insurance_number("JK123456E"); },
       "participant.national_insurance_number"},
      {"NationalInsuranceNumberTooShort",
       [p](R& r) { p(r)->set_national_insurance_number("JK12345A"); },
       "participant.national_insurance_number"},
      {"MissingPostcode",
       [p](R& r) { p(r)->mutable_contact()->clear_postcode(); },
       "participant.contact.postcode"},
      {"PostcodeBadFirstLetter",
       [p](R& r) { p(r)->mutable_contact()->set_postcode("Q1 1AA"); },
       "participant.contact.postcode"},
      {"PostcodeNotAPostcode",
       [p](R& r) { p(r)->mutable_contact()->set_postcode("NOT A POSTCODE"); },
       "participant.contact.postcode"},
      {"EmailWithoutAt",
       [p](R& r) { p(r)->mutable_contact()->set_email("ada.example.org"); },
       "participant.contact.email"},
      {"EmailWithoutDomain",
       [p](R& r) { p(r)->mutable_contact()->set_email("ada@"); },
       "participant.contact.email"},
      {"PhoneTooShort",
       [p](R& r) { p(r)->mutable_contact()->set_phone("12345"); },
       "participant.contact.phone"},
      {"PhonePremiumRate",
       [p](R& r) { p(r)->mutable_contact()->set_phone("09098 765432"); },
       "participant.contact.phone"},
      {"TooManyAddressLines",
       [p](R& r) {
         for (int i = 0; i < 4; ++i)
           p(r)->mutable_contact()->add_address_lines("line");
       },
       "participant.contact.address_lines"},
      {"AddressLineTooLong",
       [p](R& r) {
         p(r)->mutable_contact()->set_address_lines(0, Repeat('x', 101));
       },
       "participant.contact.address_lines[0]"},
  };
}

// Test names and failure messages show the label, not the struct's bytes.
void PrintTo(const BadCreate& bad, std::ostream* os) { *os << bad.label; }

class BadCreateTest : public ParticipantsIntegrationTest,
                      public ::testing::WithParamInterface<BadCreate> {};

TEST_P(BadCreateTest, IsInvalidArgumentNamingTheFieldAndStoresNothing) {
  MustEnrol();  // so that the stream and indexes exist and counts are not
                // trivially 0
  const size_t participants = Count();
  const size_t events = StreamLength();

  v1::CreateParticipantRequest request =
      CreateRequest(contract_, ValidParticipant());
  GetParam().spoil(request);
  v1::Participant created;
  EXPECT_TRUE(StatusIs(Create(request, &created), Code::INVALID_ARGUMENT,
                       GetParam().field));

  EXPECT_EQ(Count(), participants);
  EXPECT_EQ(StreamLength(), events);
  // The request_id was not used up: the corrected request succeeds.
  if (!request.request_id().empty() && GetParam().field != "request_id") {
    v1::CreateParticipantRequest fixed =
        CreateRequest(contract_, ValidParticipant());
    fixed.set_request_id(request.request_id());
    grpc::Status status = Create(fixed, &created);
    EXPECT_TRUE(status.ok()) << Describe(status);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryClass, BadCreateTest,
                         ::testing::ValuesIn(BadCreates()),
                         [](const ::testing::TestParamInfo<BadCreate>& info) {
                           return info.param.label;
                         });

// ---- Idempotency and duplicates ---------------------------------------------

TEST_F(ParticipantsIntegrationTest,
       RetryWithSameRequestIdAndBodyReturnsFirstResult) {
  const v1::CreateParticipantRequest request =
      CreateRequest(contract_, ValidParticipant());
  v1::Participant first;
  v1::Participant again;
  ASSERT_TRUE(Create(request, &first).ok());
  grpc::Status status = Create(request, &again);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(SameMessage(again, first));
  EXPECT_EQ(Count(), 1u);
  EXPECT_EQ(StreamLength(), 1u);
}

TEST_F(ParticipantsIntegrationTest, ConcurrentRetriesCreateOneParticipant) {
  const v1::CreateParticipantRequest request =
      CreateRequest(contract_, ValidParticipant());
  constexpr int kCallers = 8;
  std::vector<v1::Participant> results(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back(
        [&, i] { statuses[i] = Create(request, &results[i]); });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << Describe(statuses[i]);
    EXPECT_EQ(results[i].name(), results[0].name());
  }
  EXPECT_EQ(Count(), 1u);
  EXPECT_EQ(StreamLength(), 1u);
}

TEST_F(ParticipantsIntegrationTest, SameRequestIdWithAnotherBodyIsRejected) {
  v1::CreateParticipantRequest request =
      CreateRequest(contract_, ValidParticipant());
  v1::Participant first;
  ASSERT_TRUE(Create(request, &first).ok());
  request.mutable_participant()->set_given_name("Grace");
  v1::Participant second;
  EXPECT_TRUE(
      StatusIs(Create(request, &second), Code::INVALID_ARGUMENT, "request_id"));
  EXPECT_EQ(Count(), 1u);
  EXPECT_EQ(StreamLength(), 1u);
}

TEST_F(ParticipantsIntegrationTest, RequestIdsAreScopedPerOrganisation) {
  const v1::CreateParticipantRequest request =
      CreateRequest(contract_, ValidParticipant());
  const TestCaller other{"org-other", "adviser-other"};
  v1::Participant ours;
  v1::Participant theirs;
  ASSERT_TRUE(Create(request, &ours).ok());
  // The other organisation's retry key is its own, so the same request is
  // not a replay of ours: it meets the duplicate rule (per programme in the
  // contract, whoever asks) instead of being handed our participant.
  EXPECT_TRUE(StatusIs(Create(request, &theirs, other), Code::ALREADY_EXISTS));
  // With another person, the same request_id is free for the other
  // organisation.
  v1::CreateParticipantRequest other_person =
      CreateRequest(contract_, ValidParticipant());
  other_person.set_request_id(request.request_id());
  grpc::Status status = Create(other_person, &theirs, other);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_NE(theirs.name(), ours.name());
  EXPECT_EQ(StreamLength(), 2u);
}

TEST_F(ParticipantsIntegrationTest,
       DuplicateOnSameProgrammeIsAlreadyExistsNamingIt) {
  const v1::Participant person = ValidParticipant();
  v1::Participant existing = MustEnrol(person);
  v1::Participant again = person;
  // The same number typed differently is the same number.
  absl::AsciiStrToLower(&*again.mutable_national_insurance_number());
  again.set_given_name("Someone");
  v1::Participant created;
  grpc::Status status = Create(CreateRequest(contract_, again), &created);
  EXPECT_TRUE(StatusIs(status, Code::ALREADY_EXISTS));
  EXPECT_TRUE(absl::StrContains(status.error_message(), existing.name()))
      << Describe(status);
  EXPECT_EQ(Count(), 1u);
  EXPECT_EQ(StreamLength(), 1u);

  // Another programme, or another date of birth, is another enrolment.
  again.set_programme("work-and-health");
  EXPECT_TRUE(Create(CreateRequest(contract_, again), &created).ok());
  v1::Participant other_birthday = person;
  *other_birthday.mutable_date_of_birth() = MakeDate(1991, 5, 17);
  EXPECT_TRUE(Create(CreateRequest(contract_, other_birthday), &created).ok());
  EXPECT_EQ(Count(), 3u);
}

// ---- List
// --------------------------------------------------------------------

std::vector<std::string> Names(
    const std::vector<v1::Participant>& participants) {
  std::vector<std::string> names;
  for (const v1::Participant& p : participants) names.push_back(p.name());
  return names;
}

TEST_F(ParticipantsIntegrationTest, ListFiltersByStatusAdviserAndOrganisation) {
  v1::Participant a = ValidParticipant();
  a.set_adviser("adviser-a");
  v1::Participant b = ValidParticipant();
  b.set_adviser("adviser-b");
  v1::Participant c = ValidParticipant();
  c.clear_adviser();
  a = MustEnrol(a);
  b = MustEnrol(b);
  c = MustEnrol(c);
  ASSERT_TRUE(SetStatus(b.name(), v1::STARTED).ok());
  const TestCaller other{"org-other", "someone"};
  v1::Participant d = MustEnrol(ValidParticipant(), other);

  // Oldest first; small pages so that the tokens carry the filters.
  v1::ListParticipantsRequest filter;
  filter.set_page_size(1);
  EXPECT_EQ(Names(ListAll(filter)),
            (std::vector<std::string>{a.name(), b.name(), c.name()}));

  filter.set_status(v1::STARTED);
  EXPECT_EQ(Names(ListAll(filter)), std::vector<std::string>{b.name()});
  filter.set_status(v1::REFERRED);
  EXPECT_EQ(Names(ListAll(filter)),
            (std::vector<std::string>{a.name(), c.name()}));

  filter.clear_status();
  filter.set_adviser("adviser-a");
  EXPECT_EQ(Names(ListAll(filter)), std::vector<std::string>{a.name()});
  filter.set_status(v1::STARTED);  // filters combine with AND
  EXPECT_TRUE(ListAll(filter).empty());

  filter.Clear();
  filter.set_enrolling_organisation(TestCaller{}.organisation);
  EXPECT_EQ(ListAll(filter).size(), 3u);
  // The other organisation sees its own participant and only that.
  EXPECT_EQ(Names(ListAll({}, other)), std::vector<std::string>{d.name()});
  // Asking for another organisation's participants lists what it shares
  // with the caller: nothing here.
  v1::ListParticipantsRequest theirs;
  theirs.set_parent(ContractName(contract_));
  theirs.set_enrolling_organisation(other.organisation);
  v1::ListParticipantsResponse response;
  ASSERT_TRUE(
      participants_->ListParticipants(CallContext().get(), theirs, &response)
          .ok());
  EXPECT_EQ(response.participants_size(), 0);
}

TEST_F(ParticipantsIntegrationTest, ListRejectsBadPagingAndFilters) {
  v1::Participant p = MustEnrol();
  MustEnrol();
  v1::ListParticipantsRequest first;
  first.set_parent(ContractName(contract_));
  first.set_page_size(1);
  v1::ListParticipantsResponse page;
  ASSERT_TRUE(
      participants_->ListParticipants(CallContext().get(), first, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());

  struct Case {
    std::string label;
    std::function<void(v1::ListParticipantsRequest&)> spoil;
    std::string field;
  };
  const std::string token = page.next_page_token();
  const std::vector<Case> cases = {
      {"page size too big", [](auto& r) { r.set_page_size(501); }, "page_size"},
      {"negative page size", [](auto& r) { r.set_page_size(-1); }, "page_size"},
      {"garbage token", [](auto& r) { r.set_page_token("not-a-token!"); },
       "page_token"},
      {"token of another query",
       [token](auto& r) {
         r.set_page_token(token);
         r.set_adviser("adviser-one");
       },
       "page_token"},
      {"unknown status",
       [](auto& r) { r.set_status(static_cast<v1::ParticipantStatus>(77)); },
       "status"},
      {"malformed adviser", [](auto& r) { r.set_adviser("Not An Id"); },
       "adviser"},
      {"missing parent", [](auto& r) { r.clear_parent(); }, "parent"},
      {"malformed parent", [](auto& r) { r.set_parent("contracts/"); },
       "parent"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    v1::ListParticipantsRequest request;
    request.set_parent(ContractName(contract_));
    c.spoil(request);
    v1::ListParticipantsResponse response;
    EXPECT_TRUE(StatusIs(participants_->ListParticipants(CallContext().get(),
                                                         request, &response),
                         Code::INVALID_ARGUMENT, c.field));
  }
  // The largest allowed page and the default both work.
  for (int size : {0, 500}) {
    v1::ListParticipantsRequest request;
    request.set_parent(ContractName(contract_));
    request.set_page_size(size);
    v1::ListParticipantsResponse response;
    ASSERT_TRUE(
        participants_->ListParticipants(CallContext().get(), request, &response)
            .ok());
    EXPECT_EQ(response.participants_size(), 2);
    EXPECT_EQ(response.participants(0).name(), p.name());
  }
}

TEST_F(ParticipantsIntegrationTest, PaginatesThroughOverAThousandParticipants) {
  constexpr int kParticipants = 1010;
  constexpr int kThreads = 16;
  std::atomic<int> next{0};
  absl::Mutex mu;
  std::set<std::string> created;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kParticipants; i = next++) {
        v1::Participant out;
        grpc::Status status =
            Create(CreateRequest(contract_, ValidParticipant()), &out);
        absl::MutexLock lock(&mu);
        if (status.ok()) {
          created.insert(out.name());
        } else {
          failures.push_back(Describe(status));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(failures.empty())
      << failures.size() << " creates failed, first: " << failures[0];
  ASSERT_EQ(created.size(), static_cast<size_t>(kParticipants));

  v1::ListParticipantsRequest request;
  request.set_parent(ContractName(contract_));
  request.set_page_size(100);
  std::vector<std::string> listed;
  int pages = 0;
  while (true) {
    v1::ListParticipantsResponse response;
    grpc::Status status = participants_->ListParticipants(CallContext().get(),
                                                          request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    ASSERT_LE(response.participants_size(), 100);
    for (const v1::Participant& p : response.participants())
      listed.push_back(p.name());
    ++pages;
    ASSERT_LE(pages, 12) << "more pages than 1,010 participants need";
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_GE(pages, 11);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()))
      << "not oldest first";
  const std::set<std::string> unique(listed.begin(), listed.end());
  EXPECT_EQ(unique.size(), listed.size()) << "a participant was listed twice";
  EXPECT_EQ(unique, created) << "listed and created participants differ";
  EXPECT_EQ(StreamLength(), static_cast<size_t>(kParticipants));
}

// ---- Update
// --------------------------------------------------------------------

TEST_F(ParticipantsIntegrationTest,
       UpdateChangesOnlyMaskedFieldsAndChecksEtag) {
  v1::Participant p = MustEnrol();
  v1::Participant change = p;
  change.set_given_name("Grace");
  change.set_family_name("Hopper");  // not in the mask: must stay
  change.mutable_contact()->set_postcode("sw1a1aa");
  v1::Participant updated;
  grpc::Status status =
      Update(change, {"given_name", "contact.postcode"}, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.given_name(), "Grace");
  EXPECT_EQ(updated.family_name(), p.family_name());
  EXPECT_EQ(updated.contact().postcode(), "SW1A 1AA");
  EXPECT_EQ(updated.contact().outward_code(), "SW1A");
  EXPECT_EQ(updated.contact().email(), p.contact().email());
  EXPECT_NE(updated.etag(), p.etag());

  // The etag read before the update is now stale.
  change.set_given_name("Augusta");
  v1::Participant stale;
  EXPECT_TRUE(StatusIs(Update(change, {"given_name"}, &stale), Code::ABORTED));
  v1::Participant now;
  ASSERT_TRUE(Get(p.name(), &now).ok());
  EXPECT_TRUE(SameMessage(now, updated));

  // The current etag works; no etag means "whatever is stored".
  change.set_etag(updated.etag());
  EXPECT_TRUE(Update(change, {"given_name"}, &updated).ok());
  change.clear_etag();
  change.set_given_name("Ada");
  ASSERT_TRUE(Update(change, {"given_name"}, &updated).ok());
  EXPECT_EQ(updated.given_name(), "Ada");
}

TEST_F(ParticipantsIntegrationTest,
       BadUpdateIsInvalidArgumentAndChangesNothing) {
  v1::Participant p = MustEnrol();
  const size_t events = StreamLength();
  struct Case {
    std::string label;
    std::vector<std::string> paths;
    std::function<void(v1::Participant&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"empty mask", {}, [](v1::Participant&) {}, "update_mask"},
      {"unknown path",
       {"favourite_colour"},
       [](v1::Participant&) {},
       "update_mask"},
      {"output-only path",
       {"enrolling_organisation"},
       [](v1::Participant&) {},
       "update_mask"},
      {"name path", {"name"}, [](v1::Participant&) {}, "update_mask"},
      {"one good one bad path",
       {"given_name", "etag"},
       [](v1::Participant& u) { u.set_given_name("Grace"); },
       "update_mask"},
      {"invalid number",
       {"national_insurance_number"},
       [](v1::Participant& u) { u.set_national_insurance_number("QQ123456C"); },
       "participant.national_insurance_number"},
      {"empty given name",
       {"given_name"},
       [](v1::Participant& u) { u.clear_given_name(); },
       "participant.given_name"},
      {"bad email",
       {"contact.email"},
       [](v1::Participant& u) { u.mutable_contact()->set_email("nope"); },
       "participant.contact.email"},
      {"unspecified status",
       {"status"},
       [](v1::Participant& u) {
         u.set_status(v1::PARTICIPANT_STATUS_UNSPECIFIED);
       },
       "participant.status"},
      {"malformed name",
       {"given_name"},
       [](v1::Participant& u) { u.set_name("x/y"); },
       "participant.name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    v1::Participant change = p;
    c.spoil(change);
    v1::Participant out;
    EXPECT_TRUE(StatusIs(Update(change, c.paths, &out), Code::INVALID_ARGUMENT,
                         c.field));
  }
  v1::Participant now;
  ASSERT_TRUE(Get(p.name(), &now).ok());
  EXPECT_TRUE(SameMessage(now, p));
  EXPECT_EQ(StreamLength(), events);
}

TEST_F(ParticipantsIntegrationTest,
       UpdateToAnotherParticipantsNumberIsAlreadyExists) {
  v1::Participant first = MustEnrol();
  v1::Participant second = MustEnrol();
  v1::Participant change = second;
  change.set_national_insurance_number(first.national_insurance_number());
  v1::Participant out;
  grpc::Status status = Update(change, {"national_insurance_number"}, &out);
  EXPECT_TRUE(StatusIs(status, Code::ALREADY_EXISTS));
  EXPECT_TRUE(absl::StrContains(status.error_message(), first.name()))
      << Describe(status);
  // The number is free again once the first participant changes theirs.
  v1::Participant moved = first;
  moved.set_national_insurance_number(
      test_harness::NextNationalInsuranceNumber());
  ASSERT_TRUE(Update(moved, {"national_insurance_number"}, &out).ok());
  change.clear_etag();
  status = Update(change, {"national_insurance_number"}, &out);
  EXPECT_TRUE(status.ok()) << Describe(status);
}

TEST_F(ParticipantsIntegrationTest, StatusFollowsTheProgrammeTransitions) {
  v1::Participant p = MustEnrol();
  v1::Participant out;
  ASSERT_TRUE(SetStatus(p.name(), v1::STARTED, &out).ok());
  // Work and outcomes follow from facts (a job start, a recorded outcome),
  // never from an update.
  for (v1::ParticipantStatus fact_led : {v1::IN_WORK, v1::OUTCOME_ACHIEVED}) {
    EXPECT_TRUE(StatusIs(SetStatus(p.name(), fact_led), Code::INVALID_ARGUMENT,
                         "participant.status"))
        << v1::ParticipantStatus_Name(fact_led);
  }
  ASSERT_TRUE(SetStatus(p.name(), v1::EXITED, &out).ok());
  EXPECT_EQ(out.status(), v1::EXITED);
  ASSERT_EQ(out.spells_size(), 1);
  EXPECT_EQ(out.spells(0).history_size(), 3);
  EXPECT_TRUE(out.spells(0).has_start_date());
  EXPECT_TRUE(out.spells(0).has_exit_date());
  // EXITED ends the spell.
  EXPECT_TRUE(StatusIs(SetStatus(p.name(), v1::STARTED),
                       Code::FAILED_PRECONDITION, "participant.status"));

  v1::Participant q = MustEnrol();
  // Exits carry a reason: they go through ExitParticipant, not an update.
  v1::Participant exit_by_update;
  exit_by_update.set_name(q.name());
  exit_by_update.set_status(v1::EXITED);
  EXPECT_TRUE(StatusIs(Update(exit_by_update, {"status"}, &out),
                       Code::INVALID_ARGUMENT, "participant.status"));
  // Leaving before the start is a withdrawal.
  ASSERT_TRUE(SetStatus(q.name(), v1::EXITED, &out).ok());
  EXPECT_EQ(out.status(), v1::WITHDRAWN);
  EXPECT_EQ(out.spells(0).exit_reason(), v1::CHOSE_TO_LEAVE);
  EXPECT_TRUE(out.spells(0).has_exit_date());
  // Re-joining needs a new referral date, on or after the exit.
  EXPECT_TRUE(StatusIs(SetStatus(q.name(), v1::REFERRED),
                       Code::FAILED_PRECONDITION, "participant.referral_date"));
}

TEST_F(ParticipantsIntegrationTest, ReJoiningOpensANewSpellOfTheSamePerson) {
  v1::Participant p = MustEnrol();
  v1::Participant out;
  ASSERT_TRUE(SetStatus(p.name(), v1::STARTED).ok());
  ASSERT_TRUE(SetStatus(p.name(), v1::EXITED, &out).ok());
  v1::Participant rejoin;
  rejoin.set_name(p.name());
  rejoin.set_status(v1::REFERRED);
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), london);
  rejoin.mutable_referral_date()->set_year(static_cast<int>(today.year()));
  rejoin.mutable_referral_date()->set_month(today.month());
  rejoin.mutable_referral_date()->set_day(today.day());
  grpc::Status status = Update(rejoin, {"status", "referral_date"}, &out);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(out.status(), v1::REFERRED);
  ASSERT_EQ(out.spells_size(), 2);
  EXPECT_EQ(out.spells(1).number(), 2);
  EXPECT_TRUE(out.spells(0).has_exit_date());
  EXPECT_FALSE(out.spells(1).has_start_date());
  EXPECT_EQ(out.spells(1).referral_date().day(), today.day());
  ASSERT_TRUE(SetStatus(p.name(), v1::STARTED, &out).ok());
  EXPECT_TRUE(out.spells(1).has_start_date());
  v1::Participant got;
  ASSERT_TRUE(Get(p.name(), &got).ok());
  EXPECT_EQ(got.spells_size(), 2);
}

// ---- Delete
// --------------------------------------------------------------------

TEST_F(ParticipantsIntegrationTest, DeleteRemovesRecordAndFreesTheNumber) {
  const v1::Participant person = ValidParticipant();
  v1::Participant p = MustEnrol(person);
  v1::Participant keep = MustEnrol();
  EXPECT_TRUE(StatusIs(Delete(p.name(), "999"), Code::ABORTED));
  grpc::Status status = Delete(p.name(), p.etag());
  ASSERT_TRUE(status.ok()) << Describe(status);

  // Gone: refused as any participant the caller does not reach.
  v1::Participant got;
  EXPECT_TRUE(StatusIs(Get(p.name(), &got), Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(Delete(p.name()), Code::PERMISSION_DENIED));
  EXPECT_EQ(Names(ListAll()), std::vector<std::string>{keep.name()});
  v1::ListParticipantsRequest referred;
  referred.set_status(v1::REFERRED);
  EXPECT_EQ(ListAll(referred).size(), 1u);
  // The same person can be enrolled again.
  v1::Participant again;
  status = Create(CreateRequest(contract_, person), &again);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_NE(again.name(), p.name());
}

// ---- Errors every method shares
// ------------------------------------------------

TEST_F(ParticipantsIntegrationTest, UnknownParticipantIsRefusedEverywhere) {
  const std::string unknown = UnknownParticipant();
  v1::Participant participant;
  participant.set_name(unknown);
  participant.set_given_name("Grace");
  v1::Participant out;
  EXPECT_TRUE(StatusIs(Update(participant, {"given_name"}, &out),
                       Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(Delete(unknown), Code::PERMISSION_DENIED));
  v1::Consent consent;
  EXPECT_TRUE(StatusIs(CreateConsent(unknown, v1::PROGRAMME_DELIVERY, &consent),
                       Code::PERMISSION_DENIED));
  EXPECT_TRUE(
      StatusIs(Withdraw(absl::StrCat(unknown, "/consents/c1"), &consent),
               Code::PERMISSION_DENIED));
  v1::ListConsentsResponse consents;
  EXPECT_TRUE(StatusIs(ListConsents(unknown, true, &consents),
                       Code::PERMISSION_DENIED));
  v1::EqualityData data;
  EXPECT_TRUE(StatusIs(PutEquality(unknown, v1::EQUALITY_MONITORING, &data),
                       Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(GetEquality(unknown, v1::EQUALITY_MONITORING, &data),
                       Code::PERMISSION_DENIED));
  // An unknown consent of a known participant.
  v1::Participant p = MustEnrol();
  EXPECT_TRUE(
      StatusIs(Withdraw(absl::StrCat(p.name(), "/consents/nope"), &consent),
               Code::NOT_FOUND));
  EXPECT_EQ(StreamLength(), 1u);
}

TEST_F(ParticipantsIntegrationTest, AnotherOrganisationIsDeniedEverywhere) {
  v1::Participant p = MustEnrol();
  v1::Consent consent;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &consent).ok());
  const size_t events = StreamLength();
  const TestCaller other{"org-other", "nosy"};

  v1::Participant out;
  EXPECT_TRUE(StatusIs(Get(p.name(), &out, other), Code::PERMISSION_DENIED));
  v1::Participant change = p;
  change.set_given_name("Mallory");
  EXPECT_TRUE(StatusIs(Update(change, {"given_name"}, &out, other),
                       Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(Delete(p.name(), "", other), Code::PERMISSION_DENIED));
  v1::Consent c;
  EXPECT_TRUE(
      StatusIs(CreateConsent(p.name(), v1::REFERRAL_SHARING, &c, "", other),
               Code::PERMISSION_DENIED));
  EXPECT_TRUE(
      StatusIs(Withdraw(consent.name(), &c, other), Code::PERMISSION_DENIED));
  v1::ListConsentsResponse consents;
  EXPECT_TRUE(StatusIs(ListConsents(p.name(), true, &consents, other),
                       Code::PERMISSION_DENIED));
  v1::EqualityData data;
  EXPECT_TRUE(
      StatusIs(PutEquality(p.name(), v1::EQUALITY_MONITORING, &data, other),
               Code::PERMISSION_DENIED));
  EXPECT_TRUE(
      StatusIs(GetEquality(p.name(), v1::EQUALITY_MONITORING, &data, other),
               Code::PERMISSION_DENIED));
  EXPECT_TRUE(ListAll({}, other).empty());

  ASSERT_TRUE(Get(p.name(), &out).ok());
  EXPECT_TRUE(SameMessage(out, p));
  EXPECT_EQ(StreamLength(), events);
}

TEST_F(ParticipantsIntegrationTest, MissingOrMalformedCallerIsUnauthenticated) {
  v1::Participant p = MustEnrol();
  const size_t events = StreamLength();
  auto without = [](const char* drop,
                    const char* organisation = "org-integration") {
    std::unique_ptr<grpc::ClientContext> context =
        test_harness::AnonymousContext();
    const std::string dropped = drop;
    if (dropped != "organisation" && dropped != "both") {
      context->AddMetadata("x-employability-organisation", organisation);
    }
    if (dropped != "user" && dropped != "both") {
      context->AddMetadata("x-employability-user", "someone");
    }
    return context;
  };
  for (const char* drop : {"organisation", "user", "both"}) {
    SCOPED_TRACE(drop);
    v1::Participant out;
    v1::CreateParticipantRequest create =
        CreateRequest(contract_, ValidParticipant());
    EXPECT_TRUE(StatusIs(
        participants_->CreateParticipant(without(drop).get(), create, &out),
        Code::UNAUTHENTICATED));
    v1::GetParticipantRequest get;
    get.set_name(p.name());
    EXPECT_TRUE(
        StatusIs(participants_->GetParticipant(without(drop).get(), get, &out),
                 Code::UNAUTHENTICATED));
  }
  v1::Participant out;
  v1::GetParticipantRequest get;
  get.set_name(p.name());
  EXPECT_TRUE(StatusIs(participants_->GetParticipant(
                           without("none", "Not An Id").get(), get, &out),
                       Code::UNAUTHENTICATED));
  EXPECT_EQ(Count(), 1u);
  EXPECT_EQ(StreamLength(), events);
}

// ---- Consent and equality data
// ----------------------------------------------------

TEST_F(ParticipantsIntegrationTest, ConsentsAreGivenListedAndWithdrawn) {
  v1::Participant p = MustEnrol();
  v1::Consent delivery;
  const std::string request_id = UniqueId("consent");
  ASSERT_TRUE(
      CreateConsent(p.name(), v1::PROGRAMME_DELIVERY, &delivery, request_id)
          .ok());
  EXPECT_TRUE(
      absl::StartsWith(delivery.name(), absl::StrCat(p.name(), "/consents/")));
  EXPECT_TRUE(delivery.live());
  EXPECT_TRUE(delivery.has_given_time());
  EXPECT_EQ(delivery.recorded_by(), TestCaller{}.user);
  // A retry returns the first consent and records nothing new.
  const size_t events = StreamLength();
  v1::Consent again;
  ASSERT_TRUE(
      CreateConsent(p.name(), v1::PROGRAMME_DELIVERY, &again, request_id).ok());
  EXPECT_TRUE(SameMessage(again, delivery));
  EXPECT_EQ(StreamLength(), events);
  EXPECT_TRUE(
      StatusIs(CreateConsent(p.name(), v1::EVALUATION, &again, request_id),
               Code::INVALID_ARGUMENT, "request_id"));

  v1::Consent sharing;
  ASSERT_TRUE(CreateConsent(p.name(), v1::REFERRAL_SHARING, &sharing).ok());
  v1::ListConsentsResponse listed;
  ASSERT_TRUE(ListConsents(p.name(), false, &listed).ok());
  ASSERT_EQ(listed.consents_size(), 2);
  EXPECT_TRUE(SameMessage(listed.consents(0), delivery));
  EXPECT_TRUE(SameMessage(listed.consents(1), sharing));

  const TestCaller colleague{TestCaller{}.organisation, "adviser-two"};
  v1::Consent withdrawn;
  ASSERT_TRUE(Withdraw(delivery.name(), &withdrawn, colleague).ok());
  EXPECT_FALSE(withdrawn.live());
  EXPECT_TRUE(withdrawn.has_withdrawn_time());
  EXPECT_EQ(withdrawn.withdrawn_recorded_by(), colleague.user);
  EXPECT_TRUE(StatusIs(Withdraw(delivery.name(), &withdrawn),
                       Code::FAILED_PRECONDITION));

  ASSERT_TRUE(ListConsents(p.name(), false, &listed).ok());
  ASSERT_EQ(listed.consents_size(), 1);
  EXPECT_EQ(listed.consents(0).name(), sharing.name());
  ASSERT_TRUE(ListConsents(p.name(), true, &listed).ok());
  ASSERT_EQ(listed.consents_size(), 2);
  EXPECT_FALSE(listed.consents(0).live());
  EXPECT_TRUE(listed.consents(0).has_withdrawn_time());
}

TEST_F(ParticipantsIntegrationTest,
       BadConsentIsInvalidArgumentAndStoresNothing) {
  v1::Participant p = MustEnrol();
  const size_t events = StreamLength();
  struct Case {
    std::string label;
    std::function<void(v1::CreateConsentRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no purpose", [](auto& r) { r.mutable_consent()->clear_purpose(); },
       "consent.purpose"},
      {"no categories",
       [](auto& r) { r.mutable_consent()->clear_data_categories(); },
       "consent.data_categories"},
      {"unspecified category",
       [](auto& r) {
         r.mutable_consent()->add_data_categories(
             v1::DATA_CATEGORY_UNSPECIFIED);
       },
       "consent.data_categories[1]"},
      {"malformed organisation",
       [](auto& r) { r.mutable_consent()->add_organisations("Not An Id"); },
       "consent.organisations[0]"},
      {"statement too long",
       [](auto& r) {
         r.mutable_consent()->set_statement(std::string(2001, 's'));
       },
       "consent.statement"},
      {"no request id", [](auto& r) { r.clear_request_id(); }, "request_id"},
      {"no consent", [](auto& r) { r.clear_consent(); }, "consent"},
      {"malformed parent", [](auto& r) { r.set_parent("contracts/x"); },
       "parent"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    v1::CreateConsentRequest request;
    request.set_parent(p.name());
    request.set_request_id(UniqueId("consent"));
    request.mutable_consent()->set_purpose(v1::PROGRAMME_DELIVERY);
    request.mutable_consent()->add_data_categories(v1::IDENTITY);
    c.spoil(request);
    v1::Consent out;
    EXPECT_TRUE(StatusIs(
        participants_->CreateConsent(CallContext().get(), request, &out),
        Code::INVALID_ARGUMENT, c.field));
  }
  v1::ListConsentsResponse listed;
  ASSERT_TRUE(ListConsents(p.name(), true, &listed).ok());
  EXPECT_EQ(listed.consents_size(), 0);
  EXPECT_EQ(StreamLength(), events);
}

TEST_F(ParticipantsIntegrationTest, EqualityDataOnlyWithConsentAndPurpose) {
  v1::Participant p = MustEnrol();
  v1::EqualityData data;
  // No consent at all.
  EXPECT_TRUE(StatusIs(PutEquality(p.name(), v1::EQUALITY_MONITORING, &data),
                       Code::FAILED_PRECONDITION));
  // A consent for another purpose does not cover equality monitoring.
  v1::Consent evaluation;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EVALUATION, &evaluation).ok());
  EXPECT_TRUE(StatusIs(PutEquality(p.name(), v1::EQUALITY_MONITORING, &data),
                       Code::FAILED_PRECONDITION));

  v1::Consent equality;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &equality).ok());
  // The caller must state the purpose, and only that purpose will do.
  for (v1::ConsentPurpose wrong :
       {v1::CONSENT_PURPOSE_UNSPECIFIED, v1::PROGRAMME_DELIVERY}) {
    SCOPED_TRACE(v1::ConsentPurpose_Name(wrong));
    grpc::Status put = PutEquality(p.name(), wrong, &data);
    EXPECT_FALSE(put.ok());
    EXPECT_TRUE(StatusIs(put, put.error_code(), "purpose")) << Describe(put);
    EXPECT_TRUE(put.error_code() == Code::PERMISSION_DENIED ||
                put.error_code() == Code::INVALID_ARGUMENT)
        << Describe(put);
  }
  // Consent, but nothing recorded yet.
  EXPECT_TRUE(StatusIs(GetEquality(p.name(), v1::EQUALITY_MONITORING, &data),
                       Code::NOT_FOUND));

  v1::EqualityData stored;
  grpc::Status status = PutEquality(p.name(), v1::EQUALITY_MONITORING, &stored);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(stored.ethnicity(), "White British");
  EXPECT_TRUE(stored.has_update_time());
  v1::EqualityData got;
  ASSERT_TRUE(GetEquality(p.name(), v1::EQUALITY_MONITORING, &got).ok());
  EXPECT_TRUE(SameMessage(got, stored));
  grpc::Status without_purpose =
      GetEquality(p.name(), v1::CONSENT_PURPOSE_UNSPECIFIED, &got);
  EXPECT_FALSE(without_purpose.ok());
  EXPECT_TRUE(
      StatusIs(without_purpose, without_purpose.error_code(), "purpose"));
  EXPECT_TRUE(StatusIs(GetEquality(p.name(), v1::EVALUATION, &got),
                       Code::PERMISSION_DENIED, "purpose"));
  // Withdrawing another consent leaves the data alone.
  v1::Consent out;
  ASSERT_TRUE(Withdraw(evaluation.name(), &out).ok());
  ASSERT_TRUE(GetEquality(p.name(), v1::EQUALITY_MONITORING, &got).ok());
  EXPECT_TRUE(SameMessage(got, stored));
}

TEST_F(ParticipantsIntegrationTest, WithdrawingEqualityConsentErasesTheData) {
  v1::Participant p = MustEnrol();
  v1::Consent first;
  v1::Consent second;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &first).ok());
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &second).ok());
  v1::EqualityData data;
  ASSERT_TRUE(PutEquality(p.name(), v1::EQUALITY_MONITORING, &data).ok());

  // While one equality consent stays live, the data stays.
  v1::Consent out;
  ASSERT_TRUE(Withdraw(first.name(), &out).ok());
  v1::EqualityData got;
  EXPECT_TRUE(GetEquality(p.name(), v1::EQUALITY_MONITORING, &got).ok());

  ASSERT_TRUE(Withdraw(second.name(), &out).ok());
  EXPECT_TRUE(StatusIs(GetEquality(p.name(), v1::EQUALITY_MONITORING, &got),
                       Code::FAILED_PRECONDITION));
  // Consent given again does not bring the old answers back: they are gone.
  v1::Consent renewed;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &renewed).ok());
  EXPECT_TRUE(StatusIs(GetEquality(p.name(), v1::EQUALITY_MONITORING, &got),
                       Code::NOT_FOUND));

  int erased = 0;
  for (const EventEnvelope& event : EventsOf(p.name())) {
    erased += event.type() == ParticipantsEventType("EqualityDataErased");
  }
  EXPECT_EQ(erased, 1);
}

// ---- Restart
// ------------------------------------------------------------------------

TEST_F(ParticipantsIntegrationTest, RestartKeepsEveryRecord) {
  std::vector<v1::Participant> before;
  std::vector<v1::CreateParticipantRequest> requests;
  for (int i = 0; i < 25; ++i) {
    requests.push_back(CreateRequest(contract_, ValidParticipant()));
    v1::Participant p;
    ASSERT_TRUE(Create(requests.back(), &p).ok());
    before.push_back(p);
  }
  ASSERT_TRUE(SetStatus(before[3].name(), v1::STARTED, &before[3]).ok());
  v1::Consent consent;
  ASSERT_TRUE(
      CreateConsent(before[5].name(), v1::EQUALITY_MONITORING, &consent).ok());
  v1::EqualityData equality;
  ASSERT_TRUE(
      PutEquality(before[5].name(), v1::EQUALITY_MONITORING, &equality).ok());
  const size_t events = StreamLength();

  absl::Status restarted = suite_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  participants_ = suite_->NewStub();

  for (const v1::Participant& p : before) {
    v1::Participant got;
    grpc::Status status = Get(p.name(), &got);
    ASSERT_TRUE(status.ok()) << p.name() << ": " << Describe(status);
    EXPECT_TRUE(SameMessage(got, p));
  }
  EXPECT_EQ(Names(ListAll()), Names(before));
  v1::ListConsentsResponse consents;
  ASSERT_TRUE(ListConsents(before[5].name(), false, &consents).ok());
  ASSERT_EQ(consents.consents_size(), 1);
  EXPECT_TRUE(SameMessage(consents.consents(0), consent));
  v1::EqualityData got;
  ASSERT_TRUE(
      GetEquality(before[5].name(), v1::EQUALITY_MONITORING, &got).ok());
  EXPECT_TRUE(SameMessage(got, equality));

  // Idempotency keys, duplicate keys and etags survive too.
  v1::Participant replay;
  ASSERT_TRUE(Create(requests[0], &replay).ok());
  EXPECT_EQ(replay.name(), before[0].name());
  v1::Participant duplicate;
  EXPECT_TRUE(StatusIs(
      Create(CreateRequest(contract_, requests[1].participant()), &duplicate),
      Code::ALREADY_EXISTS));
  EXPECT_EQ(StreamLength(), events);
  v1::Participant change = before[3];
  change.set_given_name("Grace");
  v1::Participant updated;
  EXPECT_TRUE(Update(change, {"given_name"}, &updated).ok());
}

// ---- Events
// --------------------------------------------------------------------------

TEST_F(ParticipantsIntegrationTest, EveryChangeEmitsExactlyOneEvent) {
  const TestCaller adviser;
  const TestCaller colleague{adviser.organisation, "adviser-two"};
  const v1::CreateParticipantRequest create =
      CreateRequest(contract_, ValidParticipant());
  v1::Participant p;
  ASSERT_TRUE(Create(create, &p).ok());
  v1::Participant bystander = MustEnrol();

  v1::Participant change;
  change.set_name(p.name());
  change.set_given_name("Grace");
  v1::Participant out;
  ASSERT_TRUE(Update(change, {"given_name"}, &out).ok());               // v2
  ASSERT_TRUE(SetStatus(p.name(), v1::STARTED, &out, colleague).ok());  // v3
  change.set_adviser("adviser-b");
  change.set_status(v1::IN_WORK);  // follows a job start: refused here
  EXPECT_FALSE(Update(change, {"adviser", "status"}, &out).ok());
  ASSERT_TRUE(Update(change, {"adviser"}, &out).ok());  // v4
  // Neither a refused change nor a retried create is a change.
  EXPECT_FALSE(SetStatus(p.name(), v1::REFERRED).ok());
  ASSERT_TRUE(Create(create, &out).ok());
  v1::Consent consent;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &consent).ok());
  v1::EqualityData data;
  ASSERT_TRUE(PutEquality(p.name(), v1::EQUALITY_MONITORING, &data).ok());
  v1::Consent withdrawn;
  ASSERT_TRUE(
      Withdraw(consent.name(), &withdrawn, colleague).ok());  // 2 events
  ASSERT_TRUE(Delete(p.name()).ok());                         // v5

  const std::vector<EventEnvelope> all = Events();
  std::set<std::string> ids;
  for (const EventEnvelope& event : all) {
    EXPECT_TRUE(ids.insert(event.event_id()).second)
        << "event id twice: " << event.event_id();
    EXPECT_EQ(event.tenancy(), absl::StrCat("c:", contract_));
    EXPECT_EQ(event.acting_organisation(), adviser.organisation);
    EXPECT_TRUE(event.has_occurred_at());
    EXPECT_EQ(event.payload().type_url(),
              absl::StrCat("type.googleapis.com/", event.type()));
  }
  EXPECT_EQ(EventsOf(bystander.name()).size(), 1u);

  const std::vector<EventEnvelope> events = EventsOf(p.name());
  const std::vector<std::pair<std::string, std::string>> want = {
      {"ParticipantCreated", adviser.user},
      {"ParticipantUpdated", adviser.user},
      {"ParticipantStatusChanged", colleague.user},
      {"ParticipantUpdated", adviser.user},
      {"ConsentGiven", adviser.user},
      {"EqualityDataRecorded", adviser.user},
      {"ConsentWithdrawn", colleague.user},
      {"EqualityDataErased", colleague.user},
      {"ParticipantDeleted", adviser.user},
  };
  ASSERT_EQ(events.size(), want.size());
  int64_t version = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("event ", i, " ", events[i].type()));
    EXPECT_EQ(events[i].type(), ParticipantsEventType(want[i].first));
    EXPECT_EQ(events[i].acting_user(), want[i].second);
    EXPECT_GE(events[i].aggregate_version(), version);  // never goes back
    version = events[i].aggregate_version();
    if (i > 0) {
      EXPECT_GE(google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                    events[i].occurred_at()),
                google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                    events[i - 1].occurred_at()));
    }
  }
  EXPECT_EQ(events[0].aggregate_version(), 1);
  EXPECT_EQ(events[1].aggregate_version(), 2);
  EXPECT_EQ(events[2].aggregate_version(), 3);
  EXPECT_EQ(events[3].aggregate_version(), 4);
  EXPECT_EQ(events[4].aggregate_version(), 4);  // consents: no new version
  EXPECT_EQ(events[8].aggregate_version(), 5);

  // The facts each event carries.
  const auto created = Unpack<v1::ParticipantCreated>(events[0]);
  EXPECT_EQ(created.facts().participant(), p.name());
  EXPECT_EQ(created.facts().contract(), contract_);
  EXPECT_EQ(created.facts().programme(), "restart");
  EXPECT_EQ(created.facts().enrolling_organisation(), adviser.organisation);
  EXPECT_EQ(created.facts().adviser(), "adviser-one");
  EXPECT_EQ(created.facts().status(), v1::REFERRED);
  EXPECT_EQ(created.facts().spell(), 1);
  EXPECT_EQ(created.facts().referral_source(), v1::JOBCENTRE_PLUS);
  EXPECT_EQ(created.facts().outward_code(), "M1");
  EXPECT_TRUE(SameMessage(created.facts().referral_date(), p.referral_date()));
  const auto renamed = Unpack<v1::ParticipantUpdated>(events[1]);
  ASSERT_EQ(renamed.changed_fields_size(), 1);
  EXPECT_EQ(renamed.changed_fields(0), "given_name");
  EXPECT_EQ(renamed.facts().status(), v1::REFERRED);
  const auto started = Unpack<v1::ParticipantStatusChanged>(events[2]);
  EXPECT_EQ(started.previous_status(), v1::REFERRED);
  EXPECT_EQ(started.facts().status(), v1::STARTED);
  EXPECT_TRUE(started.facts().has_start_date());
  const auto readvised = Unpack<v1::ParticipantUpdated>(events[3]);
  ASSERT_EQ(readvised.changed_fields_size(), 1);
  EXPECT_EQ(readvised.changed_fields(0), "adviser");
  EXPECT_EQ(readvised.facts().adviser(), "adviser-b");
  const auto given = Unpack<v1::ConsentGiven>(events[4]);
  EXPECT_EQ(given.participant(), p.name());
  EXPECT_EQ(given.consent(), consent.name());
  EXPECT_EQ(given.purpose(), v1::EQUALITY_MONITORING);
  ASSERT_EQ(given.data_categories_size(), 1);
  EXPECT_EQ(given.data_categories(0), v1::EQUALITY);
  EXPECT_EQ(Unpack<v1::EqualityDataRecorded>(events[5]).participant(),
            p.name());
  const auto withdrawal = Unpack<v1::ConsentWithdrawn>(events[6]);
  EXPECT_EQ(withdrawal.consent(), consent.name());
  EXPECT_EQ(withdrawal.purpose(), v1::EQUALITY_MONITORING);
  EXPECT_EQ(Unpack<v1::EqualityDataErased>(events[7]).participant(), p.name());
  const auto deleted = Unpack<v1::ParticipantDeleted>(events[8]);
  EXPECT_EQ(deleted.facts().participant(), p.name());
  EXPECT_EQ(deleted.facts().status(), v1::STARTED);
}

TEST_F(ParticipantsIntegrationTest,
       ConcurrentUpdatesEmitOneEventPerSuccessfulWrite) {
  v1::Participant p = MustEnrol();
  constexpr int kWriters = 10;
  std::atomic<int> succeeded{0};
  std::vector<std::string> unexpected;
  absl::Mutex mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      v1::Participant change;
      change.set_name(p.name());
      change.set_given_name(absl::StrCat("Writer", i));
      v1::Participant out;
      grpc::Status status = Update(change, {"given_name"}, &out);
      if (status.ok()) {
        ++succeeded;
      } else if (status.error_code() !=
                 Code::ABORTED) {  // gave up retrying: allowed
        absl::MutexLock lock(&mu);
        unexpected.push_back(Describe(status));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  ASSERT_GT(succeeded.load(), 0);

  const std::vector<EventEnvelope> events = EventsOf(p.name());
  ASSERT_EQ(events.size(), static_cast<size_t>(1 + succeeded.load()));
  std::set<int64_t> versions;
  for (const EventEnvelope& event : events)
    versions.insert(event.aggregate_version());
  EXPECT_EQ(versions.size(), events.size())
      << "two events claim the same version";
  v1::Participant now;
  ASSERT_TRUE(Get(p.name(), &now).ok());
  EXPECT_EQ(now.etag(), absl::StrCat(1 + succeeded.load()));
  EXPECT_EQ(Unpack<v1::ParticipantUpdated>(events.back()).facts().participant(),
            p.name());
}

// ---- What lands in Redis, as another service or an auditor sees it
// ----------------

// The non-empty lines of redis-cli's output.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line :
       absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    lines.emplace_back(absl::StripAsciiWhitespace(line));
  }
  return lines;
}

// Identity and contact values of `p` as they could appear in stored bytes.
std::vector<std::string> PersonalValues(const v1::Participant& p) {
  std::string nino_lower = p.national_insurance_number();
  absl::AsciiStrToLower(&nino_lower);
  return {p.national_insurance_number(),
          nino_lower,
          p.given_name(),
          p.family_name(),
          p.contact().email(),
          p.contact().phone(),
          p.contact().address_lines(0),
          p.contact().postcode(),
          absl::StrReplaceAll(p.contact().postcode(), {{" ", ""}})};
}

v1::Participant DistinctivePerson() {
  v1::Participant p = ValidParticipant();
  p.set_given_name("Zebedee");
  p.set_family_name("Quixotic-Marchbanks");
  p.mutable_contact()->set_email("zebedee.q@example.org");
  p.mutable_contact()->set_address_lines(0, "7 Quayside Mews");
  p.mutable_contact()->set_postcode("SW1A 2AA");
  return p;
}

TEST_F(ParticipantsIntegrationTest, EventsCarryNoIdentityOrContactData) {
  v1::Participant p = MustEnrol(DistinctivePerson());
  v1::Participant change = p;
  change.set_family_name("Quixotic-Smith");
  v1::Participant out;
  ASSERT_TRUE(Update(change, {"family_name", "contact"}, &out).ok());
  ASSERT_TRUE(SetStatus(p.name(), v1::STARTED).ok());
  v1::Consent consent;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &consent).ok());
  v1::EqualityData data;
  ASSERT_TRUE(PutEquality(p.name(), v1::EQUALITY_MONITORING, &data).ok());
  ASSERT_TRUE(Delete(p.name()).ok());

  absl::StatusOr<std::vector<storage::StreamEntry>> entries =
      suite_->store().StreamRead(test_harness::EventStream(contract_), "0-0",
                                 100);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 6u);
  std::vector<std::string> personal = PersonalValues(p);
  personal.push_back("Quixotic-Smith");
  personal.push_back(data.ethnicity());  // special category data stays out too
  for (const storage::StreamEntry& entry : *entries) {
    for (const std::string& value : personal) {
      EXPECT_FALSE(absl::StrContains(entry.payload, value))
          << "event " << entry.id << " carries \"" << value << "\"";
    }
  }
}

TEST_F(ParticipantsIntegrationTest,
       KeysCarryTheContractHashTagAndNoPersonalData) {
  absl::StatusOr<std::string> redis = test_harness::TestRedisAddress();
  ASSERT_TRUE(redis.ok()) << redis.status();
  v1::Participant p = MustEnrol(DistinctivePerson());
  v1::Consent consent;
  ASSERT_TRUE(CreateConsent(p.name(), v1::EQUALITY_MONITORING, &consent).ok());
  v1::EqualityData data;
  ASSERT_TRUE(PutEquality(p.name(), v1::EQUALITY_MONITORING, &data).ok());

  absl::StatusOr<std::string> scan = test_harness::RedisCli(
      *redis, {"--scan", "--pattern", absl::StrCat("*", contract_, "*")});
  ASSERT_TRUE(scan.ok()) << scan.status();
  const std::vector<std::string> keys = Lines(*scan);
  // The record, consents, equality data, duplicate key, idempotency keys,
  // indexes, the event stream and the audit trail: all of them in the
  // contract's hash slot, so that each write and its audit entry commit
  // together.
  EXPECT_GE(keys.size(), 6u) << *scan;
  const std::string slot = absl::StrCat("employability:{c:", contract_, "}:");
  const std::string trail = absl::StrCat(slot, "audit:trail");
  for (const std::string& key : keys) {
    EXPECT_TRUE(absl::StartsWith(key, absl::StrCat(slot, "participants:")) ||
                key == trail)
        << key;
    for (const std::string& value : PersonalValues(p)) {
      EXPECT_FALSE(absl::StrContains(key, value))
          << key << " holds \"" << value << "\"";
    }
  }
}

TEST_F(ParticipantsIntegrationTest, IdempotencyKeysAreKeptAtLeastADay) {
  absl::StatusOr<std::string> redis = test_harness::TestRedisAddress();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const v1::CreateParticipantRequest request =
      CreateRequest(contract_, ValidParticipant());
  v1::Participant p;
  ASSERT_TRUE(Create(request, &p).ok());
  const std::string key =
      storage::KeySpace("participants", storage::ContractTenancy(contract_))
          .Idempotency(TestCaller{}.organisation, request.request_id());
  absl::StatusOr<std::string> pttl =
      test_harness::RedisCli(*redis, {"PTTL", key});
  ASSERT_TRUE(pttl.ok()) << pttl.status();
  int64_t millis = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(*pttl), &millis))
      << *pttl;
  EXPECT_NE(millis, -2) << key << " does not exist";
  EXPECT_NE(millis, -1) << key
                        << " never expires: retry keys would pile up forever";
  EXPECT_GE(millis,
            absl::ToInt64Milliseconds(absl::Hours(24) - absl::Minutes(1)));
}

TEST_F(ParticipantsIntegrationTest, EventStreamFollowsTheDocumentedContract) {
  absl::StatusOr<std::string> redis = test_harness::TestRedisAddress();
  ASSERT_TRUE(redis.ok()) << redis.status();
  MustEnrol();
  MustEnrol();
  // events.proto: "Every stream entry has one field, "event", whose value is
  // a serialized EventEnvelope." A consumer in another language relies on it.
  constexpr char kFieldNames[] =
      "local names = {} "
      "for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do "
      "  for i = 1, #entry[2], 2 do names[#names + 1] = entry[2][i] end "
      "end "
      "return names";
  absl::StatusOr<std::string> fields = test_harness::RedisCli(
      *redis, {"EVAL", kFieldNames, "1", test_harness::EventStream(contract_)});
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(Lines(*fields), (std::vector<std::string>{"event", "event"}))
      << "stream entries' field names differ from events.proto";

  // The registry of streams lets a consumer discover this new tenancy.
  const std::string registry = storage::StreamRegistry("participants");
  absl::StatusOr<std::string> type =
      test_harness::RedisCli(*redis, {"TYPE", registry});
  ASSERT_TRUE(type.ok()) << type.status();
  const std::string kind(absl::StripAsciiWhitespace(*type));
  absl::StatusOr<std::string> member =
      kind == "set"
          ? test_harness::RedisCli(
                *redis,
                {"SISMEMBER", registry, test_harness::EventStream(contract_)})
          : test_harness::RedisCli(
                *redis,
                {"ZSCORE", registry, test_harness::EventStream(contract_)});
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_TRUE(kind == "set" || kind == "zset") << registry << " is a " << kind;
  // SISMEMBER answers 1 for a member; ZSCORE answers its score, nothing for
  // a stranger.
  const absl::string_view answer = absl::StripAsciiWhitespace(*member);
  EXPECT_TRUE(kind == "set" ? answer == "1" : !answer.empty())
      << "stream not registered";
}

}  // namespace
}  // namespace employability
