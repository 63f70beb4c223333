#include "common/calendar/working_calendar.h"

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace employability::calendar {
namespace {

using ::absl::CivilDay;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Nation kEngland = Nation::kEnglandAndWales;
constexpr Nation kScotland = Nation::kScotland;
constexpr Nation kNorthernIreland = Nation::kNorthernIreland;
constexpr Nation kAllNations[] = {kEngland, kScotland, kNorthernIreland};

const char* NationName(Nation nation) {
  switch (nation) {
    case kEngland:
      return "england-and-wales";
    case kScotland:
      return "scotland";
    case kNorthernIreland:
      return "northern-ireland";
  }
  return "?";
}

const WorkingCalendar& Uk() { return WorkingCalendar::Uk(); }

bool Working(CivilDay day, Nation nation) {
  absl::StatusOr<bool> working = Uk().IsWorkingDay(day, nation);
  EXPECT_TRUE(working.ok()) << working.status();
  return working.value_or(false);
}

CivilDay Add(CivilDay day, int n, Nation nation) {
  absl::StatusOr<CivilDay> added = Uk().AddWorkingDays(day, n, nation);
  EXPECT_TRUE(added.ok()) << added.status();
  return added.value_or(CivilDay());
}

int Between(CivilDay from, CivilDay to, Nation nation) {
  absl::StatusOr<int> count = Uk().WorkingDaysBetween(from, to, nation);
  EXPECT_TRUE(count.ok()) << count.status();
  return count.value_or(-1);
}

absl::Time Utc(int year, int month, int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0),
                         absl::UTCTimeZone());
}

absl::Time InLondon(int year, int month, int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0),
                         LondonTime());
}

absl::Time DueBy(absl::Time start, int n, Nation nation) {
  absl::StatusOr<absl::Time> due = Uk().DueBy(start, n, nation);
  EXPECT_TRUE(due.ok()) << due.status();
  return due.value_or(absl::InfinitePast());
}

// --- The regular rules, computed independently of the data file. ---------

// Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
CivilDay EasterSunday(int year) {
  int a = year % 19;
  int b = year / 100;
  int c = year % 100;
  int d = b / 4;
  int e = b % 4;
  int f = (b + 8) / 25;
  int g = (b - f + 1) / 3;
  int h = (19 * a + b - d - g + 15) % 30;
  int i = c / 4;
  int k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31;
  int day = (h + l - 7 * m + 114) % 31 + 1;
  return CivilDay(year, month, day);
}

bool IsWeekend(CivilDay day) {
  absl::Weekday weekday = absl::GetWeekday(day);
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

CivilDay FirstMonday(int year, int month) {
  return absl::NextWeekday(CivilDay(year, month, 1) - 1, absl::Weekday::monday);
}

CivilDay LastMonday(int year, int month) {
  return absl::PrevWeekday(CivilDay(year, month + 1, 1), absl::Weekday::monday);
}

// Every regular bank holiday of `nation` in `year`, as observed: a fixed-date
// holiday at a weekend (or on a day already a holiday) moves to the next
// free weekday.
std::set<CivilDay> RegularHolidays(int year, Nation nation) {
  CivilDay easter = EasterSunday(year);
  std::set<CivilDay> observed = {easter - 2, FirstMonday(year, 5),
                                 LastMonday(year, 5)};
  if (nation != kScotland) observed.insert(easter + 1);
  observed.insert(nation == kScotland ? FirstMonday(year, 8)
                                      : LastMonday(year, 8));
  std::set<CivilDay> fixed = {CivilDay(year, 1, 1), CivilDay(year, 12, 25),
                              CivilDay(year, 12, 26)};
  if (nation == kScotland) {
    fixed.insert({CivilDay(year, 1, 2), CivilDay(year, 11, 30)});
  }
  if (nation == kNorthernIreland) {
    fixed.insert({CivilDay(year, 3, 17), CivilDay(year, 7, 12)});
  }
  for (CivilDay nominal : fixed) {  // In date order: Christmas before Boxing.
    CivilDay day = nominal;
    while (IsWeekend(day) || observed.count(day) > 0) ++day;
    observed.insert(day);
  }
  return observed;
}

TEST(RulesTest, EasterAlgorithmGivesKnownDates) {
  EXPECT_EQ(EasterSunday(2024), CivilDay(2024, 3, 31));
  EXPECT_EQ(EasterSunday(2025), CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2026), CivilDay(2026, 4, 5));
  EXPECT_EQ(EasterSunday(2027), CivilDay(2027, 3, 28));
  EXPECT_EQ(EasterSunday(2019), CivilDay(2019, 4, 21));
  EXPECT_EQ(EasterSunday(2038), CivilDay(2038, 4, 25));  // Latest possible.
  EXPECT_EQ(EasterSunday(2285), CivilDay(2285, 3, 22));  // Earliest possible.
}

TEST(RulesTest, SubstitutesFollowGovUkExamples) {
  // Christmas on Saturday and Boxing Day on Sunday: Monday and Tuesday.
  std::set<CivilDay> uk2027 = RegularHolidays(2027, kEngland);
  EXPECT_EQ(uk2027.count(CivilDay(2027, 12, 27)), 1u);
  EXPECT_EQ(uk2027.count(CivilDay(2027, 12, 28)), 1u);
  EXPECT_EQ(RegularHolidays(2024, kScotland).count(CivilDay(2024, 12, 2)), 1u);
  EXPECT_EQ(
      RegularHolidays(2025, kNorthernIreland).count(CivilDay(2025, 7, 14)), 1u);
}

// The data file must say exactly what the rules say, day by day, for every
// nation and year: a typo in uk_bank_holidays.txt fails here.
TEST(UkCalendarTest, DataAgreesWithTheRegularRules) {
  for (Nation nation : kAllNations) {
    for (int year = 2024; year <= 2027; ++year) {
      std::set<CivilDay> holidays = RegularHolidays(year, nation);
      for (CivilDay day(year, 1, 1); day.year() == year; ++day) {
        bool expected = !IsWeekend(day) && holidays.count(day) == 0;
        absl::StatusOr<bool> working = Uk().IsWorkingDay(day, nation);
        ASSERT_TRUE(working.ok()) << working.status();
        EXPECT_EQ(*working, expected) << absl::FormatCivilTime(day)
                                      << " nation " << static_cast<int>(nation);
      }
    }
  }
}

TEST(UkCalendarTest, CountsHolidaysPerYear) {
  // E&W 8, Scotland 9, Northern Ireland 10 regular holidays a year.
  const int kExpected[] = {8, 9, 10};
  for (Nation nation : kAllNations) {
    for (int year = 2024; year <= 2027; ++year) {
      int weekdays = 0;
      for (CivilDay day(year, 1, 1); day.year() == year; ++day) {
        if (!IsWeekend(day)) ++weekdays;
      }
      int working = 0;
      for (CivilDay day(year, 1, 1); day.year() == year; ++day) {
        if (Working(day, nation)) ++working;
      }
      EXPECT_EQ(weekdays - working, kExpected[static_cast<int>(nation)])
          << year << " in " << NationName(nation);
    }
  }
}

TEST(UkCalendarTest, CoversTwentyTwentyFourToTwentyTwentySeven) {
  EXPECT_EQ(Uk().first_day(), CivilDay(2024, 1, 1));
  EXPECT_EQ(Uk().last_day(), CivilDay(2027, 12, 31));
}

// --- Weekends. -------------------------------------------------------------

TEST(UkCalendarTest, WeekendsAreNotWorkingDays) {
  for (Nation nation : kAllNations) {
    EXPECT_TRUE(Working(CivilDay(2025, 6, 13), nation));   // Friday.
    EXPECT_FALSE(Working(CivilDay(2025, 6, 14), nation));  // Saturday.
    EXPECT_FALSE(Working(CivilDay(2025, 6, 15), nation));  // Sunday.
    EXPECT_TRUE(Working(CivilDay(2025, 6, 16), nation));   // Monday.
  }
}

TEST(UkCalendarTest, AddWorkingDaysStepsOverTheWeekend) {
  EXPECT_EQ(Add(CivilDay(2025, 6, 12), 1, kEngland), CivilDay(2025, 6, 13));
  EXPECT_EQ(Add(CivilDay(2025, 6, 13), 1, kEngland), CivilDay(2025, 6, 16));
  EXPECT_EQ(Add(CivilDay(2025, 6, 13), 2, kEngland), CivilDay(2025, 6, 17));
  EXPECT_EQ(Add(CivilDay(2025, 6, 14), 1, kEngland), CivilDay(2025, 6, 16));
  EXPECT_EQ(Add(CivilDay(2025, 6, 15), 1, kEngland), CivilDay(2025, 6, 16));
  EXPECT_EQ(Add(CivilDay(2025, 6, 13), 5, kEngland), CivilDay(2025, 6, 20));
}

TEST(UkCalendarTest, WorkingDaysBetweenCountsAfterFromUpToTo) {
  EXPECT_EQ(Between(CivilDay(2025, 6, 13), CivilDay(2025, 6, 16), kEngland), 1);
  EXPECT_EQ(Between(CivilDay(2025, 6, 13), CivilDay(2025, 6, 20), kEngland), 5);
  EXPECT_EQ(Between(CivilDay(2025, 6, 14), CivilDay(2025, 6, 15), kEngland), 0);
  EXPECT_EQ(Between(CivilDay(2025, 6, 16), CivilDay(2025, 6, 16), kEngland), 0);
  EXPECT_EQ(Between(CivilDay(2025, 6, 20), CivilDay(2025, 6, 16), kEngland), 0);
}

TEST(UkCalendarTest, AddAndBetweenAgree) {
  for (Nation nation : kAllNations) {
    for (CivilDay day(2024, 1, 1); day < CivilDay(2027, 9, 1); day += 17) {
      for (int n : {1, 2, 20, 40}) {
        CivilDay due = Add(day, n, nation);
        EXPECT_EQ(Between(day, due, nation), n) << absl::FormatCivilTime(day);
        EXPECT_TRUE(Working(due, nation)) << absl::FormatCivilTime(due);
      }
    }
  }
}

// --- Each nation's own holidays. -------------------------------------------

TEST(UkCalendarTest, EasterDiffersInScotland) {
  // 2025: Good Friday 18 April everywhere; Easter Monday 21 April not in
  // Scotland.
  for (Nation nation : kAllNations) {
    EXPECT_FALSE(Working(CivilDay(2025, 4, 18), nation));
  }
  EXPECT_FALSE(Working(CivilDay(2025, 4, 21), kEngland));
  EXPECT_FALSE(Working(CivilDay(2025, 4, 21), kNorthernIreland));
  EXPECT_TRUE(Working(CivilDay(2025, 4, 21), kScotland));
  EXPECT_EQ(Add(CivilDay(2025, 4, 17), 1, kEngland), CivilDay(2025, 4, 22));
  EXPECT_EQ(Add(CivilDay(2025, 4, 17), 1, kScotland), CivilDay(2025, 4, 21));
  EXPECT_EQ(Between(CivilDay(2025, 4, 17), CivilDay(2025, 4, 22), kEngland), 1);
  EXPECT_EQ(Between(CivilDay(2025, 4, 17), CivilDay(2025, 4, 22), kScotland),
            2);
}

TEST(UkCalendarTest, ScotlandHasSecondJanuaryWithItsSubstitute) {
  EXPECT_FALSE(Working(CivilDay(2025, 1, 2), kScotland));
  EXPECT_TRUE(Working(CivilDay(2025, 1, 2), kEngland));
  EXPECT_EQ(Add(CivilDay(2024, 12, 31), 1, kScotland), CivilDay(2025, 1, 3));
  EXPECT_EQ(Add(CivilDay(2024, 12, 31), 1, kEngland), CivilDay(2025, 1, 2));
  // 2 January 2027 is a Saturday: Monday 4 January instead, in Scotland only.
  EXPECT_FALSE(Working(CivilDay(2027, 1, 4), kScotland));
  EXPECT_TRUE(Working(CivilDay(2027, 1, 4), kEngland));
  EXPECT_EQ(Add(CivilDay(2026, 12, 31), 1, kScotland), CivilDay(2027, 1, 5));
  EXPECT_EQ(Add(CivilDay(2026, 12, 31), 1, kEngland), CivilDay(2027, 1, 4));
}

TEST(UkCalendarTest, ScotlandHasStAndrewsDayWithItsSubstitute) {
  // 30 November 2024 is a Saturday: Monday 2 December.
  EXPECT_FALSE(Working(CivilDay(2024, 12, 2), kScotland));
  EXPECT_TRUE(Working(CivilDay(2024, 12, 2), kEngland));
  EXPECT_EQ(Add(CivilDay(2024, 11, 29), 1, kScotland), CivilDay(2024, 12, 3));
  // 30 November 2025 is a Sunday: Monday 1 December.
  EXPECT_FALSE(Working(CivilDay(2025, 12, 1), kScotland));
  // 2026 and 2027: on the day itself.
  EXPECT_FALSE(Working(CivilDay(2026, 11, 30), kScotland));
  EXPECT_FALSE(Working(CivilDay(2027, 11, 30), kScotland));
  EXPECT_TRUE(Working(CivilDay(2027, 11, 30), kNorthernIreland));
}

TEST(UkCalendarTest, NorthernIrelandHasStPatricksDay) {
  // 17 March 2024 is a Sunday: Monday 18 March.
  EXPECT_FALSE(Working(CivilDay(2024, 3, 18), kNorthernIreland));
  EXPECT_TRUE(Working(CivilDay(2024, 3, 18), kEngland));
  EXPECT_TRUE(Working(CivilDay(2024, 3, 18), kScotland));
  EXPECT_FALSE(Working(CivilDay(2025, 3, 17), kNorthernIreland));
  EXPECT_TRUE(Working(CivilDay(2025, 3, 17), kEngland));
  EXPECT_FALSE(Working(CivilDay(2026, 3, 17), kNorthernIreland));
  EXPECT_FALSE(Working(CivilDay(2027, 3, 17), kNorthernIreland));
}

TEST(UkCalendarTest, NorthernIrelandHasTheTwelfth) {
  EXPECT_FALSE(Working(CivilDay(2024, 7, 12), kNorthernIreland));
  EXPECT_TRUE(Working(CivilDay(2024, 7, 12), kEngland));
  // 12 July 2025 is a Saturday, 2026 a Sunday: the Mondays after.
  EXPECT_FALSE(Working(CivilDay(2025, 7, 14), kNorthernIreland));
  EXPECT_TRUE(Working(CivilDay(2025, 7, 14), kScotland));
  EXPECT_FALSE(Working(CivilDay(2026, 7, 13), kNorthernIreland));
  EXPECT_FALSE(Working(CivilDay(2027, 7, 12), kNorthernIreland));
}

TEST(UkCalendarTest, AugustHolidayIsFirstMondayInScotlandLastElsewhere) {
  EXPECT_FALSE(Working(CivilDay(2025, 8, 4), kScotland));
  EXPECT_TRUE(Working(CivilDay(2025, 8, 4), kEngland));
  EXPECT_TRUE(Working(CivilDay(2025, 8, 4), kNorthernIreland));
  EXPECT_TRUE(Working(CivilDay(2025, 8, 25), kScotland));
  EXPECT_FALSE(Working(CivilDay(2025, 8, 25), kEngland));
  EXPECT_FALSE(Working(CivilDay(2025, 8, 25), kNorthernIreland));
  EXPECT_EQ(Add(CivilDay(2025, 8, 22), 1, kEngland), CivilDay(2025, 8, 26));
  EXPECT_EQ(Add(CivilDay(2025, 8, 22), 1, kScotland), CivilDay(2025, 8, 25));
}

TEST(UkCalendarTest, ChristmasTwentyTwentySevenMovesToMondayAndTuesday) {
  for (Nation nation : kAllNations) {
    EXPECT_FALSE(Working(CivilDay(2027, 12, 27), nation));
    EXPECT_FALSE(Working(CivilDay(2027, 12, 28), nation));
    EXPECT_TRUE(Working(CivilDay(2027, 12, 29), nation));
    EXPECT_EQ(Add(CivilDay(2027, 12, 24), 1, nation), CivilDay(2027, 12, 29));
    EXPECT_EQ(Between(CivilDay(2027, 12, 24), CivilDay(2027, 12, 31), nation),
              3);
  }
}

TEST(UkCalendarTest, ServiceStandardsOfTwentyAndFortyDays) {
  // Across Christmas and New Year; Scotland's 2 January adds a day.
  EXPECT_EQ(Add(CivilDay(2025, 12, 1), 20, kEngland), CivilDay(2025, 12, 31));
  EXPECT_EQ(Add(CivilDay(2025, 12, 1), 40, kEngland), CivilDay(2026, 1, 29));
  EXPECT_EQ(Add(CivilDay(2025, 12, 1), 40, kNorthernIreland),
            CivilDay(2026, 1, 29));
  EXPECT_EQ(Add(CivilDay(2025, 12, 1), 40, kScotland), CivilDay(2026, 1, 30));
}

// --- Outside the calendar, and bad n. --------------------------------------

TEST(UkCalendarTest, DatesOutsideTheCalendarAreOutOfRange) {
  for (CivilDay day : {CivilDay(2023, 12, 29), CivilDay(2028, 1, 3)}) {
    absl::StatusOr<bool> working = Uk().IsWorkingDay(day, kEngland);
    ASSERT_EQ(working.status().code(), absl::StatusCode::kOutOfRange);
    EXPECT_THAT(std::string(working.status().message()),
                HasSubstr(absl::FormatCivilTime(day)));
    EXPECT_THAT(std::string(working.status().message()),
                HasSubstr("2024-01-01 to 2027-12-31"));
  }
  EXPECT_EQ(
      Uk().AddWorkingDays(CivilDay(2023, 12, 29), 1, kEngland).status().code(),
      absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Uk().WorkingDaysBetween(CivilDay(2023, 12, 29),
                                    CivilDay(2024, 1, 5), kEngland)
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Uk().WorkingDaysBetween(CivilDay(2027, 12, 1), CivilDay(2028, 1, 5),
                                    kEngland)
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
}

TEST(UkCalendarTest, AnswerBeyondTheCalendarIsOutOfRange) {
  // Thursday 30 December 2027: Friday 31 is the last working day covered.
  EXPECT_EQ(Add(CivilDay(2027, 12, 30), 1, kEngland), CivilDay(2027, 12, 31));
  absl::StatusOr<CivilDay> beyond =
      Uk().AddWorkingDays(CivilDay(2027, 12, 30), 2, kEngland);
  ASSERT_EQ(beyond.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(beyond.status().message()), HasSubstr("2027-12-30"));
  EXPECT_EQ(
      Uk().AddWorkingDays(CivilDay(2027, 12, 31), 1, kEngland).status().code(),
      absl::StatusCode::kOutOfRange);
}

TEST(UkCalendarTest, FirstAndLastDaysAreCovered) {
  EXPECT_FALSE(Working(CivilDay(2024, 1, 1), kEngland));  // New Year's Day.
  EXPECT_TRUE(Working(CivilDay(2027, 12, 31), kScotland));
  EXPECT_EQ(Between(CivilDay(2024, 1, 1), CivilDay(2027, 12, 31), kEngland),
            (262 + 3 * 261) - 32);  // Weekdays, less E&W's 32 holidays.
}

TEST(UkCalendarTest, NLessThanOneIsInvalidArgument) {
  for (int n : {0, -1}) {
    absl::StatusOr<CivilDay> added =
        Uk().AddWorkingDays(CivilDay(2025, 6, 13), n, kEngland);
    ASSERT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(added.status().message()), StartsWith("n: "));
    EXPECT_EQ(Uk().DueBy(Utc(2025, 6, 13, 10, 0), n, kEngland).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

// --- DueBy: the end of the nth working day, in London. ---------------------

TEST(DueByTest, FridayPlusTwoIsEndOfTuesday) {
  // BST: the end of Tuesday 17 June is 23:00 UTC.
  EXPECT_EQ(DueBy(InLondon(2025, 6, 13, 10, 0), 2, kEngland),
            InLondon(2025, 6, 18, 0, 0));
  EXPECT_EQ(DueBy(InLondon(2025, 6, 13, 10, 0), 2, kEngland),
            Utc(2025, 6, 17, 23, 0));
}

TEST(DueByTest, MondayHolidayPushesItToWednesday) {
  EXPECT_EQ(DueBy(InLondon(2025, 8, 22, 9, 0), 2, kEngland),
            InLondon(2025, 8, 28, 0, 0));
  EXPECT_EQ(DueBy(InLondon(2025, 8, 22, 9, 0), 2, kScotland),
            InLondon(2025, 8, 27, 0, 0));
}

TEST(DueByTest, AcrossTheChangeFromBstToGmt) {
  // Clocks go back on Sunday 26 October 2025.
  EXPECT_EQ(DueBy(InLondon(2025, 10, 24, 10, 0), 2, kEngland),
            Utc(2025, 10, 29, 0, 0));
  EXPECT_EQ(DueBy(InLondon(2025, 10, 23, 10, 0), 1, kEngland),
            Utc(2025, 10, 24, 23, 0));
}

TEST(DueByTest, AcrossTheChangeFromGmtToBst) {
  // Clocks go forward on Sunday 30 March 2025.
  EXPECT_EQ(DueBy(InLondon(2025, 3, 28, 10, 0), 1, kEngland),
            Utc(2025, 3, 31, 23, 0));
  EXPECT_EQ(DueBy(InLondon(2025, 3, 27, 10, 0), 1, kEngland),
            Utc(2025, 3, 29, 0, 0));
}

TEST(DueByTest, HalfPastElevenInWinterIsTheSameUtcDay) {
  // Wednesday 15 January 2025, 23:30 GMT = 23:30 UTC.
  absl::Time start = InLondon(2025, 1, 15, 23, 30);
  EXPECT_EQ(start, Utc(2025, 1, 15, 23, 30));
  EXPECT_EQ(LondonDay(start), CivilDay(2025, 1, 15));
  EXPECT_EQ(DueBy(start, 2, kEngland), Utc(2025, 1, 18, 0, 0));
}

TEST(DueByTest, HalfPastElevenUtcInSummerIsTheNextLondonDay) {
  // Tuesday 1 July 2025, 23:30 UTC is 00:30 BST on Wednesday.
  absl::Time start = Utc(2025, 7, 1, 23, 30);
  EXPECT_EQ(LondonDay(start), CivilDay(2025, 7, 2));
  EXPECT_EQ(DueBy(start, 2, kEngland), Utc(2025, 7, 4, 23, 0));
  // 23:30 BST on Tuesday is 22:30 UTC, still Tuesday in London.
  absl::Time late_tuesday = InLondon(2025, 7, 1, 23, 30);
  EXPECT_EQ(late_tuesday, Utc(2025, 7, 1, 22, 30));
  EXPECT_EQ(LondonDay(late_tuesday), CivilDay(2025, 7, 1));
  EXPECT_EQ(DueBy(late_tuesday, 2, kEngland), Utc(2025, 7, 3, 23, 0));
}

TEST(DueByTest, OutsideTheCalendarIsOutOfRange) {
  EXPECT_EQ(Uk().DueBy(Utc(2023, 12, 31, 12, 0), 1, kEngland).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Uk().DueBy(Utc(2027, 12, 30, 12, 0), 2, kEngland).status().code(),
            absl::StatusCode::kOutOfRange);
  // The last covered day's end is in 2028, which is fine.
  EXPECT_EQ(DueBy(Utc(2027, 12, 30, 12, 0), 1, kEngland),
            Utc(2028, 1, 1, 0, 0));
}

// --- Europe/London, and the fallback without tzdata. -----------------------

TEST(LondonTimeTest, LoadsTheSystemZone) {
  absl::TimeZone system;
  if (!absl::LoadTimeZone("Europe/London", &system)) {
    GTEST_SKIP() << "no tzdata here; the fallback tests still run";
  }
  EXPECT_EQ(LondonTime().name(), "Europe/London");
}

TEST(LondonTimeTest, UkRuleAgreesWithTzdataEveryHour) {
  absl::TimeZone system;
  if (!absl::LoadTimeZone("Europe/London", &system)) {
    GTEST_SKIP() << "no tzdata to compare with";
  }
  absl::TimeZone rule = UkRuleTime();
  for (absl::Time t = Utc(1997, 1, 1, 0, 30); t < Utc(2040, 1, 1, 0, 0);
       t += absl::Hours(1)) {
    ASSERT_EQ(absl::ToCivilSecond(t, rule), absl::ToCivilSecond(t, system))
        << absl::FormatTime(t, absl::UTCTimeZone());
  }
}

TEST(LondonTimeTest, UkRuleChangesAtOneUtcOnLastSundays) {
  absl::TimeZone rule = UkRuleTime();
  absl::Duration second = absl::Seconds(1);
  // 2025, and 2150 (beyond the explicit changes: the POSIX footer's work).
  struct Change {
    absl::Time at;
    int hour_before;
    int hour_after;
  };
  const Change kChanges[] = {
      {Utc(2025, 3, 30, 1, 0), 0, 2},
      {Utc(2025, 10, 26, 1, 0), 1, 1},
      {Utc(2150, 3, 29, 1, 0), 0, 2},
      {Utc(2150, 10, 25, 1, 0), 1, 1},
  };
  for (const Change& change : kChanges) {
    SCOPED_TRACE(absl::FormatTime(change.at, absl::UTCTimeZone()));
    EXPECT_EQ(absl::ToCivilHour(change.at - second, rule).hour(),
              change.hour_before);
    EXPECT_EQ(absl::ToCivilHour(change.at, rule).hour(), change.hour_after);
  }
  EXPECT_EQ(absl::FormatTime("%Z", Utc(2025, 7, 1, 12, 0), rule), "BST");
  EXPECT_EQ(absl::FormatTime("%Z", Utc(2025, 1, 1, 12, 0), rule), "GMT");
}

TEST(LondonTimeTest, UnloadableZoneFallsBackToTheUkRule) {
  absl::TimeZone fallback = LoadLondonTime("Nowhere/Atlantis");
  // Built from the rule, not the last-resort GMT all year.
  EXPECT_THAT(fallback.name(), StartsWith("/proc/self/fd/"));
  EXPECT_EQ(absl::ToCivilSecond(Utc(2025, 7, 1, 23, 30), fallback),
            absl::CivilSecond(2025, 7, 2, 0, 30, 0));
  EXPECT_EQ(absl::ToCivilSecond(Utc(2025, 1, 15, 23, 30), fallback),
            absl::CivilSecond(2025, 1, 15, 23, 30, 0));
  EXPECT_EQ(absl::FromCivil(CivilDay(2026, 6, 1), fallback),
            Utc(2026, 5, 31, 23, 0));
}

// --- Parse: the data format. ------------------------------------------------

constexpr char kRange2024[] = "range 2024-01-01 2024-12-31\n";

absl::Status ParseError(const std::string& text) {
  return WorkingCalendar::Parse(text).status();
}

TEST(ParseTest, ReadsAMinimalCalendar) {
  absl::StatusOr<WorkingCalendar> calendar = WorkingCalendar::Parse(
      "# comment\n\n"
      "range 2024-01-01 2024-12-31  # trailing comment\r\n"
      "scotland 2024-01-02 2nd January\n"
      "\tengland-and-wales   2024-01-01 New Year's Day\n");
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  EXPECT_EQ(calendar->first_day(), CivilDay(2024, 1, 1));
  EXPECT_EQ(calendar->last_day(), CivilDay(2024, 12, 31));
  EXPECT_FALSE(*calendar->IsWorkingDay(CivilDay(2024, 1, 2), kScotland));
  EXPECT_TRUE(*calendar->IsWorkingDay(CivilDay(2024, 1, 2), kEngland));
  EXPECT_FALSE(*calendar->IsWorkingDay(CivilDay(2024, 1, 1), kEngland));
  EXPECT_TRUE(*calendar->IsWorkingDay(CivilDay(2024, 1, 1), kNorthernIreland));
  EXPECT_EQ(
      calendar->IsWorkingDay(CivilDay(2025, 1, 1), kScotland).status().code(),
      absl::StatusCode::kOutOfRange);
}

TEST(ParseTest, TheBuiltInTextParses) {
  EXPECT_TRUE(WorkingCalendar::Parse(UkBankHolidaysText()).ok());
}

TEST(ParseTest, ErrorsNameTheLine) {
  struct Case {
    std::string text;
    const char* message_start;
  };
  const Case kCases[] = {
      {std::string(kRange2024) + "# c\nwales 2024-01-01 New Year",
       "line 3: unknown nation \"wales\""},
      {std::string(kRange2024) + "scotland 2024-02-30 Nothing",
       "line 2: bad date \"2024-02-30\""},
      {std::string(kRange2024) + "scotland 2024-1-02 2nd January",
       "line 2: bad date"},
      {std::string(kRange2024) + "scotland 02-01-2024 2nd January",
       "line 2: bad date"},
      {std::string(kRange2024) + "scotland 2024-01-02",
       "line 2: a holiday reads"},
      {std::string(kRange2024) + "\n\nscotland 2025-01-02 2nd January",
       "line 4: 2025-01-02 is outside the range 2024-01-01 to 2024-12-31"},
      {"scotland 2023-01-02 2nd January\n" + std::string(kRange2024),
       "line 1: 2023-01-02 is outside the range"},
      {std::string(kRange2024) + "scotland 2024-11-30 St Andrew's Day",
       "line 2: 2024-11-30 is at a weekend"},
      {std::string(kRange2024) + "scotland 2024-01-02 a\nscotland 2024-01-02 b",
       "line 3: 2024-01-02 is listed twice"},
      {std::string(kRange2024) + kRange2024, "line 2: a second range line"},
      {"range 2024-12-31 2024-01-01\n", "line 1: range must not end before"},
      {"range 2024-01-01\n", "line 1: range must read"},
      {"range 2024-01-01 2024-13-01\n", "line 1: range dates must be real"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.text);
    absl::Status status = ParseError(c.text);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), StartsWith(c.message_start));
  }
}

TEST(ParseTest, MissingRangeIsAnError) {
  for (const char* text : {"", "# nothing\n", "scotland 2024-01-02 x\n"}) {
    absl::Status status = ParseError(text);
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(status.message()), StartsWith("range: missing"));
  }
}

}  // namespace
}  // namespace employability::calendar
