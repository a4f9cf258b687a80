// PrincipalRegistry: the service principals of the deployment's one tenant — who may obtain a
// token with the client-credentials grant (CONTRACT.md "Principals").
//
// A principal has an object id (the token's oid/sub), a client id (appid/azp), a display name,
// and one or more client secrets. A secret is shown once, when it is made; only
// HMAC(index key, "client-secret", secret) is stored, with the secret's key id and creation
// time, and a presented secret is compared in constant time against every stored HMAC.
// The tenant administrator (made at bootstrap) can do tenant-wide things (principals,
// subscriptions) and cannot be deleted.
//
// Storage (docs/formats/records.md): one record per principal behind the barrier at
// "principal/<mac(object id)>", and a client-id index at "client/<mac(client id)>" holding the
// object id. Storage is the source of truth for everything but the per-request checks:
// IsActive and IsTenantAdmin answer from an in-memory index of (object id → tenant admin,
// live key ids) that Load() fills at unseal and every write updates after its commit, so a
// revocation or deletion takes effect from the next request on this node. (On a multi-node
// deployment another node sees it when it calls Load() again.)
//
// Load() also migrates data dirs of older builds: a legacy client record (type 0x20, one
// secret, at "client/<mac>") becomes a tenant-administrator principal whose one secret keeps
// its HMAC and gets a new key id, so the old secret keeps working.
//
// Status codes: InvalidArgument (display name), NotFound ("PrincipalNotFound",
// "ClientSecretNotFound"), FailedPrecondition (deleting the tenant administrator, too many
// secrets, no tenant configured), Unauthenticated ("invalid_client") from Authenticate,
// Unavailable while sealed, DataLoss for a damaged record.
//
// Thread-safety: every method is safe to call concurrently. Writes are serialised by one mutex
// held across the commit and the index update, so the index applies writes in commit order;
// IsActive/IsTenantAdmin take only a shared lock and never touch storage.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::auth {

constexpr size_t kMaxPrincipalDisplayNameChars = 256;
constexpr size_t kMaxClientSecretsPerPrincipal = 32;

// What is known about one client secret. Never the secret, never its HMAC.
struct ClientSecretInfo {
  std::string key_id;  // lower-case GUID
  UnixSeconds created = 0;
};

struct ServicePrincipal {
  std::string object_id;  // lower-case GUID: oid / sub of its tokens
  std::string client_id;  // lower-case GUID: appid / azp
  std::string tenant_id;
  std::string display_name;
  bool tenant_admin = false;
  UnixSeconds created = 0;
  std::vector<ClientSecretInfo> secrets;  // in creation order
};

// A principal just made, with its first secret (shown once).
struct NewPrincipal {
  ServicePrincipal principal;
  SecretBytes client_secret;
  std::string key_id;
};

// A secret just added to a principal (shown once).
struct NewClientSecret {
  SecretBytes client_secret;
  std::string key_id;
  UnixSeconds created = 0;
};

// The result of a successful client-credentials check: who, and with which secret. Tokens
// carry the key id so that revoking the secret revokes them.
struct AuthenticatedClient {
  ServicePrincipal principal;
  std::string key_id;
};

// A random version-4 GUID, lower case (ids of principals, secrets and subscriptions).
std::string NewGuid(Random& rng);
// True for 8-4-4-4-12 hex digits (either case).
bool IsGuid(std::string_view s);
// A client secret of 256 random bits, base64url (43 characters).
SecretBytes GenerateClientSecret(Random& rng);
// OK if `name` is valid UTF-8 of 1..max_chars characters, not blank, without control
// characters; InvalidArgument ("BadParameter") naming `field` otherwise.
Status ValidateDisplayName(std::string_view name, size_t max_chars, std::string_view field);

class PrincipalRegistry {
 public:
  // Published by every write: another node's Load runs when it commits.
  static constexpr char kCacheTopic[] = "principals";

  // `tenant_id` is the deployment's tenant, given to the principals Create makes. `clock`
  // stamps creation times; `rng` makes ids and secrets.
  PrincipalRegistry(barrier::Barrier& barrier, const Clock& clock, Random& rng,
                    std::string tenant_id);

  const std::string& tenant_id() const { return tenant_id_; }

  // Reads every principal into the in-memory index (migrating legacy client records first).
  // Called when the barrier is unsealed; may be called again to refresh. Unavailable while
  // sealed.
  Status Load();
  // Load for a change another node committed (its cache topic): IsActive and IsTenantAdmin
  // wait while the index is read. On error the index is unchanged.
  Status Refresh();
  // Forgets the index (on seal): IsActive and IsTenantAdmin answer false until Load.
  void Unload();

  // A new, ordinary principal of the tenant with one secret. InvalidArgument for a display
  // name that is not 1-256 characters; FailedPrecondition when no tenant is configured.
  StatusOr<NewPrincipal> Create(std::string_view display_name);

  // Bootstrap only: makes sure the tenant administrator with these ids exists. When no
  // principal has `object_id`, it is created in `tenant_id` with `secret` as its one secret
  // (true is returned); an existing principal is left as it is (false). InvalidArgument for
  // malformed ids or display name, or an empty secret when one is needed.
  StatusOr<bool> EnsureTenantAdministrator(std::string_view object_id, std::string_view client_id,
                                           std::string_view tenant_id,
                                           std::string_view display_name,
                                           const SecretBytes& secret);

  // Every principal, oldest first (ties by object id).
  StatusOr<std::vector<ServicePrincipal>> List();
  // NotFound ("PrincipalNotFound") if there is no such principal. Ids compare
  // case-insensitively.
  StatusOr<ServicePrincipal> Get(std::string_view object_id);
  // Deletes the principal and its secrets; its tokens stop working on the next request.
  // NotFound ("PrincipalNotFound"); FailedPrecondition for the tenant administrator.
  Status Delete(std::string_view object_id);

  // Adds a secret. NotFound ("PrincipalNotFound"); FailedPrecondition once the principal
  // has kMaxClientSecretsPerPrincipal secrets.
  StatusOr<NewClientSecret> AddSecret(std::string_view object_id);
  // Revokes one secret; the tokens issued for it stop working on the next request. Revoking
  // the last one is allowed (the principal then cannot get tokens until a secret is added).
  // NotFound ("PrincipalNotFound" or "ClientSecretNotFound").
  Status RevokeSecret(std::string_view object_id, std::string_view key_id);

  // The client-credentials check. Unauthenticated ("invalid_client") with one and the same
  // message for an unknown client, another tenant, a wrong or revoked secret.
  StatusOr<AuthenticatedClient> Authenticate(std::string_view tenant_id, std::string_view client_id,
                                             std::string_view secret);

  // From memory, on every request: does principal `object_id` exist and hold a secret
  // `key_id`? Ids as issued in tokens (lower case). False before Load.
  bool IsActive(std::string_view object_id, std::string_view key_id) const;
  // From memory: is `object_id` the tenant administrator? False before Load.
  bool IsTenantAdmin(std::string_view object_id) const;

 private:
  struct IndexEntry {
    bool tenant_admin = false;
    std::vector<std::string> key_ids;
  };

  using Index = std::map<std::string, IndexEntry, std::less<>>;  // lower-case object id → entry

  Status LoadLocked();          // with write_mu_ held
  StatusOr<Index> ReadIndex() const;  // every stored principal, in one read transaction
  Status EnsureLoadedLocked();  // with write_mu_ held
  Status MigrateLegacyClients();
  // Replaces the index entry of `object_id`, after a committed write.
  void IndexPut(const std::string& object_id, bool tenant_admin, std::vector<std::string> key_ids);

  barrier::Barrier& barrier_;
  const Clock& clock_;
  Random& rng_;
  const std::string tenant_id_;

  std::mutex write_mu_;  // serialises writes and Load; held across commit + index update
  mutable std::shared_mutex index_mu_;  // guards loaded_ and index_
  bool loaded_ = false;
  Index index_;
};

}  // namespace coffer::auth
