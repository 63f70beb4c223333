#include "services/participants/participant_rules.h"

#include <string>

#include "gtest/gtest.h"

namespace employability::participants {
namespace {

v1::Participant ValidParticipant() {
  v1::Participant p;
  p.set_programme("restart");
  p.set_referral_source(v1::JOBCENTRE_PLUS);
  p.mutable_referral_date()->set_year(2026);
  p.mutable_referral_date()->set_month(1);
  p.mutable_referral_date()->set_day(5);
  p.set_given_name("Amira");
  p.set_family_name("Khan");
  p.mutable_date_of_birth()->set_year(1990);
  p.mutable_date_of_birth()->set_month(5);
  p.mutable_date_of_birth()->set_day(17);
  p.set_national_insurance_number("jk 12 34 56 a");
  p.mutable_contact()->set_postcode("m11ae");
  p.mutable_contact()->set_email("Amira@Example.ORG");
  p.mutable_contact()->set_phone("07700 900123");
  return p;
}

const absl::CivilDay kToday(2026, 3, 1);

TEST(NormaliseParticipant, NormalisesIdentityAndContact) {
  v1::Participant p = ValidParticipant();
  ASSERT_TRUE(NormaliseParticipant("participant", kToday, p).ok());
  EXPECT_EQ(p.national_insurance_number(), "JK123456A");
  EXPECT_EQ(p.contact().postcode(), "M1 1AE");
  EXPECT_EQ(p.contact().outward_code(), "M1");
  EXPECT_EQ(p.contact().email(), "Amira@example.org");
  EXPECT_EQ(p.contact().phone(), "+447700900123");
}

struct BadField {
  const char* expected_field;
  void (*spoil)(v1::Participant&);
};

class NormaliseParticipantRejects : public testing::TestWithParam<BadField> {};

TEST_P(NormaliseParticipantRejects, NamingTheField) {
  v1::Participant p = ValidParticipant();
  GetParam().spoil(p);
  absl::Status status = NormaliseParticipant("participant", kToday, p);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()).rfind(GetParam().expected_field, 0),
            0u)
      << status.message();
}

INSTANTIATE_TEST_SUITE_P(
    EveryField, NormaliseParticipantRejects,
    testing::Values(
        BadField{"participant.programme",
                 [](v1::Participant& p) { p.clear_programme(); }},
        BadField{"participant.programme",
                 [](v1::Participant& p) { p.set_programme("Re Start"); }},
        BadField{"participant.adviser",
                 [](v1::Participant& p) { p.set_adviser("Bad/Id"); }},
        BadField{"participant.referral_source",
                 [](v1::Participant& p) {
                   p.set_referral_source(v1::REFERRAL_SOURCE_UNSPECIFIED);
                 }},
        BadField{"participant.given_name",
                 [](v1::Participant& p) { p.clear_given_name(); }},
        BadField{"participant.family_name",
                 [](v1::Participant& p) {
                   p.set_family_name(std::string(101, 'x'));
                 }},
        BadField{"participant.given_name",
                 [](v1::Participant& p) { p.set_given_name("a\nb"); }},
        BadField{"participant.referral_date",
                 [](v1::Participant& p) { p.clear_referral_date(); }},
        BadField{"participant.referral_date",
                 [](v1::Participant& p) {
                   p.mutable_referral_date()->set_year(2027);
                 }},
        BadField{"participant.date_of_birth",
                 [](v1::Participant& p) {
                   p.mutable_date_of_birth()->set_day(31);
                   p.mutable_date_of_birth()->set_month(2);
                 }},
        BadField{"participant.date_of_birth",
                 [](v1::Participant& p) {
                   p.mutable_date_of_birth()->set_year(2015);
                 }},
        BadField{"participant.national_insurance_number",
                 [](v1::Participant& p) {
                   p.set_national_insurance_number("QQ123456C");
                 }},
        BadField{
            "participant.national_insurance_number",
            [](v1::Participant& p) { p.clear_national_insurance_number(); }},
        BadField{"participant.contact.postcode",
                 [](v1::Participant& p) {
                   p.mutable_contact()->set_postcode("XYZ");
                 }},
        BadField{
            "participant.contact.postcode",
            [](v1::Participant& p) { p.mutable_contact()->clear_postcode(); }},
        BadField{"participant.contact.email",
                 [](v1::Participant& p) {
                   p.mutable_contact()->set_email("no-at-sign");
                 }},
        BadField{"participant.contact.phone",
                 [](v1::Participant& p) {
                   p.mutable_contact()->set_phone("0900 123 4567");
                 }},
        BadField{"participant.contact.address_lines", [](v1::Participant& p) {
                   for (int i = 0; i < 5; ++i)
                     p.mutable_contact()->add_address_lines("x");
                 }}));

TEST(CheckTransition, FollowsTheProgramme) {
  EXPECT_TRUE(CheckTransition(v1::REFERRED, v1::STARTED).ok());
  EXPECT_TRUE(CheckTransition(v1::REFERRED, v1::WITHDRAWN).ok());
  EXPECT_TRUE(CheckTransition(v1::STARTED, v1::IN_WORK).ok());
  EXPECT_TRUE(CheckTransition(v1::IN_WORK, v1::STARTED).ok());
  EXPECT_TRUE(CheckTransition(v1::IN_WORK, v1::OUTCOME_ACHIEVED).ok());
  EXPECT_TRUE(CheckTransition(v1::OUTCOME_ACHIEVED, v1::EXITED).ok());
  EXPECT_TRUE(CheckTransition(v1::EXITED, v1::REFERRED).ok());  // re-join
  EXPECT_TRUE(CheckTransition(v1::WITHDRAWN, v1::REFERRED).ok());
}

TEST(CheckTransition, RefusesSkipsAndReopening) {
  for (auto [from, to] : {std::pair{v1::REFERRED, v1::IN_WORK},
                          {v1::REFERRED, v1::OUTCOME_ACHIEVED},
                          {v1::STARTED, v1::REFERRED},
                          {v1::EXITED, v1::STARTED},
                          {v1::WITHDRAWN, v1::STARTED}}) {
    absl::Status status = CheckTransition(from, to);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(
        std::string(status.message()).find(v1::ParticipantStatus_Name(from)),
        std::string::npos);
  }
  EXPECT_EQ(
      CheckTransition(v1::REFERRED, v1::PARTICIPANT_STATUS_UNSPECIFIED).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(ResourceNames, ParseAndRefuse) {
  auto name =
      ParseParticipantName("name", "contracts/nw-1/participants/abc123");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->contract, "nw-1");
  EXPECT_EQ(name->participant, "abc123");
  EXPECT_EQ(name->str(), "contracts/nw-1/participants/abc123");
  for (const char* bad :
       {"", "contracts/nw-1", "contracts//participants/a",
        "orgs/x/participants/a", "contracts/NW/participants/a",
        "contracts/x/participants/a/extra"}) {
    EXPECT_EQ(ParseParticipantName("name", bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(ParseContractName("parent", "contracts/nw-1").ok());
  EXPECT_FALSE(ParseContractName("parent", "contracts/nw-1/x").ok());
  auto consent =
      ParseConsentName("name", "contracts/c/participants/p/consents/k");
  ASSERT_TRUE(consent.ok());
  EXPECT_EQ(consent->second, "k");
  EXPECT_TRUE(
      ParseEqualityDataName("name", "contracts/c/participants/p/equalityData")
          .ok());
  EXPECT_FALSE(
      ParseEqualityDataName("name", "contracts/c/participants/p/equality")
          .ok());
}

TEST(FactsOf, CarriesNoIdentityOrContactData) {
  v1::Participant p = ValidParticipant();
  ASSERT_TRUE(NormaliseParticipant("participant", kToday, p).ok());
  p.set_name("contracts/c/participants/p");
  p.set_contract("c");
  p.add_spells()->set_number(1);
  std::string facts = FactsOf(p).DebugString();
  for (const std::string& personal :
       {p.given_name(), p.family_name(), p.national_insurance_number(),
        p.contact().email(), p.contact().phone(), std::string("M1 1AE")}) {
    EXPECT_EQ(facts.find(personal), std::string::npos) << personal;
  }
  EXPECT_NE(facts.find("M1"), std::string::npos);  // the area, for area KPIs
}

TEST(NormaliseConsent, NeedsPurposeAndCategories) {
  v1::Consent consent;
  EXPECT_EQ(std::string(NormaliseConsent("consent", consent).message())
                .rfind("consent.purpose", 0),
            0u);
  consent.set_purpose(v1::REFERRAL_SHARING);
  EXPECT_EQ(std::string(NormaliseConsent("consent", consent).message())
                .rfind("consent.data_categories", 0),
            0u);
  consent.add_data_categories(v1::IDENTITY);
  consent.add_organisations("Bad Org");
  EXPECT_EQ(std::string(NormaliseConsent("consent", consent).message())
                .rfind("consent.organisations[0]", 0),
            0u);
  consent.set_organisations(0, "partner-1");
  EXPECT_TRUE(NormaliseConsent("consent", consent).ok());
}

}  // namespace
}  // namespace employability::participants
