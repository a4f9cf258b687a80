#include "api/app_test_fixture.h"

#include <mutex>

#include "backup/backup_service.h"
#include "backup/vault_backup_jobs.h"
#include "barrier/barrier.h"
#include "crypto/primitives.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/vault_registry.h"

namespace coffer::api::testing {

struct AppTest::RecordingSink : auth::AuditSink {
  Status Write(std::string_view line) override {
    std::lock_guard lock(mu);
    if (fail) return UnavailableError("disk full (test)");
    lines.emplace_back(line);
    return OkStatus();
  }
  Status Sync() override { return OkStatus(); }
  mutable std::mutex mu;
  std::vector<std::string> lines;
  bool fail = false;
};

struct AppTest::Services {
  explicit Services(store::MemoryStorage& storage, const Clock& clock, const Clock& real,
                    const std::string& tenant, vault::CertificateServiceOptions cert_options)
      : barrier(storage, crypto::SystemRandom()),
        vaults(barrier, clock, crypto::SystemRandom()),
        secrets(barrier, clock, crypto::SystemRandom()),
        keys(barrier, clock, crypto::SystemRandom()),
        certificates(barrier, clock, crypto::SystemRandom(), keys.traits(), cert_options),
        backups(barrier, secrets, crypto::SystemRandom(), clock, &keys, &certificates),
        principals(barrier, clock, crypto::SystemRandom(), tenant),
        subscriptions(barrier, clock, crypto::SystemRandom(), tenant),
        roles(barrier, clock),
        tokens(barrier, real, auth::TokenOptions{tenant},
               [this](std::string_view oid, std::string_view kid) {
                 return principals.IsActive(oid, kid);
               }) {}
  barrier::Barrier barrier;
  vault::VaultRegistry vaults;
  vault::SecretService secrets;
  vault::KeyService keys;
  vault::CertificateService certificates;
  backup::BackupService backups;
  std::unique_ptr<backup::VaultArchiver> archiver;
  std::unique_ptr<backup::VaultBackupJobs> vault_backups;
  auth::PrincipalRegistry principals;
  auth::SubscriptionRegistry subscriptions;
  auth::RoleAssignmentStore roles;
  auth::TokenService tokens;
  std::unique_ptr<auth::AuditLog> audit;
  std::unique_ptr<auth::AttestationKeys> attestation_keys;
  std::unique_ptr<auth::AttestationVerifier> attestation;
};

AppTest::AppTest() : AppTest(ServiceLimits{}) {}

AppTest::AppTest(ServiceLimits limits, vault::CertificateServiceOptions certificates)
    : pki_(http::testing::MakeTestPki("app-test")) {
  Random& rng = crypto::SystemRandom();
  tenant_ = auth::NewGuid(rng);
  owned_ = std::make_unique<Services>(storage_, clock_, real_clock_, tenant_, certificates);
  Services& s = *owned_;
  auto key = s.barrier.Initialize();
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE(s.tokens.LoadOrCreateKey().ok());
  EXPECT_TRUE(s.principals.Load().ok());
  EXPECT_TRUE(s.subscriptions.Load().ok());
  EXPECT_TRUE(s.roles.Load().ok());
  auto sub = s.subscriptions.Create("app-test");
  EXPECT_TRUE(sub.ok()) << sub.status().ToString();
  subscription_ = sub->id;
  vault::VaultSpec spec;
  spec.name = kVault;
  spec.subscription_id = subscription_;
  spec.resource_group = kGroup;
  spec.location = "eastus";
  spec.tenant_id = tenant_;
  EXPECT_TRUE(s.vaults.CreateOrUpdate(spec).ok());

  services_.barrier = &s.barrier;
  services_.vaults = &s.vaults;
  services_.secrets = &s.secrets;
  services_.keys = &s.keys;
  services_.certificates = &s.certificates;
  services_.backups = &s.backups;
  // Whole-vault backup jobs on their own threads, as in the server (WaitForBackupJobs).
  s.archiver = std::make_unique<backup::VaultArchiver>(s.barrier, rng, clock_, s.keys.traits());
  backup::BackupJobOptions job_options;
  job_options.heartbeat_interval = std::chrono::milliseconds(0);
  s.vault_backups = std::make_unique<backup::VaultBackupJobs>(s.barrier, *s.archiver, rng, clock_,
                                                              real_clock_, job_options);
  services_.vault_backups = s.vault_backups.get();
  services_.tokens = &s.tokens;
  services_.principals = &s.principals;
  services_.subscriptions = &s.subscriptions;
  services_.roles = &s.roles;
  // Secure key release: dev mode's rule (authorities on localhost), fetched over HTTPS trusting
  // the test CA, so a test can serve an authority's keys with pki().
  auth::AttestationOptions attestation;
  attestation.allow_localhost = true;
  s.attestation_keys = std::make_unique<auth::AttestationKeys>(
      real_clock_, attestation, [ca = pki_.ca_file](const std::string& url) {
        http::ClientRequest r;
        r.url = url;
        r.ca_file = ca;
        r.timeout = std::chrono::seconds(5);
        return http::FetchBody(r);
      });
  s.attestation = std::make_unique<auth::AttestationVerifier>(real_clock_, *s.attestation_keys);
  services_.attestation = s.attestation.get();
  auto sink = std::make_unique<RecordingSink>();
  audit_sink_ = sink.get();
  auth::AuditLogOptions audit_options;
  audit_options.aggregate_unauthorized = false;
  s.audit = auth::AuditLog::OpenWithSink(std::move(sink), audit_options);
  services_.audit = s.audit.get();
  options_.tenant_id = tenant_;
  options_.default_vault = kVault;
  options_.limits = limits;
  services_.limits_clock = &clock_;
  StartServer();
}

void AppTest::StartServer() {
  if (server_) server_->Stop();
  server_.reset();
  app_ = std::make_unique<App>(options_, services_);
  http::ServerOptions server_options;
  server_options.port = 0;
  server_options.cert_chain_pem = pki_.cert_pem;
  server_options.private_key_pem = pki_.key_pem;
  server_options.io_threads = 2;
  server_options.worker_threads = 4;
  auto server = http::Server::Start(server_options, *app_);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (server.ok()) server_ = std::move(*server);
}

void AppTest::UseDevMode() {
  auto made = owned_->principals.Create("dev client");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  dev_client_id_ = made->principal.client_id;
  dev_object_id_ = made->principal.object_id;
  auto secret = std::make_shared<SecretBytes>(std::move(made->client_secret));
  options_.dev_mode = true;
  services_.dev_client = [this, secret]() {
    return owned_->principals.Authenticate(tenant_, dev_client_id_, secret->view());
  };
  StartServer();
}

AppTest::~AppTest() {
  if (server_) server_->Stop();
}

std::vector<std::string> AppTest::AuditLines() const {
  std::lock_guard lock(audit_sink_->mu);
  return audit_sink_->lines;
}

void AppTest::WaitForBackupJobs() { owned_->vault_backups->WaitIdle(); }

void AppTest::FailAuditWrites(bool fail) {
  std::lock_guard lock(audit_sink_->mu);
  audit_sink_->fail = fail;
}

AppTest::Caller AppTest::NewCaller(const std::string& display_name) {
  Caller c;
  auto made = owned_->principals.Create(display_name);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  if (!made.ok()) return c;
  c.object_id = made->principal.object_id;
  c.client_id = made->principal.client_id;
  auth::AuthenticatedClient client{made->principal, made->key_id};
  std::string issuer = "https://127.0.0.1/" + tenant_ + "/v2.0";
  auto data = owned_->tokens.Issue(client, issuer, "https://vault.localhost");
  auto mgmt = owned_->tokens.Issue(client, issuer, "https://management.localhost");
  EXPECT_TRUE(data.ok() && mgmt.ok());
  if (data.ok()) c.data_token = data->access_token;
  if (mgmt.ok()) c.management_token = mgmt->access_token;
  return c;
}

void AppTest::Assign(const std::string& oid, const std::string& role, const std::string& scope) {
  auth::RoleAssignment a;
  a.name = auth::NewGuid(crypto::SystemRandom());
  a.scope = scope;
  a.role_definition_id = role;
  a.principal_id = oid;
  auto made = owned_->roles.Create(a);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
}

std::string AppTest::VaultScope() const {
  return "/subscriptions/" + subscription_ + "/resourceGroups/" + kGroup +
         "/providers/Microsoft.KeyVault/vaults/" + kVault;
}

http::ClientResponse AppTest::Call(const std::string& method, const std::string& host,
                                   const std::string& path, const std::string& token,
                                   const std::string& body) {
  return Call(method, host, path, token, body, http::Headers{});
}

http::ClientResponse AppTest::Call(const std::string& method, const std::string& host,
                                   const std::string& path, const std::string& token,
                                   const std::string& body, const http::Headers& headers) {
  http::ClientRequest req;
  for (const auto& [name, value] : headers.items()) req.headers.Set(name, value);
  req.method = method;
  req.url = "https://" + host + ":" + std::to_string(server_ ? server_->port() : 0) + path;
  req.ca_file = pki_.ca_file;
  if (!token.empty()) req.headers.Set("Authorization", "Bearer " + token);
  if (!body.empty() || method == "PUT" || method == "POST" || method == "PATCH") {
    req.headers.Set("Content-Type", "application/json");
    req.body = body;
  }
  auto resp = http::Fetch(req);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  return resp.ok() ? *resp : http::ClientResponse{};
}

}  // namespace coffer::api::testing
