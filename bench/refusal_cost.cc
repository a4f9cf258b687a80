// What a throttled request costs the server beside a served one, in CPU time, measured in one
// process and one run (issue 13; bench/README.md "Service limits").
//
//   build/bench/coffer_refusal_cost [served=200000] [refused=served]
//
// The real request path from routing on — api::App over SQLite (WAL, synchronous=FULL) in a
// temporary directory, an unsealed barrier, the domain services and an audit log writing its
// JSON lines to a file there — is driven the way the HTTP server drives it, without the socket
// and TLS:
//   served   GET /secrets/{name} with a cached token: OnHead (host, route, token, authorization,
//            limiter), then Handle (the SQLite read, decryption, JSON, the audit line).
//   refused  the same GET with the vault's window full: OnHead answers 429 Throttled at once
//            (the limiter's decision, Azure's envelope with Retry-After, the audit line).
// Both pay the same transport (one TLS record in, one out, two syscalls), which
// bench/throttle.sh measures whole over loopback; this program measures what the server does
// beyond it, so the ratio shows what a refusal saves. CPU time is this thread's
// (CLOCK_THREAD_CPUTIME_ID), including the audit writes' system time.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "api/app.h"
#include "auth/audit_log.h"
#include "auth/principals.h"
#include "auth/role_assignments.h"
#include "auth/subscriptions.h"
#include "auth/token_service.h"
#include "backup/backup_service.h"
#include "barrier/barrier.h"
#include "crypto/primitives.h"
#include "store/sqlite_storage.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/vault_registry.h"

namespace {

using namespace coffer;  // NOLINT: a benchmark's main

constexpr const char* kVault = "bench-vault";
constexpr const char* kSecretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";

int Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "refusal_cost: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

double ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// CPU nanoseconds per call of fn() over `n` calls.
template <typename Fn>
double CpuNanosPerCall(size_t n, Fn&& fn) {
  double start = ThreadCpuNanos();
  for (size_t i = 0; i < n; ++i) fn();
  return (ThreadCpuNanos() - start) / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  size_t iterations = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200'000;
  size_t refusals = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : iterations;
  if (iterations == 0) iterations = 1;
  if (refusals == 0) refusals = 1;
  char tmpl[] = "/tmp/coffer-refusal-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};

  Random& rng = crypto::SystemRandom();
  SystemClock real;
  ManualClock clock;  // the domain clock, and the limiter's windows: time stands still
  auto storage = store::SqliteStorage::Open(dir + "/coffer.db");
  if (!storage.ok()) return Fail("storage", storage.status());
  barrier::Barrier barrier(**storage, rng);
  if (auto k = barrier.Initialize(); !k.ok()) return Fail("barrier", k.status());
  std::string tenant = auth::NewGuid(rng);
  vault::VaultRegistry vaults(barrier, clock, rng);
  vault::SecretService secrets(barrier, clock, rng);
  vault::KeyService keys(barrier, clock, rng);
  vault::CertificateService certificates(barrier, clock, rng, keys.traits(), {});
  backup::BackupService backups(barrier, secrets, rng, clock, &keys, &certificates);
  auth::PrincipalRegistry principals(barrier, clock, rng, tenant);
  auth::SubscriptionRegistry subscriptions(barrier, clock, rng, tenant);
  auth::RoleAssignmentStore roles(barrier, clock);
  auth::TokenService tokens(barrier, real, auth::TokenOptions{tenant},
                            [&](std::string_view oid, std::string_view kid) {
                              return principals.IsActive(oid, kid);
                            });
  for (Status s : {tokens.LoadOrCreateKey(), principals.Load(), subscriptions.Load(), roles.Load()}) {
    if (!s.ok()) return Fail("load", s);
  }
  auth::AuditLogOptions audit_options;
  audit_options.path = dir + "/audit.jsonl";
  auto audit = auth::AuditLog::Open(audit_options);
  if (!audit.ok()) return Fail("audit", audit.status());

  auto sub = subscriptions.Create("bench");
  if (!sub.ok()) return Fail("subscription", sub.status());
  vault::VaultSpec spec;
  spec.name = kVault;
  spec.subscription_id = sub->id;
  spec.resource_group = "rg";
  spec.location = "eastus";
  spec.tenant_id = tenant;
  if (auto v = vaults.CreateOrUpdate(spec); !v.ok()) return Fail("vault", v.status());
  auto caller = principals.Create("bench caller");
  if (!caller.ok()) return Fail("principal", caller.status());
  auth::RoleAssignment assignment;
  assignment.name = auth::NewGuid(rng);
  assignment.scope = "/subscriptions/" + sub->id + "/resourceGroups/rg/providers/" +
                     "Microsoft.KeyVault/vaults/" + kVault;
  assignment.role_definition_id = kSecretsOfficer;
  assignment.principal_id = caller->principal.object_id;
  if (auto a = roles.Create(assignment); !a.ok()) return Fail("role", a.status());
  auto token = tokens.Issue(auth::AuthenticatedClient{caller->principal, caller->key_id},
                            "https://127.0.0.1/" + tenant + "/v2.0", "https://vault.localhost");
  if (!token.ok()) return Fail("token", token.status());

  api::AppServices services;
  services.barrier = &barrier;
  services.vaults = &vaults;
  services.secrets = &secrets;
  services.keys = &keys;
  services.certificates = &certificates;
  services.backups = &backups;
  services.tokens = &tokens;
  services.principals = &principals;
  services.subscriptions = &subscriptions;
  services.roles = &roles;
  services.audit = audit->get();
  services.limits_clock = &clock;
  api::AppOptions options;
  options.tenant_id = tenant;
  options.default_vault = kVault;
  // The window (time stands still) holds the warm-up and `iterations` GETs, then refuses every
  // further one.
  constexpr size_t kWarmUp = 1000;
  options.limits.per_vault[static_cast<size_t>(api::ThrottleClass::kVaultOther)] =
      static_cast<int64_t>(iterations + kWarmUp);
  api::App app(options, services);

  http::RequestHead head;
  head.host = std::string(kVault) + ".vault.localhost";
  head.remote_address = "127.0.0.1";
  head.headers.Set("Authorization", "Bearer " + token->access_token);
  head.headers.Set("Content-Type", "application/json");
  // One request with `head` as it stands (method, target) and `body`; its status.
  auto call = [&](const std::string& body) {
    http::HeadDecision d = app.OnHead(head);
    if (d.respond_now) return d.respond_now->status;
    http::Request req;
    static_cast<http::RequestHead&>(req) = head;
    req.body = body;
    req.context = std::move(d.context);
    return app.Handle(req).status;
  };
  head.method = "PUT";
  head.target = head.path = "/secrets/bench-secret";
  head.target += "?api-version=7.6";
  head.query = {{"api-version", "7.6"}};
  if (int st = call(R"({"value":"a value of a few dozen bytes for the benchmark"})");
      st != 200) {
    std::fprintf(stderr, "refusal_cost: PUT answered %d\n", st);
    return 1;
  }
  head.method = "GET";
  int bad = 0;
  for (size_t i = 0; i < kWarmUp; ++i) bad += call("") != 200;
  double served = CpuNanosPerCall(iterations, [&] { bad += call("") != 200; });
  double refused = CpuNanosPerCall(refusals, [&] { bad += call("") != 429; });
  if (bad != 0) {
    std::fprintf(stderr, "refusal_cost: %d answers were not the expected 200 / 429\n", bad);
    return 1;
  }
  std::printf("served GET /secrets/{name}:  %.2f µs of CPU per request (%zu requests)\n",
              served / 1000, iterations);
  std::printf("refused (429 Throttled):     %.2f µs of CPU per request (%zu requests)\n",
              refused / 1000, refusals);
  std::printf("ratio refused/served:        %.3f (target < 0.1)\n", refused / served);
  return 0;
}
