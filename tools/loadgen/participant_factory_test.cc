#include "tools/loadgen/participant_factory.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "common/validation/national_insurance.h"

namespace employability::tools {
namespace {

using participants::v1::CreateParticipantRequest;

// HMRC's format: no D, F, I, Q, U, V in the prefix, no O second, suffix A-D,
// and a few prefixes never allocated.
bool ValidNino(const std::string& nino) {
  static const std::regex kFormat(
      "^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$");
  if (!std::regex_match(nino, kFormat)) return false;
  std::string prefix = nino.substr(0, 2);
  for (const char* bad : {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}) {
    if (prefix == bad) return false;
  }
  return true;
}

TEST(ParticipantFactoryTest, NinosAreValidAndDistinct) {
  ParticipantFactory factory(ParticipantShape{}, 42);
  std::set<std::string> seen;
  for (uint64_t n = 0; n < 200000; ++n) {
    std::string nino = factory.NationalInsuranceNumber(n);
    ASSERT_TRUE(ValidNino(nino)) << nino;
    ASSERT_TRUE(seen.insert(nino).second) << nino;
  }
}

TEST(ParticipantFactoryTest, EveryPrefixIsValid) {
  // Steps of 4 million walk the prefixes one by one.
  ParticipantFactory factory(ParticipantShape{}, 7);
  for (uint64_t n = 0; n < 400; ++n) {
    std::string nino = factory.NationalInsuranceNumber(n * 4000000);
    EXPECT_TRUE(ValidNino(nino)) << nino;
  }
}

TEST(ParticipantFactoryTest, NinosPassTheServicesValidator) {
  for (uint64_t seed : {1, 2, 3}) {
    ParticipantFactory factory(ParticipantShape{}, seed);
    for (uint64_t n = 0; n < 400; ++n) {
      std::string nino = factory.NationalInsuranceNumber(n * 4000000 + n);
      auto normalised =
          validation::NormaliseNationalInsuranceNumber("nino", nino);
      ASSERT_TRUE(normalised.ok()) << nino << ": " << normalised.status();
      EXPECT_EQ(*normalised, nino);
    }
  }
}

TEST(ParticipantFactoryTest, RunsStartApart) {
  ParticipantFactory a(ParticipantShape{}, 1), b(ParticipantShape{}, 2);
  EXPECT_NE(a.NationalInsuranceNumber(0), b.NationalInsuranceNumber(0));
  EXPECT_NE(a.RequestId(0), b.RequestId(0));
}

TEST(ParticipantFactoryTest, RequestIdsAreDistinctUuids) {
  static const std::regex kUuid(
      "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  ParticipantFactory factory(ParticipantShape{}, 3);
  std::set<std::string> seen;
  for (uint64_t n = 0; n < 10000; ++n) {
    std::string id = factory.RequestId(n);
    ASSERT_TRUE(std::regex_match(id, kUuid)) << id;
    ASSERT_TRUE(seen.insert(id).second) << id;
  }
}

TEST(ParticipantFactoryTest, FillsAValidParticipant) {
  ParticipantShape shape;
  shape.contract = "c1";
  ParticipantFactory factory(shape, 5);
  for (uint64_t n = 0; n < 1000; ++n) {
    CreateParticipantRequest request;
    factory.Fill(n, &request);
    const auto& p = request.participant();
    EXPECT_EQ(request.parent(), "contracts/c1");
    EXPECT_EQ(p.programme(), "restart");
    EXPECT_EQ(p.referral_source(), participants::v1::JOBCENTRE_PLUS);
    EXPECT_EQ(p.referral_date().year(), 2026);
    EXPECT_TRUE(std::regex_match(p.given_name(), std::regex("^[A-Za-z]+$")));
    EXPECT_TRUE(std::regex_match(p.family_name(), std::regex("^[A-Za-z]+$")))
        << p.family_name();
    EXPECT_LE(p.family_name().size(), 100u);
    EXPECT_GE(p.date_of_birth().year(), 1950);
    EXPECT_LE(p.date_of_birth().year(), 1999);
    EXPECT_GE(p.date_of_birth().month(), 1);
    EXPECT_LE(p.date_of_birth().month(), 12);
    EXPECT_GE(p.date_of_birth().day(), 1);
    EXPECT_LE(p.date_of_birth().day(), 28);
    EXPECT_EQ(p.contact().postcode(), "M1 1AE");
  }
}

}  // namespace
}  // namespace employability::tools
