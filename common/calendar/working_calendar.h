// UK working days, from a calendar kept as data (uk_bank_holidays.txt):
// Monday to Friday, less each nation's bank holidays, counted in
// Europe/London time. Service standards ("respond within 2 working days",
// "start within 20", "nothing open past 40") are measured with it.
//
// The calendar covers a stated span (2024..2027 for the built-in one); a date
// outside it is OUT_OF_RANGE, never a guess, so that a stale calendar shows
// itself as errors rather than as wrong deadlines.
#ifndef EMPLOYABILITY_COMMON_CALENDAR_WORKING_CALENDAR_H_
#define EMPLOYABILITY_COMMON_CALENDAR_WORKING_CALENDAR_H_

#include <array>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace employability::calendar {

// The UK nations whose bank holidays differ.
enum class Nation { kEnglandAndWales, kScotland, kNorthernIreland };

// The calendar's text, compiled in (uk_bank_holidays.txt).
const char* UkBankHolidaysText();

class WorkingCalendar {
 public:
  // Parses the data format of uk_bank_holidays.txt: `#` comments, one
  // `range <first> <last>` line, then `<nation> <YYYY-MM-DD> <name...>` lines.
  // INVALID_ARGUMENT naming the line ("line 12: unknown nation \"wales\"") on
  // an unknown nation, a bad date, a holiday at a weekend, twice over or
  // outside the range; a missing range is INVALID_ARGUMENT "range: ...".
  static absl::StatusOr<WorkingCalendar> Parse(absl::string_view text);

  // The built-in UK calendar 2024..2027, parsed once. A bad built-in file is
  // a bug that tests catch; here it crashes loudly.
  static const WorkingCalendar& Uk();

  absl::CivilDay first_day() const { return first_day_; }
  absl::CivilDay last_day() const { return last_day_; }

  // OUT_OF_RANGE naming the date and the covered span when `day` lies
  // outside the calendar.
  absl::StatusOr<bool> IsWorkingDay(absl::CivilDay day, Nation nation) const;

  // The `n`th working day strictly after `day` (n >= 1; INVALID_ARGUMENT
  // "n: ..." for n < 1). OUT_OF_RANGE when `day` or the answer falls outside
  // the calendar.
  absl::StatusOr<absl::CivilDay> AddWorkingDays(absl::CivilDay day, int n,
                                                Nation nation) const;

  // Working days in (from, to]: strictly after `from`, up to and including
  // `to`; 0 when to <= from. OUT_OF_RANGE when either lies outside.
  absl::StatusOr<int> WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to,
                                         Nation nation) const;

  // A service standard's deadline: the end of the `n`th working day after
  // the day (in Europe/London) on which `start` falls, i.e. the instant at
  // which the following calendar day begins in Europe/London. A referral
  // sent on Friday with n = 2 is due by the end of Tuesday, unless Monday or
  // Tuesday is a holiday. GMT and BST are both handled.
  absl::StatusOr<absl::Time> DueBy(absl::Time start, int n,
                                   Nation nation) const;

 private:
  static constexpr int kNations = 3;

  WorkingCalendar(absl::CivilDay first_day, absl::CivilDay last_day,
                  const std::array<std::vector<bool>, kNations>& holidays);

  // OUT_OF_RANGE "<day> is outside the working-day calendar (...)".
  absl::Status CheckCovered(absl::CivilDay day) const;
  // Index of `day` from first_day_; only for covered days.
  int Offset(absl::CivilDay day) const;
  const std::vector<int>& WorkingBefore(Nation nation) const;

  absl::CivilDay first_day_;
  absl::CivilDay last_day_;
  // Per nation, at index i: the working days in [first_day_, first_day_ + i).
  // Counting by difference makes every question a lookup or a binary search.
  std::array<std::vector<int>, kNations> working_before_;
};

// The day on which `t` falls in Europe/London.
absl::CivilDay LondonDay(absl::Time t);

// The time zone Europe/London, loaded once from the system's tzdata. When
// that fails (a container without tzdata) it logs an error once and uses the
// UK rule instead (see UkRuleTime).
const absl::TimeZone& LondonTime();

// The zone named `zone_name` (a tz name or an absolute path), or UkRuleTime()
// with an error logged when it cannot be loaded. LondonTime() is this with
// "Europe/London", once; tests pass a bad name to reach the fallback.
absl::TimeZone LoadLondonTime(absl::string_view zone_name);

// The UK rule since 1996, without tzdata: GMT, and BST from 01:00 UTC on the
// last Sunday of March to 01:00 UTC on the last Sunday of October. Abseil
// builds zones only from TZif data read by path, so this writes the rule as
// TZif into an anonymous memory file and loads it from /proc/self/fd; should
// even that fail, it logs an error and answers GMT all year.
absl::TimeZone UkRuleTime();

}  // namespace employability::calendar

#endif  // EMPLOYABILITY_COMMON_CALENDAR_WORKING_CALENDAR_H_
