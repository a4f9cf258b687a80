// The composition root: the only place that names concrete engines. RunServer builds storage,
// barrier, services, the App and the HTTPS server from a ServerConfig, prints the ready line,
// and serves until SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/service_limits.h"

namespace coffer::server {

struct ServerConfig {
  bool dev = false;
  std::string data_dir = "./coffer-data";
  std::string listen = "127.0.0.1:8443";
  std::string region = "eastus";
  std::string tls_cert_file;  // production
  std::string tls_key_file;   // production
  std::string unseal_key_file;  // production: unseal at start if set
  std::vector<std::string> extra_hosts;
  int worker_threads = 64;
  int64_t max_connections = 10000;            // [server]; see http::ServerOptions
  int64_t max_connections_per_address = 1024;
  // [server] body_budget_mb: MiB of request bodies in flight at once (http::ServerOptions::
  // body_budget_bytes; CONTRACT.md "Overload and abuse").
  int64_t body_budget_mb = 256;
  // [audit]: every request's line (CONTRACT.md "Audit log"); "" = <data-dir>/audit.jsonl.
  std::string audit_path;
  int64_t audit_max_size_mb = 100;
  int64_t audit_keep = 10;
  // [release]: the attestation authorities secure key release trusts (dev mode adds https
  // localhost, 127.0.0.1 and *.localhost), how long one fetch of their keys may take, and how
  // long fetched keys are kept (server/attestation_setup.h).
  std::vector<std::string> release_authorities;
  int64_t release_timeout_seconds = 5;
  int64_t release_cache_seconds = 600;
  // [certificates]: seconds a Self certificate's operation stays inProgress before the sweeper
  // issues it (0 = the create issues it); Azure takes seconds too.
  int64_t certificate_self_issuance_seconds = 2;
  // [storage]: the engine under the barrier — "sqlite" (<data-dir>/coffer.db) or "postgres"
  // (`storage_url`, at most `storage_max_connections` connections; store/pg_storage.h).
  std::string storage_engine = "sqlite";
  std::string storage_url;
  int64_t storage_max_connections = 16;
  // [failover]: the paired region's streaming replica (postgres only) and how long the primary
  // must be unreachable before the node serves from it read-only (store/failover_storage.h).
  std::string failover_paired_url;
  int64_t failover_after_seconds = 5;
  // [limits]: the service limits per vault per 10 s (CONTRACT.md "Throttling").
  api::ServiceLimits limits;
  // [backup]: scheduled whole-vault backups into `backup_dir` every `backup_schedule_seconds`
  // (0 = off), `backup_keep` files per vault; `backup_spool_dir` holds the unnamed temporary
  // file of a running backup job ("" = the system's temporary directory).
  int64_t backup_schedule_seconds = 0;
  int64_t backup_keep = 28;
  std::string backup_dir;
  std::string backup_spool_dir;
};

// Reads a coffer.toml into `config` (fields absent from the file keep their values).
bool LoadConfigFile(const std::string& path, ServerConfig* config, std::string* error);

int RunServer(const ServerConfig& config);

// `coffer operator init`: initialises the data dir's barrier, writes the unseal key to
// `key_file` (0600) and prints the bootstrap credentials as JSON.
int InitDeployment(const ServerConfig& config, const std::string& key_file);

}  // namespace coffer::server
