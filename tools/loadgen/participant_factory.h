// Makes valid, unique CreateParticipant requests, many per second, with no
// collisions between runs against the same store: every run mixes its own
// random seed into the request id, names, National Insurance number and date
// of birth.
#ifndef EMPLOYABILITY_TOOLS_LOADGEN_PARTICIPANT_FACTORY_H_
#define EMPLOYABILITY_TOOLS_LOADGEN_PARTICIPANT_FACTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "employability/participants/v1/participants.pb.h"

namespace employability::tools {

struct ParticipantShape {
  std::string contract = "bench";  // parent is contracts/<contract>
  std::string programme = "restart";
  int referral_year = 2026, referral_month = 1, referral_day = 5;
};

class ParticipantFactory {
 public:
  ParticipantFactory(ParticipantShape shape, uint64_t run_seed);

  // The request for call `n` of this run; distinct `n`s give distinct
  // request ids and National Insurance numbers.
  void Fill(uint64_t n,
            participants::v1::CreateParticipantRequest* request) const;

  // A valid National Insurance number ("AB123456C") for call `n`: distinct
  // for the first ~1.4 billion `n`s, starting at a per-run random offset.
  std::string NationalInsuranceNumber(uint64_t n) const;

  // A UUID (version 4 layout) for call `n`, unique to this run.
  std::string RequestId(uint64_t n) const;

 private:
  ParticipantShape shape_;
  uint64_t nino_offset_;
  uint64_t id_high_, id_low_;
  uint64_t birth_offset_;
  std::string run_tag_;  // letters only: names may not hold digits
  std::vector<std::string> prefixes_;  // allowed two-letter NINO prefixes
};

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_PARTICIPANT_FACTORY_H_
