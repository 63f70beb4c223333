#include "common/calendar/working_calendar.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/logging/log.h"
#include "common/status/macros.h"
#include "common/status/validation.h"

namespace employability::calendar {
namespace {

constexpr absl::string_view kLondonZoneName = "Europe/London";

std::optional<Nation> ParseNation(absl::string_view word) {
  if (word == "england-and-wales") return Nation::kEnglandAndWales;
  if (word == "scotland") return Nation::kScotland;
  if (word == "northern-ireland") return Nation::kNorthernIreland;
  return std::nullopt;
}

bool IsWeekend(absl::CivilDay day) {
  absl::Weekday weekday = absl::GetWeekday(day);
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

// Exactly YYYY-MM-DD naming a real date: no normalising of 2025-02-30 into
// March, which would hide a typing slip in the data.
std::optional<absl::CivilDay> ParseIsoDay(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  int year = 0;
  int month = 0;
  int day = 0;
  for (absl::string_view digits :
       {text.substr(0, 4), text.substr(5, 2), text.substr(8, 2)}) {
    for (char c : digits) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return std::nullopt;
      }
    }
  }
  if (!absl::SimpleAtoi(text.substr(0, 4), &year) ||
      !absl::SimpleAtoi(text.substr(5, 2), &month) ||
      !absl::SimpleAtoi(text.substr(8, 2), &day)) {
    return std::nullopt;
  }
  absl::CivilDay parsed(year, month, day);
  if (parsed.year() != year || parsed.month() != month || parsed.day() != day) {
    return std::nullopt;
  }
  return parsed;
}

absl::Status LineError(int line_number, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line_number, ": ", problem));
}

std::string Span(absl::CivilDay first, absl::CivilDay last) {
  return absl::StrCat(absl::FormatCivilTime(first), " to ",
                      absl::FormatCivilTime(last));
}

// One holiday line, kept with its line number until the range is known.
struct HolidayLine {
  int line_number;
  Nation nation;
  absl::CivilDay day;
};

// What the lines say, before the range checks that need the whole text.
struct ParsedLines {
  std::optional<std::pair<absl::CivilDay, absl::CivilDay>> range;
  std::vector<HolidayLine> holidays;
};

absl::Status ParseRangeLine(int line_number,
                            const std::vector<absl::string_view>& words,
                            ParsedLines& parsed) {
  if (parsed.range.has_value()) {
    return LineError(line_number, "a second range line");
  }
  if (words.size() != 3) {
    return LineError(line_number,
                     "range must read `range <YYYY-MM-DD> <YYYY-MM-DD>`");
  }
  std::optional<absl::CivilDay> first = ParseIsoDay(words[1]);
  std::optional<absl::CivilDay> last = ParseIsoDay(words[2]);
  if (!first || !last) {
    return LineError(line_number, "range dates must be real YYYY-MM-DD dates");
  }
  if (*last < *first) {
    return LineError(line_number, "range must not end before it starts");
  }
  parsed.range.emplace(*first, *last);
  return absl::OkStatus();
}

absl::Status ParseHolidayLine(int line_number,
                              const std::vector<absl::string_view>& words,
                              ParsedLines& parsed) {
  std::optional<Nation> nation = ParseNation(words[0]);
  if (!nation) {
    return LineError(line_number,
                     absl::StrCat("unknown nation \"", words[0],
                                  "\" (england-and-wales, scotland or "
                                  "northern-ireland)"));
  }
  if (words.size() < 3) {
    return LineError(line_number,
                     "a holiday reads `<nation> <YYYY-MM-DD> <name...>`");
  }
  std::optional<absl::CivilDay> day = ParseIsoDay(words[1]);
  if (!day) {
    return LineError(line_number, absl::StrCat("bad date \"", words[1],
                                               "\" (want a real YYYY-MM-DD)"));
  }
  // GOV.UK lists the weekday substitute, never the weekend day itself; a
  // weekend here is a slip that would silently change nothing.
  if (IsWeekend(*day)) {
    return LineError(line_number, absl::StrCat(words[1],
                                               " is at a weekend; list its "
                                               "substitute weekday instead"));
  }
  parsed.holidays.push_back({line_number, *nation, *day});
  return absl::OkStatus();
}

absl::StatusOr<ParsedLines> ParseLines(absl::string_view text) {
  ParsedLines parsed;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "range") {
      RETURN_IF_ERROR(ParseRangeLine(line_number, words, parsed));
    } else {
      RETURN_IF_ERROR(ParseHolidayLine(line_number, words, parsed));
    }
  }
  return parsed;
}

// Per nation, a flag for each day of the range: true on a bank holiday.
absl::StatusOr<std::array<std::vector<bool>, 3>> HolidayFlags(
    const ParsedLines& parsed) {
  const auto [first, last] = *parsed.range;
  std::array<std::vector<bool>, 3> flags;
  for (std::vector<bool>& nation_flags : flags) {
    nation_flags.assign(static_cast<size_t>(last - first + 1), false);
  }
  for (const HolidayLine& holiday : parsed.holidays) {
    if (holiday.day < first || holiday.day > last) {
      return LineError(
          holiday.line_number,
          absl::StrCat(absl::FormatCivilTime(holiday.day),
                       " is outside the range ", Span(first, last)));
    }
    std::vector<bool>& nation_flags = flags[static_cast<int>(holiday.nation)];
    size_t index = static_cast<size_t>(holiday.day - first);
    if (nation_flags[index]) {
      return LineError(holiday.line_number,
                       absl::StrCat(absl::FormatCivilTime(holiday.day),
                                    " is listed twice for this nation"));
    }
    nation_flags[index] = true;
  }
  return flags;
}

// TZif (RFC 8536) bytes, big-endian.
void AppendBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void AppendTzifHeader(std::string& out, uint32_t timecnt, uint32_t typecnt,
                      uint32_t charcnt) {
  out.append("TZif2");
  out.append(15, '\0');
  for (uint32_t count : {0u, 0u, 0u, timecnt, typecnt, charcnt}) {
    AppendBigEndian(out, count, 4);  // isut, isstd, leap, time, type, char.
  }
}

absl::Time LastSundayAt0100Utc(int64_t year, int month) {
  absl::CivilDay day = absl::CivilDay(year, month + 1, 1) - 1;
  while (absl::GetWeekday(day) != absl::Weekday::sunday) --day;
  return absl::FromCivil(
      absl::CivilSecond(day.year(), day.month(), day.day(), 1, 0, 0),
      absl::UTCTimeZone());
}

// The UK rule as a TZif version 2 file: explicit changes for 1996..2099 (the
// rule has been the same since 1996), and the POSIX footer for later years.
std::string UkRuleTzif() {
  constexpr int kFirstYear = 1996;
  constexpr int kLastYear = 2099;
  std::vector<std::pair<absl::Time, uint8_t>> changes;  // 1 = BST, 0 = GMT.
  for (int year = kFirstYear; year <= kLastYear; ++year) {
    changes.emplace_back(LastSundayAt0100Utc(year, 3), 1);
    changes.emplace_back(LastSundayAt0100Utc(year, 10), 0);
  }
  std::string out;
  // Version 1 block: readers of version 2 skip it, but it must be well formed.
  AppendTzifHeader(out, 0, 1, 4);
  AppendBigEndian(out, 0, 4);
  out.append({'\0', '\0'});
  out.append("GMT", 4);
  AppendTzifHeader(out, static_cast<uint32_t>(changes.size()), 2, 8);
  for (const auto& change : changes) {
    AppendBigEndian(
        out, static_cast<uint64_t>(absl::ToUnixSeconds(change.first)), 8);
  }
  for (const auto& change : changes) {
    out.push_back(static_cast<char>(change.second));
  }
  AppendBigEndian(out, 0, 4);     // GMT: UTC+0,
  out.append({'\0', '\0'});       // not DST, abbreviation at 0.
  AppendBigEndian(out, 3600, 4);  // BST: UTC+1,
  out.append({'\1', '\4'});       // DST, abbreviation at 4.
  out.append("GMT\0BST", 8);
  out.append("\nGMT0BST,M3.5.0/1,M10.5.0\n");
  return out;
}

}  // namespace

absl::StatusOr<WorkingCalendar> WorkingCalendar::Parse(absl::string_view text) {
  ASSIGN_OR_RETURN(ParsedLines parsed, ParseLines(text));
  if (!parsed.range.has_value()) {
    return InvalidField("range",
                        "missing; the calendar needs a `range <first> <last>` "
                        "line");
  }
  ASSIGN_OR_RETURN(auto holidays, HolidayFlags(parsed));
  return WorkingCalendar(parsed.range->first, parsed.range->second, holidays);
}

const WorkingCalendar& WorkingCalendar::Uk() {
  static const WorkingCalendar* const uk = [] {
    absl::StatusOr<WorkingCalendar> parsed = Parse(UkBankHolidaysText());
    if (!parsed.ok()) {
      EMP_LOG(FATAL) << "the built-in uk_bank_holidays.txt is bad: "
                     << parsed.status();
    }
    return new WorkingCalendar(*std::move(parsed));
  }();
  return *uk;
}

WorkingCalendar::WorkingCalendar(
    absl::CivilDay first_day, absl::CivilDay last_day,
    const std::array<std::vector<bool>, kNations>& holidays)
    : first_day_(first_day), last_day_(last_day) {
  for (int nation = 0; nation < kNations; ++nation) {
    std::vector<int>& before = working_before_[nation];
    before.assign(holidays[nation].size() + 1, 0);
    for (size_t i = 0; i < holidays[nation].size(); ++i) {
      bool working = !holidays[nation][i] && !IsWeekend(first_day_ + i);
      before[i + 1] = before[i] + (working ? 1 : 0);
    }
  }
}

absl::Status WorkingCalendar::CheckCovered(absl::CivilDay day) const {
  if (day >= first_day_ && day <= last_day_) return absl::OkStatus();
  return absl::OutOfRangeError(
      absl::StrCat(absl::FormatCivilTime(day),
                   " is outside the working-day calendar, which covers ",
                   Span(first_day_, last_day_)));
}

int WorkingCalendar::Offset(absl::CivilDay day) const {
  return static_cast<int>(day - first_day_);
}

const std::vector<int>& WorkingCalendar::WorkingBefore(Nation nation) const {
  return working_before_[static_cast<int>(nation)];
}

absl::StatusOr<bool> WorkingCalendar::IsWorkingDay(absl::CivilDay day,
                                                   Nation nation) const {
  RETURN_IF_ERROR(CheckCovered(day));
  const std::vector<int>& before = WorkingBefore(nation);
  int i = Offset(day);
  return before[i + 1] > before[i];
}

absl::StatusOr<absl::CivilDay> WorkingCalendar::AddWorkingDays(
    absl::CivilDay day, int n, Nation nation) const {
  if (n < 1)
    return InvalidField("n", absl::StrCat("must be at least 1, not ", n));
  RETURN_IF_ERROR(CheckCovered(day));
  const std::vector<int>& before = WorkingBefore(nation);
  // before[k] counts working days up to day k - 1, so the first k reaching
  // the target count is one past the answer.
  int64_t target = static_cast<int64_t>(before[Offset(day) + 1]) + n;
  auto found = std::lower_bound(before.begin(), before.end(), target);
  if (found == before.end()) {
    return absl::OutOfRangeError(
        absl::StrCat("working day ", n, " after ", absl::FormatCivilTime(day),
                     " is beyond the working-day calendar, which covers ",
                     Span(first_day_, last_day_)));
  }
  return first_day_ + ((found - before.begin()) - 1);
}

absl::StatusOr<int> WorkingCalendar::WorkingDaysBetween(absl::CivilDay from,
                                                        absl::CivilDay to,
                                                        Nation nation) const {
  RETURN_IF_ERROR(CheckCovered(from));
  RETURN_IF_ERROR(CheckCovered(to));
  if (to <= from) return 0;
  const std::vector<int>& before = WorkingBefore(nation);
  return before[Offset(to) + 1] - before[Offset(from) + 1];
}

absl::StatusOr<absl::Time> WorkingCalendar::DueBy(absl::Time start, int n,
                                                  Nation nation) const {
  ASSIGN_OR_RETURN(absl::CivilDay due,
                   AddWorkingDays(LondonDay(start), n, nation));
  // UK clocks change at 01:00 UTC, so local midnight always exists once.
  return absl::FromCivil(due + 1, LondonTime());
}

absl::CivilDay LondonDay(absl::Time t) {
  return absl::ToCivilDay(t, LondonTime());
}

const absl::TimeZone& LondonTime() {
  static const absl::TimeZone* const london =
      new absl::TimeZone(LoadLondonTime(kLondonZoneName));
  return *london;
}

absl::TimeZone LoadLondonTime(absl::string_view zone_name) {
  absl::TimeZone zone;
  if (absl::LoadTimeZone(zone_name, &zone)) return zone;
  EMP_LOG(ERROR) << "cannot load the time zone \"" << zone_name
                 << "\" (is tzdata installed?); using the built-in UK rule "
                    "(GMT, BST from the last Sunday of March to the last "
                    "Sunday of October)";
  return UkRuleTime();
}

absl::TimeZone UkRuleTime() {
  std::string tzif = UkRuleTzif();
  int fd = memfd_create("uk-rule-tzif", MFD_CLOEXEC);
  bool written = fd >= 0 && write(fd, tzif.data(), tzif.size()) ==
                                static_cast<ssize_t>(tzif.size());
  absl::TimeZone zone;
  bool loaded =
      written && absl::LoadTimeZone(absl::StrCat("/proc/self/fd/", fd), &zone);
  if (fd >= 0) close(fd);
  if (loaded) return zone;
  EMP_LOG(ERROR) << "cannot build the UK time rule (no memfd or /proc?); "
                    "London time is GMT all year, so deadlines in summer "
                    "are an hour late";
  return absl::UTCTimeZone();
}

}  // namespace employability::calendar
