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
// Following another server: with paired-region failover the writable database can change
// (`coffer operator failover promote` makes the pair the primary, for good). Follow(url) makes
// the feed drop its connection and listen on `url` from then on, with an on_reset once it
// listens there (what was published on the new server before is re-read); LockStartup uses the
// URL followed last.
//
// Thread-safety: as Cluster.
#pragma once

#include <atomic>
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

  // From now on the feed (and LockStartup) connect to `url` instead (a libpq URL, as
  // PgOptions::url); a running feed moves at once. The same URL again changes nothing.
  void Follow(const std::string& url);
  // The URL the feed connects to now.
  std::string url() const;

  // How many times the feed has (re)connected and called on_reset (tests and metrics).
  uint64_t feed_resets() const { return resets_.load(); }

 private:
  explicit PgCluster(const PgOptions& options);
  void RunFeed();
  // Connects and runs LISTEN; Unavailable on failure.
  StatusOr<std::unique_ptr<class PgConnection>> ListenConnection();
  // Waits on `fd` (and the wake-up pipe) up to `timeout_ms`; false when stopping.
  bool Wait(int fd, int timeout_ms);
  // The connection parameters for the URL followed now.
  std::vector<std::pair<std::string, std::string>> Conninfo() const;

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
  int wake_[2] = {-1, -1};  // a pipe: StopFeed writes, Wait wakes
};

}  // namespace coffer::store
