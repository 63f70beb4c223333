// The referral path of the partners service under load, called as an
// adviser of the sending organisation (the bench's prime provider):
//   send-referral  CreateReferral with send set: an ALLOCATION to the
//                  receiver, each call a full send (consent asked of the
//                  participants service, data-sharing agreement, contract
//                  terms, working-day due dates, one atomic commit);
//   get-referral   GetReferral of allocations sent while preparing.
// Both first enrol --preload participants under the contract, each with a
// live REFERRAL_SHARING consent naming the receiver; calls cycle over them,
// so a participant is referred many times.
#ifndef EMPLOYABILITY_TOOLS_LOADGEN_REFERRAL_TARGETS_H_
#define EMPLOYABILITY_TOOLS_LOADGEN_REFERRAL_TARGETS_H_

#include <memory>
#include <string>

#include "tools/loadgen/targets.h"

namespace employability::tools {

// "send-referral" or "get-referral"; nullptr for any other name.
std::unique_ptr<Target> MakeReferralTarget(const std::string& name,
                                           const TargetConfig& config);

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_REFERRAL_TARGETS_H_
