#include "server/server.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <nlohmann/json.hpp>

#include "api/app.h"
#include "api/lifetime_audit.h"
#include "auth/audit_log.h"
#include "auth/principals.h"
#include "auth/subscriptions.h"
#include "auth/token_service.h"
#include "backup/backup_schedule.h"
#include "backup/backup_service.h"
#include "backup/vault_archive.h"
#include "backup/vault_backup_jobs.h"
#include "barrier/barrier.h"
#include "core/encoding.h"
#include "core/files.h"
#include "core/log.h"
#include "crypto/primitives.h"
#include "http/server.h"
#include "server/attestation_setup.h"
#include "server/bootstrap.h"
#include "server/cache_feed.h"
#include "server/dev_tls.h"
#include "server/failover_setup.h"
#include "server/runtime.h"
#include "store/pg_cluster.h"
#include "store/pg_storage.h"
#include "store/sqlite_storage.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/sweeper.h"
#include "vault/vault_registry.h"

namespace coffer::server {
namespace {

using nlohmann::json;

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = listen.substr(0, colon);
  if (host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5) return false;
  int v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

int Fail(const std::string& what, const Status& s) {
  std::cerr << "coffer: " << what << ": " << s.message() << std::endl;
  return 1;
}

std::string BaseUrl(const std::string& host, uint16_t port) {
  std::string h = host == "0.0.0.0" ? "127.0.0.1" : host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "https://" + h + ":" + std::to_string(port);
}

// Raises the soft limit on open files to the hard limit (CONTRACT.md "Overload and abuse"):
// every connection is a descriptor, and the default soft limit (1,024) is far below what a
// busy server holds.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    log::info("open file limit raised from {} to {}", static_cast<unsigned long long>(before),
              static_cast<unsigned long long>(limit.rlim_max));
  }
}

// How long a request waits for the cache feed's fence (store::Cluster::AwaitFresh) before
// it is answered 503: a fence takes one round trip to PostgreSQL, a reconnection a few.
constexpr std::chrono::milliseconds kFreshnessWait{2000};

// The tenant id is public and needed while sealed, so it lives in deployment.json.
StatusOr<std::string> ReadTenant(const std::string& data_dir) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(data_dir + "/deployment.json"));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("tenantId") || !j["tenantId"].is_string()) {
    return DataLossError("deployment.json is damaged");
  }
  return j["tenantId"].get<std::string>();
}

Status WriteDeployment(const std::string& data_dir, const std::string& tenant) {
  return WriteFileAtomically(data_dir + "/deployment.json",
                             json{{"formatVersion", 1}, {"tenantId", tenant}}.dump(2) + "\n",
                             0644);
}

// The client secret the last dev-credentials.json of this data dir held for `boot`'s client.
SecretBytes PreviousDevSecret(const std::string& data_dir, const Bootstrap& boot) {
  auto text = ReadFile(data_dir + "/dev-credentials.json");
  if (!text.ok()) return SecretBytes();
  json j = json::parse(*text, nullptr, false);
  SecureClear(*text);
  if (j.is_discarded() || j.value("tenantId", "") != boot.tenant_id ||
      j.value("clientId", "") != boot.client_id || !j.contains("clientSecret") ||
      !j["clientSecret"].is_string()) {
    return SecretBytes();
  }
  std::string secret = j["clientSecret"].get<std::string>();
  SecretBytes out{std::string_view(secret)};
  SecureClear(secret);
  return out;
}

}  // namespace

int RunServer(const ServerConfig& config) {
  std::string listen_host;
  uint16_t listen_port = 0;
  if (!ParseListen(config.listen, &listen_host, &listen_port)) {
    std::cerr << "coffer: --listen must be host:port, e.g. 127.0.0.1:8443" << std::endl;
    return 2;
  }
  // Block the stop signals before any thread starts; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  RaiseOpenFileLimit();

  if (Status s = EnsureDirectory(config.data_dir, 0700); !s.ok()) return Fail("data dir", s);
  auto lock = DirectoryLock::Acquire(config.data_dir);
  if (!lock.ok()) return Fail("data dir", lock.status());

  Runtime rt;
  std::string tenant;
  std::optional<Bootstrap> boot;
  std::string ca_file;
  http::ServerOptions options;
  options.listen_host = listen_host;
  options.port = listen_port;
  options.worker_threads = config.worker_threads;
  options.max_connections = static_cast<size_t>(config.max_connections);
  options.max_connections_per_address = static_cast<size_t>(config.max_connections_per_address);
  options.body_budget_bytes = static_cast<uint64_t>(config.body_budget_mb) << 20;

  if (config.dev) {
    // Dev: auto-unseal with a key file inside the data dir, created on first start.
    auto tls = LoadOrCreateDevTls(config.data_dir);
    if (!tls.ok()) return Fail("dev TLS", tls.status());
    ca_file = tls->ca_file;
    options.cert_chain_pem = tls->cert_chain_pem;
    options.private_key_pem = tls->private_key_pem;
    auto existing_tenant = ReadTenant(config.data_dir);
    // A first start mints the tenant here; an existing bootstrap record's tenant wins below.
    std::string runtime_tenant =
        existing_tenant.ok() ? *existing_tenant : NewGuid(crypto::SystemRandom());
    if (Status s = OpenRuntime(config, runtime_tenant, &rt); !s.ok()) return Fail("storage", s);
    if (Status s = AwaitStorage(rt, config); !s.ok()) return Fail("storage", s);
    // A node joining a deployment that another node initialised in the shared database unseals
    // with that node's key (--unseal-key-file) and gets a client secret of its own. Started
    // with the first node, it waits (up to 60 s) for that node's bootstrap.
    const bool joining = !config.unseal_key_file.empty();
    std::string key_path = joining ? config.unseal_key_file : config.data_dir + "/unseal.key";
    StatusOr<std::unique_ptr<store::Cluster::Lock>> startup = LockStartup(rt);
    StatusOr<bool> initialized = false;
    for (int waited_ms = 0;; waited_ms += 250) {
      if (!startup.ok()) return Fail("storage", startup.status());
      initialized = rt.barrier->IsInitialized();
      if (!initialized.ok()) return Fail("storage", initialized.status());
      if (*initialized || !joining) break;
      if (!rt.cluster || waited_ms >= 60000) {
        std::cerr << "coffer: --unseal-key-file joins a deployment another node initialised, "
                     "but the storage holds none; start the first node without it"
                  << std::endl;
        return 1;
      }
      startup->reset();  // let the first node in
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      startup = LockStartup(rt);
    }
    if (!*initialized) {
      auto key = rt.barrier->Initialize();
      if (!key.ok()) return Fail("init", key.status());
      if (Status s = WriteFileAtomically(key_path, EncodeBase64Url(key->view()) + "\n", 0600);
          !s.ok()) {
        return Fail("unseal key", s);
      }
    } else {
      auto text = ReadFile(key_path);
      if (!text.ok() && rt.cluster) {
        std::cerr << "coffer: the database is already initialised (by another node?) and "
                  << key_path << " cannot be read; start with --unseal-key-file <the first "
                  << "node's data dir>/unseal.key" << std::endl;
        return 1;
      }
      if (!text.ok()) return Fail("unseal key", text.status());
      std::string trimmed = text->substr(0, text->find_first_of("\r\n"));
      auto key = DecodeBase64UrlSecret(trimmed);
      SecureClear(*text);
      if (!key) return Fail("unseal key", InvalidArgumentError("unseal.key is not base64url"));
      if (Status s = rt.barrier->Unseal(*key); !s.ok()) return Fail("unseal", s);
    }
    auto b = LoadOrCreateBootstrap(*rt.barrier, *rt.principals, *rt.subscriptions, *rt.vaults,
                                   crypto::SystemRandom(), "dev", config.region,
                                   /*keep_secret=*/true);
    if (!b.ok()) return Fail("bootstrap", b.status());
    boot = std::move(*b);
    tenant = boot->tenant_id;
    if (!existing_tenant.ok() || *existing_tenant != tenant) {
      if (Status s = WriteDeployment(config.data_dir, tenant); !s.ok()) {
        return Fail("deployment", s);
      }
    }
    // deployment.json was lost: the services were built for another tenant; rebuild them.
    if (tenant != runtime_tenant) BuildAuth(&rt, tenant);
    if (Status s = AfterUnseal(rt); !s.ok()) return Fail("tokens", s);
    if (joining) {
      auto own =
          JoiningNodeSecret(*rt.principals, *boot, PreviousDevSecret(config.data_dir, *boot));
      if (!own.ok()) return Fail("bootstrap", own.status());
      boot->client_secret = std::move(*own);
    }
    startup->reset();
  } else {
    auto t = ReadTenant(config.data_dir);
    if (!t.ok()) {
      std::cerr << "coffer: " << config.data_dir
                << " is not initialised; run `coffer operator init --config …` first." << std::endl;
      return 1;
    }
    tenant = *t;
    auto cert = ReadFile(config.tls_cert_file);
    auto key = ReadFile(config.tls_key_file);
    if (!cert.ok() || !key.ok()) {
      std::cerr << "coffer: [tls] cert_file and key_file must name readable PEM files" << std::endl;
      return 1;
    }
    options.cert_chain_pem = *cert;
    options.private_key_pem = *key;
    if (Status s = OpenRuntime(config, tenant, &rt); !s.ok()) return Fail("storage", s);
    if (Status s = AwaitStorage(rt, config); !s.ok()) return Fail("storage", s);
    if (!config.unseal_key_file.empty()) {
      if (config.unseal_key_file.rfind(config.data_dir, 0) == 0) {
        log::warn("the unseal key file is inside the data dir; keep it elsewhere in production");
      }
      auto text = ReadFile(config.unseal_key_file);
      if (!text.ok()) return Fail("unseal key", text.status());
      auto k = DecodeBase64UrlSecret(text->substr(0, text->find_first_of("\r\n")));
      SecureClear(*text);
      if (!k) return Fail("unseal key", InvalidArgumentError("the key file is not base64url"));
      auto startup = LockStartup(rt);
      if (!startup.ok()) return Fail("storage", startup.status());
      if (Status s = rt.barrier->Unseal(*k); !s.ok()) return Fail("unseal", s);
      if (Status s = AfterUnseal(rt); !s.ok()) return Fail("tokens", s);
    }
  }

  // The audit log must outlive the HTTP server (its destructor is the final flush).
  auth::AuditLogOptions audit_options;
  audit_options.path =
      config.audit_path.empty() ? config.data_dir + "/audit.jsonl" : config.audit_path;
  audit_options.max_size_bytes = static_cast<uint64_t>(config.audit_max_size_mb) << 20;
  audit_options.keep = static_cast<int>(config.audit_keep);
  auto audit = auth::AuditLog::Open(audit_options);
  if (!audit.ok()) return Fail("audit log", audit.status());
  // Certificate lifetime actions: what the sweeper does is written to the same audit log.
  rt.sweeper->AttachCertificates(rt.certificates.get(),
                                 api::AuditLifetimeActions(**audit, crypto::SystemRandom()));

  // Secure key release: must outlive the App.
  auto attestation = MakeAttestation(config, rt.real_clock);
  if (!attestation.ok()) return Fail("release", attestation.status());

  api::AppOptions app_options;
  app_options.tenant_id = tenant;
  app_options.extra_hosts = config.extra_hosts;
  app_options.dev_mode = config.dev;
  app_options.limits = config.limits;
  api::AppServices services;
  services.barrier = rt.barrier.get();
  services.vaults = rt.vaults.get();
  services.secrets = rt.secrets.get();
  services.keys = rt.keys.get();
  services.certificates = rt.certificates.get();
  services.backups = rt.backups.get();
  services.tokens = rt.tokens.get();
  services.attestation = attestation->verifier.get();
  services.principals = rt.principals.get();
  services.subscriptions = rt.subscriptions.get();
  services.roles = rt.roles.get();
  services.audit = audit->get();
  services.sweeper = rt.sweeper.get();
  services.vault_backups = rt.vault_backups.get();
  services.dev_clock = config.dev ? rt.domain_clock.get() : nullptr;
  services.unseal = [&rt](const SecretBytes& key) -> Status {
    RETURN_IF_ERROR(rt.barrier->Unseal(key));
    return AfterUnseal(rt);
  };
  if (config.dev) {
    // The portal's dev sign-in (POST /portal/dev-token): the dev client, authenticated with
    // its kept secret, which stays here; the App only mints tokens for it.
    services.dev_client = [&rt, &boot, tenant]() {
      return rt.principals->Authenticate(tenant, boot->client_id, boot->client_secret.view());
    };
  }
  if (store::FailoverStorage* failover = rt.failover) {
    services.serving = [failover] {
      api::ServingState s;
      store::FailoverMode mode = failover->mode();
      s.storage = store::FailoverStorage::StorageName(mode);
      s.writable = store::FailoverStorage::Writable(mode);
      return s;
    };
    services.paired_read_check = [failover]() -> Status {
      if (failover->mode() != store::FailoverMode::kPaired) return OkStatus();
      return failover->View([](store::Transaction&) { return OkStatus(); });
    };
    services.promote_pair = [failover] { return failover->Promote(); };
  }
  if (store::Cluster* cluster = rt.cluster.get()) {
    store::FailoverStorage* failover = rt.failover;
    vault::KeyService* keys = rt.keys.get();
    barrier::Barrier* barrier = rt.barrier.get();
    services.await_fresh = [cluster, failover, keys, barrier](std::function<void(bool)> done) {
      // Serving from the pair: there is no feed to wait for (a standby cannot LISTEN), and every
      // read first queries the pair (paired_read_check). The secret and key caches are dropped
      // at each request, so nothing is answered from them: another node may promote the pair
      // and write to it before this node's probe notices (up to 500 ms).
      if (failover != nullptr && failover->mode() == store::FailoverMode::kPaired) {
        keys->ForgetAll();
        barrier->ResetCaches();
        done(true);
        return;
      }
      cluster->AwaitFresh(kFreshnessWait, std::move(done));
    };
  }
  api::App app(app_options, services);
  rt.storage->SetCommitObserver(&app.commit_observer());
  if (Status s = StartCacheFeed(rt); !s.ok()) return Fail("cache feed", s);
  // Failover and failback also without traffic: one probe of the primary (or, while paired,
  // of both sides) every half second.
  std::unique_ptr<FailoverProber> prober;
  if (rt.failover) prober = std::make_unique<FailoverProber>(*rt.failover, std::chrono::milliseconds(500));

  auto server = http::Server::Start(options, app);
  SecureClear(options.private_key_pem);
  if (!server.ok()) return Fail("listen", server.status());
  uint16_t port = (*server)->port();
  std::string base = BaseUrl(listen_host, port);

  if (config.dev) {
    json creds = {{"tenantId", boot->tenant_id},
                  {"clientId", boot->client_id},
                  {"clientSecret", std::string(boot->client_secret.view())},
                  {"authorityHost", base},
                  {"managementUrl", base},
                  {"vaultUrl", "https://dev.vault.localhost:" + std::to_string(port)},
                  {"caFile", ca_file},
                  {"subscriptions", boot->subscriptions}};
    std::string text = creds.dump(2) + "\n";
    Status s = WriteFileAtomically(config.data_dir + "/dev-credentials.json", text, 0600);
    SecureClear(text);
    if (!s.ok()) return Fail("dev credentials", s);
  }
  rt.sweeper->Start(std::chrono::milliseconds(1000));
  // Polled every 5 s of real time; the domain clock decides what is due (dev time shifts too).
  if (rt.backup_schedule) rt.backup_schedule->Start(std::chrono::milliseconds(5000));
  std::cout << "coffer ready " << base << (rt.barrier->sealed() ? " (sealed)" : "") << std::endl;
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("stopping on signal {}", sig);
  rt.sweeper->Stop();
  if (rt.backup_schedule) rt.backup_schedule->Stop();
  (*server)->Stop();
  // Requests still waiting for a fence are answered while the server's executors still exist.
  if (rt.cluster) rt.cluster->StopFeed();
  prober.reset();
  rt.storage->SetCommitObserver(nullptr);  // the app, which holds the metrics, goes first
  return 0;
}

int InitDeployment(const ServerConfig& config, const std::string& key_file) {
  if (Status s = EnsureDirectory(config.data_dir, 0700); !s.ok()) return Fail("data dir", s);
  auto lock = DirectoryLock::Acquire(config.data_dir);
  if (!lock.ok()) return Fail("data dir", lock.status());
  Runtime rt;
  if (Status s = OpenRuntime(config, NewGuid(crypto::SystemRandom()), &rt); !s.ok()) {
    return Fail("storage", s);
  }
  // The same start-up lock as the server's first start: an init racing a node's start (or
  // another init) on one database waits for it, then finds the barrier initialised and stops,
  // instead of bootstrapping beside it.
  auto startup = LockStartup(rt);
  if (!startup.ok()) return Fail("storage", startup.status());
  auto key = rt.barrier->Initialize();
  if (!key.ok()) return Fail("init", key.status());
  if (Status s = WriteFileAtomically(key_file, EncodeBase64Url(key->view()) + "\n", 0600);
      !s.ok()) {
    return Fail("unseal key", s);
  }
  auto b = LoadOrCreateBootstrap(*rt.barrier, *rt.principals, *rt.subscriptions, *rt.vaults,
                                 crypto::SystemRandom(), "", config.region,
                                 /*keep_secret=*/false);
  if (!b.ok()) return Fail("bootstrap", b.status());
  if (Status s = rt.roles->Load(); !s.ok()) return Fail("bootstrap", s);
  if (Status s = EnsureBootstrapRoleAssignments(*rt.barrier, *rt.roles); !s.ok()) {
    return Fail("bootstrap", s);
  }
  if (Status s = WriteDeployment(config.data_dir, b->tenant_id); !s.ok()) {
    return Fail("deployment", s);
  }
  json out = {{"tenantId", b->tenant_id},
              {"clientId", b->client_id},
              {"clientSecret", std::string(b->client_secret.view())},
              {"subscriptions", b->subscriptions},
              {"unsealKeyFile", key_file}};
  std::cout << out.dump(2) << std::endl;
  return 0;
}

}  // namespace coffer::server
