#include "backup/archive_import.h"

#include <cstdint>
#include <utility>

#include "model/certificate_contacts.h"
#include "model/certificate_issuer.h"
#include "model/certificate_policy.h"
#include "model/key_version.h"

namespace coffer::backup {
namespace {

// A whole-vault archive has no per-object version cap (the per-object blob's 500 does not apply).
constexpr size_t kNoVersionCap = SIZE_MAX;

Status Undecodable(const ArchivedObject& o, std::string_view what) {
  return MalformedArchiveError("the " + std::string(model::ObjectKindName(o.kind)) + " '" +
                               o.name + "' has a " + std::string(what) + " that does not decode");
}

template <typename V>
StatusOr<std::vector<V>> DecodeVersions(const vault::ObjectStore<V>& store,
                                        const ArchivedObject& o) {
  std::vector<V> out;
  out.reserve(o.versions.size());
  for (const SecretBytes& raw : o.versions) {
    auto v = store.traits().Decode(raw.view());
    if (!v.ok()) return Undecodable(o, "version record");
    out.push_back(std::move(*v));
  }
  RETURN_IF_ERROR(store.ValidateImport(out, kNoVersionCap));
  return out;
}

// Writes the versions of `o` as a new live object at `loc` (409 when the name is taken).
template <typename V>
StatusOr<vault::StoredObject<V>> Import(barrier::Txn& t, vault::TxnEffects& effects,
                                        const vault::ObjectStore<V>& store,
                                        const vault::ObjectLocation& loc,
                                        const ArchivedObject& o) {
  ASSIGN_OR_RETURN(std::vector<V> versions, DecodeVersions(store, o));
  return store.Import(t, effects, loc, o.name, o.created, std::move(versions));
}

// A deleted object goes back to the deleted area with its own dates.
template <typename V>
Status FinishDeleted(barrier::Txn& t, vault::TxnEffects& effects,
                     const vault::ObjectStore<V>& store, const vault::ObjectLocation& loc,
                     const ArchivedObject& o, vault::StoredObject<V>& stored) {
  if (!o.deleted) return OkStatus();
  return vault::lifecycle::MarkDeleted(t, effects, store.traits(), loc, stored.head, *o.deleted);
}

template <typename V>
StatusOr<bool> AnyManaged(const vault::ObjectStore<V>& store, const ArchivedObject& o) {
  for (const SecretBytes& raw : o.versions) {
    auto v = store.traits().Decode(raw.view());
    if (!v.ok()) return Undecodable(o, "version record");
    if (v->managed) return true;
  }
  return false;
}

}  // namespace

ArchiveImporter::ArchiveImporter(const vault::Keyspace& keys,
                                 const vault::KindTraits<model::KeyVersion>& key_traits)
    : keys_(keys), keys_store_(keys, key_traits) {}

Status ArchiveImporter::Check(const ArchivedObject& o) const {
  switch (o.kind) {
    case model::ObjectKind::kSecret:
      return DecodeVersions(secrets_, o).status();
    case model::ObjectKind::kKey:
      if (o.policy && !model::DecodeRotationPolicy(o.policy->view()).ok()) {
        return Undecodable(o, "rotation policy");
      }
      return DecodeVersions(keys_store_, o).status();
    case model::ObjectKind::kCertificate:
      if (o.policy && !model::DecodeCertificatePolicy(o.policy->view()).ok()) {
        return Undecodable(o, "policy");
      }
      return DecodeVersions(certificates_, o).status();
  }
  return MalformedArchiveError("an object has an unknown kind");
}

StatusOr<bool> ArchiveImporter::Managed(const ArchivedObject& o) const {
  switch (o.kind) {
    case model::ObjectKind::kSecret: return AnyManaged(secrets_, o);
    case model::ObjectKind::kKey: return AnyManaged(keys_store_, o);
    case model::ObjectKind::kCertificate: break;
  }
  return false;
}

Status ArchiveImporter::Write(barrier::Txn& t, vault::TxnEffects& effects,
                              const model::VaultRecord& vault, const ArchivedObject& o) const {
  ASSIGN_OR_RETURN(vault::ObjectLocation loc, keys_.Locate(vault.id, o.kind, o.name));
  switch (o.kind) {
    case model::ObjectKind::kSecret: {
      ASSIGN_OR_RETURN(auto stored, Import(t, effects, secrets_, loc, o));
      return FinishDeleted(t, effects, secrets_, loc, o, stored);
    }
    case model::ObjectKind::kKey: {
      ASSIGN_OR_RETURN(auto stored, Import(t, effects, keys_store_, loc, o));
      std::string policy_key = vault::Keyspace::RotationPolicyKey(vault.id, loc.mac);
      RETURN_IF_ERROR(t.Delete(policy_key));  // a stale one would carry a foreign schedule
      if (o.policy) {
        auto policy = model::DecodeRotationPolicy(o.policy->view());
        if (!policy.ok()) return Undecodable(o, "rotation policy");
        policy->scheduled_rotation.reset();  // the source's schedule; rescheduled below
        RETURN_IF_ERROR(t.Put(policy_key, model::EncodeRotationPolicy(*policy)));
        if (!o.deleted) RETURN_IF_ERROR(vault::RescheduleRotation(t, loc, stored.version));
      }
      return FinishDeleted(t, effects, keys_store_, loc, o, stored);
    }
    case model::ObjectKind::kCertificate: {
      ASSIGN_OR_RETURN(auto stored, Import(t, effects, certificates_, loc, o));
      // A stale operation would describe another certificate's request.
      RETURN_IF_ERROR(t.Delete(vault::Keyspace::CertificateOperationKey(vault.id, loc.mac)));
      if (o.policy) {
        if (!model::DecodeCertificatePolicy(o.policy->view()).ok()) {
          return Undecodable(o, "policy");
        }
        RETURN_IF_ERROR(t.Put(vault::Keyspace::CertificatePolicyKey(vault.id, loc.mac),
                              *o.policy));
      }
      if (!o.deleted) {
        RETURN_IF_ERROR(certificate_traits_.OnNewLatest(t, loc, stored.version));
      }
      return FinishDeleted(t, effects, certificates_, loc, o, stored);
    }
  }
  return MalformedArchiveError("an object has an unknown kind");
}

Status ArchiveImporter::CheckContacts(const SecretBytes& record) const {
  if (!model::DecodeCertificateContacts(record.view()).ok()) {
    return MalformedArchiveError("its certificate contacts do not decode");
  }
  return OkStatus();
}

Status ArchiveImporter::CheckIssuer(const SecretBytes& record) const {
  if (!model::DecodeCertificateIssuer(record.view()).ok()) {
    return MalformedArchiveError("a certificate issuer does not decode");
  }
  return OkStatus();
}

StatusOr<bool> ArchiveImporter::WriteContacts(barrier::Txn& t, const model::VaultRecord& vault,
                                              const SecretBytes& record) const {
  RETURN_IF_ERROR(CheckContacts(record));
  std::string key = vault::Keyspace::CertificateContactsKey(vault.id);
  ASSIGN_OR_RETURN(auto existing, t.Get(key));
  if (existing) return false;
  RETURN_IF_ERROR(t.Put(key, record));
  return true;
}

StatusOr<bool> ArchiveImporter::WriteIssuer(barrier::Txn& t, const model::VaultRecord& vault,
                                            const SecretBytes& record) const {
  auto issuer = model::DecodeCertificateIssuer(record.view());
  if (!issuer.ok()) return MalformedArchiveError("a certificate issuer does not decode");
  ASSIGN_OR_RETURN(std::string key, keys_.CertificateIssuerKey(vault.id, issuer->name));
  ASSIGN_OR_RETURN(auto existing, t.Get(key));
  if (existing) return false;
  RETURN_IF_ERROR(t.Put(key, record));
  return true;
}

}  // namespace coffer::backup
