// ClientRegistry: the service principals that may obtain tokens (client-credentials flow).
// A client secret is never stored: only HMAC(index key, secret) is, compared in constant time.
// Records live behind the barrier at "client/<mac(client id)>".
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

#include "barrier/barrier.h"
#include "core/status.h"

namespace coffer::auth {

struct Client {
  std::string client_id;   // GUID
  std::string object_id;   // GUID: the principal's oid / sub
  std::string tenant_id;
  std::string display_name;
};

class ClientRegistry {
 public:
  explicit ClientRegistry(barrier::Barrier& barrier) : barrier_(barrier) {}

  // Creates or replaces a client with the given secret.
  Status Put(const Client& client, const SecretBytes& secret);
  // NotFound if there is no such client.
  StatusOr<Client> Get(std::string_view client_id);
  // Unauthenticated ("invalid_client") for an unknown client, another tenant or a wrong secret.
  StatusOr<Client> Authenticate(std::string_view tenant_id, std::string_view client_id,
                                std::string_view secret);

 private:
  StatusOr<std::string> Key(std::string_view client_id) const;
  barrier::Barrier& barrier_;
};

}  // namespace coffer::auth
