// PgCluster: the Cluster (cluster.h) of Coffer nodes sharing one PostgreSQL database, beside
// the PgStorage they share (CONTRACT.md "PostgreSQL and paired-region failover";
// docs/decisions.md "Several nodes on one PostgreSQL").
//
// Start-up lock: a session advisory lock, pg_advisory_lock(kStartupLockClass,
// hashtext(current_schema())), held on a connection of its own until the Lock is destroyed (a
// node that dies while holding it releases it with its connection).
//
// Feed: PgTxn::Publish runs pg_notify on the channel 'coffer_' || left(md5(current_schema()),
// 16) inside the writing transaction, so PostgreSQL delivers it only if that transaction
// commits. A thread of this class holds a dedicated connection (connect_timeout, TCP keepalives
// and tcp_user_timeout as the storage's) that has run LISTEN on that channel and waits on its
// socket; each notification's payload is one topic. When the connection is lost it reconnects
// (back-off from 50 ms doubling to 2 s) and, once it listens again, calls on_reset, as it does
// after its first LISTEN: PostgreSQL does not keep notifications for a listener that was away.
//
// Fences (AwaitFresh): callers wait in a queue; the feed thread sends one fence (a bare Sync,
// PgConnection::SendFence) for everyone queued when it is free, and when PostgreSQL answers it
// hands over the notifications read up to that answer, then completes those callers. Callers
// that came while a fence was in flight wait for the next one: that fence was sent before
// they arrived. A lost connection leaves its callers waiting; the reset after the next LISTEN
// completes everyone who was waiting before it began. A caller whose deadline passes first
// gets false.
//
// Following another server: with paired-region failover the writable database can change
// (`coffer operator failover promote` makes the pair the primary, for good). Follow(url) makes
// the feed drop its connection and listen on `url` from then on, with an on_reset once it
// listens there (what was published on the new server before is re-read); LockStartup uses the
// URL followed last.
//
// Thread-safety: as Cluster.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/cluster.h"
#include "store/pg_storage.h"

namespace coffer::store {

class PgCluster final : public Cluster {
 public:
  // Connects to nothing yet (LockStartup and the feed connect when called or started).
  // InvalidArgument without a URL.
  static StatusOr<std::unique_ptr<PgCluster>> Open(const PgOptions& options);
  ~PgCluster() override;

  StatusOr<std::unique_ptr<Lock>> LockStartup() override;
  Status StartFeed(FeedHandler handler) override;
  void StopFeed() override;
  void AwaitFresh(std::chrono::milliseconds timeout, std::function<void(bool)> done) override;

  // From now on the feed (and LockStartup) connect to `url` instead (a libpq URL, as
  // PgOptions::url); a running feed moves at once. The same URL again changes nothing.
  void Follow(const std::string& url);
  // The URL the feed connects to now.
  std::string url() const;
  // Answers every AwaitFresh caller waiting now with true, soon, from the feed's thread: for
  // the composition root when the node switches to serving from the pair, having dropped its
  // caches (nothing is written while paired, so what it reads next is current).
  void ReleaseWaiting();
  // A feed that is not listening tries to connect again at once instead of after its back-off
  // (the composition root, when the primary is seen answering again: a failback).
  void RetryNow();

  // How many times the feed has (re)connected and called on_reset (tests and metrics).
  uint64_t feed_resets() const { return resets_.load(); }
  // How many fences the feed has sent (tests: callers share them).
  uint64_t fences_sent() const { return fences_.load(); }

 private:
  explicit PgCluster(const PgOptions& options);
  void RunFeed();
  // Connects and runs LISTEN; Unavailable on failure.
  StatusOr<std::unique_ptr<class PgConnection>> ListenConnection();
  // Waits on `fd` (and the wake-up pipe) up to `timeout_ms`; false when stopping.
  bool Wait(int fd, int timeout_ms);
  // The connection parameters for the URL followed now.
  std::vector<std::pair<std::string, std::string>> Conninfo() const;
  // Listens on `conn` until it is lost, the feed moves or stops; false when stopping.
  bool Listen(PgConnection& conn);

  // Fence callers (feed thread unless said otherwise).
  using Clock = std::chrono::steady_clock;
  struct Waiter {
    Clock::time_point deadline;
    std::function<void(bool)> done;
  };
  bool Settled() const { return !handler_.settled || handler_.settled(); }
  // Moves every caller queued so far (and those of the fence in flight) into `out`.
  void TakeAllWaiters(std::vector<Waiter>& out);
  // Completes, with true, every caller when ReleaseWaiting asked, then, with false, every
  // caller whose deadline has passed.
  void ExpireWaiters();
  // `cap_ms`, or less so that the feed wakes at the earliest caller's deadline.
  int WaitBudget(int cap_ms);
  static void Complete(std::vector<Waiter>& waiters, bool fresh);
  void Wake();

  // Our settings; "dbname" (the URL) is added last by Conninfo, so the URL's settings win.
  std::vector<std::pair<std::string, std::string>> settings_;
  mutable std::mutex url_mu_;
  std::string url_;                   // guarded by url_mu_
  std::atomic<bool> moved_{false};    // Follow changed the URL; the feed reconnects
  std::string schema_;
  FeedHandler handler_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> resets_{0};
  std::atomic<uint64_t> fences_{0};
  std::atomic<bool> release_{false};  // ReleaseWaiting asked; the feed's thread answers
  std::atomic<bool> retry_now_{false};  // RetryNow asked; the back-off ends
  std::mutex fence_mu_;
  bool feed_running_ = false;    // guarded by fence_mu_: AwaitFresh queues only while set
  std::vector<Waiter> waiting_;  // guarded by fence_mu_: not yet covered by a fence sent
  std::vector<Waiter> in_flight_;  // feed thread: covered by the fence in flight
  bool fence_sent_ = false;        // feed thread
  int wake_[2] = {-1, -1};  // a pipe: StopFeed writes, Wait wakes
};

}  // namespace coffer::store
