// KeyService: the Keys API's domain logic (AZURE_API.md §4) — versions of RSA, EC and oct keys,
// attributes, soft delete, recover, purge, export/restore for backup, rotation and rotation
// policies, and the cryptographic operations, which the server enforces itself: an operation
// must be listed in the version's key_ops, the version must be enabled and (for encrypt,
// wrapKey and sign) inside nbf..exp by the domain clock. Private key material never leaves this
// service except as the opaque Serialize() blob inside records and backups; views carry only
// the public JWK.
//
// The versioned-object lifecycle is ObjectLifecycle's over the object store (object_store.h)
// with KeyTraits, which keep the rotation schedule in step; this service adds key generation
// and import, rotation
// policies, the operations and the caches, which it drops through the store's after-commit
// effects — so a key written by another service's transaction (a certificate's) still drops them.
//
// Each public call is one barrier transaction (key generation happens before it, so a slow RSA
// keygen never holds the writer); every check that decides a 404/409 runs inside it.
//
// Caches (DESIGN.md §5 "Per-request cost"), both bounded LRU maps keyed by (vault id, name MAC,
// version): parsed KeyMaterial, dropped when the key is purged; and what an operation needs of
// a version — the key's name, the version id, kty, key_ops, attributes and the material — also
// under "latest", dropped by every write to the key, so that a cryptographic operation reads
// no storage. The usage checks themselves (key_ops, enabled, nbf/exp against the clock) run on
// every call. Operation results are never cached.
//
// Status codes (reason in brackets): InvalidArgument [BadParameter] for bad input (kty, size,
// curve, key_ops, algorithm, digest length, inconsistent JWK, policy durations); NotFound
// [KeyNotFound]; PermissionDenied [KeyOperationForbidden] when key_ops lacks the operation,
// [KeyDisabled], [KeyNotYetValid], [KeyExpired] for unusable versions, [Forbidden] for purge
// under purge protection; AlreadyExists [ObjectIsDeletedButRecoverable] when the name is
// soft-deleted, [Conflict] when restoring onto a live name; FailedPrecondition beyond
// kMaxVersionsPerBackup versions on export; Unavailable when sealed or storage fails.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "crypto/key_material.h"
#include "crypto/public_key.h"
#include "model/key_version.h"
#include "model/object.h"
#include "model/vault_record.h"
#include "vault/keyspace.h"
#include "vault/kind_traits.h"
#include "vault/object_lifecycle.h"
#include "vault/object_store.h"
#include "vault/lru_cache.h"

namespace coffer::vault {

struct KeyCreateParams {
  std::string kty;  // "RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"
  std::optional<int> key_size;
  std::optional<uint64_t> public_exponent;
  std::optional<std::string> crv;
  std::optional<std::vector<std::string>> key_ops;
  std::optional<bool> enabled;
  std::optional<UnixSeconds> not_before;
  std::optional<UnixSeconds> expires;
  std::optional<bool> exportable;
  std::optional<model::Tags> tags;
  std::optional<model::KeyReleasePolicy> release_policy;  // grammar checked by the caller
};

struct KeyImportParams {
  crypto::JwkParts jwk;  // kty may carry "-HSM"
  bool hsm = false;      // the request's "Hsm" flag: echo kty with "-HSM"
  std::optional<std::vector<std::string>> key_ops;  // the JWK's key_ops
  std::optional<bool> enabled;
  std::optional<UnixSeconds> not_before;
  std::optional<UnixSeconds> expires;
  std::optional<bool> exportable;
  std::optional<model::Tags> tags;
  std::optional<model::KeyReleasePolicy> release_policy;
};

struct KeyPatch : AttributePatch {
  std::optional<std::vector<std::string>> key_ops;
  // A new release policy: refused (400) on a non-exportable key and when the current one is
  // immutable and differs.
  std::optional<model::KeyReleasePolicy> release_policy;
};

// One version of one key. `version.material` is always empty in a view; `public_key` holds the
// public JWK parts for bundles (empty in list items).
struct KeyView : ObjectView<model::KeyVersion> {
  crypto::JwkParts public_key;
};

// List items carry no public key.
using KeyPage = ObjectPage<KeyView>;

// Every version of one key, oldest sequence first, and its rotation policy (backup unit).
struct KeyObject {
  std::string name;
  UnixSeconds created = 0;
  std::vector<model::KeyVersion> versions;
  std::optional<model::RotationPolicy> policy;
};

struct RotationPolicyParams {
  std::vector<model::LifetimeAction> lifetime_actions;
  std::string expiry_time;  // empty = none
};

struct RotationPolicyView {
  std::string name;
  std::optional<model::RotationPolicy> policy;  // nullopt: none was ever set
};

// What the service limits weigh a key request by (api/service_limits.h).
struct KeyShape {
  bool hsm = false;  // kty ends in -HSM
  crypto::KeyType type = crypto::KeyType::kRsa;
  int bits = 0;      // RSA modulus / AES key size; 0 for EC
};

enum class KeyOperation { kEncrypt, kDecrypt, kWrapKey, kUnwrapKey, kSign, kVerify };

// Result of a cryptographic operation; `name`/`version` identify the version used (for kid).
struct KeyOperationResult {
  std::string name;
  std::string version;
  SecretBytes value;  // ciphertext, plaintext, wrapped/unwrapped key or signature
  std::string iv;     // encrypt with AES-GCM/CBC
  std::string tag;    // encrypt with AES-GCM
  bool verified = false;  // verify
};

// A released key version: its view (public parts and release policy) and its material wrapped
// for the attested environment.
struct ReleasedKey {
  KeyView view;
  std::string wrapped;
};

class KeyService : public ObjectLifecycle<model::KeyVersion, KeyView> {
 public:
  KeyService(barrier::Barrier& barrier, const Clock& clock, Random& rng);

  // A new version (a new key if the name is free). Defaults: RSA 2048 / e 65537, EC P-256,
  // oct 256 bits; key_ops per type (RSA: all six; EC: sign verify; oct: encrypt decrypt wrapKey
  // unwrapKey).
  StatusOr<KeyView> Create(const model::VaultRecord& vault, std::string_view name,
                           const KeyCreateParams& params);
  // A new version from a JWK with private parts.
  StatusOr<KeyView> Import(const model::VaultRecord& vault, std::string_view name,
                           const KeyImportParams& params);
  StatusOr<KeyView> Update(const model::VaultRecord& vault, std::string_view name,
                           std::string_view version, const KeyPatch& patch);
  // Get (disabled versions are readable; only operations are refused), List, ListVersions,
  // Delete, GetDeleted, ListDeleted, Recover, Purge: ObjectLifecycle. The
  // KeyTraits' hooks unschedule rotation on delete, reschedule it on recover and remove the
  // rotation policy on purge; CachingTraits forget a purged key's cached entries.

  // All versions (and the policy) of a live key, for backup.
  StatusOr<KeyObject> ExportObject(const model::VaultRecord& vault, std::string_view name);
  // Writes a whole key (ids and times kept); 409 if the name is live or soft-deleted. Returns
  // the latest version.
  StatusOr<KeyView> RestoreObject(const model::VaultRecord& vault, const KeyObject& object);

  // A new version with the latest version's type, size/curve, key_ops, tags and exportable;
  // exp = now + the policy's expiryTime when one is set.
  StatusOr<KeyView> Rotate(const model::VaultRecord& vault, std::string_view name);
  StatusOr<RotationPolicyView> GetRotationPolicy(const model::VaultRecord& vault,
                                                 std::string_view name);
  // Validates and stores the policy (a Notify P30D-before-expiry action is appended when none is
  // given; expiryTime must be at least P28D) and schedules the next rotation.
  StatusOr<RotationPolicyView> SetRotationPolicy(const model::VaultRecord& vault,
                                                 std::string_view name,
                                                 const RotationPolicyParams& params);
  // For the sweeper: processes the due entry `due_key` for the key at `mac` — rotates if the
  // policy still schedules a rotation at that time and it has come, then schedules the next.
  // The due entry is removed in the same transaction.
  Status RotateIfDue(std::string_view vault_id, std::string_view mac, std::string_view due_key,
                     UnixSeconds due, UnixSeconds now);
  // Drops everything cached of one key (after a purge outside this service, e.g. by the
  // sweeper).
  void ForgetCached(std::string_view vault_id, std::string_view mac);
  // Drops everything cached of every key of one vault (after the vault is purged).
  void ForgetVault(std::string_view vault_id);
  // Drops everything cached (the cross-node feed was lost and may have missed changes).
  void ForgetAll();
  // Every write to a key publishes "key/<vault id>/<name MAC>" (TxnEffects::Publish); another
  // node's OnCacheTopic drops that key's entries when it commits. Returns whether `topic` was
  // one of these.
  static std::string CacheTopic(std::string_view vault_id, std::string_view mac);
  bool OnCacheTopic(std::string_view topic);
  // The key lifecycle's hooks with this service's cache invalidation, for purges run by the
  // sweeper (or any caller composing key writes into its own transaction).
  const KindTraits<model::KeyVersion>& traits() const { return traits_; }

  // The type and size of a live key's version ("" = latest), from the operation cache (no
  // storage read once cached). NotFound as Get.
  StatusOr<KeyShape> Shape(const model::VaultRecord& vault, std::string_view name,
                           std::string_view version);

  // Cryptographic operations on a version ("" = latest).
  StatusOr<KeyOperationResult> Encrypt(const model::VaultRecord& vault, std::string_view name,
                                       std::string_view version, std::string_view alg,
                                       const SecretBytes& plaintext, std::string_view iv,
                                       std::string_view aad);
  StatusOr<KeyOperationResult> Decrypt(const model::VaultRecord& vault, std::string_view name,
                                       std::string_view version, std::string_view alg,
                                       std::string_view ciphertext, std::string_view iv,
                                       std::string_view aad, std::string_view tag);
  StatusOr<KeyOperationResult> WrapKey(const model::VaultRecord& vault, std::string_view name,
                                       std::string_view version, std::string_view alg,
                                       const SecretBytes& key);
  StatusOr<KeyOperationResult> UnwrapKey(const model::VaultRecord& vault, std::string_view name,
                                         std::string_view version, std::string_view alg,
                                         std::string_view wrapped);
  StatusOr<KeyOperationResult> Sign(const model::VaultRecord& vault, std::string_view name,
                                    std::string_view version, std::string_view alg,
                                    std::string_view digest);
  StatusOr<KeyOperationResult> Verify(const model::VaultRecord& vault, std::string_view name,
                                      std::string_view version, std::string_view alg,
                                      std::string_view digest, std::string_view signature);

  // Secure key release (key_release.cc; the attestation is the caller's to verify, with
  // auth::AttestationVerifier). The version ("" = latest) a release would let go: it must be
  // exportable with a release policy (InvalidArgument [BadParameter] otherwise), enabled
  // (PermissionDenied [KeyDisabled]) and inside nbf..exp by the domain clock ([KeyNotYetValid],
  // [KeyExpired]). NotFound as Get.
  StatusOr<KeyView> ReleaseCandidate(const model::VaultRecord& vault, std::string_view name,
                                     std::string_view version);
  // That version wrapped for `wrapping_key` with `enc` (crypto/key_release.h), after the same
  // checks, and only while its release policy is still `verified_policy` — the one the
  // attestation was checked against (Aborted [Conflict] otherwise).
  StatusOr<ReleasedKey> Release(const model::VaultRecord& vault, std::string_view name,
                                std::string_view version,
                                const model::KeyReleasePolicy& verified_policy,
                                const crypto::PublicKey& wrapping_key, std::string_view enc);

  // Cache capacities in entries; the least recently used entry is dropped beyond them.
  static constexpr size_t kMaterialCacheCapacity = 4096;
  static constexpr size_t kVersionCacheCapacity = 8192;  // a version and "latest" may share one
  size_t cached_materials() const;
  size_t cached_versions() const;

 private:

  // Writes `version` as the new latest version of the key at `loc` (creating the head when the
  // name is free; 409 when soft-deleted; 403 when a certificate manages the key, naming `op`)
  // and reschedules rotation.
  StatusOr<KeyView> WriteNewVersion(const model::VaultRecord& vault, std::string_view name,
                                    const ObjectLocation& loc, model::KeyVersion version,
                                    std::shared_ptr<const crypto::KeyMaterial> material,
                                    std::string_view op);
  // MakeView of a head and version read by the store (name, deleted info from the head).
  StatusOr<KeyView> View(std::string_view vault_id, std::string_view mac,
                         StoredObject<model::KeyVersion> found);
  StatusOr<KeyView> FullView(const ObjectLocation& loc,
                             StoredObject<model::KeyVersion> found) override {
    return View(loc.vault_id, loc.mac, std::move(found));
  }
  // A view of `v` with the public key filled in and the private material wiped.
  StatusOr<KeyView> MakeView(std::string_view vault_id, std::string_view mac, std::string name,
                             model::KeyVersion v, std::optional<model::DeletedInfo> deleted);
  // "vault id/name MAC/version"; version "" names a key's latest-version entry, and the
  // version-less key is the prefix of all of one key's entries.
  static std::string CacheKey(std::string_view vault_id, std::string_view mac,
                              std::string_view version);
  // Cached (or parsed and cached) material of one version.
  StatusOr<std::shared_ptr<const crypto::KeyMaterial>> Material(std::string_view vault_id,
                                                                std::string_view mac,
                                                                const model::KeyVersion& v);
  // What an operation needs of one version of a live key; immutable once cached.
  struct OperationalVersion {
    std::string name;  // as stored in the head
    std::string version;
    std::string kty;
    std::vector<std::string> key_ops;
    model::Attributes attributes;
    std::shared_ptr<const crypto::KeyMaterial> material;
  };
  using Usable = std::shared_ptr<const OperationalVersion>;
  // The version ("" = latest) from the cache, or read from storage and cached.
  StatusOr<Usable> ReadOperationalVersion(std::string_view vault_id, const ObjectLocation& loc,
                                          std::string_view name, std::string_view version);
  // Reads the version and applies the server-side usage checks.
  StatusOr<Usable> UsableVersion(const model::VaultRecord& vault, std::string_view name,
                                 std::string_view version, KeyOperation op,
                                 std::string_view alg);
  static KeyOperationResult Result(const Usable& u, SecretBytes value);

  // KeyTraits that also drop this service's caches after every write to a key (whether or not
  // the transaction committed) and after a purge.
  class CachingTraits : public KeyTraits {
   public:
    explicit CachingTraits(KeyService& service) : service_(service) {}
    void AfterWrite(TxnEffects& effects, const ObjectLocation& loc) const override;
    void AfterPurge(TxnEffects& effects, const ObjectLocation& loc) const override;

   private:
    KeyService& service_;
  };

  Random& rng_;
  Keyspace keys_;
  CachingTraits traits_{*this};
  ObjectStore<model::KeyVersion> store_{keys_, traits_};

  LruCache<std::shared_ptr<const crypto::KeyMaterial>> materials_{kMaterialCacheCapacity};
  LruCache<Usable> versions_{kVersionCacheCapacity};
};

// Helpers shared by the key service files and their tests.
// The canonical spelling of a key operation ("wrapkey" → "wrapKey"); nullopt if unknown.
std::optional<std::string> CanonicalKeyOperation(std::string_view op);

}  // namespace coffer::vault
