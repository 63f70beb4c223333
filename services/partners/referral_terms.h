// What referrals need to know from the rest of the partners service, as two
// small ports: the agreements (data-sharing agreements, contracts and
// sub-contracts: agreement_records.h) and the service directory
// (service_directory.h). Referral code depends on these, not on those
// classes, so its tests swap in fakes.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_REFERRAL_TERMS_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_REFERRAL_TERMS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "employability/participants/v1/participants.pb.h"
#include "employability/partners/v1/service_standards.pb.h"

namespace employability::partners {

// A data-sharing agreement in force.
struct SharingAgreement {
  std::string name;  // dataSharingAgreements/{agreement}
  // What it lets the parties share: the access grant made when a referral
  // is accepted covers these.
  std::vector<participants::v1::DataCategory> data_categories;
  absl::Time end_time = absl::InfiniteFuture();  // when it stops
};

// The terms under which an organisation receives referrals for a contract.
struct DeliveryTerms {
  std::string contract;      // contracts/{contract}
  std::string sub_contract;  // contracts/{c}/subContracts/{s}; "" when none
  v1::Nation nation = v1::NATION_UNSPECIFIED;  // whose working days count
  // As agreed, zeros replaced by the defaults (2, 20, 40).
  v1::ServiceStandards standards;
};

class AgreementTerms {
 public:
  virtual ~AgreementTerms() = default;
  // The data-sharing agreement between the two organisations (ids, either
  // way round) that is ACTIVE and in its dates at `at`; nullopt when none.
  virtual absl::StatusOr<std::optional<SharingAgreement>>
  ActiveSharingAgreement(const std::string& organisation_a,
                         const std::string& organisation_b, absl::Time at) = 0;
  // The terms of contract `contract` (an id) for `receiver` (an organisation
  // id) at `at`: the receiver's sub-contract under the contract when one is
  // active then (its standards and the contract's nation), else the
  // contract's own. NOT_FOUND naming the contract when it is not known.
  virtual absl::StatusOr<DeliveryTerms> TermsFor(const std::string& contract,
                                                 const std::string& receiver,
                                                 absl::Time at) = 0;
};

// A service of the directory, as a referral needs it.
struct ListedService {
  std::string name;          // organisations/{organisation}/services/{s}
  std::string organisation;  // the id of the organisation providing it
  bool accepting_referrals = false;
};

class ServiceLookup {
 public:
  virtual ~ServiceLookup() = default;
  // The service named `name` (organisations/{o}/services/{s}); nullopt
  // when it is not in the directory.
  virtual absl::StatusOr<std::optional<ListedService>> FindService(
      const std::string& name) = 0;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_REFERRAL_TERMS_H_
