// CommitObserver: what a storage engine reports of each physical commit it makes (with group
// commit, one per batch of Update calls), for metrics. The engine calls OnCommit on its writer
// thread after the commit is durable (or has failed) and before the callers are answered, so
// an implementation must be quick, must not block and must not call the storage.
//
// Thread-safety: OnCommit may be called from any thread, concurrently.
#pragma once

#include <cstddef>

namespace coffer {

class CommitObserver {
 public:
  virtual ~CommitObserver() = default;
  // `updates`: the Update calls the commit carried; `seconds`: from the start of the
  // transaction to its durable commit; `committed`: false when the batch could not commit
  // (every caller got Unavailable).
  virtual void OnCommit(size_t updates, double seconds, bool committed) = 0;
};

}  // namespace coffer
