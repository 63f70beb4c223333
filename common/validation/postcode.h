// UK postcodes, normalised so that one address is stored one way and its
// outward code can be matched against delivery areas.
#ifndef EMPLOYABILITY_COMMON_VALIDATION_POSTCODE_H_
#define EMPLOYABILITY_COMMON_VALIDATION_POSTCODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace employability::validation {

struct Postcode {
  std::string normalised;  // Upper case, outward + " " + inward: "SW1A 1AA".
  std::string outward;     // Area and district, for area matching: "SW1A".
  std::string inward;      // Sector and unit: "1AA".
};

// Accepts every UK format (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA,
// AA9A 9AA) and GIR 0AA, in any case and with any or no spaces, and applies
// Royal Mail's letter rules: the first letter is not Q, V or X; a second
// letter is not I, J or Z; the letter ending an A9A outward code is one of
// ABCDEFGHJKPSTUW and the one ending AA9A one of ABEHMNPRVWXY; the inward
// code's letters are not C, I, K, M, O or V. Errors are INVALID_ARGUMENT
// starting with `field` and never repeat the input; empty is RequiredField.
//
// British Forces (BFPO) and overseas territory codes are not accepted.
absl::StatusOr<Postcode> NormalisePostcode(absl::string_view field,
                                           absl::string_view input);

// A postcode district, the outward half alone ("M1", "B33", "SW1A", "W1A"),
// for areas served: the same shapes and letter rules, surrounding whitespace
// trimmed, upper case. Errors as NormalisePostcode's.
absl::StatusOr<std::string> NormalisePostcodeDistrict(absl::string_view field,
                                                      absl::string_view input);

}  // namespace employability::validation

#endif  // EMPLOYABILITY_COMMON_VALIDATION_POSTCODE_H_
