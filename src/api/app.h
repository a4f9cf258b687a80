// App: Coffer's http::Handler — the request path of DESIGN.md §3 from routing on:
// Host → a CORS preflight from the portal's origin (204, before authentication) → route (one
// match in the RouteTable) → seal check → authenticate (before any body byte is read) → 404/405
// → api-version and vault (data plane) → authorize the route's action → service limits (429;
// key creates after their body) → body cap → handler. Identity, operator and portal routes need
// no token; management, admin and dev routes need a management-audience token; data-plane
// routes a data-audience token. Finish adds CORS headers for the portal's own origin.
//
// Thread-safety: OnHead runs on I/O threads and Handle on worker threads, concurrently; App
// holds no mutable state of its own but its metrics counters and the limiter's windows.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/metrics.h"
#include "api/request_context.h"
#include "api/service_limits.h"
#include "api/throttle.h"
#include "auth/attestation_verifier.h"
#include "auth/audit_log.h"
#include "auth/principals.h"
#include "auth/role_assignments.h"
#include "auth/subscriptions.h"
#include "auth/token_service.h"
#include "backup/backup_service.h"
#include "backup/vault_backup_jobs.h"
#include "barrier/barrier.h"
#include "core/clock.h"
#include "http/server.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/sweeper.h"
#include "vault/vault_registry.h"

namespace coffer::api {

struct AppOptions {
  std::string tenant_id;
  std::string default_vault = "dev";
  std::string data_audience = "https://vault.localhost";
  std::string management_audience = "https://management.localhost";
  std::vector<std::string> extra_hosts;
  bool dev_mode = false;
  ServiceLimits limits;  // [limits]: enforced per vault (CONTRACT.md "Throttling")
};

struct AppServices {
  barrier::Barrier* barrier = nullptr;
  vault::VaultRegistry* vaults = nullptr;
  vault::SecretService* secrets = nullptr;
  vault::KeyService* keys = nullptr;
  vault::CertificateService* certificates = nullptr;
  backup::BackupService* backups = nullptr;
  backup::VaultBackupJobs* vault_backups = nullptr;  // whole-vault backup; null: not served
  auth::TokenService* tokens = nullptr;
  auth::AttestationVerifier* attestation = nullptr;  // key release; null: refused (400)
  auth::PrincipalRegistry* principals = nullptr;
  auth::SubscriptionRegistry* subscriptions = nullptr;
  auth::RoleAssignmentStore* roles = nullptr;
  auth::AuditLog* audit = nullptr;                        // null: no audit (unit tests)
  vault::Sweeper* sweeper = nullptr;
  ShiftedClock* dev_clock = nullptr;                      // dev mode only
  // The service limits' windows (tests); null = the system clock in milliseconds.
  const Clock* limits_clock = nullptr;
  std::function<Status(const SecretBytes&)> unseal;       // operator unseal
  // Dev mode only: the dev client, authenticated (its secret stays with the caller), for the
  // portal's dev sign-in; empty outside dev mode.
  std::function<StatusOr<auth::AuthenticatedClient>()> dev_client;
  // Paired-region failover (CONTRACT.md "PostgreSQL and paired-region failover"); all unset
  // without [failover]. The storage served from ("primary" | "paired") and whether it is
  // writable, for /healthz and /metrics.
  std::function<ServingState()> serving;
  // While serving from the pair: a round trip to it before any request of a token-bearing or
  // identity plane is handled, so that every read queries the pair and, with both sides down,
  // the answer is 503 rather than something a cache still holds. OK when not in failover.
  std::function<Status()> paired_read_check;
  // `coffer operator failover promote`: promotes the pair and makes it writable.
  std::function<Status()> promote_pair;
  // Several nodes on one PostgreSQL: waits, without holding a thread, until this node's caches
  // have applied every change another node committed before the call (store::Cluster::
  // AwaitFresh), then calls done(fresh) from any thread. Every request but the operator plane's
  // waits for it before anything is looked up (tokens, roles, vaults, cached objects); not fresh
  // → 503. Unset (one node): nothing to wait for.
  std::function<void(std::function<void(bool)>)> await_fresh;
};

class App final : public http::Handler {
 public:
  App(AppOptions options, AppServices services);

  http::HeadDecision OnHead(const http::RequestHead& head) override;
  http::Response Handle(http::Request& request) override;
  http::Response ErrorResponse(int status, std::string_view message) override;

  const AppOptions& options() const { return options_; }
  const AppServices& services() const { return services_; }
  const Metrics& metrics() const { return metrics_; }
  // Where the storage engine reports its commits (Storage::SetCommitObserver).
  CommitObserver& commit_observer() { return metrics_.commits(); }
  const ServiceLimits& limits() const { return throttle_.limits(); }

  // The caller of a request by its bearer token for `audience`: Unauthenticated (with a
  // message for the challenge) when there is none or it is not valid.
  StatusOr<auth::Principal> Authenticate(const http::RequestHead& head,
                                         const std::string& audience) const;

 private:
  // The route's action for the caller (RBAC or the vault's access policies); PermissionDenied
  // with Azure's envelope reason when refused. Runs in OnHead, before the body is read.
  Status Authorize(const RequestContext& ctx) const;
  // The service limits for a data-plane request (app_limits.cc): the route's class, made -HSM
  // and weighted by the key it names, admitted or refused with 429 and Retry-After. A key
  // create or rotate is left pending (ctx.limit_pending) until Handle passes its `body`.
  std::optional<http::Response> ApplyLimits(RequestContext& ctx, const std::string* body) const;
  bool Audit(const RequestContext& ctx, const http::RequestHead& head, int status) const;
  // The audit line (503 instead when it cannot be written) and the headers every answer carries (request ids, service version).
  http::Response Finish(const RequestContext& ctx, const http::RequestHead& head,
                        http::Response resp) const;

  AppOptions options_;
  AppServices services_;
  mutable Metrics metrics_;  // counters only
  mutable Throttle throttle_;
};

}  // namespace coffer::api
