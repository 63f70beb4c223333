#include "tools/loadgen/referral_targets.h"

#include <algorithm>
#include <iostream>
#include <utility>
#include <vector>

#include "employability/participants/v1/participants.grpc.pb.h"
#include "employability/partners/v1/referrals.grpc.pb.h"

namespace employability::tools {
namespace {

using participants::v1::Consent;
using participants::v1::CreateConsentRequest;
using participants::v1::Participant;
using participants::v1::Participants;
using partners::v1::CreateReferralRequest;
using partners::v1::GetReferralRequest;
using partners::v1::Referral;
using partners::v1::Referrals;

// Mixed into the run seed so that consents and referrals draw request ids
// apart from the participants' own (and from each other).
constexpr uint64_t kConsentIdSalt = 0x636f6e73656e74;     // "consent"
constexpr uint64_t kReferralIdSalt = 0x726566657272616c;  // "referral"

// Sends in flight while preparing. A send holds one of the server's workers
// while it asks the participants service for consent, and in the suite that
// call needs a worker of the same pool (32 by default): more sends at once
// than half the pool can leave none to answer them.
constexpr int kParallelSends = 8;

// Participants the caller may refer to the receiver: enrolled by the caller
// under the contract, each with a live REFERRAL_SHARING consent naming the
// receiver.
class ConsentingCaseload {
 public:
  explicit ConsentingCaseload(const TargetConfig& config)
      : call_(config.call),
        receiver_(config.receiver),
        creator_(config),
        consent_stubs_(StubsFor<Participants>(config)),
        consent_ids_(config.participant, config.run_seed ^ kConsentIdSalt) {}

  // The names of the participants enrolled (those whose create and consent
  // both succeeded).
  std::vector<std::string> Enrol(uint64_t count) {
    std::vector<std::string> names = RunPreparation(
        "enrolments", count, [this](uint64_t seq, Prepared done) {
          int channel = static_cast<int>(seq % creator_.channel_count());
          creator_.StartCreate(
              channel, seq,
              [this, channel, seq, done = std::move(done)](
                  const grpc::Status& s, const Participant& p) mutable {
                if (!s.ok()) return done(s, "");
                StartConsent(channel, seq, p.name(), std::move(done));
              });
        });
    std::cerr << "preload: enrolled " << names.size()
              << " participants with consent to share with " << receiver_
              << "\n";
    return names;
  }

 private:
  void StartConsent(int channel, uint64_t seq, const std::string& participant,
                    Prepared done) {
    auto* ex = NewExchange<CreateConsentRequest, Consent>(call_);
    ex->request.set_parent(participant);
    ex->request.set_request_id(consent_ids_.RequestId(seq));
    Consent* consent = ex->request.mutable_consent();
    consent->set_purpose(participants::v1::REFERRAL_SHARING);
    consent->add_organisations(receiver_);
    consent->add_data_categories(participants::v1::IDENTITY);
    consent->add_data_categories(participants::v1::CONTACT);
    consent->add_data_categories(participants::v1::EMPLOYMENT_HISTORY);
    consent->add_data_categories(participants::v1::BARRIERS);
    consent->set_statement(
        "Your details and support needs are shared with the organisation "
        "that will deliver your support.");
    consent_stubs_[channel]->async()->CreateConsent(
        &ex->ctx, &ex->request, &ex->response,
        [ex, participant, done = std::move(done)](grpc::Status s) {
          delete ex;
          done(s, participant);
        });
  }

  CallOptions call_;
  std::string receiver_;
  CreateParticipant creator_;
  std::vector<std::unique_ptr<Participants::Stub>> consent_stubs_;
  ParticipantFactory consent_ids_;  // for its request ids only
};

// Sends allocations to the receiver: CreateReferral with send set.
class AllocationSender {
 public:
  using Sent = std::function<void(const grpc::Status&, const Referral&)>;

  explicit AllocationSender(const TargetConfig& config)
      : call_(config.call),
        parent_("organisations/" + config.receiver),
        stubs_(StubsFor<Referrals>(config)),
        request_ids_(config.participant, config.run_seed ^ kReferralIdSalt) {}

  void Send(int channel, uint64_t seq, const std::string& participant,
            Sent done) {
    auto* ex = NewExchange<CreateReferralRequest, Referral>(call_);
    ex->request.set_parent(parent_);
    ex->request.set_request_id(request_ids_.RequestId(seq));
    ex->request.set_send(true);
    Referral* referral = ex->request.mutable_referral();
    referral->set_kind(partners::v1::ALLOCATION);
    referral->set_participant(participant);
    referral->set_reason(
        "Allocated for specialist support towards sustained work.");
    referral->set_urgency(partners::v1::ROUTINE);
    referral->mutable_handover()->set_summary(
        "Looking for warehouse or retail work near home; has a CSCS card "
        "and wants help with interviews.");
    referral->mutable_handover()->set_participant_agreed(true);
    stubs_[channel]->async()->CreateReferral(
        &ex->ctx, &ex->request, &ex->response,
        [ex, done = std::move(done)](grpc::Status s) {
          Referral sent = std::move(ex->response);
          delete ex;  // first: `done` may end the run and the channels
          done(s, sent);
        });
  }

  int channel_count() const { return static_cast<int>(stubs_.size()); }

 private:
  CallOptions call_;
  std::string parent_;
  std::vector<std::unique_ptr<Referrals::Stub>> stubs_;
  ParticipantFactory request_ids_;  // for its request ids only
};

class SendReferral : public Target {
 public:
  explicit SendReferral(const TargetConfig& config)
      : caseload_(config),
        sender_(config),
        preload_(std::max(config.preload, 1)) {}

  bool Prepare() override {
    participants_ = caseload_.Enrol(preload_);
    return !participants_.empty();
  }

  void Start(int channel, uint64_t seq, CallDone done) override {
    sender_.Send(channel, seq, participants_[seq % participants_.size()],
                 [done = std::move(done)](const grpc::Status& s,
                                          const Referral&) { done(s); });
  }

 private:
  ConsentingCaseload caseload_;
  AllocationSender sender_;
  uint64_t preload_;
  std::vector<std::string> participants_;
};

class GetReferral : public Target {
 public:
  explicit GetReferral(const TargetConfig& config)
      : call_(config.call),
        stubs_(StubsFor<Referrals>(config)),
        caseload_(config),
        sender_(config),
        preload_(std::max(config.preload, 1)) {}

  // One allocation per enrolled participant.
  bool Prepare() override {
    std::vector<std::string> participants = caseload_.Enrol(preload_);
    referrals_ = RunPreparation(
        "referrals", participants.size(),
        [this, &participants](uint64_t seq, Prepared done) {
          sender_.Send(static_cast<int>(seq % sender_.channel_count()), seq,
                       participants[seq],
                       [done = std::move(done)](const grpc::Status& s,
                                                const Referral& r) {
                         done(s, r.name());
                       });
        },
        kParallelSends);
    std::cerr << "preload: sent " << referrals_.size() << " referrals\n";
    return !referrals_.empty();
  }

  void Start(int channel, uint64_t seq, CallDone done) override {
    auto* ex = NewExchange<GetReferralRequest, Referral>(call_);
    ex->request.set_name(referrals_[seq % referrals_.size()]);
    stubs_[channel]->async()->GetReferral(
        &ex->ctx, &ex->request, &ex->response,
        [ex, done = std::move(done)](grpc::Status s) {
          delete ex;  // first: `done` may end the run and the channels
          done(s);
        });
  }

 private:
  CallOptions call_;
  std::vector<std::unique_ptr<Referrals::Stub>> stubs_;
  ConsentingCaseload caseload_;
  AllocationSender sender_;
  uint64_t preload_;
  std::vector<std::string> referrals_;
};

}  // namespace

std::unique_ptr<Target> MakeReferralTarget(const std::string& name,
                                           const TargetConfig& config) {
  if (name == "send-referral") return std::make_unique<SendReferral>(config);
  if (name == "get-referral") return std::make_unique<GetReferral>(config);
  return nullptr;
}

}  // namespace employability::tools
