#include "services/participants/catalogues.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status/validation.h"
#include "google/protobuf/text_format.h"

namespace employability::participants {

absl::StatusOr<v1::ListBarrierTypesResponse> ParseBarrierTypes(
    const char* text) {
  v1::ListBarrierTypesResponse catalogue;
  if (!google::protobuf::TextFormat::ParseFromString(text, &catalogue)) {
    return absl::InternalError("data/barrier_types.textproto does not parse");
  }
  std::set<std::string> codes;
  for (v1::BarrierType& type : *catalogue.mutable_barrier_types()) {
    if (!CheckResourceId("code", type.code()).ok() ||
        !codes.insert(type.code()).second || type.display_name().empty()) {
      return absl::InternalError(
          absl::StrCat("data/barrier_types.textproto: entry '", type.code(),
                       "' needs a unique [a-z0-9-] code and a display name"));
    }
    type.set_name(absl::StrCat("barrierTypes/", type.code()));
  }
  return catalogue;
}

absl::StatusOr<v1::ContactStandards> ParseContactStandards(const char* text) {
  v1::ContactStandards standards;
  if (!google::protobuf::TextFormat::ParseFromString(text, &standards)) {
    return absl::InternalError(
        "data/contact_standards.textproto does not parse");
  }
  std::set<std::string> programmes;
  for (const v1::ContactStandard& standard : standards.standards()) {
    if (!programmes.insert(standard.programme()).second ||
        standard.contact_interval_days() < 0 ||
        standard.face_to_face_interval_days() < 0) {
      return absl::InternalError(absl::StrCat(
          "data/contact_standards.textproto: programme '", standard.programme(),
          "' is repeated or has a negative interval"));
    }
  }
  return standards;
}

}  // namespace employability::participants
