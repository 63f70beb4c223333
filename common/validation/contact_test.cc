#include "common/validation/contact.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace employability::validation {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kEmailField[] = "participant.contact.email";
constexpr char kPhoneField[] = "participant.contact.phone";

struct ValidCase {
  std::string input;
  std::string want;
};

struct InvalidCase {
  std::string input;
  std::string problem;  // A phrase the message must contain.
};

TEST(EmailTest, AcceptsPracticalAddressesLowerCasingTheDomain) {
  const ValidCase kCases[] = {
      {"jo.bloggs@example.org", "jo.bloggs@example.org"},
      {"Jo.Bloggs@Example.ORG", "Jo.Bloggs@example.org"},
      {"  jo@example.co.uk\n", "jo@example.co.uk"},
      {"a@b.co", "a@b.co"},
      {"first+tag@mail.example.com", "first+tag@mail.example.com"},
      {"o'neill@example.ie", "o'neill@example.ie"},
      {"x!#$%&'*+/=?^_`{|}~-y@example.org",
       "x!#$%&'*+/=?^_`{|}~-y@example.org"},
      {"user@my-domain.example", "user@my-domain.example"},
      {"user@123.example.org", "user@123.example.org"},
      {"user@xn--bcher-kva.example", "user@xn--bcher-kva.example"},
      {std::string(64, 'a') + "@example.org",
       std::string(64, 'a') + "@example.org"},
      {"u@" + std::string(63, 'd') + ".org",
       "u@" + std::string(63, 'd') + ".org"},
  };
  for (const ValidCase& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<std::string> got = NormaliseEmail(kEmailField, c.input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(EmailTest, EmptyIsAllowedAndEmpty) {
  for (const char* input : {"", "  "}) {
    absl::StatusOr<std::string> got = NormaliseEmail(kEmailField, input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, "");
  }
}

// A 64-character local part and a domain of labels within the 63-character
// limit: 254 characters when `third_label` is 57.
std::string LongAddress(size_t third_label) {
  return std::string(64, 'l') + "@" + std::string(63, 'a') + "." +
         std::string(63, 'b') + "." + std::string(third_label, 'c') + ".org";
}

TEST(EmailTest, LengthLimitIsInclusive) {
  ASSERT_EQ(LongAddress(57).size(), 254u);
  EXPECT_TRUE(NormaliseEmail(kEmailField, LongAddress(57)).ok());
  absl::StatusOr<std::string> got =
      NormaliseEmail(kEmailField, LongAddress(58));
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(got.status().message());
  EXPECT_THAT(message, StartsWith(std::string(kEmailField) + ": "));
  EXPECT_THAT(message, HasSubstr("at most 254"));
}

TEST(EmailTest, RejectsEachRuleNamingIt) {
  const InvalidCase kCases[] = {
      {"jo.example.org", "exactly one @"},
      {"jo@@example.org", "exactly one @"},
      {"jo@home@example.org", "exactly one @"},
      {"@example.org", "1 to 64 characters before the @"},
      {std::string(65, 'a') + "@example.org", "1 to 64 characters"},
      {"jo bloggs@example.org", "only letters, digits and"},
      {"jo,bloggs@example.org", "only letters, digits and"},
      {"\"jo\"@example.org", "only letters, digits and"},
      {"j\xC3\xB6@example.org", "only letters, digits and"},
      {".jo@example.org", "two dots"},
      {"jo.@example.org", "two dots"},
      {"jo..bloggs@example.org", "two dots"},
      {"jo@", "domain such as example.org"},
      {"jo@localhost", "domain such as example.org"},
      {"jo@example..org", "1 to 63 characters"},
      {"jo@.example.org", "1 to 63 characters"},
      {"jo@example.org.", "1 to 63 characters"},
      {"jo@" + std::string(64, 'd') + ".org", "1 to 63 characters"},
      {"jo@exa_mple.org", "only letters, digits, '-'"},
      {"jo@[192.0.2.1]", "only letters, digits, '-'"},
      {"jo@-example.org", "starts or ends with '-'"},
      {"jo@example-.org", "starts or ends with '-'"},
      {"jo@example.o", "top-level domain of at least two letters"},
      {"jo@example.123", "top-level domain of at least two letters"},
      {"jo@example.c0m", "top-level domain of at least two letters"},
      {"jo@192.0.2.1", "top-level domain of at least two letters"},
  };
  for (const InvalidCase& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<std::string> got = NormaliseEmail(kEmailField, c.input);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(got.status().message());
    EXPECT_THAT(message, StartsWith(std::string(kEmailField) + ": "));
    EXPECT_THAT(message, HasSubstr(c.problem));
    EXPECT_THAT(message, Not(HasSubstr(c.input)));
  }
}

TEST(UkPhoneTest, AcceptsUkNumbersAsE164) {
  // Ofcom's ranges reserved for drama, so no real subscriber is named.
  const ValidCase kCases[] = {
      {"07700 900123", "+447700900123"},
      {"07700900123", "+447700900123"},
      {"+44 7700 900123", "+447700900123"},
      {"+447700900123", "+447700900123"},
      {"0044 7700 900123", "+447700900123"},
      {"+44 (0)7700 900123", "+447700900123"},
      {"(020) 7946 0018", "+442079460018"},
      {"020-7946-0018", "+442079460018"},
      {" 020 7946 0018 ", "+442079460018"},
      {"0113 496 0000", "+441134960000"},
      {"0161 496 0999", "+441614960999"},
      {"028 9649 6000", "+442896496000"},
      {"029 2018 0000", "+442920180000"},
      {"01632 960123", "+441632960123"},
      {"01632 96012", "+44163296012"},  // Legacy 9-digit 01 number.
      {"0306 999 0000", "+443069990000"},
      {"055 1234 5678", "+445512345678"},
      {"0808 157 0000", "+448081570000"},
      {"07624 123456", "+447624123456"},
  };
  for (const ValidCase& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<std::string> got = NormaliseUkPhone(kPhoneField, c.input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(UkPhoneTest, EmptyIsAllowedAndEmpty) {
  for (const char* input : {"", "   "}) {
    absl::StatusOr<std::string> got = NormaliseUkPhone(kPhoneField, input);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, "");
  }
}

TEST(UkPhoneTest, RejectsEachRuleNamingIt) {
  const InvalidCase kCases[] = {
      // Not UK.
      {"+33 1 23 45 67 89", "+44 is the only country code"},
      {"0033 1 23 45 67 89", "+44 is the only country code"},
      {"001 202 555 0100", "+44 is the only country code"},
      {"+1 202 555 0100", "+44 is the only country code"},
      // No trunk 0 or country code.
      {"7700 900123", "must start with 0, or with +44"},
      {"44 7700 900123", "must start with 0, or with +44"},
      // Ranges that are not for contacting people.
      {"0909 879 0000", "premium-rate"},
      {"+44 909 879 0000", "premium-rate"},
      {"0400 000 0000", "must begin 01, 02, 03, 05, 07 or 08"},
      {"0600 000 0000", "must begin 01, 02, 03, 05, 07 or 08"},
      {"+44 0044 7700 900123", "must begin 01, 02, 03, 05, 07 or 08"},
      // Length.
      {"07700 90012", "10 digits"},    // 9 digits, not 01.
      {"07700 9001234", "10 digits"},  // 11 digits.
      {"01632 9601", "10 digits"},     // 8 digits.
      {"01632 9601234", "10 digits"},  // 11 digits.
      {"0", "10 digits"},
      {"+44", "10 digits"},
      {"()", "must start with 0, or with +44"},
      // Characters.
      {"07700.900.123", "only digits, spaces, dashes, brackets"},
      {"07700 900123 ext 4", "only digits, spaces, dashes, brackets"},
      {"0770O 900123", "only digits, spaces, dashes, brackets"},
      {"07700+900123", "only digits, spaces, dashes, brackets"},
      {"07700\t900123", "only digits, spaces, dashes, brackets"},
  };
  for (const InvalidCase& c : kCases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<std::string> got = NormaliseUkPhone(kPhoneField, c.input);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(got.status().message());
    EXPECT_THAT(message, StartsWith(std::string(kPhoneField) + ": "));
    EXPECT_THAT(message, HasSubstr(c.problem));
    if (c.input.size() > 4) {
      EXPECT_THAT(message, Not(HasSubstr(c.input)));
    }
  }
}

}  // namespace
}  // namespace employability::validation
