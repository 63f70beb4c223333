#include "services/audit/audit_records.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/audit/audit_trail.h"
#include "common/status/macros.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"

namespace employability::audit {
namespace {

constexpr char kOrganisationsPrefix[] = "organisations/";
constexpr char kParticipantForm[] =
    "must be contracts/{contract}/participants/{participant}";
constexpr char kForeignToken[] = "is not a token this service issued";
// The registry of audited tenancies is read in slices of this many.
constexpr int kRegistrySlice = 1000;
constexpr uint64_t kLastSequence = std::numeric_limits<uint64_t>::max();
constexpr int64_t kLatestSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// A request, validated, with its period resolved.
struct Query {
  std::string organisation;  // the parent: owner of the records
  std::string participant;   // filters; empty for any
  std::string contract;      // the participant's
  std::string actor_organisation;
  std::string actor_user;
  absl::Time start;  // inclusive
  absl::Time end;    // exclusive
  int page_size = 0;
};

// A place in the merged trail. Streams' ids are independent, so two
// streams can hold the same id: the tenancy breaks the tie.
struct Position {
  uint64_t ms = 0;
  uint64_t seq = 0;
  std::string tenancy;
};

bool operator<(const Position& a, const Position& b) {
  return std::tie(a.ms, a.seq, a.tenancy) < std::tie(b.ms, b.seq, b.tenancy);
}

struct Stream {
  std::string tenancy;
  bool done = false;  // nothing more to read in the period
};

struct Found {
  Position position;
  std::string payload;
};

// One slice of every stream not yet done. Up to the horizon (the earliest
// last-read place of any stream that may hold more) the merged order is
// final; past it, another stream's unread entries may come first.
struct Round {
  std::vector<Found> found;  // in trail order
  std::optional<Position> horizon;
  int read = 0;
};

// ---- Names

absl::StatusOr<std::string> ParseOrganisationName(absl::string_view field,
                                                  absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  if (!absl::ConsumePrefix(&name, kOrganisationsPrefix) || name.empty()) {
    return InvalidField(field, "must be organisations/{organisation}");
  }
  RETURN_IF_ERROR(CheckResourceId(field, name));
  return std::string(name);
}

// The contract of a participant's name.
absl::StatusOr<std::string> ParseParticipantContract(absl::string_view field,
                                                     absl::string_view name) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "contracts" ||
      parts[2] != "participants" || parts[1].empty() || parts[3].empty()) {
    return InvalidField(field, kParticipantForm);
  }
  RETURN_IF_ERROR(CheckResourceId(field, parts[1]));
  RETURN_IF_ERROR(CheckResourceId(field, parts[3]));
  return std::string(parts[1]);
}

// ---- The period

absl::StatusOr<absl::Time> TimeOf(absl::string_view field,
                                  const google::protobuf::Timestamp& time) {
  if (time.seconds() < 0 || time.seconds() > kLatestSeconds ||
      time.nanos() < 0 || time.nanos() > 999'999'999) {
    return InvalidField(field, "must be a valid time from 1970 onwards");
  }
  return FromProtoTimestamp(time);
}

absl::Status ResolvePeriod(const v1::ListAuditEntriesRequest& request,
                           absl::Time now, Query& query) {
  // Unset, the period runs to now inclusive: what was done at this very
  // instant is in it.
  query.end = now + absl::Nanoseconds(1);
  if (request.has_end_time()) {
    ASSIGN_OR_RETURN(query.end, TimeOf("end_time", request.end_time()));
  }
  query.start = query.end - kDefaultPeriod;
  if (request.has_start_time()) {
    ASSIGN_OR_RETURN(query.start, TimeOf("start_time", request.start_time()));
  }
  if (query.end < query.start) {
    return InvalidField("end_time", "must not be before start_time");
  }
  if (query.end - query.start > kMaxPeriod) {
    return InvalidField("start_time",
                        "the period may span at most 366 days (end_time "
                        "defaults to now)");
  }
  return absl::OkStatus();
}

absl::StatusOr<Query> ParseQuery(const v1::ListAuditEntriesRequest& request,
                                 std::string organisation, absl::Time now) {
  Query query;
  query.organisation = std::move(organisation);
  if (!request.participant().empty()) {
    ASSIGN_OR_RETURN(query.contract, ParseParticipantContract(
                                         "participant", request.participant()));
    query.participant = request.participant();
  }
  if (!request.actor_organisation().empty()) {
    RETURN_IF_ERROR(
        CheckResourceId("actor_organisation", request.actor_organisation()));
    query.actor_organisation = request.actor_organisation();
  }
  if (!request.actor_user().empty()) {
    RETURN_IF_ERROR(CheckResourceId("actor_user", request.actor_user()));
    query.actor_user = request.actor_user();
  }
  RETURN_IF_ERROR(ResolvePeriod(request, now, query));
  ASSIGN_OR_RETURN(query.page_size, PageSize("page_size", request.page_size(),
                                             kDefaultPageSize, kMaxPageSize));
  return query;
}

// What a page token is bound to: the request as sent, but for paging. A
// defaulted period therefore follows the clock from page to page; the
// token's place keeps the pages from overlapping.
std::string QueryText(const v1::ListAuditEntriesRequest& request) {
  auto time_text = [](bool set, const google::protobuf::Timestamp& time) {
    return set ? absl::StrCat(time.seconds(), ".", time.nanos())
               : std::string("-");
  };
  return absl::StrCat(
      "audit|", request.parent(), "|", request.participant(), "|",
      request.actor_organisation(), "|", request.actor_user(), "|",
      time_text(request.has_start_time(), request.start_time()), "|",
      time_text(request.has_end_time(), request.end_time()));
}

// ---- Places in the trail

uint64_t Millis(absl::Time time) {
  return static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(time)));
}

std::string StreamId(uint64_t ms, uint64_t seq) {
  return absl::StrCat(ms, "-", seq);
}

absl::StatusOr<Position> ParsePosition(absl::string_view id,
                                       std::string tenancy) {
  const std::vector<absl::string_view> parts = absl::StrSplit(id, '-');
  Position position;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &position.ms) ||
      !absl::SimpleAtoi(parts[1], &position.seq)) {
    return absl::InternalError("the store gave a malformed stream id");
  }
  position.tenancy = std::move(tenancy);
  return position;
}

// The id to read `tenancy`'s stream after, to resume just past `cursor`.
std::string ReadAfter(const std::string& tenancy, const Position& cursor) {
  if (tenancy <= cursor.tenancy) return StreamId(cursor.ms, cursor.seq);
  // A later tenancy's entry with the cursor's own id comes after the
  // cursor: read from just before that id.
  if (cursor.seq > 0) return StreamId(cursor.ms, cursor.seq - 1);
  if (cursor.ms > 0) return StreamId(cursor.ms - 1, kLastSequence);
  return "";  // the start
}

// A cursor as a page token carries it: "<ms>-<seq> <tenancy>".
std::string EncodeCursor(const Position& cursor) {
  return absl::StrCat(StreamId(cursor.ms, cursor.seq), " ", cursor.tenancy);
}

absl::StatusOr<Position> DecodeCursor(absl::string_view text) {
  const std::vector<std::string> parts =
      absl::StrSplit(text, absl::MaxSplits(' ', 1));
  if (parts.size() != 2) return InvalidField("page_token", kForeignToken);
  absl::StatusOr<Position> cursor = ParsePosition(parts[0], parts[1]);
  if (!cursor.ok()) return InvalidField("page_token", kForeignToken);
  return cursor;
}

// ---- Reading

absl::Status CheckReader(const auth::Caller& caller,
                         const std::string& organisation) {
  // An unspecified scope allows nothing; within the policy's roles, the
  // trail is readable by the organisation that owns the records only. The
  // refusal is the same whether or not the organisation has entries.
  if (caller.scope != auth::v1::SCOPE_UNSPECIFIED &&
      caller.organisation == organisation) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the audit trail of ", kOrganisationsPrefix, organisation,
                   " is readable only by its own quality managers and admins"));
}

bool Matches(const Query& query, const v1::AuditEntry& entry) {
  const absl::Time time = FromProtoTimestamp(entry.time());
  return entry.owning_organisation() == query.organisation &&
         (query.participant.empty() ||
          entry.participant() == query.participant) &&
         (query.actor_organisation.empty() ||
          entry.actor_organisation() == query.actor_organisation) &&
         (query.actor_user.empty() || entry.actor_user() == query.actor_user) &&
         time >= query.start && time < query.end;
}

// The tenancies whose trails hold entries `organisation` owns.
absl::StatusOr<std::vector<std::string>> AuditedTenancies(
    storage::Store& store, const std::string& organisation) {
  std::vector<std::string> tenancies;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(
        std::vector<std::string> slice,
        store.IndexRange(storage::AuditStreamRegistryOf(organisation), after,
                         kRegistrySlice));
    tenancies.insert(tenancies.end(), slice.begin(), slice.end());
    if (static_cast<int>(slice.size()) < kRegistrySlice) return tenancies;
    after = tenancies.back();
  }
}

// Reads up to `slice` entries of every stream not yet done, after `cursor`
// and up to `last_ms`.
absl::StatusOr<Round> ReadRound(storage::Store& store,
                                std::vector<Stream>& streams,
                                const Position& cursor, uint64_t last_ms,
                                int slice) {
  Round round;
  // The last place read in each stream this round, when it read any.
  std::vector<std::optional<Position>> last_read(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    Stream& stream = streams[i];
    if (stream.done) continue;
    ASSIGN_OR_RETURN(
        std::vector<storage::StreamEntry> entries,
        store.StreamRead(storage::AuditStream(stream.tenancy),
                         ReadAfter(stream.tenancy, cursor), slice));
    round.read += static_cast<int>(entries.size());
    stream.done = static_cast<int>(entries.size()) < slice;
    Position last;
    for (storage::StreamEntry& entry : entries) {
      ASSIGN_OR_RETURN(Position position,
                       ParsePosition(entry.id, stream.tenancy));
      if (position.ms > last_ms) {  // past the period
        stream.done = true;
        break;
      }
      last = position;
      last_read[i] = last;
      round.found.push_back({std::move(position), std::move(entry.payload)});
    }
    if (!stream.done && (!round.horizon || last < *round.horizon)) {
      round.horizon = last;
    }
  }
  // Entries past the horizon are not taken this round, and the cursor moves
  // only to the horizon: a stream read to its end with entries past it is
  // not done, or the next round (reading from the new cursor) would skip
  // them.
  if (round.horizon) {
    for (size_t i = 0; i < streams.size(); ++i) {
      if (streams[i].done && last_read[i] && *round.horizon < *last_read[i]) {
        streams[i].done = false;
      }
    }
  }
  std::sort(
      round.found.begin(), round.found.end(),
      [](const Found& a, const Found& b) { return a.position < b.position; });
  return round;
}

// Adds the query's entries after `cursor` to `response`, in trail order,
// within the read budget. Returns the place to resume from, or nullopt when
// the period holds no more.
absl::StatusOr<std::optional<Position>> Scan(
    storage::Store& store, const Query& query, std::vector<Stream> streams,
    Position cursor, v1::ListAuditEntriesResponse& response) {
  const int budget = kReadBudgetPages * query.page_size;
  const uint64_t last_ms = Millis(query.end + kClockTolerance);
  auto live = [&streams] {
    return static_cast<int>(
        std::count_if(streams.begin(), streams.end(),
                      [](const Stream& s) { return !s.done; }));
  };
  for (int read = 0; read < budget && live() > 0;) {
    const int slice = std::max(1, std::min(query.page_size, budget / live()));
    ASSIGN_OR_RETURN(Round round,
                     ReadRound(store, streams, cursor, last_ms, slice));
    read += round.read;
    for (Found& found : round.found) {
      if (round.horizon && *round.horizon < found.position) break;
      cursor = std::move(found.position);
      ASSIGN_OR_RETURN(v1::AuditEntry entry, ParseAuditEntry(found.payload));
      if (!Matches(query, entry)) continue;
      *response.add_audit_entries() = std::move(entry);
      if (response.audit_entries_size() == query.page_size) return cursor;
    }
    if (round.horizon) cursor = *round.horizon;
  }
  if (live() == 0) return std::nullopt;
  return cursor;
}

}  // namespace

absl::StatusOr<v1::ListAuditEntriesResponse> AuditRecords::List(
    const auth::Caller& caller, const v1::ListAuditEntriesRequest& request) {
  ASSIGN_OR_RETURN(std::string organisation,
                   ParseOrganisationName("parent", request.parent()));
  RETURN_IF_ERROR(CheckReader(caller, organisation));
  ASSIGN_OR_RETURN(Query query,
                   ParseQuery(request, std::move(organisation), clock_.Now()));
  const std::string digest = key_hasher_.Part(QueryText(request)).substr(0, 12);
  Position cursor{Millis(query.start - kClockTolerance), 0, ""};
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(
        std::string last,
        DecodePageToken("page_token", request.page_token(), digest));
    ASSIGN_OR_RETURN(cursor, DecodeCursor(last));
  }
  // The organisation's entries lie in the trails of the tenancies that
  // registered them: its contracts' (participants), and those of the
  // organisations it referred to (referrals). A participant's are among
  // them, their contract's trail first of all.
  ASSIGN_OR_RETURN(std::vector<std::string> tenancies,
                   AuditedTenancies(store_, query.organisation));
  if (!query.contract.empty()) {
    tenancies.push_back(storage::ContractTenancy(query.contract));
  }
  std::sort(tenancies.begin(), tenancies.end());
  tenancies.erase(std::unique(tenancies.begin(), tenancies.end()),
                  tenancies.end());
  std::vector<Stream> streams;
  for (std::string& tenancy : tenancies) {
    streams.push_back({std::move(tenancy)});
  }
  v1::ListAuditEntriesResponse response;
  ASSIGN_OR_RETURN(
      std::optional<Position> next,
      Scan(store_, query, std::move(streams), std::move(cursor), response));
  if (next.has_value()) {
    response.set_next_page_token(EncodePageToken(EncodeCursor(*next), digest));
  }
  return response;
}

}  // namespace employability::audit
