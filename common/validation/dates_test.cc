#include "common/validation/dates.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "employability/type/v1/date.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace employability::validation {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kField[] = "participant.date_of_birth";

type::v1::Date MakeDate(int year, int month, int day) {
  type::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

TEST(ToCivilDayTest, AcceptsRealDatesAndRoundTrips) {
  const type::v1::Date kCases[] = {
      MakeDate(1900, 1, 1),   MakeDate(2100, 12, 31), MakeDate(2000, 2, 29),
      MakeDate(2024, 2, 29),  MakeDate(2023, 2, 28),  MakeDate(2023, 4, 30),
      MakeDate(1999, 12, 31), MakeDate(1987, 7, 15),  MakeDate(2023, 1, 31),
  };
  for (const type::v1::Date& date : kCases) {
    SCOPED_TRACE(date.ShortDebugString());
    absl::StatusOr<absl::CivilDay> got = ToCivilDay(kField, date);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->year(), date.year());
    EXPECT_EQ(got->month(), date.month());
    EXPECT_EQ(got->day(), date.day());
    type::v1::Date back = ToDate(*got);
    EXPECT_EQ(back.year(), date.year());
    EXPECT_EQ(back.month(), date.month());
    EXPECT_EQ(back.day(), date.day());
  }
}

TEST(ToCivilDayTest, UnsetIsRequired) {
  absl::StatusOr<absl::CivilDay> got = ToCivilDay(kField, type::v1::Date());
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), std::string(kField) + " is required");
}

TEST(ToCivilDayTest, RejectsEachBadPartNamingIt) {
  struct Case {
    type::v1::Date date;
    const char* part;     // The sub-field the message must name.
    const char* problem;  // A phrase the message must contain.
  };
  const Case kCases[] = {
      {MakeDate(0, 0, 1), "year", "between 1900 and 2100"},
      {MakeDate(1899, 12, 31), "year", "between 1900 and 2100"},
      {MakeDate(2101, 1, 1), "year", "between 1900 and 2100"},
      {MakeDate(87, 7, 15), "year", "between 1900 and 2100"},
      {MakeDate(-2000, 1, 1), "year", "between 1900 and 2100"},
      {MakeDate(2023, 0, 1), "month", "between 1 and 12"},
      {MakeDate(2023, 13, 1), "month", "between 1 and 12"},
      {MakeDate(2023, -1, 1), "month", "between 1 and 12"},
      {MakeDate(2023, 1, 0), "day", "between 1 and 31"},
      {MakeDate(2023, 1, 32), "day", "between 1 and 31"},
      {MakeDate(2023, 6, -1), "day", "between 1 and 30"},
      {MakeDate(2023, 4, 31), "day", "between 1 and 30"},
      {MakeDate(2023, 2, 29), "day", "between 1 and 28"},
      {MakeDate(1900, 2, 29), "day", "between 1 and 28"},  // Not a leap year.
      {MakeDate(2100, 2, 29), "day", "between 1 and 28"},  // Not a leap year.
      {MakeDate(2000, 2, 30), "day", "between 1 and 29"},  // A leap year.
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.date.ShortDebugString());
    absl::StatusOr<absl::CivilDay> got = ToCivilDay(kField, c.date);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(got.status().message());
    EXPECT_THAT(message, StartsWith(std::string(kField) + "." + c.part + ": "));
    EXPECT_THAT(message, HasSubstr(c.problem));
  }
}

TEST(CheckNotAfterTest, AllowsOnOrBeforeAndNamesTheLimit) {
  constexpr char kReferral[] = "referral.start_date";
  const absl::CivilDay limit(2025, 6, 15);
  struct Case {
    absl::CivilDay day;
    const char* description;
    const char* want_message;  // Empty when OK.
  };
  const Case kCases[] = {
      {absl::CivilDay(2025, 6, 15), "today", ""},
      {absl::CivilDay(2025, 6, 14), "today", ""},
      {absl::CivilDay(1990, 1, 1), "the referral date", ""},
      {absl::CivilDay(2025, 6, 16), "today",
       "referral.start_date: must not be in the future"},
      {absl::CivilDay(2026, 1, 1), "the referral date",
       "referral.start_date: must not be after the referral date"},
      {absl::CivilDay(2025, 7, 1), "the programme end date",
       "referral.start_date: must not be after the programme end date"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(absl::FormatCivilTime(c.day));
    absl::Status status = CheckNotAfter(kReferral, c.day, limit, c.description);
    if (std::string(c.want_message).empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(status.message(), c.want_message);
    }
  }
}

TEST(CheckAgeInRangeTest, CountsWholeYearsAcrossBirthdays) {
  struct Case {
    absl::CivilDay date_of_birth;
    absl::CivilDay today;
    int min_years;
    int max_years;
    const char* problem;  // Empty when OK.
  };
  const absl::CivilDay today(2025, 6, 15);
  const Case kCases[] = {
      // Sixteenth birthday today: old enough; tomorrow: not yet.
      {absl::CivilDay(2009, 6, 15), today, 16, 66, ""},
      {absl::CivilDay(2009, 6, 16), today, 16, 66, "at least 16 years"},
      {absl::CivilDay(2009, 7, 1), today, 16, 66, "at least 16 years"},
      // Still 66 the day before the 67th birthday; 67 on it.
      {absl::CivilDay(1958, 6, 16), today, 16, 66, ""},
      {absl::CivilDay(1958, 6, 15), today, 16, 66, "at most 66 years"},
      {absl::CivilDay(1940, 1, 1), today, 16, 66, "at most 66 years"},
      {absl::CivilDay(1980, 3, 3), today, 16, 66, ""},
      // Across the new year.
      {absl::CivilDay(2008, 12, 31), absl::CivilDay(2025, 1, 1), 16, 66, ""},
      {absl::CivilDay(2008, 12, 31), absl::CivilDay(2024, 12, 30), 16, 66,
       "at least 16 years"},
      // 29 February: the birthday is on 29 February in leap years and on
      // 1 March otherwise.
      {absl::CivilDay(2008, 2, 29), absl::CivilDay(2024, 2, 28), 16, 66,
       "at least 16 years"},
      {absl::CivilDay(2008, 2, 29), absl::CivilDay(2024, 2, 29), 16, 66, ""},
      {absl::CivilDay(2004, 2, 29), absl::CivilDay(2021, 2, 28), 17, 66,
       "at least 17 years"},
      {absl::CivilDay(2004, 2, 29), absl::CivilDay(2021, 3, 1), 17, 66, ""},
      {absl::CivilDay(1956, 2, 29), absl::CivilDay(2023, 2, 28), 16, 66, ""},
      {absl::CivilDay(1956, 2, 29), absl::CivilDay(2023, 3, 1), 16, 66,
       "at most 66 years"},
      // Born today, and not yet born.
      {today, today, 0, 120, ""},
      {absl::CivilDay(2025, 6, 16), today, 0, 120, "must not be in the future"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(absl::FormatCivilTime(c.date_of_birth) + " on " +
                 absl::FormatCivilTime(c.today));
    absl::Status status = CheckAgeInRange(kField, c.date_of_birth, c.today,
                                          c.min_years, c.max_years);
    if (std::string(c.problem).empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    std::string message(status.message());
    EXPECT_THAT(message, StartsWith(std::string(kField) + ": "));
    EXPECT_THAT(message, HasSubstr(c.problem));
  }
}

TEST(ToDateTest, CopiesEachPart) {
  type::v1::Date date = ToDate(absl::CivilDay(1987, 7, 15));
  EXPECT_EQ(date.year(), 1987);
  EXPECT_EQ(date.month(), 7);
  EXPECT_EQ(date.day(), 15);
}

}  // namespace
}  // namespace employability::validation
