// LruCache: a bounded, thread-safe map from string keys to values (shared pointers in
// practice), least recently used entry dropped beyond the capacity, with prefix erasure for
// invalidation.
//
// Filling a cache from storage races with invalidation: a reader may read a record, a writer
// then commits a change and erases the entry, and the reader inserts what it read before —
// stale data that no later write will erase. Lookup therefore returns the cache's epoch, every
// ErasePrefix advances it, and Put refuses a value whose lookup epoch is older: a value read
// before the last invalidation is used once but never cached.
//
// Thread-safety: every member may be called concurrently.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace coffer::vault {

template <typename V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  struct Found {
    std::optional<V> value;
    uint64_t epoch = 0;  // pass to Put when filling a miss
  };

  // The value under `key` (marked most recently used) and the current epoch.
  Found Lookup(std::string_view key) {
    std::lock_guard lock(mu_);
    Found out;
    out.epoch = epoch_;
    auto it = map_.find(key);
    if (it != map_.end()) {
      order_.splice(order_.begin(), order_, it->second.position);
      out.value = it->second.value;
    }
    return out;
  }

  // Stores `value` under `key` unless the cache was invalidated since the Lookup that returned
  // `epoch`. An existing entry is replaced. Returns whether the value was stored.
  bool Put(std::string key, V value, uint64_t epoch) {
    std::lock_guard lock(mu_);
    if (epoch != epoch_) return false;
    InsertLocked(std::move(key), std::move(value));
    return true;
  }

  // Stores `value` whatever the epoch: for a value known to be current, such as one just
  // written by the caller.
  void Insert(std::string key, V value) {
    std::lock_guard lock(mu_);
    InsertLocked(std::move(key), std::move(value));
  }

  // Drops every entry whose key starts with `prefix` and advances the epoch.
  void ErasePrefix(std::string_view prefix) {
    std::lock_guard lock(mu_);
    ++epoch_;
    auto it = map_.lower_bound(prefix);
    while (it != map_.end() && std::string_view(it->first).starts_with(prefix)) {
      order_.erase(it->second.position);
      it = map_.erase(it);
    }
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }

 private:
  void InsertLocked(std::string key, V value) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      it->second.value = std::move(value);
      order_.splice(order_.begin(), order_, it->second.position);
      return;
    }
    order_.push_front(key);
    map_.emplace(std::move(key), Entry{std::move(value), order_.begin()});
    while (map_.size() > capacity_) {
      map_.erase(order_.back());
      order_.pop_back();
    }
  }

  using Order = std::list<std::string>;  // most recent first
  struct Entry {
    V value;
    Order::iterator position;
  };

  const size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> map_;
  Order order_;
  uint64_t epoch_ = 0;
};

}  // namespace coffer::vault
