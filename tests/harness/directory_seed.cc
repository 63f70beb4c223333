#include "tests/harness/directory_seed.h"

#include "common/auth/caller.h"

namespace employability::test_harness {
namespace {

auth::Caller Bootstrap() {
  auth::Caller caller;
  caller.service = "bootstrap";
  return caller;
}

}  // namespace

DirectorySeed::DirectorySeed(storage::Store& store, const Clock* clock,
                             absl::string_view key_secret)
    : clock_(clock != nullptr ? *clock : system_clock_),
      ids_(clock_),
      key_hasher_(std::string(key_secret)),
      directory_(store, clock_, ids_, key_hasher_) {}

absl::StatusOr<partners::v1::Organisation> DirectorySeed::Organisation(
    const partners::v1::CreateOrganisationRequest& request) {
  return directory_.CreateOrganisation(Bootstrap(), request);
}

absl::StatusOr<partners::v1::StaffUser> DirectorySeed::Staff(
    const partners::v1::CreateStaffUserRequest& request) {
  return directory_.CreateStaffUser(Bootstrap(), request);
}

}  // namespace employability::test_harness
