// The catalogues the participants service keeps as data, in text format
// under services/participants/data/ and compiled in: barrier types and
// contact-frequency standards.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_CATALOGUES_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_CATALOGUES_H_

#include "absl/status/statusor.h"
#include "employability/participants/v1/barriers.pb.h"
#include "employability/participants/v1/contacts.pb.h"

namespace employability::participants {

// The text of data/barrier_types.textproto and
// data/contact_standards.textproto.
const char* BarrierTypesText();
const char* ContactStandardsText();
// access_policy.textproto: who may call what (common/auth/access_policy.h).
const char* AccessPolicyText();

// Parses a catalogue; INTERNAL naming the file when it does not parse or an
// entry is malformed (a code missing, repeated, or not [a-z0-9-]).
absl::StatusOr<v1::ListBarrierTypesResponse> ParseBarrierTypes(
    const char* text);
absl::StatusOr<v1::ContactStandards> ParseContactStandards(const char* text);

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_CATALOGUES_H_
