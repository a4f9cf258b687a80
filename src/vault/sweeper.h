// Sweeper: purges soft-deleted objects and vaults whose scheduledPurgeDate has come, and rotates
// keys whose rotation policy says a rotation is due, by reading the due-date index (keys
// "due/<time>/<target>", parsed by Keyspace) up to the domain clock's now and handing each entry
// to the handler registered for its action and kind. It registers the purges of secrets, keys,
// certificates (the object store's purge with each kind's hooks) and vaults itself; AttachKeys
// registers the key rotation and replaces the key and vault purges by ones that also drop the
// KeyService's caches; AttachCertificates registers certificate lifetime actions (AutoRenew,
// EmailContacts) and the issuance of pending Self certificates. An entry without a handler (a rotation before AttachKeys) is left in place; a
// malformed one is logged and dropped.
//
// SweepOnce() does one pass and is what tests call; Start() runs passes on a background thread
// every `interval` of real time (the domain clock decides what is due, so a dev time shift is
// seen at the next pass). Failures are logged and retried at the next pass.
//
// Thread-safety: Start/Stop from one thread; SweepOnce may run concurrently with requests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/keyspace.h"
#include "vault/kind_traits.h"
#include "vault/vault_registry.h"

namespace coffer::vault {

class Sweeper {
 public:
  Sweeper(barrier::Barrier& barrier, VaultRegistry& vaults, const Clock& clock);
  ~Sweeper();

  // Processes one due entry (`due_key` is its storage key). The handler removes the entry
  // when it is done with it; an error is retried at the next pass.
  using DueHandler = std::function<Status(const DueEntry& entry, const std::string& due_key,
                                          UnixSeconds now)>;
  // Registers (or replaces) the handler of one action; `kind` is ignored for vault purges.
  // Call before Start().
  void Handle(DueAction action, model::ObjectKind kind, DueHandler handler);

  // Rotation targets are handed to `keys`, which also forgets cached material of purged keys.
  // Call before Start(); `keys` must outlive the sweeper.
  void AttachKeys(KeyService* keys);

  // Lifetime action and Self issuance targets are handed to `certificates`, with `notify`
  // recording what lifetime actions did (the audit log). A certificate in a soft-deleted vault waits (its entry stays until the vault
  // is recovered or purged); once the vault is purged the entry is dropped. Call before Start();
  // `certificates` must outlive the sweeper.
  void AttachCertificates(CertificateService* certificates, LifetimeActionNotifier notify);

  // Returns how many due entries were processed.
  StatusOr<size_t> SweepOnce();

  void Start(std::chrono::milliseconds interval);
  void Stop();
  // Asks the background thread to run a pass now (e.g. after a dev time shift).
  void Wake();

 private:
  Status ProcessDue(const std::string& due_key, UnixSeconds now);
  // Purges the object named by a kPurgeObject entry with `hooks` if it is still due.
  Status PurgeDueObject(const KindHooks& hooks, const DueEntry& entry, const std::string& due_key,
                        UnixSeconds now);
  // Purges the vault named by a kPurgeVault entry if it is still due, and forgets its keys'
  // cached entries in `keys` (may be null).
  Status PurgeDueVault(const DueEntry& entry, const std::string& due_key, UnixSeconds now,
                       KeyService* keys);
  static std::pair<char, model::ObjectKind> Slot(DueAction action, model::ObjectKind kind);

  barrier::Barrier& barrier_;
  VaultRegistry& vaults_;
  const Clock& clock_;
  SecretTraits secret_hooks_;
  KeyTraits key_hooks_;  // without caches, until AttachKeys
  CertificateTraits certificate_hooks_;
  std::map<std::pair<char, model::ObjectKind>, DueHandler> handlers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread thread_;
};

}  // namespace coffer::vault
