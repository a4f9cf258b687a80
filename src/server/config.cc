// coffer.toml reader (toml++). Keys: [server] listen, data_dir, region, hosts, worker_threads,
// max_connections, max_connections_per_address, body_budget_mb;
// [tls] cert_file, key_file; [seal] unseal_key_file; [storage] engine ("sqlite", "postgres"),
// url, max_connections; [audit] path,
// max_size_mb, keep; [backup] schedule, keep, dir, spool_dir; [certificates]
// self_issuance_seconds; [limits] (api/service_limits.h),
// where an unknown key, a wrong type or a value out of range stops the server.
#include <cmath>

#include <toml++/toml.h>
#include <tuple>

#include "backup/backup_schedule.h"
#include "server/server.h"

namespace coffer::server {

// [release] authorities (https URLs), timeout_seconds (1..60), cache_seconds (0..86400).
static bool LoadRelease(const toml::table& t, ServerConfig* config, std::string* error) {
  if (auto node = t["release"]["authorities"]) {
    const toml::array* list = node.as_array();
    if (list == nullptr) {
      *error = "release.authorities must be an array of https URLs";
      return false;
    }
    for (const auto& item : *list) {
      auto url = item.value<std::string>();
      if (!url || url->rfind("https://", 0) != 0 || url->size() <= 8) {
        *error = "release.authorities must be an array of https URLs";
        return false;
      }
      config->release_authorities.push_back(*url);
    }
  }
  for (auto [key, out, low, high] :
       {std::tuple{"timeout_seconds", &config->release_timeout_seconds, 1, 60},
        std::tuple{"cache_seconds", &config->release_cache_seconds, 0, 86400}}) {
    auto node = t["release"][key];
    if (!node) continue;
    auto v = node.value<int64_t>();
    if (!v || !node.is_integer() || *v < low || *v > high) {
      *error = std::string("release.") + key + " must be a whole number of seconds from " +
               std::to_string(low) + " to " + std::to_string(high);
      return false;
    }
    *out = *v;
  }
  return true;
}
// [certificates] self_issuance_seconds (0..300): how long a Self certificate stays inProgress.
static bool LoadCertificates(const toml::table& t, ServerConfig* config, std::string* error) {
  auto node = t["certificates"]["self_issuance_seconds"];
  if (!node) return true;
  auto v = node.value<int64_t>();
  if (!v || !node.is_integer() || *v < 0 || *v > 300) {
    *error = "certificates.self_issuance_seconds must be a whole number of seconds from 0 to 300";
    return false;
  }
  config->certificate_self_issuance_seconds = *v;
  return true;
}

namespace {

// [limits]: every key checked, so a typo or a quoted number is an error rather than a default
// silently kept (toml++'s value<T>() would return nothing for a wrong type).
bool LoadLimits(const toml::table& t, api::ServiceLimits* limits, std::string* error) {
  const toml::node* node = t.get("limits");
  if (node == nullptr) return true;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    *error = "limits must be a table ([limits])";
    return false;
  }
  for (const auto& [key, value] : *table) {
    double v = std::nan("");
    bool integer = false;
    if (const auto* i = value.as_integer()) {
      v = static_cast<double>(i->get());
      integer = true;
    } else if (const auto* f = value.as_floating_point()) {
      v = f->get();
    }
    if (Status s = limits->Set(key.str(), v, integer); !s.ok()) {
      *error = s.message();
      return false;
    }
  }
  return true;
}

// [backup] schedule, keep, dir, spool_dir (CONTRACT.md "Whole-vault backup and restore").
bool LoadBackup(const toml::table& t, ServerConfig* config, std::string* error) {
  if (auto node = t["backup"]["schedule"]) {
    auto text = node.value<std::string>();
    auto seconds = text ? backup::ParseScheduleInterval(*text)
                        : StatusOr<int64_t>(InvalidArgumentError(
                              "[backup] schedule must be a string such as \"6h\""));
    if (!seconds.ok()) {
      *error = seconds.status().message();
      return false;
    }
    config->backup_schedule_seconds = *seconds;
  }
  if (auto node = t["backup"]["keep"]) {
    auto v = node.value<int64_t>();
    if (!v || !node.is_integer() || *v < 1 || *v > 100000) {
      *error = "backup.keep must be a whole number of files from 1 to 100000";
      return false;
    }
    config->backup_keep = *v;
  }
  if (auto v = t["backup"]["dir"].value<std::string>()) config->backup_dir = *v;
  if (auto v = t["backup"]["spool_dir"].value<std::string>()) config->backup_spool_dir = *v;
  if (config->backup_schedule_seconds > 0 && config->backup_dir.empty()) {
    *error = "backup.schedule needs backup.dir (the directory the backup files go to)";
    return false;
  }
  return true;
}

// [storage] engine ("sqlite" | "postgres"), url (postgres only, required there),
// max_connections (1..1000) — CONTRACT.md "PostgreSQL and paired-region failover".
bool LoadStorage(const toml::table& t, ServerConfig* config, std::string* error) {
  const toml::node* node = t.get("storage");
  if (node == nullptr) return true;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    *error = "storage must be a table ([storage])";
    return false;
  }
  for (const auto& [key, value] : *table) {
    if (key != "engine" && key != "url" && key != "max_connections") {
      *error = "storage." + std::string(key.str()) +
               " is not a storage setting (engine, url, max_connections)";
      return false;
    }
  }
  if (auto n = (*table)["engine"]) {
    auto v = n.value<std::string>();
    if (!n.is_string() || (*v != "sqlite" && *v != "postgres")) {
      *error = "storage.engine must be \"sqlite\" or \"postgres\"";
      return false;
    }
    config->storage_engine = *v;
  }
  if (auto n = (*table)["url"]) {
    auto v = n.value<std::string>();
    if (!n.is_string() ||
        (v->rfind("postgresql://", 0) != 0 && v->rfind("postgres://", 0) != 0)) {
      *error = "storage.url must be a PostgreSQL URL (postgresql://user@host:port/database)";
      return false;
    }
    config->storage_url = *v;
  }
  if (auto n = (*table)["max_connections"]) {
    auto v = n.value<int64_t>();
    if (!v || !n.is_integer() || *v < 1 || *v > 1000) {
      *error = "storage.max_connections must be a whole number from 1 to 1000";
      return false;
    }
    config->storage_max_connections = *v;
  }
  if (config->storage_engine == "postgres" && config->storage_url.empty()) {
    *error = "storage.url is required when storage.engine is \"postgres\"";
    return false;
  }
  if (config->storage_engine != "postgres" && !config->storage_url.empty()) {
    *error = "storage.url is set but storage.engine is not \"postgres\"; set engine = "
             "\"postgres\" or remove the url";
    return false;
  }
  return true;
}

// [failover] paired_url (a PostgreSQL URL; needs [storage] engine = "postgres"), after_seconds
// (1..3600, default 5) — CONTRACT.md "PostgreSQL and paired-region failover".
bool LoadFailover(const toml::table& t, ServerConfig* config, std::string* error) {
  const toml::node* node = t.get("failover");
  if (node == nullptr) return true;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    *error = "failover must be a table ([failover])";
    return false;
  }
  for (const auto& [key, value] : *table) {
    if (key != "paired_url" && key != "after_seconds") {
      *error = "failover." + std::string(key.str()) +
               " is not a failover setting (paired_url, after_seconds)";
      return false;
    }
  }
  if (auto n = (*table)["paired_url"]) {
    auto v = n.value<std::string>();
    if (!n.is_string() ||
        (v->rfind("postgresql://", 0) != 0 && v->rfind("postgres://", 0) != 0)) {
      *error = "failover.paired_url must be a PostgreSQL URL (postgresql://user@host:port/database)";
      return false;
    }
    config->failover_paired_url = *v;
  }
  if (auto n = (*table)["after_seconds"]) {
    auto v = n.value<int64_t>();
    if (!v || !n.is_integer() || *v < 1 || *v > 3600) {
      *error = "failover.after_seconds must be a whole number of seconds from 1 to 3600";
      return false;
    }
    config->failover_after_seconds = *v;
  }
  if (config->failover_paired_url.empty()) {
    *error = "failover.paired_url is required in [failover] (the paired region's replica)";
    return false;
  }
  if (config->storage_engine != "postgres") {
    *error = "failover.paired_url needs storage.engine = \"postgres\" (the pair is a PostgreSQL "
             "streaming replica of storage.url)";
    return false;
  }
  if (config->failover_paired_url == config->storage_url) {
    *error = "failover.paired_url is storage.url; name the paired region's replica";
    return false;
  }
  return true;
}

}  // namespace

bool LoadConfigFile(const std::string& path, ServerConfig* config, std::string* error) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = std::string(e.description());
    return false;
  }
  if (auto v = t["server"]["listen"].value<std::string>()) config->listen = *v;
  if (auto v = t["server"]["data_dir"].value<std::string>()) config->data_dir = *v;
  if (auto v = t["server"]["region"].value<std::string>()) config->region = *v;
  if (auto v = t["server"]["worker_threads"].value<int64_t>()) {
    config->worker_threads = static_cast<int>(*v);
  }
  for (auto [key, out] : {std::pair{"max_connections", &config->max_connections},
                          std::pair{"max_connections_per_address",
                                    &config->max_connections_per_address}}) {
    auto node = t["server"][key];
    if (!node) continue;
    auto v = node.value<int64_t>();
    if (!v || !node.is_integer() || *v < 1 || *v > 10'000'000) {
      *error = std::string("server.") + key + " must be a whole number from 1 to 10000000";
      return false;
    }
    *out = *v;
  }
  if (auto node = t["server"]["body_budget_mb"]) {
    auto v = node.value<int64_t>();
    if (!v || !node.is_integer() || *v < 1 || *v > 1'048'576) {
      *error = "server.body_budget_mb must be a whole number of megabytes (MiB) from 1 to 1048576";
      return false;
    }
    config->body_budget_mb = *v;
  }
  if (auto* hosts = t["server"]["hosts"].as_array()) {
    for (auto& h : *hosts) {
      if (auto s = h.value<std::string>()) config->extra_hosts.push_back(*s);
    }
  }
  if (auto v = t["tls"]["cert_file"].value<std::string>()) config->tls_cert_file = *v;
  if (auto v = t["tls"]["key_file"].value<std::string>()) config->tls_key_file = *v;
  if (auto v = t["seal"]["unseal_key_file"].value<std::string>()) config->unseal_key_file = *v;
  if (auto v = t["audit"]["path"].value<std::string>()) config->audit_path = *v;
  if (auto v = t["audit"]["max_size_mb"].value<int64_t>()) {
    if (*v < 1 || *v > 1'000'000) {
      *error = "audit.max_size_mb must be a whole number of megabytes from 1 to 1000000";
      return false;
    }
    config->audit_max_size_mb = *v;
  }
  if (auto v = t["audit"]["keep"].value<int64_t>()) {
    if (*v < 0 || *v > 1000) {
      *error = "audit.keep must be a whole number of rotated files from 0 to 1000";
      return false;
    }
    config->audit_keep = *v;
  }
  if (!LoadRelease(t, config, error)) return false;
  if (!LoadCertificates(t, config, error)) return false;
  if (!LoadStorage(t, config, error)) return false;
  if (!LoadFailover(t, config, error)) return false;
  if (!LoadBackup(t, config, error)) return false;
  return LoadLimits(t, &config->limits, error);
}

}  // namespace coffer::server
