#include "common/validation/contact.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status/macros.h"
#include "common/status/validation.h"

namespace employability::validation {
namespace {

// Limits from RFC 5321 (path and local part) and RFC 1035 (label).
constexpr size_t kMaxEmailLength = 254;
constexpr size_t kMaxLocalPartLength = 64;
constexpr size_t kMaxLabelLength = 63;

bool Contains(absl::string_view set, char c) {
  return set.find(c) != absl::string_view::npos;
}

bool IsAlnum(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c));
}

// The dot-atom of RFC 5322, which covers every address people really use;
// quoted local parts are legal but are rejected rather than mis-parsed.
absl::Status CheckLocalPart(absl::string_view field, absl::string_view local) {
  if (local.empty() || local.size() > kMaxLocalPartLength) {
    return InvalidField(field, "must have 1 to 64 characters before the @");
  }
  for (char c : local) {
    if (!IsAlnum(c) && !Contains(".!#$%&'*+/=?^_`{|}~-", c)) {
      return InvalidField(field,
                          "may use only letters, digits and "
                          ".!#$%&'*+/=?^_`{|}~- before the @");
    }
  }
  if (local.front() == '.' || local.back() == '.' ||
      absl::StrContains(local, "..")) {
    return InvalidField(field,
                        "cannot start or end with a dot, or have two dots "
                        "together, before the @");
  }
  return absl::OkStatus();
}

absl::Status CheckLabel(absl::string_view field, absl::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) {
    return InvalidField(field,
                        "must have 1 to 63 characters between each pair of "
                        "dots after the @");
  }
  for (char c : label) {
    if (!IsAlnum(c) && c != '-') {
      return InvalidField(field,
                          "may use only letters, digits, '-' and dots after "
                          "the @");
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return InvalidField(field,
                        "cannot have a part of the domain that starts or ends "
                        "with '-'");
  }
  return absl::OkStatus();
}

absl::Status CheckDomain(absl::string_view field, absl::string_view domain) {
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) {
    return InvalidField(field,
                        "must have a domain such as example.org after the @");
  }
  for (absl::string_view label : labels) {
    RETURN_IF_ERROR(CheckLabel(field, label));
  }
  absl::string_view tld = labels.back();
  bool letters = tld.size() >= 2;
  for (char c : tld) letters = letters && absl::ascii_isalpha(c);
  if (!letters) {
    return InvalidField(field,
                        "must end with a top-level domain of at least two "
                        "letters, such as .uk or .org");
  }
  return absl::OkStatus();
}

// Characters people put in phone numbers for readability only.
std::string StripPhoneSeparators(absl::string_view input) {
  std::string out;
  for (char c : input) {
    if (!Contains(" -()", c)) out.push_back(c);
  }
  return out;
}

// The national significant number: what follows the country code 44 or the
// trunk prefix 0.
absl::StatusOr<absl::string_view> NationalNumber(absl::string_view field,
                                                 absl::string_view number) {
  if (absl::ConsumePrefix(&number, "+44") ||
      absl::ConsumePrefix(&number, "0044")) {
    // "+44 (0)20 ..." keeps the trunk 0 that dialling from abroad drops.
    absl::ConsumePrefix(&number, "0");
    return number;
  }
  if (absl::StartsWith(number, "+") || absl::StartsWith(number, "00")) {
    return InvalidField(field,
                        "must be a UK number; +44 is the only country code "
                        "accepted");
  }
  if (!absl::ConsumePrefix(&number, "0")) {
    return InvalidField(field, "must start with 0, or with +44 for the UK");
  }
  return number;
}

// Ofcom's numbering plan: 01/02 geographic, 03 non-geographic at local rate,
// 05 corporate, 07 mobile, 08 freephone and special; 09 is premium rate,
// which is no use for contacting a participant.
absl::Status CheckNationalNumber(absl::string_view field,
                                 absl::string_view nsn) {
  for (char c : nsn) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return InvalidField(field,
                          "may contain only digits, spaces, dashes, brackets "
                          "and a leading +");
    }
  }
  if (!nsn.empty() && nsn.front() == '9') {
    return InvalidField(field, "cannot be a premium-rate (09) number");
  }
  if (!nsn.empty() && !Contains("123578", nsn.front())) {
    return InvalidField(field, "must begin 01, 02, 03, 05, 07 or 08");
  }
  // A few old 01 numbers (e.g. 016977 area) have 9 digits after the 0.
  bool legacy = nsn.size() == 9 && nsn.front() == '1';
  if (nsn.size() != 10 && !legacy) {
    return InvalidField(field, "must have 10 digits after the leading 0");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> NormaliseEmail(absl::string_view field,
                                           absl::string_view input) {
  absl::string_view email = absl::StripAsciiWhitespace(input);
  if (email.empty()) return std::string();
  if (email.size() > kMaxEmailLength) {
    return InvalidField(field, "must be at most 254 characters");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(email, '@');
  if (parts.size() != 2) {
    return InvalidField(field, "must contain exactly one @");
  }
  RETURN_IF_ERROR(CheckLocalPart(field, parts[0]));
  RETURN_IF_ERROR(CheckDomain(field, parts[1]));
  // Domains are case-insensitive; local parts may not be (RFC 5321 2.4).
  return absl::StrCat(parts[0], "@", absl::AsciiStrToLower(parts[1]));
}

absl::StatusOr<std::string> NormaliseUkPhone(absl::string_view field,
                                             absl::string_view input) {
  if (absl::StripAsciiWhitespace(input).empty()) return std::string();
  std::string number = StripPhoneSeparators(input);
  ASSIGN_OR_RETURN(absl::string_view nsn, NationalNumber(field, number));
  RETURN_IF_ERROR(CheckNationalNumber(field, nsn));
  return absl::StrCat("+44", nsn);
}

}  // namespace employability::validation
