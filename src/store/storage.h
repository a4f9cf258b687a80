// Storage: the untrusted, ordered key-value store beneath the barrier.
//
// Keys and values are opaque byte strings. Keys sort bytewise (memcmp order). The barrier hands
// the engine only ciphertext values and keys made of MACs, fixed prefixes and public dates, so
// an engine never sees a name or a plaintext value. Only the barrier and the composition root
// may include this header's engines.
//
// Transactions:
//  - Update(fn) runs fn against a read-write Transaction. fn's reads see the committed state plus
//    fn's own writes. If fn returns OK its writes commit atomically and durably *before* Update
//    returns (an acknowledged write survives kill -9 and power loss); if fn returns an error, or
//    commit fails, none of its writes are visible and that Status is returned. Engines may group
//    several callers' Updates into one physical commit (group commit) but each Update is isolated:
//    a check fn makes (e.g. "does this name exist?") and the writes that depend on it are atomic.
//    An engine may run fn more than once for one Update (PostgreSQL runs a transaction again
//    after a serialization conflict with a concurrent one; only the last run commits): fn
//    must act only through the Transaction and on outputs it sets afresh on each run, and any
//    other effect it records (a cache entry to drop) must be safe to repeat.
//  - View(fn) runs fn against a read-only snapshot Transaction (Put/Delete return
//    FailedPrecondition). Consistent across all reads inside fn.
//
// Thread-safety: a Storage is safe to call from any number of threads at once. A Transaction
// object must only be used inside the fn it was passed to, on that thread.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/commit_observer.h"
#include "core/status.h"

namespace coffer::store {

struct Entry {
  std::string key;
  std::string value;
};

class Transaction {
 public:
  virtual ~Transaction() = default;

  // NotFound is not an error: returns nullopt.
  virtual StatusOr<std::optional<std::string>> Get(std::string_view key) = 0;

  // Get of each key, in order, as one request where the engine can (PostgreSQL: one round
  // trip instead of one per key); the default asks Get for each.
  virtual StatusOr<std::vector<std::optional<std::string>>> GetMany(
      const std::vector<std::string_view>& keys) {
    std::vector<std::optional<std::string>> out;
    out.reserve(keys.size());
    for (std::string_view key : keys) {
      auto value = Get(key);
      if (!value.ok()) return value.status();
      out.push_back(std::move(*value));
    }
    return out;
  }

  // Entries whose key starts with `prefix` and sorts strictly after `start_after` (pass "" to
  // start at the beginning of the prefix), in ascending key order, at most `limit` of them
  // (limit 0 means no limit).
  virtual StatusOr<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                            size_t limit) = 0;

  // Inserts or replaces.
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // Deleting a missing key is OK.
  virtual Status Delete(std::string_view key) = 0;

  // Announces that this transaction changes what `topic` names (printable ASCII, at most 200
  // bytes), for the caches of other Coffer nodes sharing this storage: it reaches every node's
  // Cluster feed (store/cluster.h) if and when the transaction commits, and never otherwise.
  // An engine that serves one node ignores it (the default); errors surface at commit.
  virtual void Publish(std::string_view topic) { (void)topic; }
};

using TxnFn = std::function<Status(Transaction&)>;

// The smallest byte string greater than every string that starts with `prefix`, or nullopt if
// there is none (prefix empty or all 0xFF): drop trailing 0xFF bytes, then increment the last.
// An engine's Scan bounds its range with it.
inline std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xFF) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

// Runs fn, turning an exception it throws into Internal: an engine's writer must survive a
// throwing fn and must not commit what it wrote. Every engine calls fn through this.
inline Status RunTxnFn(const TxnFn& fn, Transaction& txn) {
  try {
    return fn(txn);
  } catch (const std::exception& e) {
    return InternalError(std::string("transaction function threw: ") + e.what());
  } catch (...) {
    return InternalError("transaction function threw");
  }
}

class Storage {
 public:
  virtual ~Storage() = default;

  virtual Status Update(const TxnFn& fn) = 0;
  virtual Status View(const TxnFn& fn) = 0;

  // Reports every physical commit to `observer` (null: to nobody) from now on; it must outlive
  // the reports (set null before destroying it). Engines that do not report ignore it.
  virtual void SetCommitObserver(CommitObserver* observer) { (void)observer; }
};

}  // namespace coffer::store
