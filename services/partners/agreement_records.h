// The agreements organisations deliver and share data under: contracts
// (commissioner -> prime provider), sub-contracts (prime provider ->
// sub-contractor or partner agency), outcome payments under a sub-contract,
// and data-sharing agreements between two organisations. A domain class: it
// knows storage, clock, ids and the directory of organisations (all passed
// in) and nothing of gRPC. It is also the AgreementTerms port referrals read
// (referral_terms.h).
//
// Storage (service key space "partners"):
//   tenancy "global", beside the directory of organisations:
//     contract:<contract>               a contract (v1::Contract)
//     index:contracts                   every contract id
//     index:contracts-of:<org>          ids of the contracts an organisation
//                                       is commissioner or prime provider of
//     dsa:<agreement>                   a data-sharing agreement
//     index:dsas-of:<org>               agreement ids by party
//     index:dsa-between:<a>:<b>         agreement ids by pair of parties
//                                       (a < b)
//     idem:<caller's org>:<request>     creates of contracts and agreements
//     events                            contract and agreement events
//   tenancy "c:<contract>", beside the contract's participants:
//     sub-contract:<sub>                a sub-contract (v1::SubContract)
//     index:sub-contracts               every sub-contract id
//     index:sub-contract-of:<org>       sub-contract ids by sub-contractor
//     contracted-share:total            the share percent held by the
//                                       ACTIVE sub-contracts (decimal text),
//                                       written with every change to it so
//                                       that the 100% cap holds under races
//     outcome-payment:<sub>:<payment>   an outcome payment
//     index:outcome-payments:<sub>      payment ids of a sub-contract
//     index:outcome-payments            "<sub>:<payment>" of every payment
//     idem:<caller's org>:<request>     creates of sub-contracts, payments
//     events                            sub-contract and payment events
// A record's etag is its store version, never stored in the record.
//
// Record-level reach (on top of access_policy.textproto's role x method
// table), the same refusal whether or not the record exists:
//   contract       seen by its commissioner, prime provider and any
//                  organisation holding a sub-contract under it; created and
//                  changed by its commissioner or prime provider
//   sub-contract   seen by the contract's commissioner and prime provider
//                  and the sub-contractor; created and changed by the prime
//   payment        seen as its sub-contract; claimed by the sub-contractor
//                  or the prime; changed (paid) by the prime
//   agreement      seen, created and changed by its two parties
// A service on its own behalf reaches every record; a member of staff
// whose call carries no scope reaches none.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_AGREEMENT_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_AGREEMENT_RECORDS_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/partners/v1/agreements.pb.h"
#include "services/partners/organisation_directory.h"
#include "services/partners/referral_terms.h"
#include "services/partners/stored_records.h"

namespace employability::partners {

// The service standards when a contract and sub-contract leave them at 0.
inline constexpr int kDefaultRespondWithinDays = 2;
inline constexpr int kDefaultStartWithinDays = 20;
inline constexpr int kDefaultCloseWithinDays = 40;
inline constexpr int kMaxStandardDays = 250;  // about a working year
inline constexpr int kMaxPurpose = 500;

class AgreementRecords final : public AgreementTerms {
 public:
  AgreementRecords(storage::Store& store, const Clock& clock, IdSource& ids,
                   OrganisationDirectory& directory);

  absl::StatusOr<v1::Contract> CreateContract(
      const auth::Caller& caller, const v1::CreateContractRequest& request);
  absl::StatusOr<v1::Contract> GetContract(
      const auth::Caller& caller, const v1::GetContractRequest& request);
  absl::StatusOr<v1::ListContractsResponse> ListContracts(
      const auth::Caller& caller, const v1::ListContractsRequest& request);
  absl::StatusOr<v1::Contract> UpdateContract(
      const auth::Caller& caller, const v1::UpdateContractRequest& request);

  absl::StatusOr<v1::SubContract> CreateSubContract(
      const auth::Caller& caller, const v1::CreateSubContractRequest& request);
  absl::StatusOr<v1::SubContract> GetSubContract(
      const auth::Caller& caller, const v1::GetSubContractRequest& request);
  absl::StatusOr<v1::ListSubContractsResponse> ListSubContracts(
      const auth::Caller& caller, const v1::ListSubContractsRequest& request);
  absl::StatusOr<v1::SubContract> UpdateSubContract(
      const auth::Caller& caller, const v1::UpdateSubContractRequest& request);

  absl::StatusOr<v1::OutcomePayment> CreateOutcomePayment(
      const auth::Caller& caller,
      const v1::CreateOutcomePaymentRequest& request);
  absl::StatusOr<v1::ListOutcomePaymentsResponse> ListOutcomePayments(
      const auth::Caller& caller,
      const v1::ListOutcomePaymentsRequest& request);
  absl::StatusOr<v1::OutcomePayment> UpdateOutcomePayment(
      const auth::Caller& caller,
      const v1::UpdateOutcomePaymentRequest& request);

  absl::StatusOr<v1::DataSharingAgreement> CreateDataSharingAgreement(
      const auth::Caller& caller,
      const v1::CreateDataSharingAgreementRequest& request);
  absl::StatusOr<v1::DataSharingAgreement> GetDataSharingAgreement(
      const auth::Caller& caller,
      const v1::GetDataSharingAgreementRequest& request);
  absl::StatusOr<v1::ListDataSharingAgreementsResponse>
  ListDataSharingAgreements(
      const auth::Caller& caller,
      const v1::ListDataSharingAgreementsRequest& request);
  absl::StatusOr<v1::DataSharingAgreement> UpdateDataSharingAgreement(
      const auth::Caller& caller,
      const v1::UpdateDataSharingAgreementRequest& request);

  // AgreementTerms (referral_terms.h). Dates of sub-contracts are compared
  // with `at` as a Europe/London date, both ends included.
  absl::StatusOr<std::optional<SharingAgreement>> ActiveSharingAgreement(
      const std::string& organisation_a, const std::string& organisation_b,
      absl::Time at) override;
  absl::StatusOr<DeliveryTerms> TermsFor(const std::string& contract,
                                         const std::string& receiver,
                                         absl::Time at) override;

  // A record as read, with the version an optimistic write must check.
  template <typename Message>
  using Loaded = stored::Loaded<Message>;

  // A sub-contract with the contract it belongs to.
  struct SubContractOf {
    Loaded<v1::Contract> contract;
    Loaded<v1::SubContract> sub_contract;
  };
  // What a caller needs to be to a record for the call to go ahead.
  enum class Need { kSee, kChange, kClaim };

 private:
  storage::KeySpace GlobalKeys() const;
  storage::KeySpace ContractKeys(const std::string& contract) const;
  absl::CivilDay Today() const;

  // The records, NOT_FOUND naming `field` when absent.
  absl::StatusOr<Loaded<v1::Contract>> LoadContract(absl::string_view field,
                                                    const std::string& id);
  absl::StatusOr<Loaded<v1::SubContract>> LoadSubContract(
      absl::string_view field, const std::string& contract,
      const std::string& id);
  absl::StatusOr<Loaded<v1::OutcomePayment>> LoadOutcomePayment(
      absl::string_view field, const std::string& contract,
      const std::string& sub_contract, const std::string& id);
  absl::StatusOr<Loaded<v1::DataSharingAgreement>> LoadAgreement(
      absl::string_view field, const std::string& id);

  // The records as `caller` may reach them (see the file comment).
  absl::StatusOr<bool> MaySeeContract(const auth::Caller& caller,
                                      const v1::Contract& contract);
  absl::StatusOr<Loaded<v1::Contract>> ContractFor(const auth::Caller& caller,
                                                   absl::string_view field,
                                                   const std::string& id,
                                                   Need need);
  absl::StatusOr<SubContractOf> SubContractFor(const auth::Caller& caller,
                                               absl::string_view field,
                                               const std::string& contract,
                                               const std::string& id,
                                               Need need);
  absl::StatusOr<Loaded<v1::DataSharingAgreement>> AgreementFor(
      const auth::Caller& caller, absl::string_view field,
      const std::string& id);

  absl::Status CheckOrganisationIs(absl::string_view field,
                                   const std::string& id,
                                   const std::set<v1::OrganisationType>& types,
                                   bool must_be_active);

  absl::StatusOr<std::optional<v1::Contract>> UpdateContractOnce(
      const auth::Caller& caller, const v1::UpdateContractRequest& request,
      const std::string& id, const std::set<std::string>& paths);
  absl::StatusOr<std::optional<v1::SubContract>> CreateSubContractOnce(
      const auth::Caller& caller, const v1::CreateSubContractRequest& request,
      const std::string& contract, const std::string& id,
      const v1::SubContract& proposed);
  absl::StatusOr<std::optional<v1::SubContract>> UpdateSubContractOnce(
      const auth::Caller& caller, const v1::UpdateSubContractRequest& request,
      const std::string& contract, const std::string& id,
      const std::set<std::string>& paths);
  absl::StatusOr<std::optional<v1::OutcomePayment>> UpdateOutcomePaymentOnce(
      const auth::Caller& caller,
      const v1::UpdateOutcomePaymentRequest& request,
      const std::string& contract, const std::string& sub_contract,
      const std::string& id, const std::set<std::string>& paths);
  absl::StatusOr<std::optional<v1::DataSharingAgreement>>
  UpdateDataSharingAgreementOnce(
      const auth::Caller& caller,
      const v1::UpdateDataSharingAgreementRequest& request,
      const std::string& id, const std::set<std::string>& paths);

  // The share percent the contract's ACTIVE sub-contracts hold, and the
  // version of the record holding it (0 when there is none yet).
  struct ShareTotal {
    int total = 0;
    int64_t version = 0;
  };
  absl::StatusOr<ShareTotal> ReadShareTotal(const std::string& contract);
  // Adds to `batch` the move of the total by `delta`: FAILED_PRECONDITION
  // naming `field` past 100.
  absl::Status MoveShareTotal(storage::Batch& batch,
                              const std::string& contract,
                              const ShareTotal& now, int delta,
                              absl::string_view field);

  storage::Store& store_;
  const Clock& clock_;
  IdSource& ids_;
  OrganisationDirectory& directory_;
  stored::Events events_;
  absl::TimeZone london_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_AGREEMENT_RECORDS_H_
