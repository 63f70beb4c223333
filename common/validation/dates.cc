#include "common/validation/dates.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/status/validation.h"
#include "employability/type/v1/date.pb.h"

namespace employability::validation {
namespace {

// The range the API documents; outside it a date is almost surely a typing
// slip (a two-digit year, a swapped field) rather than a real date.
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2100;

// Days in `month` of `year`, leap years included. CivilDay normalises day 0
// of the next month to the last day of this one.
int DaysInMonth(int year, int month) {
  return absl::CivilDay(year, month + 1, 0).day();
}

// Whole years from `birth` to `day`: the birthday counts once its month
// and day are reached, so a 29 February birthday falls on 1 March in a
// common year.
int64_t AgeInYears(absl::CivilDay birth, absl::CivilDay day) {
  int64_t age = day.year() - birth.year();
  bool before_birthday =
      day.month() < birth.month() ||
      (day.month() == birth.month() && day.day() < birth.day());
  return before_birthday ? age - 1 : age;
}

}  // namespace

absl::StatusOr<absl::CivilDay> ToCivilDay(absl::string_view field,
                                          const type::v1::Date& date) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) {
    return RequiredField(field);
  }
  if (date.year() < kMinYear || date.year() > kMaxYear) {
    return InvalidField(FieldPath(field, "year"),
                        "must be between 1900 and 2100");
  }
  if (date.month() < 1 || date.month() > 12) {
    return InvalidField(FieldPath(field, "month"), "must be between 1 and 12");
  }
  int last_day = DaysInMonth(date.year(), date.month());
  if (date.day() < 1 || date.day() > last_day) {
    return InvalidField(FieldPath(field, "day"),
                        absl::StrCat("must be between 1 and ", last_day,
                                     " for that month and year"));
  }
  return absl::CivilDay(date.year(), date.month(), date.day());
}

type::v1::Date ToDate(absl::CivilDay day) {
  type::v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

absl::Status CheckNotAfter(absl::string_view field, absl::CivilDay day,
                           absl::CivilDay limit,
                           absl::string_view limit_description) {
  if (day <= limit) return absl::OkStatus();
  if (limit_description == "today") {
    return InvalidField(field, "must not be in the future");
  }
  return InvalidField(field,
                      absl::StrCat("must not be after ", limit_description));
}

absl::Status CheckAgeInRange(absl::string_view field,
                             absl::CivilDay date_of_birth, absl::CivilDay today,
                             int min_years, int max_years) {
  if (date_of_birth > today) {
    return InvalidField(field, "must not be in the future");
  }
  int64_t age = AgeInYears(date_of_birth, today);
  if (age < min_years) {
    return InvalidField(field, absl::StrCat("must give an age of at least ",
                                            min_years, " years"));
  }
  if (age > max_years) {
    return InvalidField(field, absl::StrCat("must give an age of at most ",
                                            max_years, " years"));
  }
  return absl::OkStatus();
}

}  // namespace employability::validation
