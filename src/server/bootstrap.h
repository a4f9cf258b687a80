// Bootstrap identity of a deployment: tenant, the first service principal, its subscriptions
// and (dev mode only) its client secret, kept behind the barrier at "sys/bootstrap".
// Created once on first start; every restart reads the same values back, so the same client
// secret keeps working.
//
// Thread-safety: called once at start-up.
#pragma once

#include <string>
#include <vector>

#include "auth/clients.h"
#include "barrier/barrier.h"
#include "core/random.h"
#include "vault/vault_registry.h"

namespace coffer::server {

struct Bootstrap {
  std::string tenant_id;
  std::string client_id;
  std::string object_id;
  SecretBytes client_secret;
  std::vector<std::string> subscriptions;
};

std::string NewGuid(Random& rng);

// Reads the bootstrap record, or creates it (with the client registered and, when
// `default_vault` is non-empty, that vault created in the first subscription in `region`).
// The client secret is kept in the (encrypted) record only when `keep_secret` (dev mode, which
// rewrites dev-credentials.json at every start); otherwise only its HMAC exists, in the client
// registry, and the caller must hand the returned secret to the operator once.
StatusOr<Bootstrap> LoadOrCreateBootstrap(barrier::Barrier& barrier, auth::ClientRegistry& clients,
                                          vault::VaultRegistry& vaults, Random& rng,
                                          const std::string& default_vault,
                                          const std::string& region, bool keep_secret);

}  // namespace coffer::server
