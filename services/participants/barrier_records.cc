#include "services/participants/barrier_records.h"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"
#include "employability/participants/v1/participant_events.pb.h"

namespace employability::participants {
namespace {

using validation::ToCivilDay;

// The barrier's own fields, apart from the case: formats and bounds.
absl::Status CheckBarrierFields(absl::CivilDay today, v1::Barrier& barrier) {
  if (barrier.severity() == v1::BARRIER_SEVERITY_UNSPECIFIED) {
    return RequiredField("barrier.severity");
  }
  if (!v1::BarrierSeverity_IsValid(barrier.severity())) {
    return InvalidField("barrier.severity",
                        "must be one of the listed severities");
  }
  ASSIGN_OR_RETURN(
      absl::CivilDay identified,
      ToCivilDay("barrier.identified_date", barrier.identified_date()));
  RETURN_IF_ERROR(validation::CheckNotAfter("barrier.identified_date",
                                            identified, today, "today"));
  if (barrier.has_resolved_date()) {
    ASSIGN_OR_RETURN(
        absl::CivilDay resolved,
        ToCivilDay("barrier.resolved_date", barrier.resolved_date()));
    RETURN_IF_ERROR(validation::CheckNotAfter("barrier.resolved_date", resolved,
                                              today, "today"));
    if (resolved < identified) {
      return InvalidField("barrier.resolved_date",
                          "must not be before identified_date");
    }
  }
  if (!barrier.identified_by().empty()) {
    RETURN_IF_ERROR(
        CheckResourceId("barrier.identified_by", barrier.identified_by()));
  }
  RETURN_IF_ERROR(CheckText("barrier.notes", barrier.notes(), kMaxBarrierNotes,
                            /*required=*/false));
  barrier.set_resolved(barrier.has_resolved_date());
  return absl::OkStatus();
}

// The barrier against the case: identified within the current spell, after
// the referral, nothing after an exit.
absl::Status CheckAgainstCase(CaseChange& change, const v1::Barrier& barrier) {
  ASSIGN_OR_RETURN(
      absl::CivilDay identified,
      ToCivilDay("barrier.identified_date", barrier.identified_date()));
  RETURN_IF_ERROR(CheckNotBeforeReferral(
      change.read().spell(), "barrier.identified_date", identified));
  RETURN_IF_ERROR(change.NoteActivity("barrier.identified_date", identified));
  if (barrier.has_resolved_date()) {
    ASSIGN_OR_RETURN(
        absl::CivilDay resolved,
        ToCivilDay("barrier.resolved_date", barrier.resolved_date()));
    RETURN_IF_ERROR(change.NoteActivity("barrier.resolved_date", resolved));
  }
  return absl::OkStatus();
}

// Events never name a special-category type: they say only that it is one.
template <typename Event>
Event BarrierEvent(const CaseChange& change, const v1::Barrier& barrier,
                   bool special_category) {
  Event event;
  *event.mutable_facts() = FactsOf(change.participant());
  event.set_barrier(barrier.name());
  if (special_category) {
    event.set_special_category(true);
  } else {
    event.set_type(barrier.type());
  }
  event.set_severity(barrier.severity());
  *event.mutable_identified_date() = barrier.identified_date();
  if (barrier.has_resolved_date())
    *event.mutable_resolved_date() = barrier.resolved_date();
  return event;
}

const std::set<std::string>& UpdatablePaths() {
  static const auto* paths =
      new std::set<std::string>{"severity", "notes", "resolved_date"};
  return *paths;
}

bool Has(const std::set<std::string>& paths, const char* path) {
  return paths.count(path) > 0;
}

}  // namespace

BarrierRecords::BarrierRecords(CaseFiles& files,
                               v1::ListBarrierTypesResponse catalogue)
    : files_(files), catalogue_(std::move(catalogue)) {}

bool BarrierRecords::IsSpecial(const std::string& code) const {
  for (const v1::BarrierType& type : catalogue_.barrier_types()) {
    if (type.code() == code) return type.special_category();
  }
  return false;
}

absl::Status BarrierRecords::CheckSpecialAllowed(const auth::Caller& caller,
                                                 const Case& c) {
  // Another organisation's grant must cover HEALTH as well as BARRIERS.
  RETURN_IF_ERROR(files_.CheckReach(caller, c, v1::HEALTH));
  ASSIGN_OR_RETURN(bool covered, files_.ConsentCovers(c, v1::HEALTH));
  if (covered) return absl::OkStatus();
  return files_.Refused(
      caller, AuditedParticipant(c.participant),
      "special category data without a live consent covering HEALTH",
      absl::PermissionDeniedError(
          "barrier: health, disability and criminal-record barriers are "
          "special category data, recorded and shown only under a live "
          "consent covering HEALTH"));
}

absl::StatusOr<bool> BarrierRecords::SpecialShown(const auth::Caller& caller,
                                                  const Case& c) {
  ASSIGN_OR_RETURN(std::vector<bool> reached,
                   files_.Reaches(caller, {c}, v1::HEALTH));
  if (!reached[0]) return false;
  return files_.ConsentCovers(c, v1::HEALTH);
}

absl::Status BarrierRecords::CheckType(const std::string& code) const {
  if (code.empty()) return RequiredField("barrier.type");
  for (const v1::BarrierType& type : catalogue_.barrier_types()) {
    if (type.code() == code) return absl::OkStatus();
  }
  return InvalidField("barrier.type",
                      absl::StrCat("'", code,
                                   "' is not in the catalogue (see "
                                   "ListBarrierTypes)"));
}

absl::StatusOr<v1::Barrier> BarrierRecords::Create(
    const auth::Caller& caller, const v1::CreateBarrierRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_barrier()) return RequiredField("barrier");
  v1::Barrier barrier = request.barrier();
  RETURN_IF_ERROR(CheckType(barrier.type()));
  RETURN_IF_ERROR(CheckBarrierFields(files_.Today(), barrier));
  if (barrier.identified_by().empty()) barrier.set_identified_by(caller.user);
  const bool special = IsSpecial(barrier.type());
  return files_.CreateItem<v1::Barrier>(
      caller, name, kBarrierItems, request, request.request_id(),
      [&](CaseChange& change,
          const std::string& item_name) -> absl::StatusOr<v1::Barrier> {
        if (special) {
          RETURN_IF_ERROR(CheckSpecialAllowed(caller, change.read()));
        }
        RETURN_IF_ERROR(CheckAgainstCase(change, barrier));
        v1::Barrier stored = barrier;
        stored.set_name(item_name);
        stored.set_spell(change.read().spell().number());
        const google::protobuf::Timestamp now = ToProtoTimestamp(files_.Now());
        *stored.mutable_create_time() = now;
        *stored.mutable_update_time() = now;
        stored.clear_etag();
        change.Event(
            item_name, 1,
            BarrierEvent<v1::BarrierRecorded>(change, stored, special));
        return stored;
      });
}

absl::StatusOr<v1::Barrier> BarrierRecords::Get(
    const auth::Caller& caller, const v1::GetBarrierRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kBarrierItems));
  return files_.GetItem<v1::Barrier>(
      caller, name, kBarrierItems,
      [&](const Case& c, const v1::Barrier& barrier) {
        return IsSpecial(barrier.type()) ? CheckSpecialAllowed(caller, c)
                                         : absl::OkStatus();
      });
}

absl::StatusOr<v1::ListBarriersResponse> BarrierRecords::List(
    const auth::Caller& caller, const v1::ListBarriersRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  const bool unresolved_only = request.unresolved_only();
  std::optional<bool> special_shown;  // asked once, when needed
  ASSIGN_OR_RETURN(
      auto page,
      files_.ListItemsOf<v1::Barrier>(
          caller, name, kBarrierItems, request.page_token(), page_size,
          [&](const Case& c, const v1::Barrier& b) -> absl::StatusOr<bool> {
            if (unresolved_only && b.resolved()) return false;
            if (!IsSpecial(b.type())) return true;
            // Not shown: the barrier is left out; a store fault fails the
            // call.
            if (!special_shown.has_value()) {
              ASSIGN_OR_RETURN(special_shown, SpecialShown(caller, c));
            }
            return *special_shown;
          }));
  v1::ListBarriersResponse response;
  for (v1::Barrier& barrier : page.first) {
    *response.add_barriers() = std::move(barrier);
  }
  response.set_next_page_token(page.second);
  return response;
}

absl::StatusOr<v1::Barrier> BarrierRecords::Update(
    const auth::Caller& caller, const v1::UpdateBarrierRequest& request) {
  ASSIGN_OR_RETURN(
      ItemName name,
      ParseItemName("barrier.name", request.barrier().name(), kBarrierItems));
  ASSIGN_OR_RETURN(const std::set<std::string> paths,
                   UpdatePaths(request.update_mask(), UpdatablePaths()));
  const absl::CivilDay today = files_.Today();
  return files_.ChangeItem<v1::Barrier>(
      caller, name, kBarrierItems, request.barrier().etag(), "barrier.etag",
      [&](CaseChange& change, v1::Barrier& barrier,
          int64_t version) -> absl::Status {
        RETURN_IF_ERROR(CheckCurrentSpell(
            "barrier.name", "barrier", barrier.spell(), change.read().spell()));
        // Before anything else: even an update that changes nothing returns
        // the barrier.
        if (IsSpecial(barrier.type())) {
          RETURN_IF_ERROR(CheckSpecialAllowed(caller, change.read()));
        }
        const v1::Barrier before = barrier;
        const v1::Barrier& from = request.barrier();
        if (Has(paths, "severity")) barrier.set_severity(from.severity());
        if (Has(paths, "notes")) barrier.set_notes(from.notes());
        if (Has(paths, "resolved_date")) {
          if (from.has_resolved_date()) {
            *barrier.mutable_resolved_date() = from.resolved_date();
          } else {
            barrier.clear_resolved_date();  // reopened
          }
        }
        RETURN_IF_ERROR(CheckBarrierFields(today, barrier));
        if (google::protobuf::util::MessageDifferencer::Equals(barrier,
                                                               before)) {
          return absl::OkStatus();  // nothing changed: nothing written
        }
        RETURN_IF_ERROR(CheckAgainstCase(change, barrier));
        *barrier.mutable_update_time() = ToProtoTimestamp(files_.Now());
        v1::BarrierUpdated event = BarrierEvent<v1::BarrierUpdated>(
            change, barrier, IsSpecial(barrier.type()));
        for (const std::string& path : paths) event.add_changed_fields(path);
        change.Event(barrier.name(), version, event);
        return absl::OkStatus();
      });
}

}  // namespace employability::participants
