// AppTest: the whole request path in one process — MemoryStorage, an unsealed barrier, the
// domain services and api::App behind a real TLS server on 127.0.0.1 port 0 — so routing,
// authentication, authorization and audit are tested over HTTPS with exact status codes, no
// child process and no sleeps. The domain clock is a ManualClock, which also drives the service
// limits' windows; tokens are checked against the real clock, as in production.
//
// Thread-safety: one test thread; the server's threads call into the services.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/app.h"
#include "http/client.h"
#include "http/server.h"
#include "http/test_tls.h"
#include "store/memory_storage.h"
#include "vault/certificate_service.h"

namespace coffer::api::testing {

class AppTest : public ::testing::Test {
 protected:
  AppTest();
  // With these service limits instead of Azure's defaults, and these certificate options
  // (default: Self certificates are issued by the create itself).
  explicit AppTest(ServiceLimits limits, vault::CertificateServiceOptions certificates = {});
  ~AppTest() override;

  // Makes a principal of the tenant and returns a token for `audience` (data or management).
  struct Caller {
    std::string object_id;
    std::string client_id;
    std::string data_token;
    std::string management_token;
  };
  Caller NewCaller(const std::string& display_name);

  // One HTTPS request to `host` ("127.0.0.1" is the base host, "<vault>.vault.localhost" a
  // vault); `path` includes the query. An empty token sends no Authorization header.
  http::ClientResponse Call(const std::string& method, const std::string& host,
                            const std::string& path, const std::string& token,
                            const std::string& body = "");
  // The same with extra request headers (Origin, Access-Control-Request-Method …).
  http::ClientResponse Call(const std::string& method, const std::string& host,
                            const std::string& path, const std::string& token,
                            const std::string& body, const http::Headers& headers);
  // Restarts the App in dev mode (on another port), with a dev client of its own for the
  // portal's dev sign-in (dev_client_id(), dev_object_id()).
  void UseDevMode();
  // Restarts the App (on another port) with services() as a test has now set them.
  void RestartApp() { StartServer(); }
  const std::string& dev_client_id() const { return dev_client_id_; }
  const std::string& dev_object_id() const { return dev_object_id_; }
  uint16_t port() const { return server_ ? server_->port() : 0; }

  // Assigns `role` (a GUID) to `oid` at `scope` directly in the store.
  void Assign(const std::string& oid, const std::string& role, const std::string& scope);
  // "/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/vault-one".
  std::string VaultScope() const;
  std::string VaultHost() const { return std::string(kVault) + ".vault.localhost"; }

  // The audit lines written so far (each a JSON object), and a switch that makes every further
  // audit write fail (the request must then get 503).
  std::vector<std::string> AuditLines() const;
  void FailAuditWrites(bool fail);
  // Blocks until no whole-vault backup or restore job is running.
  void WaitForBackupJobs();

  AppServices& services() { return services_; }
  const http::testing::TestPki& pki() const { return pki_; }
  const std::string& tenant() const { return tenant_; }
  const std::string& subscription() const { return subscription_; }
  static constexpr const char* kVault = "vault-one";
  static constexpr const char* kGroup = "rg1";

  ManualClock clock_;
  SystemClock real_clock_;
  store::MemoryStorage storage_;

 private:
  struct Services;
  struct RecordingSink;
  std::unique_ptr<Services> owned_;
  RecordingSink* audit_sink_ = nullptr;  // owned by owned_->audit
  void StartServer();

  AppServices services_;
  AppOptions options_;
  std::string dev_client_id_;
  std::string dev_object_id_;
  std::string tenant_;
  std::string subscription_;
  http::testing::TestPki pki_;
  std::unique_ptr<App> app_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace coffer::api::testing
