// SubscriptionRegistry: the deployment's own subscriptions (CONTRACT.md "Management plane").
// Dev mode registers the two of dev-credentials.json at bootstrap; a tenant administrator adds
// more (`coffer subscription create`). Subscriptions are never deleted or disabled today, so
// `state` is always "Enabled".
//
// Storage (docs/formats/records.md): one record per subscription behind the barrier at
// "subscription/<mac(id)>". Every subscription is also kept in memory: Load() reads them all
// at unseal and each Create/Register adds its subscription after the commit, so Exists — asked
// on every management request — and Get/List never touch storage. (On a multi-node
// deployment another node sees a new subscription when it calls Load() again.)
//
// Status codes: InvalidArgument (display name, malformed id), NotFound("SubscriptionNotFound"),
// AlreadyExists (Register of a known id), FailedPrecondition (no tenant configured),
// Unavailable while sealed, DataLoss for a damaged record.
//
// Thread-safety: every method is safe to call concurrently; writes are serialised.
#pragma once

#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"

namespace coffer::auth {

constexpr size_t kMaxSubscriptionDisplayNameChars = 64;  // Azure's limit

struct Subscription {
  std::string id;  // lower-case GUID (the ARM id is "/subscriptions/<id>")
  std::string display_name;
  std::string state = "Enabled";
  std::string tenant_id;
  UnixSeconds created = 0;
};

class SubscriptionRegistry {
 public:
  // Published by every write: another node's Load runs when it commits.
  static constexpr char kCacheTopic[] = "subscriptions";

  // `tenant_id` is the deployment's tenant, given to the subscriptions Create makes.
  SubscriptionRegistry(barrier::Barrier& barrier, const Clock& clock, Random& rng,
                       std::string tenant_id);

  const std::string& tenant_id() const { return tenant_id_; }

  // Reads every subscription into memory. Called at unseal; may be called again to refresh.
  Status Load();
  // Forgets them (on seal): Exists answers false until Load.
  void Unload();

  // A new subscription with a fresh id in the deployment's tenant. InvalidArgument unless the
  // display name is 1-64 characters; FailedPrecondition when no tenant is configured.
  StatusOr<Subscription> Create(std::string_view display_name);
  // Bootstrap only: records a subscription whose id was chosen elsewhere (the ids in the
  // bootstrap record). InvalidArgument for a malformed id, display name or state;
  // AlreadyExists if the id is registered.
  StatusOr<Subscription> Register(const Subscription& subscription);

  // Oldest first (ties by id).
  StatusOr<std::vector<Subscription>> List();
  // NotFound("SubscriptionNotFound", "The subscription '<id>' could not be found."). The id
  // compares case-insensitively.
  StatusOr<Subscription> Get(std::string_view id);
  // From memory, on every management request. False before Load.
  bool Exists(std::string_view id) const;

 private:
  Status LoadLocked();
  Status EnsureLoaded();        // takes write_mu_ only when not loaded yet
  Status EnsureLoadedLocked();  // with write_mu_ held
  StatusOr<Subscription> Insert(Subscription s);

  barrier::Barrier& barrier_;
  const Clock& clock_;
  Random& rng_;
  const std::string tenant_id_;

  std::mutex write_mu_;           // serialises writes and Load
  mutable std::shared_mutex mu_;  // guards loaded_ and by_id_
  bool loaded_ = false;
  std::map<std::string, Subscription, std::less<>> by_id_;  // lower-case id → subscription
};

}  // namespace coffer::auth
