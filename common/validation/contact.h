// Contact details: e-mail addresses and UK telephone numbers. Both are
// optional on a participant, so an empty input is valid and comes back
// empty; callers that need one check for "" themselves.
#ifndef EMPLOYABILITY_COMMON_VALIDATION_CONTACT_H_
#define EMPLOYABILITY_COMMON_VALIDATION_CONTACT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace employability::validation {

// A practical check, not RFC 5322: surrounding whitespace is trimmed; then
// exactly one '@'; a local part of 1..64 letters, digits and
// .!#$%&'*+/=?^_`{|}~- with no leading, trailing or doubled dot; a domain of
// at least two dot-separated labels of 1..63 [A-Za-z0-9-] not starting or
// ending with '-', whose last label is 2 or more letters; at most 254
// characters in all. Returns the address with its domain lower-cased (the
// local part may be case-sensitive, so it is kept as given). Errors are
// INVALID_ARGUMENT starting with `field` and never repeat the input.
absl::StatusOr<std::string> NormaliseEmail(absl::string_view field,
                                           absl::string_view input);

// Accepts a UK number written nationally ("07700 900123", "(020) 7946 0018",
// "020-7946-0018") or internationally ("+44 7700 900123", "0044 7700
// 900123", "+44 (0)20 7946 0018"); spaces, dashes and parentheses are
// ignored. The national number must begin 01, 02, 03, 05, 07 or 08 and have
// 10 digits after the leading 0 (9 are also allowed for the few old 01
// numbers that have them). Numbers outside the UK, 04 and 06 (unused) and 09
// (premium rate) are rejected. Returns E.164, e.g. "+447700900123". Errors
// are INVALID_ARGUMENT starting with `field` and never repeat the input.
absl::StatusOr<std::string> NormaliseUkPhone(absl::string_view field,
                                             absl::string_view input);

}  // namespace employability::validation

#endif  // EMPLOYABILITY_COMMON_VALIDATION_CONTACT_H_
