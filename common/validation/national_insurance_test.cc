#include "common/validation/national_insurance.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace employability::validation {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kField[] = "participant.national_insurance_number";

TEST(NationalInsuranceTest, AcceptsAndNormalisesValidNumbers) {
  struct Case {
    const char* input;
    const char* want;
  };
  const Case kCases[] = {
      {"AB123456C", "AB123456C"},
      {"ab123456c", "AB123456C"},
      {"AB 12 34 56 C", "AB123456C"},
      {" AB123456C ", "AB123456C"},
      {"Ab 123456 d", "AB123456D"},
      {"JG103759A", "JG103759A"},
      {"CE000000B", "CE000000B"},
      {"EH999999D", "EH999999D"},
      {"HW123456A", "HW123456A"},
      {"ZA123456B", "ZA123456B"},
      {"OA123456C", "OA123456C"},
      {"TA123456D", "TA123456D"},
      {"NA123456A", "NA123456A"},
      {"KA123456B", "KA123456B"},
      {"GA123456C", "GA123456C"},
      {"BA123456D", "BA123456D"},
      {"PZ123456A", "PZ123456A"},
      {"YX987654B", "YX987654B"},
      // Pairs near the disallowed ones are allocated.
      {"NE123456C", "NE123456C"},
      {"TB123456A", "TB123456A"},
      {"GG123456B", "GG123456B"},
      {"KM123456C", "KM123456C"},
      {"ZY123456D", "ZY123456D"},
      {"A B1 2 3 4 5 6C", "AB123456C"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<std::string> got =
        NormaliseNationalInsuranceNumber(kField, c.input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(NationalInsuranceTest, RejectsInvalidNumbersNamingTheRule) {
  struct Case {
    const char* input;
    const char* problem;  // A phrase the message must contain.
  };
  const Case kCases[] = {
      // First letter D, F, I, Q, U or V.
      {"DA123456A", "cannot start with"},
      {"FA123456A", "cannot start with"},
      {"IA123456A", "cannot start with"},
      {"QQ123456C", "cannot start with"},
      {"UA123456A", "cannot start with"},
      {"va123456a", "cannot start with"},
      // Second letter D, F, I, O, Q, U or V.
      {"AD123456A", "second letter"},
      {"AF123456A", "second letter"},
      {"AI123456A", "second letter"},
      {"AO123456A", "second letter"},
      {"AQ123456A", "second letter"},
      {"AU123456A", "second letter"},
      {"AV123456A", "second letter"},
      // Prefixes never allocated, and temporary numbers.
      {"BG123456A", "never allocates"},
      {"GB123456A", "never allocates"},
      {"KN123456A", "never allocates"},
      {"NK123456A", "never allocates"},
      {"NT123456A", "never allocates"},
      {"ZZ123456A", "never allocates"},
      {"TN123456A", "temporary"},
      {"tn 31 01 80 F", "temporary"},
      // Suffix.
      {"AB123456E", "must end with the letter A, B, C or D"},
      {"AB123456Z", "must end with the letter A, B, C or D"},
      {"AB1234567", "must end with the letter A, B, C or D"},
      // Length.
      {"AB123456", "must be 9 characters"},  // Missing suffix.
      {"AB12345C", "must be 9 characters"},
      {"AB1234567C", "must be 9 characters"},
      {"AB123456CC", "must be 9 characters"},
      {"A", "must be 9 characters"},
      // Letters and digits out of place.
      {"AB12X456C", "6 digits"},
      {"ABO23456C", "6 digits"},
      {"A1123456C", "must start with 2 letters"},
      {"12123456C", "must start with 2 letters"},
      // Punctuation and other characters.
      {"AB-12-34-56-C", "only letters, digits and spaces"},
      {"AB.123456.C", "only letters, digits and spaces"},
      {"AB\t123456C", "only letters, digits and spaces"},
      {"AB123456C\n", "only letters, digits and spaces"},
      {"AB123456C\xC2\xA0", "only letters, digits and spaces"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<std::string> got =
        NormaliseNationalInsuranceNumber(kField, c.input);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(got.status().message());
    EXPECT_THAT(message, StartsWith(std::string(kField) + ": "));
    EXPECT_THAT(message, HasSubstr(c.problem));
    // The number is personal data: it must not travel in the error.
    std::string compact =
        absl::AsciiStrToUpper(absl::StrReplaceAll(c.input, {{" ", ""}}));
    if (compact.size() > 3) {
      EXPECT_THAT(message, Not(HasSubstr(compact)));
      EXPECT_THAT(message, Not(HasSubstr(c.input)));
    }
  }
}

TEST(NationalInsuranceTest, EmptyIsRequired) {
  for (const char* input : {"", " ", "    "}) {
    SCOPED_TRACE(input);
    absl::StatusOr<std::string> got =
        NormaliseNationalInsuranceNumber(kField, input);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), std::string(kField) + " is required");
  }
}

}  // namespace
}  // namespace employability::validation
