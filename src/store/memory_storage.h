// MemoryStorage: an in-memory Storage engine (a std::map) for unit tests of the layers above.
// Not durable. Semantics match the SQLite engine (the conformance suite runs against both).
//
// Updates are serialised: fn runs against an overlay of its own writes on top of the committed
// map, and the overlay is applied under an exclusive lock only if fn returns OK (and no injected
// commit failure is pending). A View holds a shared lock for the duration of its fn, so it sees
// one consistent state; commits wait for running Views.
//
// Thread-safety: every method is safe to call from any number of threads. A fn must not call
// Update on the same MemoryStorage (it returns FailedPrecondition instead of deadlocking).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "store/storage.h"

namespace coffer::store {

class MemoryStorage final : public Storage {
 public:
  MemoryStorage() = default;
  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  Status Update(const TxnFn& fn) override;
  Status View(const TxnFn& fn) override;

  // Fault injection: the next `n` Updates whose fn returns OK fail at commit with Unavailable
  // and write nothing, as a failed fsync would. Lets higher layers test their failure paths.
  void FailNextCommits(int n) { fail_next_commits_.store(n); }

  // Number of successful commits so far.
  uint64_t commits() const { return commits_.load(); }

 private:
  class OverlayTxn;
  class SnapshotTxn;

  std::mutex update_mu_;           // serialises Updates (one overlay at a time)
  mutable std::shared_mutex mu_;   // guards data_
  std::map<std::string, std::string, std::less<>> data_;
  std::atomic<int> fail_next_commits_{0};
  std::atomic<uint64_t> commits_{0};
};

}  // namespace coffer::store
