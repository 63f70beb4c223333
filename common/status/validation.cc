#include "common/status/validation.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace employability {

absl::Status InvalidField(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status RequiredField(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

std::string FieldPath(absl::string_view prefix, absl::string_view field) {
  if (prefix.empty()) return std::string(field);
  return absl::StrCat(prefix, ".", field);
}

namespace {

// Counts UTF-8 code points; false on malformed UTF-8 or a control character.
bool CountPrintable(absl::string_view s, int* count) {
  *count = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80           ? 1
              : (c >> 5) == 0x6  ? 2
              : (c >> 4) == 0xE  ? 3
              : (c >> 3) == 0x1E ? 4
                                 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    if (len == 1 && (c < 0x20 || c == 0x7F)) return false;
    i += len;
    ++*count;
  }
  return true;
}

}  // namespace

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       int max_length, bool required) {
  if (value.empty()) {
    return required ? RequiredField(field) : absl::OkStatus();
  }
  int count = 0;
  if (!CountPrintable(value, &count)) {
    return InvalidField(field, "must be printable UTF-8 text");
  }
  if (count > max_length) {
    return InvalidField(field, absl::StrCat("must be at most ", max_length,
                                            " characters (got ", count, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckResourceId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return RequiredField(field);
  if (id.size() > 63)
    return InvalidField(field, "must be at most 63 characters");
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) {
      return InvalidField(
          field,
          "must be lower-case letters, digits and '-', not starting "
          "with '-'");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(absl::string_view field, int requested,
                             int default_size, int max_size) {
  if (requested < 0) return InvalidField(field, "must not be negative");
  if (requested > max_size) {
    return InvalidField(field, absl::StrCat("must be at most ", max_size));
  }
  return requested == 0 ? default_size : requested;
}

absl::StatusOr<std::set<std::string>> UpdatePaths(
    const google::protobuf::FieldMask& update_mask,
    const std::set<std::string>& allowed) {
  if (update_mask.paths_size() == 0) return RequiredField("update_mask");
  for (const std::string& path : update_mask.paths()) {
    if (allowed.count(path) == 0) {
      return InvalidField(
          "update_mask",
          absl::StrCat("'", path, "' is not a field that can be updated"));
    }
  }
  return std::set<std::string>(update_mask.paths().begin(),
                               update_mask.paths().end());
}

}  // namespace employability
