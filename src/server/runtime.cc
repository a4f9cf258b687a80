#include "server/runtime.h"

#include <chrono>
#include <functional>
#include <thread>

#include "core/encoding.h"
#include "core/files.h"
#include "core/log.h"
#include "crypto/primitives.h"
#include "server/bootstrap.h"
#include "server/failover_setup.h"
#include "store/pg_cluster.h"
#include "store/pg_storage.h"
#include "store/sqlite_storage.h"

namespace coffer::server {
namespace {

// This node's lasting name, <data-dir>/node-id (32 hex digits, made at the first start): the
// owner of the whole-vault backup jobs it runs, so after a restart it knows its unfinished jobs
// died with the process (backup::BackupJobOptions::node_id). Each node has its own data dir.
StatusOr<std::string> ReadOrCreateNodeId(const std::string& data_dir, Random& rng) {
  const std::string path = data_dir + "/node-id";
  if (auto text = ReadFile(path); text.ok()) {
    std::string id = text->substr(0, text->find_first_of("\r\n"));
    bool hex = id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (hex) return id;
    return DataLossError(path + " is damaged: it should hold 32 lowercase hex digits. Remove it "
                         "and restart; this node then gets a new name.");
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status();
  }
  std::string id = EncodeHex(rng.Bytes(16));
  RETURN_IF_ERROR(WriteFileAtomically(path, id + "\n", 0600));
  return id;
}

// Whole-vault backup: the archiver, its jobs (whose expiry the sweeper drives) and, when
// [backup] schedule is set, the scheduled backups into [backup] dir.
Status OpenVaultBackups(const ServerConfig& config, Runtime* rt) {
  Random& rng = crypto::SystemRandom();
  rt->archiver = std::make_unique<backup::VaultArchiver>(*rt->barrier, rng, *rt->domain_clock,
                                                         rt->keys->traits());
  backup::BackupJobOptions jobs;
  jobs.spool_dir = config.backup_spool_dir;
  if (store::FailoverStorage* failover = rt->failover) {
    // Serving read-only from the pair: a backup job is this node's alone, its archive an
    // unnamed file in the data dir (docs/decisions.md "Whole-vault backup and restore").
    jobs.storage_writable = [failover] {
      return store::FailoverStorage::Writable(failover->mode());
    };
    jobs.local_dir = config.data_dir;
  }
  ASSIGN_OR_RETURN(jobs.node_id, ReadOrCreateNodeId(config.data_dir, rng));
  rt->vault_backups = std::make_unique<backup::VaultBackupJobs>(
      *rt->barrier, *rt->archiver, rng, *rt->domain_clock, rt->real_clock, jobs);
  backup::VaultBackupJobs* expire = rt->vault_backups.get();
  rt->sweeper->Handle(vault::DueAction::kExpireBackupJob, model::ObjectKind::kKey,
                      [expire](const vault::DueEntry& entry, const std::string& due_key,
                               UnixSeconds now) {
                        return expire->ExpireIfDue(entry, due_key, now);
                      });
  if (config.backup_schedule_seconds > 0) {
    RETURN_IF_ERROR(EnsureDirectory(config.backup_dir, 0700));
    backup::BackupScheduleOptions schedule;
    schedule.interval_seconds = config.backup_schedule_seconds;
    schedule.keep = static_cast<size_t>(config.backup_keep);
    schedule.dir = config.backup_dir;
    rt->backup_schedule = std::make_unique<backup::BackupScheduler>(
        *rt->vaults, *rt->archiver, *rt->domain_clock, schedule);
  }
  return OkStatus();
}

// The engine [storage] names: SQLite in the data dir, or PostgreSQL at [storage] url (the data
// dir still holds TLS, the dev unseal key, deployment.json and the audit log).
StatusOr<std::unique_ptr<store::Storage>> OpenStorage(
    const ServerConfig& config, std::function<void(store::FailoverMode)> on_mode_change) {
  if (!config.failover_paired_url.empty()) {
    ASSIGN_OR_RETURN(auto failover, OpenFailoverStorage(config, std::move(on_mode_change)));
    return std::unique_ptr<store::Storage>(std::move(failover));
  }
  if (config.storage_engine == "postgres") {
    store::PgOptions options;
    options.url = config.storage_url;
    options.max_connections = static_cast<size_t>(config.storage_max_connections);
    ASSIGN_OR_RETURN(auto pg, store::PgStorage::Open(std::move(options)));
    log::info("storage: PostgreSQL, at most {} connections", config.storage_max_connections);
    return std::unique_ptr<store::Storage>(std::move(pg));
  }
  ASSIGN_OR_RETURN(auto sqlite, store::SqliteStorage::Open(config.data_dir + "/coffer.db"));
  return std::unique_ptr<store::Storage>(std::move(sqlite));
}

}  // namespace

// (Re)builds what depends on the tenant id: principals, subscriptions and the token service,
// whose every Validate asks the principal registry whether the token's secret is still live.
void BuildAuth(Runtime* rt, const std::string& tenant_id) {
  Random& rng = crypto::SystemRandom();
  rt->principals =
      std::make_unique<auth::PrincipalRegistry>(*rt->barrier, *rt->domain_clock, rng, tenant_id);
  rt->subscriptions = std::make_unique<auth::SubscriptionRegistry>(
      *rt->barrier, *rt->domain_clock, rng, tenant_id);
  auth::PrincipalRegistry* principals = rt->principals.get();
  rt->tokens = std::make_unique<auth::TokenService>(
      *rt->barrier, rt->real_clock, auth::TokenOptions{tenant_id},
      [principals](std::string_view object_id, std::string_view key_id) {
        return principals->IsActive(object_id, key_id);
      });
}

Status OpenRuntime(const ServerConfig& config, const std::string& tenant_id, Runtime* rt) {
  store::PgCluster* pg_cluster = nullptr;
  if (config.storage_engine == "postgres") {
    store::PgOptions cluster_options;
    cluster_options.url = config.storage_url;
    ASSIGN_OR_RETURN(auto cluster, store::PgCluster::Open(cluster_options));
    pg_cluster = cluster.get();
    rt->cluster = std::move(cluster);
  }
  // With failover, the cache feed listens where the nodes write: on the pair once it is
  // promoted (here or by another node), on the primary otherwise.
  std::function<void(store::FailoverMode)> follow;
  if (pg_cluster != nullptr) {
    follow = [rt, pg_cluster, config](store::FailoverMode) {
      if (rt->failover != nullptr) pg_cluster->Follow(WrittenUrl(config, rt->failover->mode()));
      // What was cached came from the side served before: re-read it from the one served now.
      if (rt->keys) rt->keys->ForgetAll();
      if (rt->barrier) rt->barrier->ResetCaches();
      // Requests waiting for the lost primary's feed go on: paired, they query the pair.
      if (rt->failover != nullptr && rt->failover->mode() == store::FailoverMode::kPaired) {
        pg_cluster->ReleaseWaiting();
      } else {
        pg_cluster->RetryNow();  // failback: the feed need not wait out its back-off
      }
    };
  }
  ASSIGN_OR_RETURN(rt->storage, OpenStorage(config, std::move(follow)));
  if (!config.failover_paired_url.empty()) {
    rt->failover = static_cast<store::FailoverStorage*>(rt->storage.get());
  }
  Random& rng = crypto::SystemRandom();
  rt->barrier = std::make_unique<barrier::Barrier>(*rt->storage, rng);
  rt->domain_clock = std::make_unique<ShiftedClock>(rt->real_clock);
  rt->vaults = std::make_unique<vault::VaultRegistry>(*rt->barrier, *rt->domain_clock, rng);
  rt->secrets = std::make_unique<vault::SecretService>(*rt->barrier, *rt->domain_clock, rng);
  rt->keys = std::make_unique<vault::KeyService>(*rt->barrier, *rt->domain_clock, rng);
  vault::CertificateServiceOptions certificate_options;
  certificate_options.self_issuance_seconds = config.certificate_self_issuance_seconds;
  rt->certificates = std::make_unique<vault::CertificateService>(
      *rt->barrier, *rt->domain_clock, rng, rt->keys->traits(), certificate_options);
  rt->backups = std::make_unique<backup::BackupService>(
      *rt->barrier, *rt->secrets, rng, *rt->domain_clock, rt->keys.get(), rt->certificates.get());
  BuildAuth(rt, tenant_id);
  rt->roles = std::make_unique<auth::RoleAssignmentStore>(*rt->barrier, *rt->domain_clock);
  rt->sweeper = std::make_unique<vault::Sweeper>(*rt->barrier, *rt->vaults, *rt->domain_clock);
  rt->sweeper->AttachKeys(rt->keys.get());
  return OpenVaultBackups(config, rt);
}

Status AfterUnseal(Runtime& rt) {
  // Principals first: no token validates before the revocation index is loaded.
  RETURN_IF_ERROR(rt.principals->Load());
  RETURN_IF_ERROR(rt.subscriptions->Load());
  RETURN_IF_ERROR(RegisterBootstrapSubscriptions(*rt.barrier, *rt.subscriptions));
  RETURN_IF_ERROR(rt.roles->Load());
  RETURN_IF_ERROR(EnsureBootstrapRoleAssignments(*rt.barrier, *rt.roles));
  RETURN_IF_ERROR(rt.tokens->LoadOrCreateKey());
  rt.vaults->InvalidateCache();
  return OkStatus();
}

// A node whose primary is down at start, with [failover] paired_url: like a running node it
// turns to the pair once the primary has been unreachable for after_seconds, and starts there,
// read-only (it unseals without a keyring term of its own; its first write after failback adds
// one). Waits at most after_seconds plus a few seconds of connection attempts; returns the
// storage's answer to one read then. Without failover: OK at once.
Status AwaitStorage(Runtime& rt, const ServerConfig& config) {
  if (rt.failover == nullptr) return OkStatus();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(config.failover_after_seconds + 5);
  for (bool told = false;; told = true) {
    Status st = rt.storage->View([](store::Transaction&) { return OkStatus(); });
    if (st.code() != StatusCode::kUnavailable || std::chrono::steady_clock::now() >= deadline) {
      if (st.ok() && rt.failover->mode() == store::FailoverMode::kPaired) {
        log::warn("storage: starting on the paired replica, read-only (the primary is down)");
      }
      return st;
    }
    if (!told) {
      log::warn("storage: the primary is unreachable at start; waiting up to {} s to serve "
                "read-only from the paired replica",
                config.failover_after_seconds);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// Several nodes on one database: one start at a time from here to the end of bootstrap, so
// concurrent first starts make one deployment. Null (no lock) on SQLite.
StatusOr<std::unique_ptr<store::Cluster::Lock>> LockStartup(Runtime& rt) {
  if (!rt.cluster) return std::unique_ptr<store::Cluster::Lock>();
  auto lock = rt.cluster->LockStartup();
  if (!lock.ok() && rt.failover != nullptr && lock.status().code() == StatusCode::kUnavailable) {
    // The primary is down and the node starts on the pair, read-only: nothing is bootstrapped
    // there, so there is nothing to serialise.
    log::warn("start-up lock: {}; starting without it (failover)", lock.status().message());
    return std::unique_ptr<store::Cluster::Lock>();
  }
  return lock;
}

// The feed that keeps this node's caches in step with the other nodes' commits.
Status StartCacheFeed(Runtime& rt) {
  if (!rt.cluster) return OkStatus();
  rt.cache_feed = std::make_unique<CacheFeed>(
      CacheTargets{rt.barrier.get(), rt.vaults.get(), rt.keys.get(), rt.principals.get(),
                   rt.subscriptions.get(), rt.roles.get()});
  return rt.cluster->StartFeed(rt.cache_feed->Handler());
}

}  // namespace coffer::server
