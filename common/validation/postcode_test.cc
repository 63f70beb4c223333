#include "common/validation/postcode.h"

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

constexpr char kField[] = "participant.address.postcode";

TEST(PostcodeTest, AcceptsEveryFormatAndNormalises) {
  struct Case {
    const char* input;
    const char* normalised;
    const char* outward;
    const char* inward;
  };
  const Case kCases[] = {
      {"EC1A 1BB", "EC1A 1BB", "EC1A", "1BB"},  // AA9A
      {"W1A 0AX", "W1A 0AX", "W1A", "0AX"},     // A9A
      {"M1 1AE", "M1 1AE", "M1", "1AE"},        // A9
      {"B33 8TH", "B33 8TH", "B33", "8TH"},     // A99
      {"CR2 6XH", "CR2 6XH", "CR2", "6XH"},     // AA9
      {"DN55 1PT", "DN55 1PT", "DN55", "1PT"},  // AA99
      {"GIR 0AA", "GIR 0AA", "GIR", "0AA"},     // Girobank
      {"gir0aa", "GIR 0AA", "GIR", "0AA"},
      {"sw1a 1aa", "SW1A 1AA", "SW1A", "1AA"},  // Lower case.
      {"SW1A1AA", "SW1A 1AA", "SW1A", "1AA"},   // No space.
      {"  SW1A   1AA  ", "SW1A 1AA", "SW1A", "1AA"},
      {"m11ae", "M1 1AE", "M1", "1AE"},
      {"e1w 1aa", "E1W 1AA", "E1W", "1AA"},
      {"N1C 4AG", "N1C 4AG", "N1C", "4AG"},
      {"SE1P 5DS", "SE1P 5DS", "SE1P", "5DS"},
      {"WC2H 7LT", "WC2H 7LT", "WC2H", "7LT"},
      {"SW1E 6QP", "SW1E 6QP", "SW1E", "6QP"},
      {"EC2Y 5BL", "EC2Y 5BL", "EC2Y", "5BL"},
      {"L1 8JQ", "L1 8JQ", "L1", "8JQ"},
      {"BS98 1TL", "BS98 1TL", "BS98", "1TL"},
      {"YO1 7HH", "YO1 7HH", "YO1", "7HH"},
      {"ZE2 9XN", "ZE2 9XN", "ZE2", "9XN"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<Postcode> got = NormalisePostcode(kField, c.input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->normalised, c.normalised);
    EXPECT_EQ(got->outward, c.outward);
    EXPECT_EQ(got->inward, c.inward);
  }
}

TEST(PostcodeTest, RejectsEachRuleNamingIt) {
  struct Case {
    const char* input;
    const char* problem;  // A phrase the message must contain.
  };
  const Case kCases[] = {
      // First position not Q, V or X.
      {"QA1 1AA", "cannot start with Q, V or X"},
      {"V1 1AA", "cannot start with Q, V or X"},
      {"x11 1aa", "cannot start with Q, V or X"},
      // Second position not I, J or Z.
      {"AI1 1AA", "second letter"},
      {"BJ1 1AA", "second letter"},
      {"CZ12 1AA", "second letter"},
      // A9A: the final letter is one of ABCDEFGHJKPSTUW.
      {"W1I 1AA", "A9A"},
      {"W1L 1AA", "A9A"},
      {"E1Z 1AA", "A9A"},
      // AA9A: the final letter is one of ABEHMNPRVWXY.
      {"EC1C 1BB", "AA9A"},
      {"SW1D 1AA", "AA9A"},
      {"EC1Z 1BB", "AA9A"},
      // Inward letters not C, I, K, M, O or V.
      {"M1 1CA", "C, I, K, M, O or V"},
      {"M1 1AI", "C, I, K, M, O or V"},
      {"M1 1KA", "C, I, K, M, O or V"},
      {"M1 1AM", "C, I, K, M, O or V"},
      {"M1 1OA", "C, I, K, M, O or V"},
      {"M1 1AV", "C, I, K, M, O or V"},
      // Inward shape.
      {"M1 AAE", "digit and two letters"},
      {"M1 11E", "digit and two letters"},
      {"M1 1A1", "digit and two letters"},
      // Outward shape.
      {"1M1 1AE", "UK postcode such as"},
      {"ABC1 1AA", "UK postcode such as"},
      {"A1B2 1AA", "UK postcode such as"},
      {"A12B 1AA", "UK postcode such as"},
      {"AA 1AA", "UK postcode such as"},
      {"GIR 1AA", "UK postcode such as"},    // Only GIR 0AA is special.
      {"AB12C 1AA", "UK postcode such as"},  // Too long.
      {"M1", "UK postcode such as"},         // Too short.
      {"1AA", "UK postcode such as"},
      // Characters.
      {"SW1A-1AA", "only letters, digits and spaces"},
      {"SW1A.1AA", "only letters, digits and spaces"},
      {"SW1A\t1AA", "only letters, digits and spaces"},
      {"SW1A 1A\xC3\x84", "only letters, digits and spaces"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<Postcode> got = NormalisePostcode(kField, c.input);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(got.status().message());
    EXPECT_THAT(message, StartsWith(std::string(kField) + ": "));
    EXPECT_THAT(message, HasSubstr(c.problem));
    std::string compact =
        absl::AsciiStrToUpper(absl::StrReplaceAll(c.input, {{" ", ""}}));
    if (compact.size() > 3) {
      EXPECT_THAT(message, Not(HasSubstr(compact)));
    }
  }
}

TEST(PostcodeTest, EmptyIsRequired) {
  for (const char* input : {"", "   "}) {
    SCOPED_TRACE(input);
    absl::StatusOr<Postcode> got = NormalisePostcode(kField, input);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), std::string(kField) + " is required");
  }
}

}  // namespace
}  // namespace employability::validation
