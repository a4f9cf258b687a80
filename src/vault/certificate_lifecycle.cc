// CertificateService: soft delete, recover and purge, each moving the certificate's managed key
// and secret with it in the same transaction, and the deleted-certificate reads.
#include "vault/certificate_service.h"

#include "vault/object_records.h"

namespace coffer::vault {
namespace {

// Whether the live object at `loc` exists and its latest version is managed.
template <typename V>
StatusOr<bool> LiveManaged(barrier::Txn& t, const ObjectStore<V>& store, const ObjectLocation& loc,
                           std::string_view name) {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
  if (!head) return false;
  ASSIGN_OR_RETURN(auto latest, store.ReadLatest(t, loc, name));
  return latest.version.managed;
}

template <typename V>
StatusOr<bool> DeletedManaged(barrier::Txn& t, const ObjectStore<V>& store,
                              const ObjectLocation& loc, std::string_view name) {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.deleted_key));
  if (!head) return false;
  ASSIGN_OR_RETURN(auto latest, store.ReadDeleted(t, loc, name));
  return latest.version.managed;
}

}  // namespace

StatusOr<CertificateView> CertificateService::Delete(const model::VaultRecord& vault,
                                                     std::string_view name) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  UnixSeconds now = clock_.Now();
  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects)
                                  -> StatusOr<CertificateView> {
    ASSIGN_OR_RETURN(auto found, store_.SoftDelete(t, effects, vault, locs.cert, name, now));
    ASSIGN_OR_RETURN(bool key_managed, LiveManaged(t, key_store_, locs.key, name));
    if (key_managed) {
      RETURN_IF_ERROR(key_store_.SoftDelete(t, effects, vault, locs.key, name, now).status());
    }
    ASSIGN_OR_RETURN(bool secret_managed, LiveManaged(t, secret_store_, locs.secret, name));
    if (secret_managed) {
      RETURN_IF_ERROR(secret_store_.SoftDelete(t, effects, vault, locs.secret, name, now).status());
    }
    CertificateView v = ItemView(std::move(found));
    ASSIGN_OR_RETURN(v.policy, ReadPolicy(t, locs.cert));
    return v;
  });
}

StatusOr<CertificateView> CertificateService::GetDeleted(const model::VaultRecord& vault,
                                                         std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  return ReadInTxn(barrier_, [&](barrier::Txn& t) -> StatusOr<CertificateView> {
    ASSIGN_OR_RETURN(auto found, store_.ReadDeleted(t, loc, name));
    CertificateView v = ItemView(std::move(found));
    ASSIGN_OR_RETURN(v.policy, ReadPolicy(t, loc));
    return v;
  });
}

StatusOr<CertificatePage> CertificateService::ListDeleted(const model::VaultRecord& vault,
                                                          size_t max_results,
                                                          std::string_view page_token) {
  ASSIGN_OR_RETURN(auto stored, store_.ListDeleted(barrier_, vault.id, page_token, max_results));
  CertificatePage page;
  for (auto& item : stored.items) page.items.push_back(ItemView(std::move(item)));
  page.next_token = std::move(stored.next_token);
  return page;
}

StatusOr<CertificateView> CertificateService::Recover(const model::VaultRecord& vault,
                                                      std::string_view name) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects)
                                  -> StatusOr<CertificateView> {
    ASSIGN_OR_RETURN(auto found, store_.Recover(t, effects, locs.cert, name));
    ASSIGN_OR_RETURN(bool key_managed, DeletedManaged(t, key_store_, locs.key, name));
    if (key_managed) RETURN_IF_ERROR(key_store_.Recover(t, effects, locs.key, name).status());
    ASSIGN_OR_RETURN(bool secret_managed, DeletedManaged(t, secret_store_, locs.secret, name));
    if (secret_managed) {
      RETURN_IF_ERROR(secret_store_.Recover(t, effects, locs.secret, name).status());
    }
    return FullView(t, locs.cert, std::move(found));
  });
}

Status CertificateService::Purge(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  return UpdateWithEffects(barrier_, [&](barrier::Txn& t, TxnEffects& effects) -> Status {
    RETURN_IF_ERROR(store_.Purge(t, effects, vault, locs.cert, name));
    ASSIGN_OR_RETURN(bool key_managed, DeletedManaged(t, key_store_, locs.key, name));
    if (key_managed) RETURN_IF_ERROR(key_store_.Purge(t, effects, vault, locs.key, name));
    ASSIGN_OR_RETURN(bool secret_managed, DeletedManaged(t, secret_store_, locs.secret, name));
    if (secret_managed) {
      RETURN_IF_ERROR(secret_store_.Purge(t, effects, vault, locs.secret, name));
    }
    return OkStatus();
  });
}

}  // namespace coffer::vault
