#include "services/partners/bootstrap.h"

#include "absl/strings/str_cat.h"
#include "common/status/macros.h"

namespace employability::partners {
namespace {

// The command acts as a service: no member of staff exists to act as.
auth::Caller BootstrapCaller() {
  auth::Caller caller;
  caller.service = "bootstrap";
  return caller;
}

}  // namespace

absl::StatusOr<v1::StaffUser> Bootstrap(OrganisationDirectory& directory,
                                        const FirstOrganisation& first) {
  const auth::Caller caller = BootstrapCaller();
  v1::ListOrganisationsRequest any;
  any.set_page_size(1);
  ASSIGN_OR_RETURN(v1::ListOrganisationsResponse existing,
                   directory.ListOrganisations(caller, any));
  if (existing.organisations_size() > 0) {
    return absl::FailedPreconditionError(
        "the suite is bootstrapped already: its organisation admins add "
        "organisations and staff");
  }
  v1::CreateOrganisationRequest organisation;
  organisation.set_organisation_id(first.organisation_id);
  organisation.set_request_id("bootstrap-organisation");
  organisation.mutable_organisation()->set_display_name(first.display_name);
  organisation.mutable_organisation()->set_type(first.type);
  RETURN_IF_ERROR(directory.CreateOrganisation(caller, organisation).status());

  v1::CreateStaffUserRequest admin;
  admin.set_parent(absl::StrCat("organisations/", first.organisation_id));
  admin.set_staff_user_id(first.admin_id);
  admin.set_request_id("bootstrap-admin");
  admin.mutable_staff_user()->set_display_name(first.admin_name);
  admin.mutable_staff_user()->set_email(first.admin_email);
  admin.mutable_staff_user()->set_role(type::v1::ORGANISATION_ADMIN);
  return directory.CreateStaffUser(caller, admin);
}

absl::StatusOr<auth::TokenClaims> StaffClaims(OrganisationDirectory& directory,
                                              const std::string& organisation,
                                              const std::string& user) {
  v1::CheckStaffStatusRequest request;
  request.set_name(
      absl::StrCat("organisations/", organisation, "/staff/", user));
  ASSIGN_OR_RETURN(v1::StaffStatus status,
                   directory.CheckStaffStatus(BootstrapCaller(), request));
  if (!status.active() || !status.organisation_active()) {
    return absl::FailedPreconditionError(absl::StrCat(
        request.name(), " is deactivated (or their organisation is)"));
  }
  auth::TokenClaims claims;
  claims.organisation = organisation;
  claims.user = user;
  claims.role = type::v1::StaffRole_Name(status.role());
  claims.team = status.team();
  return claims;
}

}  // namespace employability::partners
