// CertificateService: export and import of a whole certificate for backup and restore — the
// certificate's versions and policy with its managed key and secret, read and written in one
// transaction each.
#include "vault/certificate_service.h"

#include "vault/object_records.h"

namespace coffer::vault {
namespace {

// Every version of the managed object at `loc`, or none when there is no live object or it is
// not managed (a certificate whose only version is still pending has neither key nor secret).
template <typename V>
StatusOr<StoredVersions<V>> ExportManaged(barrier::Txn& t, const ObjectStore<V>& store,
                                          const ObjectLocation& loc, std::string_view name) {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
  if (!head) return StoredVersions<V>{};
  ASSIGN_OR_RETURN(auto latest, store.ReadLatest(t, loc, name));
  if (!latest.version.managed) return StoredVersions<V>{};
  return store.Export(t, loc, name, kMaxVersionsPerBackup);
}

// A managed object from a backup: none, or 1..500 managed versions that validate.
template <typename V>
Status ValidateManaged(const ObjectStore<V>& store, const std::vector<V>& versions) {
  if (versions.empty()) return OkStatus();
  RETURN_IF_ERROR(store.ValidateImport(versions, kMaxVersionsPerBackup));
  for (const V& v : versions) {
    if (!v.managed) return lifecycle::InvalidImportedVersion(store.kind());
  }
  return OkStatus();
}

template <typename V>
Status ImportManaged(barrier::Txn& t, TxnEffects& effects, const ObjectStore<V>& store,
                     const ObjectLocation& loc, std::string_view name, UnixSeconds created,
                     const std::vector<V>& versions) {
  if (versions.empty()) return OkStatus();
  return store.Import(t, effects, loc, name, created, versions).status();
}

}  // namespace

StatusOr<CertificateObject> CertificateService::ExportObject(const model::VaultRecord& vault,
                                                             std::string_view name) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  return ReadInTxn(barrier_, [&](barrier::Txn& t) -> StatusOr<CertificateObject> {
    ASSIGN_OR_RETURN(auto cert, store_.Export(t, locs.cert, name,
                                              kMaxVersionsPerBackup));
    CertificateObject out;
    out.name = std::move(cert.head.name);
    out.created = cert.head.created;
    out.versions = std::move(cert.versions);
    ASSIGN_OR_RETURN(out.policy, ReadPolicy(t, locs.cert));
    ASSIGN_OR_RETURN(auto key, ExportManaged(t, key_store_, locs.key, name));
    out.key = KeyObject{out.name, key.head.created, std::move(key.versions), std::nullopt};
    ASSIGN_OR_RETURN(auto secret, ExportManaged(t, secret_store_, locs.secret, name));
    out.secret = SecretObject{out.name, secret.head.created, std::move(secret.versions)};
    return out;
  });
}

StatusOr<CertificateView> CertificateService::RestoreObject(const model::VaultRecord& vault,
                                                            const CertificateObject& object) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, object.name));
  RETURN_IF_ERROR(store_.ValidateImport(object.versions, kMaxVersionsPerBackup));
  RETURN_IF_ERROR(ValidateManaged(key_store_, object.key.versions));
  RETURN_IF_ERROR(ValidateManaged(secret_store_, object.secret.versions));
  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects)
                                  -> StatusOr<CertificateView> {
    ASSIGN_OR_RETURN(auto restored, store_.Import(t, effects, locs.cert, object.name,
                                                  object.created, object.versions));
    if (object.policy) RETURN_IF_ERROR(WritePolicy(t, locs.cert, *object.policy));
    RETURN_IF_ERROR(ImportManaged(t, effects, key_store_, locs.key, object.name,
                                  object.key.created, object.key.versions));
    RETURN_IF_ERROR(ImportManaged(t, effects, secret_store_, locs.secret, object.name,
                                  object.secret.created, object.secret.versions));
    // What the certificate schedules from its latest version (lifetime actions).
    RETURN_IF_ERROR(traits_.OnNewLatest(t, locs.cert, restored.version));
    return FullView(t, locs.cert, std::move(restored));
  });
}

}  // namespace coffer::vault
