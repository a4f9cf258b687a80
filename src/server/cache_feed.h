// CacheFeed: applies the cache topics that committed transactions publish (store::Cluster's
// feed; several nodes on one PostgreSQL) to this node's caches — the topic of each cache, and
// what is done on it, is in docs/decisions.md "Several nodes on one PostgreSQL":
//   "key/<vault id>/<mac>/"  KeyService drops that key's cached versions and material
//   "vaults"                 VaultRegistry drops its cached registry (re-read on next use)
//   "roles"                  RoleAssignmentStore::Refresh (checks wait for the fresh index; the
//                            decision cache empties)
//   "principals"             PrincipalRegistry::Refresh (what every token check asks; it waits)
//   "subscriptions"          SubscriptionRegistry reloads
//   anything else            the barrier's CacheListeners ("secret/…": SecretService's cache)
// The feed's fences (store::Cluster::AwaitFresh) report Settled: no reload left to retry.
// A reset (the feed's first connection or a reconnection: topics may have been missed) does all
// of them. A reload that fails (storage down, sealed) is retried on the feed's idle tick; the
// reloads are idempotent, so a topic heard twice costs only time.
//
// Thread-safety: the callbacks run on the feed's thread, one at a time; the services are
// thread-safe and must outlive the feed (StopFeed first).
#pragma once

#include <string_view>

#include "auth/principals.h"
#include "auth/role_assignments.h"
#include "auth/subscriptions.h"
#include "barrier/barrier.h"
#include "store/cluster.h"
#include "vault/key_service.h"
#include "vault/vault_registry.h"

namespace coffer::server {

struct CacheTargets {
  barrier::Barrier* barrier = nullptr;
  vault::VaultRegistry* vaults = nullptr;
  vault::KeyService* keys = nullptr;
  auth::PrincipalRegistry* principals = nullptr;
  auth::SubscriptionRegistry* subscriptions = nullptr;
  auth::RoleAssignmentStore* roles = nullptr;
};

class CacheFeed {
 public:
  explicit CacheFeed(CacheTargets targets) : t_(targets) {}

  // Callbacks into this object, which must outlive the feed.
  store::FeedHandler Handler();

  void OnTopic(std::string_view topic);
  void OnReset();
  void OnIdle();
  // Every topic heard so far is applied (no reload waits for a retry).
  bool Settled() const;

 private:
  // Runs the reloads marked pending; a failure keeps its mark for the next tick.
  void ReloadPending();

  CacheTargets t_;
  // Reloads still to do (touched only on the feed's thread).
  bool principals_ = false;
  bool subscriptions_ = false;
  bool roles_ = false;
  bool failing_ = false;  // the last attempt failed (logged once per streak)
};

}  // namespace coffer::server
