// Certificate contacts of a vault: one record at "cct/<vault id>/contacts" (keyspace.h).
#include "vault/certificate_service.h"

namespace coffer::vault {
namespace {

Status ContactsNotFound() { return NotFoundError("Contacts not found", "ContactsNotFound"); }

StatusOr<std::optional<std::vector<model::CertificateContact>>> ReadContacts(
    barrier::Txn& t, std::string_view vault_id) {
  ASSIGN_OR_RETURN(auto plain, t.Get(Keyspace::CertificateContactsKey(vault_id)));
  if (!plain) return std::optional<std::vector<model::CertificateContact>>();
  ASSIGN_OR_RETURN(auto contacts, model::DecodeCertificateContacts(plain->view()));
  return std::optional<std::vector<model::CertificateContact>>(std::move(contacts));
}

}  // namespace

StatusOr<std::vector<model::CertificateContact>> CertificateService::GetContacts(
    const model::VaultRecord& vault) {
  std::optional<std::vector<model::CertificateContact>> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(found, ReadContacts(t, vault.id));
    return OkStatus();
  }));
  if (!found) return ContactsNotFound();
  return std::move(*found);
}

StatusOr<std::vector<model::CertificateContact>> CertificateService::SetContacts(
    const model::VaultRecord& vault, std::vector<model::CertificateContact> contacts) {
  RETURN_IF_ERROR(model::ValidateCertificateContacts(contacts));
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) {
    return t.Put(Keyspace::CertificateContactsKey(vault.id),
                 model::EncodeCertificateContacts(contacts));
  }));
  return contacts;
}

StatusOr<std::vector<model::CertificateContact>> CertificateService::DeleteContacts(
    const model::VaultRecord& vault) {
  std::optional<std::vector<model::CertificateContact>> found;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(found, ReadContacts(t, vault.id));
    if (!found) return ContactsNotFound();
    return t.Delete(Keyspace::CertificateContactsKey(vault.id));
  }));
  return std::move(*found);
}

}  // namespace coffer::vault
