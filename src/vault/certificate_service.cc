// CertificateService: reads, updates, the pending operation, policy, and the lifecycle (delete,
// recover, purge) that moves a certificate's key and secret with it. Creation, import and merge
// are in certificate_create.cc.
#include "vault/certificate_service.h"

#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;

namespace {

constexpr ObjectKind kKind = ObjectKind::kCertificate;

Status PendingNotFound(std::string_view name) {
  return NotFoundError("Pending certificate not found: " + std::string(name),
                       "PendingCertificateNotFound");
}

// Sets `enabled` on version `id` of the managed object at `loc`, if there is one.
template <typename V>
Status MirrorEnabled(barrier::Txn& t, TxnEffects& effects, const ObjectStore<V>& store,
                     const ObjectLocation& loc, std::string_view name, const std::string& id,
                     bool enabled, UnixSeconds now) {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
  if (!head) return OkStatus();
  auto read = store.ReadLive(t, loc, name, id);
  if (!read.ok() || !read->version.managed) return OkStatus();
  return store
      .UpdateVersion(t, effects, loc, name, id,
                     [&](V& v) {
                       v.attributes.enabled = enabled;
                       v.attributes.updated = now;
                     })
      .status();
}

}  // namespace

CertificateView CertificateService::ItemView(StoredObject<model::CertificateVersion> found) {
  CertificateView v;
  v.name = std::move(found.head.name);
  v.version = std::move(found.version);
  v.deleted = found.head.deleted;
  return v;
}

SecretBytes CertificateTraits::Encode(const model::CertificateVersion& v) const {
  return model::EncodeCertificateVersion(v);
}

StatusOr<model::CertificateVersion> CertificateTraits::Decode(std::string_view record) const {
  return model::DecodeCertificateVersion(record);
}

Status CertificateTraits::OnPurged(barrier::Txn& t, const ObjectLocation& loc) const {
  RETURN_IF_ERROR(ForgetLifetimeSchedule(t, loc));
  RETURN_IF_ERROR(t.Delete(Keyspace::CertificatePolicyKey(loc.vault_id, loc.mac)));
  return t.Delete(Keyspace::CertificateOperationKey(loc.vault_id, loc.mac));
}

CertificateService::CertificateService(barrier::Barrier& barrier, const Clock& clock, Random& rng,
                                       const KindTraits<model::KeyVersion>& key_traits,
                                       CertificateServiceOptions options)
    : barrier_(barrier),
      clock_(clock),
      rng_(rng),
      options_(options),
      keys_(barrier),
      key_store_(keys_, key_traits) {}

StatusOr<CertificateService::Locations> CertificateService::LocateAll(
    std::string_view vault_id, std::string_view name) const {
  Locations locs;
  ASSIGN_OR_RETURN(locs.cert, store_.Locate(vault_id, name));
  ASSIGN_OR_RETURN(locs.key, key_store_.Locate(vault_id, name));
  ASSIGN_OR_RETURN(locs.secret, secret_store_.Locate(vault_id, name));
  return locs;
}

StatusOr<std::optional<model::CertificateOperation>> CertificateService::ReadOperation(
    barrier::Txn& t, const ObjectLocation& loc) const {
  ASSIGN_OR_RETURN(auto plain, t.Get(Keyspace::CertificateOperationKey(loc.vault_id, loc.mac)));
  if (!plain) return std::optional<model::CertificateOperation>();
  ASSIGN_OR_RETURN(auto op, model::DecodeCertificateOperation(plain->view()));
  return std::optional<model::CertificateOperation>(std::move(op));
}

StatusOr<std::optional<model::CertificatePolicy>> CertificateService::ReadPolicy(
    barrier::Txn& t, const ObjectLocation& loc) const {
  return ReadCertificatePolicy(t, loc);
}

Status CertificateService::WritePolicy(barrier::Txn& t, const ObjectLocation& loc,
                                       const model::CertificatePolicy& policy) const {
  return t.Put(Keyspace::CertificatePolicyKey(loc.vault_id, loc.mac),
               model::EncodeCertificatePolicy(policy));
}

Status CertificateService::WriteOperation(barrier::Txn& t, const ObjectLocation& loc,
                                          const model::CertificateOperation& op) const {
  return t.Put(Keyspace::CertificateOperationKey(loc.vault_id, loc.mac),
               model::EncodeCertificateOperation(op));
}

StatusOr<CertificateView> CertificateService::FullView(
    barrier::Txn& t, const ObjectLocation& loc,
    StoredObject<model::CertificateVersion> found) const {
  CertificateView v = ItemView(std::move(found));
  ASSIGN_OR_RETURN(v.policy, ReadPolicy(t, loc));
  ASSIGN_OR_RETURN(auto op, ReadOperation(t, loc));
  v.has_operation = op.has_value();
  return v;
}

StatusOr<CertificateView> CertificateService::Get(const model::VaultRecord& vault,
                                                  std::string_view name,
                                                  std::string_view version) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(kKind, name, version));
  return ReadInTxn(barrier_, [&](barrier::Txn& t) -> StatusOr<CertificateView> {
    ASSIGN_OR_RETURN(auto found, store_.ReadLive(t, loc, name, version));
    return FullView(t, loc, std::move(found));
  });
}

StatusOr<CertificateView> CertificateService::Update(const model::VaultRecord& vault,
                                                     std::string_view name,
                                                     std::string_view version,
                                                     const CertificatePatch& patch) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(kKind, name, version));
  if (patch.tags) RETURN_IF_ERROR(ValidateTags(kKind, *patch.tags));
  UnixSeconds now = clock_.Now();
  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects)
                                  -> StatusOr<CertificateView> {
    ASSIGN_OR_RETURN(auto updated, store_.UpdateVersion(t, effects, locs.cert, name, version,
                                                        [&](model::CertificateVersion& v) {
                                                          if (patch.tags) v.tags = *patch.tags;
                                                          if (patch.enabled) {
                                                            v.attributes.enabled = *patch.enabled;
                                                          }
                                                          v.attributes.updated = now;
                                                        }));
    // The managed key and secret of that version follow `enabled`.
    if (patch.enabled) {
      const std::string& id = updated.version.version;
      RETURN_IF_ERROR(
          MirrorEnabled(t, effects, key_store_, locs.key, name, id, *patch.enabled, now));
      RETURN_IF_ERROR(
          MirrorEnabled(t, effects, secret_store_, locs.secret, name, id, *patch.enabled, now));
    }
    return FullView(t, locs.cert, std::move(updated));
  });
}

StatusOr<CertificatePage> CertificateService::List(const model::VaultRecord& vault,
                                                   size_t max_results, std::string_view page_token,
                                                   bool include_pending) {
  ASSIGN_OR_RETURN(auto stored, store_.List(barrier_, vault.id, page_token, max_results));
  CertificatePage page;
  for (auto& item : stored.items) {
    if (!include_pending && item.version.cer.empty()) continue;
    page.items.push_back(ItemView(std::move(item)));
  }
  page.next_token = std::move(stored.next_token);
  return page;
}

StatusOr<CertificatePage> CertificateService::ListVersions(const model::VaultRecord& vault,
                                                           std::string_view name,
                                                           size_t max_results,
                                                           std::string_view page_token) {
  auto stored = store_.ListVersions(barrier_, vault.id, name, page_token, max_results);
  CertificatePage page;
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kNotFound) return page;
    return stored.status();
  }
  for (auto& item : stored->items) page.items.push_back(ItemView(std::move(item)));
  page.next_token = std::move(stored->next_token);
  return page;
}

StatusOr<model::CertificatePolicy> CertificateService::GetPolicy(const model::VaultRecord& vault,
                                                                 std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  return ReadInTxn(barrier_, [&](barrier::Txn& t) -> StatusOr<model::CertificatePolicy> {
    RETURN_IF_ERROR(store_.ReadLiveHead(t, loc, name).status());
    ASSIGN_OR_RETURN(auto policy, ReadPolicy(t, loc));
    if (!policy) return ObjectNotFound(kKind, name);
    return std::move(*policy);
  });
}

StatusOr<model::CertificatePolicy> CertificateService::SetPolicy(const model::VaultRecord& vault,
                                                                 std::string_view name,
                                                                 model::CertificatePolicy policy) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  RETURN_IF_ERROR(model::CompleteAndValidatePolicy(policy));
  UnixSeconds now = clock_.Now();
  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects&)
                                  -> StatusOr<model::CertificatePolicy> {
    RETURN_IF_ERROR(store_.ReadLiveHead(t, loc, name).status());
    ASSIGN_OR_RETURN(auto old, ReadPolicy(t, loc));
    policy.created = old ? old->created : now;
    policy.updated = now;
    RETURN_IF_ERROR(WritePolicy(t, loc, policy));
    // The lifetime actions (or the issuer) may have changed: the due date follows.
    ASSIGN_OR_RETURN(auto latest, store_.ReadLatest(t, loc, name));
    RETURN_IF_ERROR(RescheduleLifetimeActions(t, loc, latest.version));
    return policy;
  });
}

StatusOr<CertificateOperationView> CertificateService::ReadOperationView(
    barrier::Txn& t, const ObjectLocation& loc, std::string_view name) const {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
  if (!head) return PendingNotFound(name);
  ASSIGN_OR_RETURN(auto op, ReadOperation(t, loc));
  if (!op) return PendingNotFound(name);
  return CertificateOperationView{head->name, std::move(*op)};
}

StatusOr<CertificateOperationView> CertificateService::GetOperation(
    const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto view, ReadInTxn(barrier_, [&](barrier::Txn& t) {
    return ReadOperationView(t, loc, name);
  }));
  view.operation.key_material.Wipe();
  return view;
}

StatusOr<CertificateOperationView> CertificateService::CancelOperation(
    const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto view, WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects&)
                                                       -> StatusOr<CertificateOperationView> {
    ASSIGN_OR_RETURN(auto view, ReadOperationView(t, loc, name));
    model::CertificateOperation& op = view.operation;
    if (op.status == model::CertificateOperationStatus::kInProgress) {
      op.cancellation_requested = true;
      op.status = model::CertificateOperationStatus::kCancelled;
      op.error_code = "Cancelled";
      op.error_message = "The operation was cancelled by the caller.";
      op.key_material.Wipe();
      RETURN_IF_ERROR(WriteOperation(t, loc, op));
    }
    return view;
  }));
  view.operation.key_material.Wipe();
  return view;
}

StatusOr<CertificateOperationView> CertificateService::DeleteOperation(
    const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto view, WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects&)
                                                       -> StatusOr<CertificateOperationView> {
    ASSIGN_OR_RETURN(auto view, ReadOperationView(t, loc, name));
    RETURN_IF_ERROR(t.Delete(Keyspace::CertificateOperationKey(loc.vault_id, loc.mac)));
    return view;
  }));
  view.operation.key_material.Wipe();
  return view;
}

}  // namespace coffer::vault
