#include "common/status/page_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/validation.h"

namespace employability {

std::string EncodePageToken(absl::string_view last, absl::string_view digest) {
  std::string token;
  absl::WebSafeBase64Escape(absl::StrCat(last, "|", digest), &token);
  return token;
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view field,
                                            absl::string_view token,
                                            absl::string_view digest) {
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(token, &raw)) {
    parts = absl::StrSplit(raw, '|');
  }
  if (parts.size() != 2 || parts[0].empty()) {
    return InvalidField(field, "is not a token this service issued");
  }
  if (parts[1] != digest) {
    return InvalidField(field, "was issued for a request with other filters");
  }
  return parts[0];
}

}  // namespace employability
