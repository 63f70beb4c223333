// Calendar dates from requests (type::v1::Date) and the checks made on them:
// in range, not after a limit, giving an age within bounds.
#ifndef EMPLOYABILITY_COMMON_VALIDATION_DATES_H_
#define EMPLOYABILITY_COMMON_VALIDATION_DATES_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "employability/type/v1/date.pb.h"

namespace employability::validation {

// The date as a civil day when it is a real date with a year in
// 1900..2100. An unset date (all fields zero) is RequiredField(field);
// a bad part is INVALID_ARGUMENT naming it ("<field>.month: ...").
absl::StatusOr<absl::CivilDay> ToCivilDay(absl::string_view field,
                                          const type::v1::Date& date);

// The request form of `day`.
type::v1::Date ToDate(absl::CivilDay day);

// OK when `day` is on or before `limit`. Otherwise INVALID_ARGUMENT
// "<field>: must not be after <limit_description>", for example
// "the referral date"; a limit_description of "today" reads
// "<field>: must not be in the future".
absl::Status CheckNotAfter(absl::string_view field, absl::CivilDay day,
                           absl::CivilDay limit,
                           absl::string_view limit_description);

// OK when someone born on `date_of_birth` is, on `today`, at least
// `min_years` and at most `max_years` old (both inclusive: 66 includes the
// whole year up to the 67th birthday). Ages are whole years that increase
// on each birthday; someone born on 29 February has theirs on 1 March in
// other years, as in UK law. The age itself never appears in a message.
absl::Status CheckAgeInRange(absl::string_view field,
                             absl::CivilDay date_of_birth, absl::CivilDay today,
                             int min_years, int max_years);

}  // namespace employability::validation

#endif  // EMPLOYABILITY_COMMON_VALIDATION_DATES_H_
