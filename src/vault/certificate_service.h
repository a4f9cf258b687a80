// CertificateService: the Certificates API's domain logic (AZURE_API.md §5, Part 2 §A). A
// certificate version is three objects of one name and one version id — the certificate, a
// managed key (its key pair) and a managed secret (PFX or PEM of key and chain) — written in ONE
// barrier transaction through the object store (object_store.h), with the certificate's policy
// (cpol/…) and its operation (cop/…) beside it. Deleting, recovering and purging a certificate
// does the same to its key and secret in the same transaction.
//
// Issuers: "Self" stores a disabled pending version with its key pair in the operation, as Azure
// does, and the sweeper issues it `self_issuance_seconds` later (a "due/…/i/…" entry; 0 issues
// at once, inside the create); "Unknown" stores the same with a CSR, and Merge completes it.
//
// Status codes (reason in brackets): InvalidArgument [BadParameter] naming the problem;
// NotFound [CertificateNotFound], [PendingCertificateNotFound]; AlreadyExists [Conflict] when a
// plain key or secret holds the name or an operation is in progress,
// [ObjectIsDeletedButRecoverable] when the name is soft-deleted; PermissionDenied [Forbidden]
// for purge under purge protection; Unavailable when sealed or storage fails.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"
#include "model/certificate_contacts.h"
#include "model/certificate_issuer.h"
#include "model/certificate_policy.h"
#include "model/certificate_version.h"
#include "model/key_version.h"
#include "model/vault_record.h"
#include "vault/key_service.h"
#include "vault/keyspace.h"
#include "vault/kind_traits.h"
#include "vault/object_store.h"
#include "vault/secret_service.h"

namespace coffer::vault {

struct CertificateCreateParams {
  model::CertificatePolicy policy;  // completed and validated by the service again
  std::optional<model::Tags> tags;
  std::optional<bool> enabled;
  bool preserve_cert_order = false;  // recorded on the version and returned
};

struct CertificateImportParams {
  std::string value;  // PEM text or base64 of a PFX
  std::optional<SecretBytes> password;
  std::optional<model::CertificatePolicy> policy;  // given: its key/secret props are used
  std::optional<model::Tags> tags;
  std::optional<bool> enabled;
  bool preserve_cert_order = false;  // recorded on the version and returned
};

struct CertificatePatch {
  std::optional<model::Tags> tags;
  std::optional<bool> enabled;
};

// One version of one certificate with its name, soft-delete state and (for bundles) policy.
struct CertificateView {
  std::string name;
  model::CertificateVersion version;
  std::optional<model::DeletedInfo> deleted;
  std::optional<model::CertificatePolicy> policy;  // set by Get, Create, Import, Merge, Delete
  bool has_operation = false;                     // an operation object exists (`pending`)
};

struct CertificatePage {
  std::vector<CertificateView> items;  // without policy
  std::string next_token;
};

// Everything a certificate backup carries (certificate_backup.cc): every version of the
// certificate, its policy, and every version of its managed key and secret (an object with no
// versions when the certificate never issued one). The pending operation is not carried.
struct CertificateObject {
  std::string name;
  UnixSeconds created = 0;
  std::vector<model::CertificateVersion> versions;
  std::optional<model::CertificatePolicy> policy;
  KeyObject key;        // its rotation policy is always empty
  SecretObject secret;
};

struct CertificateServiceOptions {
  // How long a Self certificate stays `inProgress` before the sweeper issues it (0: the create
  // issues it at once). Azure takes seconds; clients poll `pending`.
  UnixSeconds self_issuance_seconds = 0;
};

struct CertificateOperationView {
  std::string name;
  model::CertificateOperation operation;  // key material wiped
  bool preserve_cert_order = false;       // set by Create when the request asked for it
};

// One lifetime action the sweeper took for a certificate (certificate_lifetime.cc), for the
// audit log: EmailContacts names the contacts it notifies, AutoRenew the version it issued.
struct LifetimeActionEvent {
  std::string vault;        // the vault's name
  std::string certificate;  // the certificate's name
  std::string version;      // the version whose lifetime triggered the action
  model::CertificateActionType action = model::CertificateActionType::kAutoRenew;
  std::vector<std::string> emails;  // EmailContacts: the vault's contacts (may be empty)
  std::string new_version;          // AutoRenew: the version issued
};
// Records an event. An EmailContacts action counts as taken only once this returned OK.
using LifetimeActionNotifier = std::function<Status(const LifetimeActionEvent&)>;

class CertificateService {
 public:
  // `key_traits` are the KeyService's (its caches drop after each write); must outlive this.
  CertificateService(barrier::Barrier& barrier, const Clock& clock, Random& rng,
                     const KindTraits<model::KeyVersion>& key_traits,
                     CertificateServiceOptions options = {});

  // Starts a new version (Self with self_issuance_seconds 0: issues it); returns the operation.
  StatusOr<CertificateOperationView> Create(const model::VaultRecord& vault, std::string_view name,
                                            CertificateCreateParams params);
  StatusOr<CertificateView> Import(const model::VaultRecord& vault, std::string_view name,
                                   CertificateImportParams params);
  // Completes an "Unknown" issuer's pending version with the signed chain (x5c wire entries).
  StatusOr<CertificateView> Merge(const model::VaultRecord& vault, std::string_view name,
                                  const std::vector<std::string>& x5c,
                                  const std::optional<model::Tags>& tags,
                                  std::optional<bool> enabled);

  StatusOr<CertificateOperationView> GetOperation(const model::VaultRecord& vault,
                                                  std::string_view name);
  // Cancels an in-progress operation (the pending version stays, disabled).
  StatusOr<CertificateOperationView> CancelOperation(const model::VaultRecord& vault,
                                                     std::string_view name);
  StatusOr<CertificateOperationView> DeleteOperation(const model::VaultRecord& vault,
                                                     std::string_view name);

  // version "" = latest.
  StatusOr<CertificateView> Get(const model::VaultRecord& vault, std::string_view name,
                                std::string_view version);
  StatusOr<CertificateView> Update(const model::VaultRecord& vault, std::string_view name,
                                   std::string_view version, const CertificatePatch& patch);
  StatusOr<CertificatePage> List(const model::VaultRecord& vault, size_t max_results,
                                 std::string_view page_token, bool include_pending);
  // A name that never existed → an empty page.
  StatusOr<CertificatePage> ListVersions(const model::VaultRecord& vault, std::string_view name,
                                         size_t max_results, std::string_view page_token);

  StatusOr<model::CertificatePolicy> GetPolicy(const model::VaultRecord& vault,
                                               std::string_view name);
  // Stores `policy` (the caller merged it over GetPolicy's and validated it).
  StatusOr<model::CertificatePolicy> SetPolicy(const model::VaultRecord& vault,
                                               std::string_view name,
                                               model::CertificatePolicy policy);

  StatusOr<CertificateView> Delete(const model::VaultRecord& vault, std::string_view name);
  StatusOr<CertificateView> GetDeleted(const model::VaultRecord& vault, std::string_view name);
  StatusOr<CertificatePage> ListDeleted(const model::VaultRecord& vault, size_t max_results,
                                        std::string_view page_token);
  StatusOr<CertificateView> Recover(const model::VaultRecord& vault, std::string_view name);
  Status Purge(const model::VaultRecord& vault, std::string_view name);

  // For the sweeper (certificate_lifetime.cc): takes the lifetime actions of the certificate at
  // `mac` whose time has come, for its due entry `due_key` (at `due`), then moves the entry to
  // the next action or removes it. EmailContacts: `notify` records the vault's contacts, then
  // the action is marked taken for that version. AutoRenew (issuer Self, latest version enabled
  // and issued, no operation in progress): a new version through the create path, from the
  // stored policy, reusing the key pair when the policy says reuse_key, then `notify`. A stale
  // entry (the certificate gone, soft-deleted, renewed or rescheduled since) is removed and
  // nothing else happens. Unavailable when storage fails (the entry stays and is retried);
  // other failures of a renewal are logged and the action is marked taken for that version.
  // For the sweeper: issues the pending version of the Self certificate at `mac` whose
  // "due/…/i/…" entry `due_key` has come, and removes the entry. The certificate, its managed
  // key and secret and the completed operation are written in one transaction, as a merge
  // writes them, from the key pair kept in the operation and the stored policy. Nothing is
  // issued when the operation was cancelled, deleted or replaced meanwhile; a certificate
  // soft-deleted before it was issued has its operation marked failed. Unavailable when storage
  // fails (the entry stays and is retried).
  Status IssuePending(const model::VaultRecord& vault, std::string_view mac,
                      std::string_view due_key, UnixSeconds now);

  Status RunLifetimeActions(const model::VaultRecord& vault, std::string_view mac,
                            std::string_view due_key, UnixSeconds due, UnixSeconds now,
                            const LifetimeActionNotifier& notify);

  // Backup and restore (certificate_backup.cc). Export reads the live certificate with its
  // managed key and secret in one transaction (FailedPrecondition beyond kMaxVersionsPerBackup
  // versions of any of them). Restore validates every version first, then writes the three objects and the policy
  // in one transaction: 409 [Conflict] or [ObjectIsDeletedButRecoverable] when any of the three
  // names is taken, and nothing is written. Returns the restored latest version with its policy.
  StatusOr<CertificateObject> ExportObject(const model::VaultRecord& vault, std::string_view name);
  StatusOr<CertificateView> RestoreObject(const model::VaultRecord& vault,
                                          const CertificateObject& object);

  // The vault's certificate contacts (certificate_contacts.cc). Get and Delete: NotFound
  // [ContactsNotFound] "Contacts not found" when none are set; Delete returns what it removed.
  StatusOr<std::vector<model::CertificateContact>> GetContacts(const model::VaultRecord& vault);
  StatusOr<std::vector<model::CertificateContact>> SetContacts(
      const model::VaultRecord& vault, std::vector<model::CertificateContact> contacts);
  StatusOr<std::vector<model::CertificateContact>> DeleteContacts(const model::VaultRecord& vault);

  // The vault's certificate issuers (certificate_issuers.cc). Unknown issuer: NotFound
  // [CertificateIssuerNotFound] "Issuer not found". Set creates or replaces (keeping its
  // creation time); Update applies `edit` to the stored issuer; Delete returns what it removed;
  // List is ordered by name.
  StatusOr<model::CertificateIssuer> SetIssuer(const model::VaultRecord& vault,
                                               model::CertificateIssuer issuer);
  StatusOr<model::CertificateIssuer> UpdateIssuer(
      const model::VaultRecord& vault, std::string_view name,
      const std::function<Status(model::CertificateIssuer&)>& edit);
  StatusOr<model::CertificateIssuer> GetIssuer(const model::VaultRecord& vault,
                                               std::string_view name);
  StatusOr<model::CertificateIssuer> DeleteIssuer(const model::VaultRecord& vault,
                                                  std::string_view name);
  StatusOr<std::vector<model::CertificateIssuer>> ListIssuers(const model::VaultRecord& vault);

 private:
  // A version with its object's name and soft-delete state (no policy).
  static CertificateView ItemView(StoredObject<model::CertificateVersion> found);
  // The three locations of one name.
  struct Locations {
    ObjectLocation cert, key, secret;
  };
  StatusOr<Locations> LocateAll(std::string_view vault_id, std::string_view name) const;
  // A new version made from a policy outside any transaction (certificate_create.cc): for Self
  // an issued certificate, otherwise a pending version with a CSR and its key in the operation.
  struct NewVersion {
    model::CertificateVersion cert;
    model::CertificateOperation op;
    std::optional<crypto::KeyMaterial> key;
    crypto::CertificateChain chain;
    bool issued = false;
  };
  // `reuse`: the key pair to keep (reuse_key), else a new one is generated. `issue_now`: a Self
  // version is issued here; otherwise it is pending like any other issuer's.
  StatusOr<NewVersion> MakeVersion(const model::CertificatePolicy& policy,
                                   const std::string& issuer_name, model::Tags tags, bool enabled,
                                   std::optional<crypto::KeyMaterial> reuse, UnixSeconds now,
                                   bool issue_now) const;
  // Turns the pending version of `op` into the issued one (inside t): the version with `chain`'s
  // leaf, `tags` and `enabled`, its managed key and secret from `key`, and the operation marked
  // completed with its key material wiped.
  StatusOr<StoredObject<model::CertificateVersion>> CompletePending(
      barrier::Txn& t, TxnEffects& effects, const Locations& locs, std::string_view name,
      model::CertificateOperation& op, const crypto::KeyMaterial& key,
      const crypto::CertificateChain& chain, const std::optional<model::Tags>& tags, bool enabled,
      UnixSeconds now) const;
  // Writes a made version as the new latest (the 409 checks, the version, its managed key and
  // secret when issued, the operation) inside t; the policy must already be stored.
  StatusOr<StoredObject<model::CertificateVersion>> WriteVersion(
      barrier::Txn& t, TxnEffects& effects, const Locations& locs, std::string_view name,
      NewVersion& made, const model::CertificatePolicy& policy) const;
  // When policy.reuse_key: the key pair of the managed key's version `version` ("" = latest),
  // if there is one and it has the policy's key type and size or curve.
  StatusOr<std::optional<crypto::KeyMaterial>> ReusableKey(
      barrier::Txn& t, const Locations& locs, std::string_view name, std::string_view version,
      const model::CertificatePolicy& policy) const;
  // AutoRenew of version `latest` (certificate_lifetime.cc); returns the new version's id, or
  // "" when `latest` is no longer the latest version.
  StatusOr<std::string> Renew(const Locations& locs, std::string_view name,
                              const model::CertificateVersion& latest,
                              const model::CertificatePolicy& policy, UnixSeconds now);
  // 409 when a plain key or secret holds the name or (check_operation) an operation is in
  // progress.
  Status CheckCreatable(barrier::Txn& t, const Locations& locs, std::string_view name,
                        bool check_operation = true) const;
  // Writes the managed key and secret of an issued version (inside t).
  Status WriteManaged(barrier::Txn& t, TxnEffects& effects, const Locations& locs,
                      std::string_view name, const model::CertificateVersion& cert,
                      const model::CertificatePolicy& policy, const crypto::KeyMaterial& key,
                      const crypto::CertificateChain& chain) const;
  StatusOr<std::optional<model::CertificateOperation>> ReadOperation(
      barrier::Txn& t, const ObjectLocation& loc) const;
  // The live certificate's operation (with its key material); 404 PendingCertificateNotFound.
  StatusOr<CertificateOperationView> ReadOperationView(barrier::Txn& t, const ObjectLocation& loc,
                                                       std::string_view name) const;
  StatusOr<std::optional<model::CertificatePolicy>> ReadPolicy(barrier::Txn& t,
                                                               const ObjectLocation& loc) const;
  Status WritePolicy(barrier::Txn& t, const ObjectLocation& loc,
                     const model::CertificatePolicy& policy) const;
  Status WriteOperation(barrier::Txn& t, const ObjectLocation& loc,
                        const model::CertificateOperation& op) const;
  // A view of a stored version, with the policy and operation flag read in t.
  StatusOr<CertificateView> FullView(barrier::Txn& t, const ObjectLocation& loc,
                                     StoredObject<model::CertificateVersion> found) const;

  barrier::Barrier& barrier_;
  const Clock& clock_;
  Random& rng_;
  CertificateServiceOptions options_;
  Keyspace keys_;
  CertificateTraits traits_;
  SecretTraits secret_traits_;
  ObjectStore<model::CertificateVersion> store_{keys_, traits_};
  ObjectStore<model::KeyVersion> key_store_;
  ObjectStore<model::SecretVersion> secret_store_{keys_, secret_traits_};
};

// The crypto module's X.509 profile of a policy.
crypto::X509Profile X509ProfileOf(const model::CertificatePolicy& policy);

}  // namespace coffer::vault
