// Cluster: what several Coffer nodes sharing one storage need of its engine beyond Storage
// (CONTRACT.md "PostgreSQL and paired-region failover"; docs/decisions.md "Several nodes on one
// PostgreSQL").
//
//  - A deployment-wide start-up lock: a node holds it from opening the storage until its
//    bootstrap is done (initialise or unseal, the tenant administrator, subscriptions, role
//    assignments), so concurrent first starts against one empty database make one deployment.
//  - The invalidation feed: every topic a committed transaction published (Transaction::Publish)
//    is handed to every node's handler, the publishing node's included, after the commit.
//    Delivery is at most once; whenever topics may have been missed (the feed's first
//    connection, and every reconnection after a loss) the handler's on_reset runs instead, after
//    the feed listens again, so a node that drops everything it caches there misses no change.
//  - Freshness (AwaitFresh): a fence on the feed, so that a node answers from its caches only
//    after applying every change another node committed before the request arrived ("a write
//    acknowledged by one node is read by every other at once"). One fence serves every caller
//    waiting when it is sent, as group commit shares an fsync.
//
// Only engines that several nodes share have one (PostgreSQL: pg_cluster.h); SQLite, one node
// per data dir, has none and needs none.
//
// Thread-safety: LockStartup may be called from any thread; StartFeed and StopFeed from one
// thread (the composition root's). Handlers run on the feed's own thread, one at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "core/status.h"

namespace coffer::store {

struct FeedHandler {
  // A topic a committed transaction published.
  std::function<void(std::string_view topic)> on_topic;
  // Topics may have been missed: drop (or re-read) everything cached.
  std::function<void()> on_reset;
  // Optional: called about once a second while the feed listens (to retry a reload that
  // failed).
  std::function<void()> on_idle;
  // Optional: whether everything handed over so far is applied (false while a reload that
  // failed is still to be retried). A fence reports what this says when it completes; unset
  // means always true.
  std::function<bool()> settled;
};

class Cluster {
 public:
  virtual ~Cluster() = default;

  // Held until destroyed.
  class Lock {
   public:
    virtual ~Lock() = default;
  };
  // Waits until this node holds the start-up lock (another node's start finishes first).
  // Unavailable if the engine cannot be reached.
  virtual StatusOr<std::unique_ptr<Lock>> LockStartup() = 0;

  // Starts the feed on a thread of its own; it reconnects by itself after a loss. Fails only
  // for a handler without both callbacks or a second start.
  virtual Status StartFeed(FeedHandler handler) = 0;
  // Stops the feed and joins its thread; no handler runs after it returns.
  virtual void StopFeed() = 0;

  // Calls done(true) once every topic published by a transaction that committed before this
  // call has been handed to the handler and handled (and the handler is settled): the node's
  // caches then hold nothing older than those commits. A reset after a reconnection counts
  // (everything was dropped after the call). done(false) when that cannot be established
  // within `timeout` (the feed is not listening, or the handler is not settled), or at once when
  // the feed is not running. `done` runs on the feed's thread (or the caller's, at once) and
  // must not block.
  virtual void AwaitFresh(std::chrono::milliseconds timeout, std::function<void(bool)> done) = 0;
};

}  // namespace coffer::store
