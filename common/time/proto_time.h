// Conversions between absl time types and the protobuf types of our APIs.
#ifndef EMPLOYABILITY_COMMON_TIME_PROTO_TIME_H_
#define EMPLOYABILITY_COMMON_TIME_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace employability {

inline google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(t));
}

inline absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace employability

#endif  // EMPLOYABILITY_COMMON_TIME_PROTO_TIME_H_
