// VaultRegistry: the vaults of the deployment — create, update, read, list and (soft) delete.
// Names are unique across the deployment and case-insensitive. Records are cached in memory
// (every request resolves its vault by host name), and the cache is updated inside the same
// call that commits a change.
//
// Reads answer from the cache; writes never decide from it. Every write reads the vault's
// stored record (keyed by the MAC of its lower-cased name, so the record is the name's claim)
// inside the transaction that writes it, and decides its 409s and 404s from that: several
// nodes sharing one storage, each with its own cache, cannot both create one name, re-create
// a soft-deleted one, or lose each other's changes (PostgreSQL runs the loser of a conflict
// again, and it then reads the winner's record).
//
// Status codes: InvalidArgument for bad names/locations/retention; AlreadyExists (409) for a name
// taken in another subscription or resource group, or held by a soft-deleted vault;
// NotFound("VaultNotFound"); FailedPrecondition for forbidden changes (purge protection off,
// retention change).
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "model/vault_record.h"
#include "vault/keyspace.h"

namespace coffer::vault {

struct VaultSpec {
  std::string name;
  std::string subscription_id;
  std::string resource_group;
  std::string location;
  std::string tenant_id;
  std::optional<std::string> sku;
  std::optional<int> retention_days;
  std::optional<bool> purge_protection;
  std::optional<bool> rbac_authorization;
  std::optional<model::Tags> tags;
  std::optional<std::vector<model::AccessPolicyEntry>> access_policies;
  bool recover = false;  // createMode "recover": bring the soft-deleted vault back
  bool default_rbac = true;  // a new vault's model when rbac_authorization is omitted
};

struct VaultPatch {
  std::optional<std::string> sku;
  std::optional<int> retention_days;
  std::optional<bool> purge_protection;
  std::optional<bool> rbac_authorization;
  std::optional<model::Tags> tags;
  std::optional<std::vector<model::AccessPolicyEntry>> access_policies;
};

// PUT …/vaults/{v}/accessPolicies/{add|replace|remove}.
enum class AccessPolicyOp { kAdd, kReplace, kRemove };

class VaultRegistry {
 public:
  // Published by every write: another node's InvalidateCache runs when it commits.
  static constexpr char kCacheTopic[] = "vaults";

  VaultRegistry(barrier::Barrier& barrier, const Clock& clock, Random& rng);

  // PUT semantics: creates (created=true) or replaces the mutable settings of the vault with
  // that name in the same subscription and resource group.
  StatusOr<std::pair<model::VaultRecord, bool>> CreateOrUpdate(const VaultSpec& spec);
  StatusOr<model::VaultRecord> Patch(std::string_view subscription, std::string_view group,
                                     std::string_view name, const VaultPatch& patch);
  // A live vault by name (any subscription). NotFound("VaultNotFound").
  StatusOr<model::VaultRecord> Get(std::string_view name);
  // The vault, live or soft-deleted, whose id is `id` (for the sweeper, whose due entries name
  // vaults by id). NotFound("VaultNotFound") once it is purged.
  StatusOr<model::VaultRecord> GetById(std::string_view id);
  // A live vault in the given scope; NotFound if it lives elsewhere.
  StatusOr<model::VaultRecord> GetInScope(std::string_view subscription, std::string_view group,
                                          std::string_view name);
  // Live vaults, optionally filtered by subscription and resource group (empty = any).
  StatusOr<std::vector<model::VaultRecord>> List(std::string_view subscription,
                                                 std::string_view group);
  // Soft-deletes: the vault disappears at once and its name stays reserved until the sweeper
  // purges it at the retention date. NotFound if absent.
  Status Delete(std::string_view subscription, std::string_view group, std::string_view name);
  // Changes the access policies of a live vault (CONTRACT.md "Authorization"): add merges the
  // listed permissions into the entry of each objectId (creating it), remove takes only the
  // listed permissions away (dropping an entry left empty), replace replaces each entry.
  StatusOr<model::VaultRecord> UpdateAccessPolicies(
      std::string_view subscription, std::string_view group, std::string_view name,
      AccessPolicyOp op, const std::vector<model::AccessPolicyEntry>& entries);

  // Soft-deleted vaults of a subscription (empty = all).
  StatusOr<std::vector<model::VaultRecord>> ListDeleted(std::string_view subscription);
  // A soft-deleted vault of that subscription and location (region names compare
  // case-insensitively). NotFound otherwise.
  StatusOr<model::VaultRecord> GetDeleted(std::string_view subscription,
                                          std::string_view location, std::string_view name);
  // Purges a soft-deleted vault now: FailedPrecondition under purge protection. Returns the
  // purged vault (its id keys the caches to drop).
  StatusOr<model::VaultRecord> PurgeNow(std::string_view subscription, std::string_view location,
                                        std::string_view name);
  // Purges a deleted vault whose date has come (used by the sweeper). Returns the purged vault's
  // id, or "" when there was nothing to purge (already gone, not deleted, or not yet due).
  StatusOr<std::string> PurgeDeleted(std::string_view vault_key, UnixSeconds now);

  void InvalidateCache();

 private:
  Status LoadCache();
  Status ValidateSpec(const VaultSpec& spec) const;
  // Reads the live vault `name` of that scope inside a writing transaction (NotFound
  // "VaultNotFound" otherwise), lets `change` alter it (and write more in the same
  // transaction; an error rolls everything back) and stores it. Returns what was stored.
  StatusOr<model::VaultRecord> ChangeLive(
      std::string_view subscription, std::string_view group, std::string_view name,
      const std::function<Status(model::VaultRecord&, barrier::Txn&)>& change);
  // After a committed write (mu_ held): the cache, if loaded, takes the stored record.
  void NoteStored(const std::string& lower, const model::VaultRecord& record);
  // After a refused write (mu_ held): when the stored record decided the refusal (a 409 or
  // 404 the cache may not have foreseen: another node's change), the cache, if loaded, takes
  // what the transaction read (`seen`: the record, or none) for that name.
  void NoteRefused(const Status& st, const std::string& lower,
                   const std::optional<std::optional<model::VaultRecord>>& seen);

  barrier::Barrier& barrier_;
  const Clock& clock_;
  Random& rng_;
  Keyspace keys_;
  std::mutex mu_;  // serialises writers and guards the cache
  bool cache_loaded_ = false;
  std::map<std::string, model::VaultRecord> cache_;  // lower-cased name → record (incl. deleted)
};

}  // namespace coffer::vault
