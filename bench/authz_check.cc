// What authorization adds to a request, in CPU time: RoleAssignmentStore::Check — the decision
// every data-plane request of an RBAC vault makes in OnHead — against, in the same run, the
// cached token validation every request already pays (the baseline). Prints ns per call and
// the ratio. See bench/README.md.
//
//   build/bench/coffer_authz_check [principals=200] [iterations=2000000]
//
// The store holds `principals` principals, each with a Key Vault Secrets User assignment on a
// vault of its own plus, for the caller, Owner and Key Vault Administrator on the subscription
// (the dev client's assignments). Three cases:
//   hit    the same (caller, action, resource) again: the decision cache answers;
//   miss   a new secret name each call: the cache misses, the caller's assignments are scanned;
//   token  TokenService::Validate of one token (cached after the first call): the baseline.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "auth/principals.h"
#include "auth/role_assignments.h"
#include "auth/token_service.h"
#include "barrier/barrier.h"
#include "crypto/primitives.h"
#include "nanos_per_call.h"
#include "store/memory_storage.h"

namespace {

using namespace coffer;  // NOLINT: a benchmark's main

using bench::NanosPerCall;

int Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "authz_check: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  size_t principals = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200;
  size_t iterations = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2'000'000;
  Random& rng = crypto::SystemRandom();
  store::MemoryStorage storage;
  barrier::Barrier barrier(storage, rng);
  if (auto k = barrier.Initialize(); !k.ok()) return Fail("init", k.status());
  ManualClock clock;
  SystemClock real;
  std::string tenant = auth::NewGuid(rng);
  std::string sub = auth::NewGuid(rng);
  auth::PrincipalRegistry registry(barrier, clock, rng, tenant);
  if (Status s = registry.Load(); !s.ok()) return Fail("principals", s);
  auth::RoleAssignmentStore roles(barrier, clock);
  if (Status s = roles.Load(); !s.ok()) return Fail("roles", s);

  auto assign = [&](const std::string& oid, const char* role, const std::string& scope) {
    auth::RoleAssignment a;
    a.name = auth::NewGuid(rng);
    a.scope = scope;
    a.role_definition_id = role;
    a.principal_id = oid;
    return roles.Create(a).status();
  };
  const std::string vault_scope =
      "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/";
  for (size_t i = 0; i < principals; ++i) {
    if (Status s = assign(auth::NewGuid(rng), "4633458b-17de-408a-b874-0445c86b69e6",
                          vault_scope + "vault-" + std::to_string(i));
        !s.ok()) {
      return Fail("assign", s);
    }
  }
  auto caller = registry.Create("bench");
  if (!caller.ok()) return Fail("caller", caller.status());
  const std::string oid = caller->principal.object_id;
  for (const char* role : {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                           "00482a5a-887f-4fb3-b363-3b7fe8e74483"}) {
    if (Status s = assign(oid, role, "/subscriptions/" + sub); !s.ok()) return Fail("assign", s);
  }

  auth::TokenService tokens(barrier, real, auth::TokenOptions{tenant},
                            [&](std::string_view o, std::string_view k) {
                              return registry.IsActive(o, k);
                            });
  if (Status s = tokens.LoadOrCreateKey(); !s.ok()) return Fail("token key", s);
  auto token = tokens.Issue(auth::AuthenticatedClient{caller->principal, caller->key_id},
                            "https://127.0.0.1/" + tenant + "/v2.0", "https://vault.localhost");
  if (!token.ok()) return Fail("issue", token.status());
  auto origin_ok = [](std::string_view) { return true; };

  const std::string action = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
  const std::string resource = vault_scope + "dev/secrets/bench-get";
  bool all = true;
  double hit = NanosPerCall(iterations, [&](size_t) {
    all &= roles.Check(oid, action, true, resource);
  });
  std::vector<std::string> names;
  size_t miss_iterations = iterations / 10;
  names.reserve(miss_iterations);
  for (size_t i = 0; i < miss_iterations; ++i) {
    names.push_back(vault_scope + "dev/secrets/s" + std::to_string(i));
  }
  double miss = NanosPerCall(miss_iterations, [&](size_t i) {
    all &= roles.Check(oid, action, true, names[i]);
  });
  double baseline = NanosPerCall(iterations, [&](size_t) {
    all &= tokens.Validate(token->access_token, "https://vault.localhost", origin_ok).ok();
  });
  if (!all) {
    std::fprintf(stderr, "authz_check: a check that must allow was refused\n");
    return 1;
  }
  std::printf("== bench/authz_check: %zu other principals, caller with 2 subscription-scope "
              "assignments\n",
              principals);
  std::printf("authorization, cached decision:   %8.1f ns/request\n", hit);
  std::printf("authorization, decision computed: %8.1f ns/request\n", miss);
  std::printf("baseline: cached token validate:  %8.1f ns/request\n", baseline);
  std::printf("ratio authorization/token (cached):   %.2f\n", hit / baseline);
  std::printf("ratio authorization/token (computed): %.2f\n", miss / baseline);
  return 0;
}
