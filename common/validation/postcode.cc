#include "common/validation/postcode.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/status/macros.h"
#include "common/status/validation.h"

namespace employability::validation {
namespace {

// The messages describe the rule broken, never the characters seen: a
// postcode with the rest of an address identifies a person.
constexpr absl::string_view kFormat =
    "must be a UK postcode such as SW1A 1AA, M1 1AE or B33 8TH";

bool Contains(absl::string_view set, char c) {
  return set.find(c) != absl::string_view::npos;
}

bool IsLetter(char c) { return absl::ascii_isalpha(c); }
bool IsDigit(char c) { return absl::ascii_isdigit(c); }

// Inward code: a sector digit then two unit letters from a restricted set
// (Royal Mail leaves out letters that look like digits or each other).
absl::Status CheckInward(absl::string_view field, absl::string_view inward) {
  if (!IsDigit(inward[0]) || !IsLetter(inward[1]) || !IsLetter(inward[2])) {
    return InvalidField(field,
                        "must end with a digit and two letters, as in "
                        "SW1A 1AA");
  }
  if (Contains("CIKMOV", inward[1]) || Contains("CIKMOV", inward[2])) {
    return InvalidField(field,
                        "cannot use C, I, K, M, O or V in its last two "
                        "letters");
  }
  return absl::OkStatus();
}

// Outward code shapes: the area (one or two letters), the district digit,
// then optionally a second district digit or a sub-district letter.
absl::Status CheckOutwardShape(absl::string_view field,
                               absl::string_view outward) {
  size_t area = 0;
  while (area < outward.size() && IsLetter(outward[area])) ++area;
  bool ok = (area == 1 || area == 2) && area < outward.size() &&
            IsDigit(outward[area]);
  size_t rest = area + 1;
  if (ok && rest < outward.size()) {
    ok = rest + 1 == outward.size() &&
         (IsDigit(outward[rest]) || IsLetter(outward[rest]));
  }
  return ok ? absl::OkStatus() : InvalidField(field, kFormat);
}

// Letter rules by position, applied once the shape is known to be right.
absl::Status CheckOutwardLetters(absl::string_view field,
                                 absl::string_view outward) {
  if (Contains("QVX", outward[0])) {
    return InvalidField(field, "cannot start with Q, V or X");
  }
  bool two_letter_area = IsLetter(outward[1]);
  if (two_letter_area && Contains("IJZ", outward[1])) {
    return InvalidField(field, "cannot have I, J or Z as its second letter");
  }
  // A final letter is the sub-district of an A9A or AA9A code.
  char last = outward.back();
  if (!IsLetter(last)) return absl::OkStatus();
  if (!two_letter_area && !Contains("ABCDEFGHJKPSTUW", last)) {
    return InvalidField(field,
                        "has a letter after the district number that this "
                        "form does not use (A9A: one of ABCDEFGHJKPSTUW)");
  }
  if (two_letter_area && !Contains("ABEHMNPRVWXY", last)) {
    return InvalidField(field,
                        "has a letter after the district number that this "
                        "form does not use (AA9A: one of ABEHMNPRVWXY)");
  }
  return absl::OkStatus();
}

Postcode Split(const std::string& compact) {
  Postcode postcode;
  postcode.outward = compact.substr(0, compact.size() - 3);
  postcode.inward = compact.substr(compact.size() - 3);
  postcode.normalised = absl::StrCat(postcode.outward, " ", postcode.inward);
  return postcode;
}

}  // namespace

absl::StatusOr<Postcode> NormalisePostcode(absl::string_view field,
                                           absl::string_view input) {
  std::string compact =
      absl::AsciiStrToUpper(absl::StrReplaceAll(input, {{" ", ""}}));
  if (compact.empty()) return RequiredField(field);
  // Girobank's code predates the rules and breaks them; it is still live.
  if (compact == "GIR0AA") return Split(compact);
  for (char c : compact) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return InvalidField(field, "may contain only letters, digits and spaces");
    }
  }
  if (compact.size() < 5 || compact.size() > 7) {
    return InvalidField(field, kFormat);
  }
  absl::string_view view = compact;
  RETURN_IF_ERROR(CheckInward(field, view.substr(view.size() - 3)));
  absl::string_view outward = view.substr(0, view.size() - 3);
  RETURN_IF_ERROR(CheckOutwardShape(field, outward));
  RETURN_IF_ERROR(CheckOutwardLetters(field, outward));
  return Split(compact);
}

absl::StatusOr<std::string> NormalisePostcodeDistrict(absl::string_view field,
                                                      absl::string_view input) {
  std::string district =
      absl::AsciiStrToUpper(absl::StripAsciiWhitespace(input));
  if (district.empty()) return RequiredField(field);
  for (char c : district) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return InvalidField(field, "may contain only letters and digits");
    }
  }
  if (!CheckOutwardShape(field, district).ok()) {
    return InvalidField(field,
                        "must be a postcode district (the part of a postcode "
                        "before the space) such as M1, B33, SW1A or W1A");
  }
  RETURN_IF_ERROR(CheckOutwardLetters(field, district));
  return district;
}

}  // namespace employability::validation
