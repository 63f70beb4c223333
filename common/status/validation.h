// Helpers that build the statuses of bad input. Every message names the
// offending field first, as a caller would spell it in the request
// ("participant.national_insurance_number: ..."), so that an integrator can
// act on it without reading our code.
#ifndef EMPLOYABILITY_COMMON_STATUS_VALIDATION_H_
#define EMPLOYABILITY_COMMON_STATUS_VALIDATION_H_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"

namespace employability {

// INVALID_ARGUMENT "<field>: <problem>".
absl::Status InvalidField(absl::string_view field, absl::string_view problem);

// INVALID_ARGUMENT "<field> is required".
absl::Status RequiredField(absl::string_view field);

// "<prefix>.<field>", or just field when prefix is empty.
std::string FieldPath(absl::string_view prefix, absl::string_view field);

// OK when `value` is 1..max_length code points of printable UTF-8 text (no
// control characters); otherwise INVALID_ARGUMENT naming the field.
absl::Status CheckText(absl::string_view field, absl::string_view value,
                       int max_length, bool required);

// OK when `id` is 1..63 characters of [a-z0-9-], starting with a letter or
// digit: the ids that appear in resource names and storage keys.
absl::Status CheckResourceId(absl::string_view field, absl::string_view id);

// Page size: 0 means `default_size`; negative or above `max_size` is
// INVALID_ARGUMENT naming the field.
// The paths of an update's `update_mask` (AIP-134), each one of `allowed`:
// RequiredField("update_mask") when empty, INVALID_ARGUMENT naming the first
// path that may not be updated.
absl::StatusOr<std::set<std::string>> UpdatePaths(
    const google::protobuf::FieldMask& update_mask,
    const std::set<std::string>& allowed);

absl::StatusOr<int> PageSize(absl::string_view field, int requested,
                             int default_size, int max_size);

}  // namespace employability

#endif  // EMPLOYABILITY_COMMON_STATUS_VALIDATION_H_
