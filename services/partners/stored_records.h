// How the partners service stores and updates its records: the pieces that
// the organisation directory, the agreement records and the service
// directory all follow, kept in one place so that they keep following the
// same rules.
//   - A record is stored without its etag; its etag is its store version.
//   - A change is an optimistic write: read, ExpectVersion, commit, and read
//     again and retry when another write got in between.
//   - An update names its fields in an update mask; each record kind lists
//     the paths it takes and how to copy each one.
//   - Every change appends its event in the same batch, on its tenancy's
//     stream.
//   - A List walks an index in bounded rounds and pages with tokens bound to
//     the query they were issued for.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_STORED_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_STORED_RECORDS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "common/events/event_log.h"
#include "common/status/macros.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/util/message_differencer.h"

namespace employability::partners {

inline constexpr char kServiceKeyspace[] = "partners";
// Optimistic writes retry this often when another write got in between.
inline constexpr int kWriteAttempts = 5;
// A record's list of postcode districts holds at most this many.
inline constexpr int kMaxAreasServed = 500;

namespace stored {

// Work per List call is bounded: a sparse filter returns a short page (and
// a token) rather than reading the whole index.
inline constexpr int kListRounds = 4;

// ---- Records and their etags

// The etag of a record at store version `version`.
std::string VersionTag(int64_t version);

// A stored record as a message, its etag set from the store version.
// DATA_LOSS ("a stored <what> is unreadable") when it does not parse.
template <typename Message>
absl::StatusOr<Message> Decode(const storage::Record& record,
                               absl::string_view what = "record") {
  Message message;
  if (!message.ParseFromString(record.value)) {
    return absl::DataLossError(
        absl::StrCat("a stored ", what, " is unreadable"));
  }
  message.set_etag(VersionTag(record.version));
  return message;
}

// What is stored: the message without its etag (the version is the etag).
template <typename Message>
std::string Encode(Message message) {
  message.clear_etag();
  return message.SerializeAsString();
}

// A record as read, with the version an optimistic write must check.
template <typename Message>
struct Loaded {
  Message message;  // etag set
  int64_t version = 0;
};

// The record at `key`; NOT_FOUND with the message `not_found` when absent.
template <typename Message>
absl::StatusOr<Loaded<Message>> Load(storage::Store& store,
                                     const std::string& key,
                                     absl::string_view not_found,
                                     absl::string_view what = "record") {
  ASSIGN_OR_RETURN(std::optional<storage::Record> record, store.Get(key));
  if (!record.has_value()) return absl::NotFoundError(not_found);
  ASSIGN_OR_RETURN(Message message, Decode<Message>(*record, what));
  return Loaded<Message>{std::move(message), record->version};
}

// ---- Optimistic writes

// ABORTED: every attempt at changing the `what` lost to another write.
absl::Status Conflict(absl::string_view what);

// ABORTED naming `field` (the request's etag): the caller changed a `what`
// from an old read, and must read it again rather than overwrite blindly.
absl::Status StaleEtag(absl::string_view field, absl::string_view what);

// The etag an update request names ("" for none), and how a refusal names
// its field and the record.
struct NamedEtag {
  std::string given;
  std::string field;  // "contract.etag"
  std::string what;   // "contract"

  // StaleEtag when the caller named an etag other than `current`.
  absl::Status Check(const std::string& current) const;
};

// The end of an optimistic update: commits `batch` (which expects the
// version read) and returns `after` with its etag, `version`. When another
// write got in first: StaleEtag for a caller who named an etag (their change
// rests on what they read), nullopt for anyone else to read again and retry.
template <typename Message>
absl::StatusOr<std::optional<Message>> CommitUpdate(storage::Store& store,
                                                    const storage::Batch& batch,
                                                    Message after,
                                                    int64_t version,
                                                    const NamedEtag& etag) {
  ASSIGN_OR_RETURN(storage::BatchResult result, store.Commit(batch));
  if (result.committed) {
    after.set_etag(VersionTag(version));
    return after;
  }
  if (!etag.given.empty()) return StaleEtag(etag.field, etag.what);
  return std::nullopt;
}

// Runs `attempt` (one optimistic write, nullopt when another write got in
// between) up to kWriteAttempts times; Conflict(what) when none got through.
template <typename Message>
absl::StatusOr<Message> WriteWithRetries(
    absl::string_view what,
    absl::FunctionRef<absl::StatusOr<std::optional<Message>>()> attempt) {
  for (int i = 0; i < kWriteAttempts; ++i) {
    ASSIGN_OR_RETURN(std::optional<Message> written, attempt());
    if (written.has_value()) return *std::move(written);
  }
  return Conflict(what);
}

// ---- Update masks

// The fields an update may name, and how to copy each from the request.
template <typename Message>
using FieldCopy = void (*)(const Message&, Message&);

template <typename Message>
using FieldCopies = std::vector<std::pair<std::string, FieldCopy<Message>>>;

// The paths an update mask may name (for UpdatePaths).
template <typename Message>
std::set<std::string> Updatable(const FieldCopies<Message>& fields) {
  std::set<std::string> names;
  for (const auto& [name, copy] : fields) names.insert(name);
  return names;
}

template <typename Message>
FieldCopy<Message> CopyOf(const FieldCopies<Message>& fields,
                          const std::string& path) {
  for (const auto& [name, copy] : fields) {
    if (name == path) return copy;
  }
  return nullptr;  // not reached: paths are checked against the same table
}

// `paths` copied from `from` onto `to`.
template <typename Message>
void Apply(const FieldCopies<Message>& fields,
           const std::set<std::string>& paths, const Message& from,
           Message& to) {
  for (const std::string& path : paths) CopyOf(fields, path)(from, to);
}

// The paths whose value differs between `before` and `after`: what an
// event reports as changed.
template <typename Message>
std::vector<std::string> ChangedPaths(const FieldCopies<Message>& fields,
                                      const std::set<std::string>& paths,
                                      const Message& before,
                                      const Message& after) {
  std::vector<std::string> changed;
  for (const std::string& path : paths) {
    Message probe = before;
    CopyOf(fields, path)(after, probe);
    if (!google::protobuf::util::MessageDifferencer::Equals(probe, before)) {
      changed.push_back(path);
    }
  }
  return changed;
}

// ---- Events

// The service's event log. Every append first makes sure consumers can find
// the tenancy's stream, which a bare EventLog leaves to its caller.
class Events {
 public:
  Events(storage::Store& store, const Clock& clock, IdSource& ids);

  // Adds the event to `batch` on the tenancy's stream.
  absl::Status Append(storage::Batch& batch, const auth::Caller& caller,
                      const std::string& tenancy, const std::string& aggregate,
                      int64_t version,
                      const google::protobuf::Message& payload);

 private:
  storage::Store& store_;
  events::EventLog log_;
};

// ---- Paging

// A short digest of a List request's filters: the request with its paging
// fields (page_token, page_size) cleared, in `length` hex characters (hex
// never holds a page token's separator). It binds a page token to the query
// it was issued for.
std::string QueryDigest(const google::protobuf::Message& request,
                        size_t length = 12);

// The key of the record an index member names.
using KeyOf = std::function<std::string(const std::string& member)>;
// Decodes and filters one record of a page: whether it was kept.
using Take = std::function<absl::StatusOr<bool>(const std::string& member,
                                                const storage::Record&)>;

// Walks `index` after the page token's place, in at most kListRounds reads,
// until `take` kept `page_size` records: the token of the next page, "" on
// the last. Members whose records are gone since the index was read are
// passed over.
absl::StatusOr<std::string> Page(storage::Store& store, const KeyOf& key_of,
                                 const std::string& index,
                                 const std::string& page_token,
                                 const std::string& digest, int page_size,
                                 const Take& take);

// ---- Fields several records hold

// Postcode districts (areas served, contract areas): upper case, each once,
// in the order first given, at most kMaxAreasServed.
absl::Status NormaliseAreas(
    absl::string_view field,
    google::protobuf::RepeatedPtrField<std::string>& areas);

}  // namespace stored
}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_STORED_RECORDS_H_
