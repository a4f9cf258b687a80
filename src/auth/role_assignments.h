// RoleAssignmentStore: who holds which built-in role at which scope, and the authorization
// decision built on it.
//
// Scopes are Azure's, limited to what Coffer serves: a subscription, a resource group, a vault,
// or one secret, key or certificate of a vault. An assignment applies to its scope and
// everything below it. Names are GUIDs unique across the deployment (as in Azure, where the name
// is the assignment's identity), so a PUT of an existing name at another scope is an update, and
// updates are refused.
//
// Storage: one barrier record per assignment at "authz/ra/<hex IndexMac("role-assignment",
// lower(name))>" (docs/formats/records.md, "Role assignment"). Writes run in one barrier
// transaction each and decide their 409s from storage inside it, so two nodes sharing a database
// cannot both win. Every assignment is also held in memory, indexed by principal, so Check never
// touches storage; the index changes only after a transaction has committed. Load() rebuilds it
// from storage (after unseal, and periodically on a multi-node deployment so other nodes' changes
// show up). Decisions are cached per (principal, action, resource, target role) in a bounded,
// sharded cache that is emptied on every change to the index (generation() counts them).
//
// Thread-safety: every method may be called concurrently. Readers share a shared_mutex over the
// index; writers on one node are serialised by a separate mutex held across the transaction and
// the index update, so the index applies changes in commit order.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/role_definitions.h"
#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/status.h"

namespace coffer::auth {

struct RoleAssignment {
  std::string name;                // GUID, lower-case (from the PUT path)
  std::string scope;               // normalized scope, see below, original case kept
  std::string role_definition_id;  // role GUID, lower-case
  std::string principal_id;        // the principal's objectId (GUID, lower-case)
  std::string principal_type = "ServicePrincipal";
  std::string description;
  UnixSeconds created = 0;
  UnixSeconds updated = 0;
  std::string created_by;          // objectId of the caller who made it ("" for bootstrap)
};

// Normalizes a scope: a doubled leading slash "//subscriptions/.." means "/subscriptions/..";
// no trailing slash; validates the shape: "/subscriptions/{guid}", "+/resourceGroups/{rg}",
// "+/providers/Microsoft.KeyVault/vaults/{vault}", "+/{secrets|keys|certificates}/{name}"
// (segment keywords case-insensitive and written in Azure's spelling; the subscription GUID
// lower-cased; names keep their case). InvalidArgument, reason "InvalidScope", with a message
// saying what is wrong, otherwise.
StatusOr<std::string> NormalizeScope(std::string_view scope);

// True if `scope` equals `resource` or is an ancestor of it (whole segments, case-insensitive).
// A doubled leading slash or a trailing slash on either side is ignored.
bool ScopeCovers(std::string_view scope, std::string_view resource);

class RoleAssignmentStore {
 public:
  // Published by every write: another node's Load runs when it commits.
  static constexpr char kCacheTopic[] = "roles";

  RoleAssignmentStore(barrier::Barrier& barrier, const Clock& clock);
  RoleAssignmentStore(const RoleAssignmentStore&) = delete;
  RoleAssignmentStore& operator=(const RoleAssignmentStore&) = delete;

  // (Re)loads every assignment from storage into memory; call after unseal. DataLoss for a
  // record that does not decode; Unavailable while sealed. On error the index is unchanged.
  Status Load();
  // Load for a change another node committed (its cache topic): Check waits while the index is
  // read, so no decision is made from the stale one. On error the index is unchanged.
  Status Refresh();

  // PUT semantics. Returns (assignment, created). Same name with identical role+principal+scope
  // → (existing, false), nothing written. The name must be a GUID (InvalidArgument
  // "InvalidRoleAssignmentId"), the scope valid (InvalidArgument "InvalidScope"), the principal
  // id a GUID (InvalidArgument "InvalidPrincipalId"), principal_type one of Azure's
  // (InvalidArgument "InvalidPrincipalType"; "" means ServicePrincipal).
  // InvalidArgument reason "RoleDefinitionDoesNotExist" for an unknown role;
  // AlreadyExists reason "RoleAssignmentExists" when the same principal+role+scope exists under
  // another name; AlreadyExists reason "RoleAssignmentUpdateNotPermitted" when the name exists
  // with another role, principal or scope. (Principal existence is checked by the caller.)
  // `created`/`updated` are set from the clock. Written in one barrier transaction.
  StatusOr<std::pair<RoleAssignment, bool>> Create(RoleAssignment a);

  // Reads storage. NotFound reason "RoleAssignmentNotFound" when absent (the scope must match
  // too, case-insensitive); InvalidArgument "InvalidScope" for a malformed scope.
  StatusOr<RoleAssignment> Get(std::string_view scope, std::string_view name) const;
  // Same errors as Get; returns what was deleted.
  StatusOr<RoleAssignment> Delete(std::string_view scope, std::string_view name);

  // Azure's list semantics: without at_scope_only, assignments at, above and below `scope`;
  // with it ($filter=atScope()), at and above only. principal_id "" = any. From memory, ordered
  // by scope then name.
  std::vector<RoleAssignment> List(std::string_view scope, bool at_scope_only,
                                   std::string_view principal_id) const;

  // Removes every assignment at `scope` or below it (soft-deleting a vault); returns how many.
  StatusOr<size_t> DeleteAtOrBelow(std::string_view scope);
  // Removes every assignment of a principal (principal deleted); returns how many.
  StatusOr<size_t> DeleteForPrincipal(std::string_view principal_id);

  // The decision: does principal `principal_id` hold `action` on `resource` (a normalized
  // scope such as ".../vaults/v/secrets/n") through any assignment at that scope or above?
  // `target_role_id` feeds role conditions (roleAssignments write/delete). Never touches
  // storage; cached.
  bool Check(std::string_view principal_id, std::string_view action, bool data_action,
             std::string_view resource, std::string_view target_role_id = "") const;

  // True if the principal has any assignment at or below /subscriptions/{sub}.
  bool HasAnyIn(std::string_view principal_id, std::string_view subscription_id) const;

  // Incremented on every change to the in-memory index (Load included).
  uint64_t generation() const;

 private:
  struct Entry {
    RoleAssignment assignment;
    const RoleDefinition* role;  // nullptr if the stored role is unknown: it grants nothing
  };
  struct Index {
    std::unordered_map<std::string, Entry> by_name;  // key: lower-case name
    // Lower-case principal → its entries (pointers into by_name; node-based, so stable).
    std::unordered_map<std::string, std::vector<const Entry*>> by_principal;
    void Add(RoleAssignment a);
    void Remove(const std::string& name);
  };
  struct CacheShard {
    std::mutex mu;
    std::unordered_map<std::string, bool> decisions;
  };
  static constexpr size_t kCacheShards = 16;
  static constexpr size_t kMaxDecisionsPerShard = 4096;

  StatusOr<std::string> Key(std::string_view name) const;
  // Every stored assignment, read in one snapshot.
  Status ReadIndex(Index& fresh) const;
  // Deletes, in one transaction, every stored assignment `doomed` selects; then drops them from
  // the index. Returns how many.
  template <typename Pred>
  StatusOr<size_t> DeleteWhere(Pred doomed);
  // Call with mu_ held exclusively, after changing index_.
  void InvalidateLocked();
  bool Decide(const std::string& principal, std::string_view action, bool data_action,
              std::string_view resource, std::string_view target_role_id) const;

  barrier::Barrier& barrier_;
  const Clock& clock_;
  std::mutex write_mu_;           // serialises writers on this node: commit order = index order
  mutable std::shared_mutex mu_;  // guards index_
  Index index_;
  std::atomic<uint64_t> generation_{0};
  mutable std::array<CacheShard, kCacheShards> cache_;
};

}  // namespace coffer::auth
