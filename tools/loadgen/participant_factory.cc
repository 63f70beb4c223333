#include "tools/loadgen/participant_factory.h"

#include <random>

#include "absl/strings/str_format.h"

namespace employability::tools {
namespace {

using participants::v1::CreateParticipantRequest;
using participants::v1::Participant;

// HMRC never uses D, F, I, Q, U or V in a prefix, nor O second; we leave O
// out of the first letter too, which some validators also refuse.
constexpr char kPrefixLetters[] = "ABCEGHJKLMNPRSTWXYZ";
constexpr const char* kUnallocatedPrefixes[] = {"BG", "GB", "KN", "NK",
                                                "NT", "TN", "ZZ"};
constexpr uint64_t kNinoDigits = 1000000;
constexpr uint64_t kNinoSuffixes = 4;  // A..D

constexpr const char* kGivenNames[] = {"Alex",   "Sam",   "Jordan", "Taylor",
                                       "Morgan", "Casey", "Jamie",  "Robin"};

std::vector<std::string> AllowedPrefixes() {
  std::vector<std::string> prefixes;
  for (const char* a = kPrefixLetters; *a != '\0'; ++a) {
    for (const char* b = kPrefixLetters; *b != '\0'; ++b) {
      std::string p{*a, *b};
      bool unallocated = false;
      for (const char* u : kUnallocatedPrefixes) unallocated |= p == u;
      if (!unallocated) prefixes.push_back(p);
    }
  }
  return prefixes;
}

// `value` in base 26, lower-case letters, `width` of them.
std::string Letters(uint64_t value, int width) {
  std::string out(width, 'a');
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('a' + value % 26);
    value /= 26;
  }
  return out;
}

}  // namespace

ParticipantFactory::ParticipantFactory(ParticipantShape shape,
                                       uint64_t run_seed)
    : shape_(std::move(shape)), prefixes_(AllowedPrefixes()) {
  std::mt19937_64 random(run_seed);
  uint64_t space = prefixes_.size() * kNinoDigits * kNinoSuffixes;
  nino_offset_ = random() % space;
  id_high_ = random();
  id_low_ = random();
  birth_offset_ = random();
  run_tag_ = Letters(random(), 6);
}

std::string ParticipantFactory::NationalInsuranceNumber(uint64_t n) const {
  uint64_t space = prefixes_.size() * kNinoDigits * kNinoSuffixes;
  uint64_t v = (nino_offset_ + n) % space;
  char suffix = static_cast<char>('A' + v % kNinoSuffixes);
  v /= kNinoSuffixes;
  uint64_t digits = v % kNinoDigits;
  const std::string& prefix = prefixes_[v / kNinoDigits];
  return absl::StrFormat("%s%06d%c", prefix, digits, suffix);
}

std::string ParticipantFactory::RequestId(uint64_t n) const {
  uint64_t low = id_low_ + n;
  // Version 4 in the third group, variant 10xx in the fourth.
  uint64_t high = (id_high_ & ~uint64_t{0xF000}) | 0x4000;
  low = (low & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32,
                         (high >> 16) & 0xFFFF, high & 0xFFFF, low >> 48,
                         low & 0xFFFFFFFFFFFFULL);
}

void ParticipantFactory::Fill(uint64_t n,
                              CreateParticipantRequest* request) const {
  request->set_parent("contracts/" + shape_.contract);
  request->set_request_id(RequestId(n));
  Participant* p = request->mutable_participant();
  p->set_programme(shape_.programme);
  p->set_referral_source(participants::v1::JOBCENTRE_PLUS);
  p->mutable_referral_date()->set_year(shape_.referral_year);
  p->mutable_referral_date()->set_month(shape_.referral_month);
  p->mutable_referral_date()->set_day(shape_.referral_day);
  p->set_given_name(kGivenNames[n % std::size(kGivenNames)]);
  // Capitalised letters only: "Bench" + run tag + call number.
  p->set_family_name("Bench" + run_tag_ + Letters(n, 7));
  // Born 1950..1999: of age for every programme, whenever the bench runs.
  uint64_t b = birth_offset_ + n;
  p->mutable_date_of_birth()->set_year(1950 + static_cast<int>(b % 50));
  p->mutable_date_of_birth()->set_month(1 + static_cast<int>(b / 50 % 12));
  p->mutable_date_of_birth()->set_day(1 + static_cast<int>(b / 600 % 28));
  p->set_national_insurance_number(NationalInsuranceNumber(n));
  p->mutable_contact()->set_postcode("M1 1AE");
}

}  // namespace employability::tools
