#include "services/partners/stored_records.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "common/idempotency/idempotency.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/validation/postcode.h"

namespace employability::partners {
namespace stored {

std::string VersionTag(int64_t version) { return absl::StrCat(version); }

absl::Status Conflict(absl::string_view what) {
  return absl::AbortedError(
      absl::StrCat("the ", what, " kept changing while this call ran; retry"));
}

absl::Status StaleEtag(absl::string_view field, absl::string_view what) {
  return absl::AbortedError(absl::StrCat(
      field, ": the ", what,
      " changed since it was read; read it again and reapply the change"));
}

absl::Status NamedEtag::Check(const std::string& current) const {
  if (!given.empty() && given != current) return StaleEtag(field, what);
  return absl::OkStatus();
}

// ---- Events

Events::Events(storage::Store& store, const Clock& clock, IdSource& ids)
    : store_(store), log_(kServiceKeyspace, clock, ids) {}

absl::Status Events::Append(storage::Batch& batch, const auth::Caller& caller,
                            const std::string& tenancy,
                            const std::string& aggregate, int64_t version,
                            const google::protobuf::Message& payload) {
  RETURN_IF_ERROR(log_.RegisterStream(store_, tenancy));
  log_.Append(batch,
              events::EventContext{tenancy, aggregate, caller.organisation,
                                   caller.user, version},
              payload);
  return absl::OkStatus();
}

// ---- Paging

std::string QueryDigest(const google::protobuf::Message& request,
                        size_t length) {
  std::unique_ptr<google::protobuf::Message> query(request.New());
  query->CopyFrom(request);
  const google::protobuf::Descriptor* descriptor = query->GetDescriptor();
  for (const char* paging : {"page_token", "page_size"}) {
    const google::protobuf::FieldDescriptor* field =
        descriptor->FindFieldByName(paging);
    if (field != nullptr) {
      query->GetReflection()->ClearField(query.get(), field);
    }
  }
  return absl::BytesToHexString(idempotency::Fingerprint(*query))
      .substr(0, length);
}

absl::StatusOr<std::string> Page(storage::Store& store, const KeyOf& key_of,
                                 const std::string& index,
                                 const std::string& page_token,
                                 const std::string& digest, int page_size,
                                 const Take& take) {
  std::string cursor;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(cursor, DecodePageToken("page_token", page_token, digest));
  }
  int kept = 0;
  for (int round = 0; round < kListRounds; ++round) {
    // One more than the page needs: whether a next page exists.
    const int want = page_size - kept + 1;
    ASSIGN_OR_RETURN(std::vector<std::string> members,
                     store.IndexRange(index, cursor, want));
    std::vector<std::string> keys;
    for (const std::string& member : members) keys.push_back(key_of(member));
    ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                     store.GetMany(keys));
    for (size_t i = 0; i < members.size(); ++i) {
      if (kept == page_size) return EncodePageToken(cursor, digest);
      cursor = members[i];
      if (!records[i].has_value()) continue;  // gone since the index was read
      ASSIGN_OR_RETURN(bool took, take(members[i], *records[i]));
      if (took) ++kept;
    }
    if (static_cast<int>(members.size()) < want) return std::string();
  }
  return EncodePageToken(cursor, digest);
}

// ---- Fields several records hold

absl::Status NormaliseAreas(
    absl::string_view field,
    google::protobuf::RepeatedPtrField<std::string>& areas) {
  if (areas.size() > kMaxAreasServed) {
    return InvalidField(field, absl::StrCat("must list at most ",
                                            kMaxAreasServed, " districts"));
  }
  std::vector<std::string> kept;
  std::set<std::string> seen;
  for (int i = 0; i < areas.size(); ++i) {
    ASSIGN_OR_RETURN(std::string district,
                     validation::NormalisePostcodeDistrict(
                         absl::StrCat(field, "[", i, "]"), areas[i]));
    if (seen.insert(district).second) kept.push_back(std::move(district));
  }
  areas.Clear();
  for (std::string& district : kept) areas.Add(std::move(district));
  return absl::OkStatus();
}

}  // namespace stored
}  // namespace employability::partners
