// Sweeper: purges soft-deleted objects and vaults whose scheduledPurgeDate has come, and rotates
// keys whose rotation policy says a rotation is due, by reading the due-date index (keys
// "due/<time>/<target>") up to the domain clock's now. Rotation targets ("r/…") need a
// KeyService (AttachKeys); without one they are left in place.
//
// SweepOnce() does one pass and is what tests call; Start() runs passes on a background thread
// every `interval` of real time (the domain clock decides what is due, so a dev time shift is
// seen at the next pass). Failures are logged and retried at the next pass.
//
// Thread-safety: Start/Stop from one thread; SweepOnce may run concurrently with requests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "vault/key_service.h"
#include "vault/vault_registry.h"

namespace coffer::vault {

class Sweeper {
 public:
  Sweeper(barrier::Barrier& barrier, VaultRegistry& vaults, const Clock& clock);
  ~Sweeper();

  // Rotation targets are handed to `keys`, which also forgets cached material of purged keys.
  // Call before Start(); `keys` must outlive the sweeper.
  void AttachKeys(KeyService* keys) { keys_ = keys; }

  // Returns how many due entries were processed.
  StatusOr<size_t> SweepOnce();

  void Start(std::chrono::milliseconds interval);
  void Stop();
  // Asks the background thread to run a pass now (e.g. after a dev time shift).
  void Wake();

 private:
  Status ProcessDue(const std::string& due_key, UnixSeconds now);

  barrier::Barrier& barrier_;
  VaultRegistry& vaults_;
  const Clock& clock_;
  KeyService* keys_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread thread_;
};

}  // namespace coffer::vault
