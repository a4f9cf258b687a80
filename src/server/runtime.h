// Runtime: everything a running node owns, in construction order, and the steps of opening it
// (storage, barrier, services, whole-vault backups) that RunServer and InitDeployment share.
// Internal to src/server.
#pragma once

#include <memory>
#include <string>

#include "auth/principals.h"
#include "auth/role_assignments.h"
#include "auth/subscriptions.h"
#include "auth/token_service.h"
#include "backup/backup_schedule.h"
#include "backup/backup_service.h"
#include "backup/vault_archive.h"
#include "backup/vault_backup_jobs.h"
#include "barrier/barrier.h"
#include "core/clock.h"
#include "server/cache_feed.h"
#include "server/server.h"
#include "store/cluster.h"
#include "store/failover_storage.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/sweeper.h"
#include "vault/vault_registry.h"

namespace coffer::server {

// Everything the running server owns, in construction order.
struct Runtime {
  std::unique_ptr<store::Storage> storage;
  std::unique_ptr<barrier::Barrier> barrier;
  SystemClock real_clock;
  std::unique_ptr<ShiftedClock> domain_clock;
  std::unique_ptr<vault::VaultRegistry> vaults;
  std::unique_ptr<vault::SecretService> secrets;
  std::unique_ptr<vault::KeyService> keys;
  std::unique_ptr<vault::CertificateService> certificates;
  std::unique_ptr<backup::BackupService> backups;
  std::unique_ptr<auth::PrincipalRegistry> principals;
  std::unique_ptr<auth::SubscriptionRegistry> subscriptions;
  std::unique_ptr<auth::RoleAssignmentStore> roles;
  std::unique_ptr<auth::TokenService> tokens;
  std::unique_ptr<vault::Sweeper> sweeper;
  std::unique_ptr<backup::VaultArchiver> archiver;
  std::unique_ptr<backup::VaultBackupJobs> vault_backups;
  std::unique_ptr<backup::BackupScheduler> backup_schedule;
  // Several nodes on one PostgreSQL: the start-up lock and the cache feed (null on SQLite).
  std::unique_ptr<store::Cluster> cluster;
  std::unique_ptr<CacheFeed> cache_feed;
  ~Runtime() {
    if (cluster) cluster->StopFeed();  // no feed callback into the services below from here
  }
  store::FailoverStorage* failover = nullptr;  // `storage` with [failover]; else null
};

// Opens the storage (with [failover], the pair behind it; with PostgreSQL, the cluster beside
// it), the barrier (sealed) and every service, for tenant `tenant_id`.
Status OpenRuntime(const ServerConfig& config, const std::string& tenant_id, Runtime* rt);

// (Re)builds what depends on the tenant id: principals, subscriptions and the token service.
void BuildAuth(Runtime* rt, const std::string& tenant_id);

// Once unsealed: the principal, subscription and role indexes, the bootstrap subscriptions and
// role assignments, the token signing key.
Status AfterUnseal(Runtime& rt);

// A node whose primary is down at start, with [failover] paired_url: like a running node it
// turns to the pair once the primary has been unreachable for after_seconds, and starts there,
// read-only. Without failover: OK at once.
Status AwaitStorage(Runtime& rt, const ServerConfig& config);

// Several nodes on one database: one start at a time from here to the end of bootstrap. Null
// (no lock) on SQLite, or when starting on the pair.
StatusOr<std::unique_ptr<store::Cluster::Lock>> LockStartup(Runtime& rt);

// The feed that keeps this node's caches in step with the other nodes' commits (PostgreSQL).
Status StartCacheFeed(Runtime& rt);

}  // namespace coffer::server
