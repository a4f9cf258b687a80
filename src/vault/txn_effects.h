// TxnEffects: work that must wait until a barrier transaction has ended — dropping a cache
// entry that the transaction made stale — collected by whatever wrote inside the transaction
// (the object store's kind hooks) and run by the caller that opened it. UpdateWithEffects,
// ReadInTxn and WriteInTxn open one transaction around a function and run its effects.
//
// Thread-safety: a TxnEffects belongs to one transaction on one thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "barrier/barrier.h"
#include "core/status.h"

namespace coffer::vault {

// Work to run once a barrier transaction has ended (cache invalidation), in the order added,
// and the cache topics the transaction publishes to the other nodes sharing the storage.
class TxnEffects {
 public:
  void Add(std::function<void()> fn) { fns_.push_back(std::move(fn)); }
  // `topic` is published inside the transaction (barrier::Txn::Publish) when its function
  // returns OK: other nodes drop what they cache of it once it commits.
  void Publish(std::string topic) { topics_.push_back(std::move(topic)); }
  const std::vector<std::string>& topics() const { return topics_; }
  void Run();

 private:
  std::vector<std::function<void()>> fns_;
  std::vector<std::string> topics_;
};

// The topics a transaction publishes for `topics` (its effects'): each once; beyond
// kMaxTopicsPerTxn (a whole-vault restore writes thousands of objects), each
// "<kind>/<vault id>/<name MAC>/" becomes "<kind>/<vault id>/", which drops every entry of that
// kind and vault (PostgreSQL sends each topic as a statement of its own).
inline constexpr size_t kMaxTopicsPerTxn = 64;
std::vector<std::string> TopicsToPublish(const std::vector<std::string>& topics);

// One barrier transaction running `fn`, then the effects it collected — whether or not it
// committed: dropping a cache entry is always safe, keeping a stale one is not.
using EffectsFn = std::function<Status(barrier::Txn&, TxnEffects&)>;
Status UpdateWithEffects(barrier::Barrier& barrier, const EffectsFn& fn);

// One barrier read transaction around `fn(txn)`, which returns a StatusOr; returns its value.
template <typename Fn>
auto ReadInTxn(barrier::Barrier& barrier, Fn&& fn)
    -> std::decay_t<decltype(fn(std::declval<barrier::Txn&>()))> {
  std::optional<std::decay_t<decltype(fn(std::declval<barrier::Txn&>()))>> out;
  RETURN_IF_ERROR(barrier.View([&](barrier::Txn& t) -> Status {
    out.emplace(fn(t));
    return out->status();
  }));
  return std::move(*out);
}

// UpdateWithEffects around `fn(txn, effects)`, which returns a StatusOr; returns its value.
template <typename Fn>
auto WriteInTxn(barrier::Barrier& barrier, Fn&& fn)
    -> std::decay_t<decltype(fn(std::declval<barrier::Txn&>(), std::declval<TxnEffects&>()))> {
  std::optional<std::decay_t<decltype(fn(std::declval<barrier::Txn&>(),
                                         std::declval<TxnEffects&>()))>> out;
  RETURN_IF_ERROR(UpdateWithEffects(barrier, [&](barrier::Txn& t, TxnEffects& effects) -> Status {
    out.emplace(fn(t, effects));
    return out->status();
  }));
  return std::move(*out);
}

}  // namespace coffer::vault
