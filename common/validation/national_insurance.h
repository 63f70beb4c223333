// National Insurance numbers, checked against HMRC's allocation rules
// (National Insurance Manual) so that a mistyped number is caught
// at the front door rather than by a downstream HMRC match.
#ifndef EMPLOYABILITY_COMMON_VALIDATION_NATIONAL_INSURANCE_H_
#define EMPLOYABILITY_COMMON_VALIDATION_NATIONAL_INSURANCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace employability::validation {

// Returns the number in its stored form, nine upper-case characters with no
// spaces ("AB123456C"), or INVALID_ARGUMENT whose message starts with
// `field` and never repeats the input.
//
// Accepts spaces anywhere and lower case. Requires two prefix letters, six
// digits and a suffix A, B, C or D. The prefix's first letter may not be D, F,
// I, Q, U or V; its second may not be D, F, I, O, Q, U or V; BG, GB, KN, NK,
// NT and ZZ are never allocated, and TN (a temporary reference) is not a
// National Insurance number. An empty input is RequiredField.
absl::StatusOr<std::string> NormaliseNationalInsuranceNumber(
    absl::string_view field, absl::string_view input);

}  // namespace employability::validation

#endif  // EMPLOYABILITY_COMMON_VALIDATION_NATIONAL_INSURANCE_H_
