#include "services/participants/contacts_grpc.h"

#include <utility>

#include "common/logging/log.h"
#include "common/server/unary.h"
#include "employability/participants/v1/contacts.grpc.pb.h"
#include "services/participants/caseload_records.h"
#include "services/participants/catalogues.h"
#include "services/participants/contact_records.h"

namespace employability::participants {
namespace {

class ContactsService final : public v1::Contacts::CallbackService {
 public:
  ContactsService(ContactRecords& records, CaseloadRecords& caseloads,
                  server::ServiceEdge edge)
      : records_(records), caseloads_(caseloads), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* CreateContact(
      grpc::CallbackServerContext* context,
      const v1::CreateContactRequest* request, v1::Contact* response) override {
    return edge_.Serve(context, "CreateContact", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Create(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* GetContact(grpc::CallbackServerContext* context,
                                       const v1::GetContactRequest* request,
                                       v1::Contact* response) override {
    return edge_.Serve(context, "GetContact", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Get(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ListContacts(
      grpc::CallbackServerContext* context,
      const v1::ListContactsRequest* request,
      v1::ListContactsResponse* response) override {
    return edge_.Serve(context, "ListContacts", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.List(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* UpdateContact(
      grpc::CallbackServerContext* context,
      const v1::UpdateContactRequest* request, v1::Contact* response) override {
    return edge_.Serve(context, "UpdateContact", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Update(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* GetContactStandard(
      grpc::CallbackServerContext* context,
      const v1::GetContactStandardRequest* request,
      v1::ContactStandard* response) override {
    return edge_.Serve(context, "GetContactStandard", response,
                       [this, request](const auth::Caller&) {
                         return records_.GetStandard(*request);
                       });
  }
  // The overdue list is a view of the adviser's caseload.
  grpc::ServerUnaryReactor* ListOverdueParticipants(
      grpc::CallbackServerContext* context,
      const v1::ListOverdueParticipantsRequest* request,
      v1::ListOverdueParticipantsResponse* response) override {
    return edge_.Serve(context, "ListOverdueParticipants", response,
                       [this, request](const auth::Caller& caller) {
                         return caseloads_.ListOverdueParticipants(caller,
                                                                   *request);
                       });
  }

 private:
  ContactRecords& records_;
  CaseloadRecords& caseloads_;
  const server::ServiceEdge edge_;
};

class ContactsModule final : public server::ServiceModule {
 public:
  ContactsModule(CaseFiles& files, const v1::ContactStandards& standards,
                 server::ServiceEdge edge)
      : files_(files),
        records_(files, standards),
        caseloads_(files, standards),
        service_(records_, caseloads_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::Contacts::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  ContactRecords records_;
  CaseloadRecords caseloads_;
  ContactsService service_;
};

}  // namespace

v1::ContactStandards CompiledContactStandards() {
  absl::StatusOr<v1::ContactStandards> standards =
      ParseContactStandards(ContactStandardsText());
  if (!standards.ok()) EMP_LOG(FATAL) << standards.status();
  return *std::move(standards);
}

std::unique_ptr<server::ServiceModule> NewContactsModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  return std::make_unique<ContactsModule>(
      files, CompiledContactStandards(),
      server::ServiceEdge(v1::Contacts::service_full_name(), gate,
                          deps.workers));
}

}  // namespace employability::participants
