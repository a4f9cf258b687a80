// Bootstrap identity of a deployment: tenant, the tenant administrator (the first service
// principal), its subscriptions and (dev mode only) its client secret, kept behind the barrier
// at "sys/bootstrap". Created once on first start; every restart reads the same values back,
// so the same client secret keeps working.
//
// The record is written first and everything it names is then made idempotently (the
// principal in PrincipalRegistry, the subscriptions in SubscriptionRegistry), on every start:
// a crash half-way resumes with the same ids, and data dirs of older builds (a legacy client
// record, subscriptions known only to the bootstrap record) are brought up to date.
//
// Role assignments of the administrator (Owner and Key Vault Administrator on each
// subscription) are made by the caller from the returned `object_id` and `subscriptions`.
//
// Thread-safety: called once at start-up.
#pragma once

#include <string>
#include <vector>

#include "auth/principals.h"
#include "auth/role_assignments.h"
#include "auth/subscriptions.h"
#include "barrier/barrier.h"
#include "core/random.h"
#include "vault/vault_registry.h"

namespace coffer::server {

struct Bootstrap {
  std::string tenant_id;
  std::string client_id;      // the tenant administrator's
  std::string object_id;      // the tenant administrator's
  SecretBytes client_secret;  // empty on a production restart (only its HMAC is kept)
  std::vector<std::string> subscriptions;
};

std::string NewGuid(Random& rng);

// Reads the bootstrap record, or creates it in the tenant of `principals` (which must be set),
// and then makes sure the tenant administrator exists and the subscriptions are registered.
// On creation, when `default_vault` is non-empty, that vault is created in the first
// subscription in `region`. The client secret is kept in the (encrypted) record only when
// `keep_secret` (dev mode, which rewrites dev-credentials.json at every start); otherwise only
// its HMAC exists, in the principal registry, and the caller must hand the returned secret to
// the operator once. In dev mode a kept secret that was revoked is replaced by a new one (and
// the record updated), so the dev credentials work again after a restart.
// Loads both registries. FailedPrecondition if the record names a tenant administrator that
// does not exist and no secret is kept to recreate it.
StatusOr<Bootstrap> LoadOrCreateBootstrap(barrier::Barrier& barrier,
                                          auth::PrincipalRegistry& principals,
                                          auth::SubscriptionRegistry& subscriptions,
                                          vault::VaultRegistry& vaults, Random& rng,
                                          const std::string& default_vault,
                                          const std::string& region, bool keep_secret);

// For a server that starts without bootstrapping (production, after unseal): registers the
// subscriptions the bootstrap record names that `subscriptions` lacks (data dirs made before
// the subscription registry existed). Nothing to do without a bootstrap record.
// Gives the tenant administrator, once per deployment, its explicit role assignments: Owner
// and Key Vault Administrator on each bootstrap subscription (CONTRACT.md "Dev bootstrap").
// A marker record ("sys/bootstrap-roles") makes this happen once, so assignments an operator
// later deletes stay deleted across restarts. Data dirs of older builds get them on first start.
Status EnsureBootstrapRoleAssignments(barrier::Barrier& barrier, auth::RoleAssignmentStore& roles);

// Dev mode, a node joining a deployment another node bootstrapped (started with
// --unseal-key-file): the dev client's secret of its own — `previous` (from its last
// dev-credentials.json) while it still authenticates as `boot`'s client, else a new one added to
// the tenant administrator (CONTRACT.md "PostgreSQL and paired-region failover").
StatusOr<SecretBytes> JoiningNodeSecret(auth::PrincipalRegistry& principals,
                                        const Bootstrap& boot, const SecretBytes& previous);

Status RegisterBootstrapSubscriptions(barrier::Barrier& barrier,
                                      auth::SubscriptionRegistry& subscriptions);

}  // namespace coffer::server
