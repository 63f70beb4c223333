#include "common/validation/national_insurance.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/status/macros.h"
#include "common/status/validation.h"

namespace employability::validation {
namespace {

// Positions in the nine-character form.
constexpr int kLength = 9;
constexpr int kFirstDigit = 2;
constexpr int kSuffix = 8;

absl::Status CheckCharactersAndLength(absl::string_view field,
                                      absl::string_view number) {
  for (char c : number) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return InvalidField(field, "may contain only letters, digits and spaces");
    }
  }
  if (number.size() != kLength) {
    return InvalidField(field,
                        "must be 9 characters: 2 letters, 6 digits and a "
                        "final letter A, B, C or D (spaces are ignored)");
  }
  return absl::OkStatus();
}

// Temporary references (TN, date of birth, M or F) were issued while a real
// number was traced; they fail the suffix rule, but saying what they are
// tells the caller what to do.
absl::Status CheckNotTemporary(absl::string_view field,
                               absl::string_view number) {
  if (!absl::StartsWith(number, "TN")) return absl::OkStatus();
  return InvalidField(field,
                      "is a temporary reference (TN), not a National "
                      "Insurance number; leave it out until the real number "
                      "is known");
}

// Letters, digits and suffix where they belong.
absl::Status CheckLayout(absl::string_view field, absl::string_view number) {
  if (!absl::ascii_isalpha(number[0]) || !absl::ascii_isalpha(number[1])) {
    return InvalidField(field, "must start with 2 letters");
  }
  for (int i = kFirstDigit; i < kSuffix; ++i) {
    if (!absl::ascii_isdigit(number[i])) {
      return InvalidField(field, "must have 6 digits after the 2 letters");
    }
  }
  if (absl::string_view("ABCD").find(number[kSuffix]) ==
      absl::string_view::npos) {
    return InvalidField(field, "must end with the letter A, B, C or D");
  }
  return absl::OkStatus();
}

// Checks the prefix against the letters and pairs HMRC never allocates.
// The messages list the rules rather than the prefix seen: the input is
// personal data and must not travel in errors or logs.
absl::Status CheckPrefix(absl::string_view field, absl::string_view number) {
  if (absl::string_view("DFIQUV").find(number[0]) != absl::string_view::npos) {
    return InvalidField(field, "cannot start with D, F, I, Q, U or V");
  }
  if (absl::string_view("DFIOQUV").find(number[1]) != absl::string_view::npos) {
    return InvalidField(field,
                        "cannot have D, F, I, O, Q, U or V as its second "
                        "letter");
  }
  absl::string_view prefix = number.substr(0, 2);
  for (absl::string_view unallocated : {"BG", "GB", "KN", "NK", "NT", "ZZ"}) {
    if (prefix == unallocated) {
      return InvalidField(field,
                          "starts with a prefix HMRC never allocates (BG, GB, "
                          "KN, NK, NT or ZZ)");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> NormaliseNationalInsuranceNumber(
    absl::string_view field, absl::string_view input) {
  std::string number =
      absl::AsciiStrToUpper(absl::StrReplaceAll(input, {{" ", ""}}));
  if (number.empty()) return RequiredField(field);
  RETURN_IF_ERROR(CheckCharactersAndLength(field, number));
  RETURN_IF_ERROR(CheckNotTemporary(field, number));
  RETURN_IF_ERROR(CheckLayout(field, number));
  RETURN_IF_ERROR(CheckPrefix(field, number));
  return number;
}

}  // namespace employability::validation
