// The two things done before anyone holds a token, by the admin command
// (admin_main.cc) with direct access to the store and the signing key:
// - Bootstrap: on first run, the first organisation and its admin. It
//   refuses once any organisation exists, so it cannot be used to mint a
//   second way in later.
// - Development tokens: the claims of a token for any active staff user,
//   for the all-in-one development run only; the command logs loudly and
//   refuses unless development mode is asked for.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_BOOTSTRAP_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_BOOTSTRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/auth/tokens.h"
#include "employability/partners/v1/partners.pb.h"
#include "services/partners/organisation_directory.h"

namespace employability::partners {

struct FirstOrganisation {
  std::string organisation_id;
  std::string display_name;
  v1::OrganisationType type = v1::PRIME_PROVIDER;
  std::string admin_id;
  std::string admin_name;
  std::string admin_email;
};

// Creates the organisation and its ORGANISATION_ADMIN; the admin as
// created. FAILED_PRECONDITION when the directory already holds an
// organisation; INVALID_ARGUMENT naming a bad field.
absl::StatusOr<v1::StaffUser> Bootstrap(OrganisationDirectory& directory,
                                        const FirstOrganisation& first);

// The claims for a token of `organisation`'s `user`, with their current role
// and team. FAILED_PRECONDITION for a deactivated user or organisation;
// NOT_FOUND for a user the directory does not hold.
absl::StatusOr<auth::TokenClaims> StaffClaims(OrganisationDirectory& directory,
                                              const std::string& organisation,
                                              const std::string& user);

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_BOOTSTRAP_H_
