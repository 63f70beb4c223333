// Page tokens for List methods: opaque to callers, they carry the last
// index member returned and a digest of the query, so that a token cannot be
// replayed against another query (AIP-158).
#ifndef EMPLOYABILITY_COMMON_STATUS_PAGE_TOKEN_H_
#define EMPLOYABILITY_COMMON_STATUS_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace employability {

// A token to resume after `last` for the query summarised by `digest`.
std::string EncodePageToken(absl::string_view last, absl::string_view digest);

// The `last` member of a token issued for `digest`; INVALID_ARGUMENT naming
// `field` for a token that is malformed or was issued for another query.
absl::StatusOr<std::string> DecodePageToken(absl::string_view field,
                                            absl::string_view token,
                                            absl::string_view digest);

}  // namespace employability

#endif  // EMPLOYABILITY_COMMON_STATUS_PAGE_TOKEN_H_
