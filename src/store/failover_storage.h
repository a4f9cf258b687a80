// FailoverStorage: a Storage over a primary and its paired-region replica that serves from the
// pair, read-only, while the primary is unreachable, fails back by itself when the primary
// answers again, and makes the pair its writable primary for good on an operator's promote
// (CONTRACT.md "PostgreSQL and paired-region failover"; docs/operations.md "Paired-region
// failover").
//
// Modes:
//   primary   every Update and View runs on the primary. A call that fails Unavailable (or a
//             failed probe) marks the primary unreachable from that moment; any success clears
//             the mark. Once it has been unreachable for `after` the node turns to paired.
//   paired    View runs on the pair (every read queries it: a pair that is down too answers
//             Unavailable, so the API answers 503); Update never runs its fn and returns
//             Unavailable "read-only … failover". Probe() of a primary that answers and
//             accepts writes turns the node back to primary; Probe() that finds the pair no
//             longer in recovery (another node promoted it) turns it to promoted.
//   promoted  after Promote() (or seeing the pair promoted): Update and View run on a writable
//             storage on the pair; the old primary is never used again (its history diverged).
// No call is ever retried on the other side: a write that failed on the primary is not sent to
// the pair, and the pair is opened read-only (sides.open_pair) so it cannot be written before
// it is promoted. A call already running when the mode changes finishes where it started.
//
// Time is injected (FailoverOptions::now) and nothing here sleeps or runs a thread: the
// composition root calls Probe() about once a second from a thread of its own, so failover and
// failback happen with or without traffic; tests call it by hand.
//
// Sides are opened lazily through `sides`: a primary or pair that is down when the node starts
// is opened by a later call or probe (at most once per `retry_open` each).
//
// Thread-safety: every method is safe from any number of threads. Calls on a side run outside
// the wrapper's lock. A fn must not call Update on this storage (the sides refuse it).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/storage.h"

namespace coffer::store {

// How the wrapper reaches its two sides (the composition root binds them to PgStorage; tests to
// fakes). Every function may be called from any thread, never under the wrapper's lock.
struct FailoverSides {
  // Opens the primary's storage. Unavailable while it cannot be reached.
  std::function<StatusOr<std::shared_ptr<Storage>>()> open_primary;
  // Opens the pair read-only (its Update must refuse). Unavailable while it cannot be reached.
  std::function<StatusOr<std::shared_ptr<Storage>>()> open_pair;
  // OK if the server behind `side` answers and accepts writes (not a standby); Unavailable
  // otherwise. Run on the primary (is it back?) and on the pair (was it promoted?).
  std::function<Status(Storage& side)> check_writable;
  // Promotes the server behind the read-only pair storage (pg_promote); OK once it is writable.
  std::function<Status(Storage& pair)> promote;
  // Opens a writable storage on the promoted pair.
  std::function<StatusOr<std::shared_ptr<Storage>>()> open_promoted;
};

enum class FailoverMode { kPrimary, kPaired, kPromoted };

struct FailoverOptions {
  // The primary unreachable this long → serve from the pair ([failover] after_seconds).
  std::chrono::milliseconds after{5000};
  // A side that could not be opened is tried again after this long.
  std::chrono::milliseconds retry_open{1000};
  // The monotonic clock; unset = std::chrono::steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
  // Optional: called after each change of mode, outside the wrapper's lock, on the thread that
  // made it (a call, a probe or a promote), with the mode changed to. Changes that race may be
  // reported out of order: an observer acting on the mode in force reads mode(). The
  // composition root moves the cache feed to the promoted pair with it.
  std::function<void(FailoverMode)> on_mode_change;
};

class FailoverStorage final : public Storage {
 public:
  FailoverStorage(FailoverSides sides, FailoverOptions options);
  ~FailoverStorage() override;

  // Opens the primary, and the pair if it can (a pair that is down is tried again later). When
  // the primary cannot be opened the node starts as if it had just lost it: Unavailable calls
  // until `after` has passed, then the pair. Returns the primary's error only if neither side
  // could be opened (the server cannot start without storage).
  Status Start();

  Status Update(const TxnFn& fn) override;
  Status View(const TxnFn& fn) override;
  void SetCommitObserver(CommitObserver* observer) override;

  // One turn of the mode machine: in primary mode checks the primary (a failure counts like a
  // failed call); in paired mode checks whether the primary is back (→ primary) or the pair was
  // promoted elsewhere (→ promoted). Returns the mode after the turn.
  FailoverMode Probe();

  // Promotes the pair and serves from it, writable, from now on. OK if it already was
  // promoted; Unavailable if the pair cannot be reached; the side's error otherwise (the mode
  // is then unchanged).
  Status Promote();

  FailoverMode mode() const;
  // "primary" | "paired" (promoted: "paired"), and whether writes are accepted.
  static const char* StorageName(FailoverMode mode);
  static bool Writable(FailoverMode mode) { return mode != FailoverMode::kPaired; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint Now() const;
  // The side to call now, opening it if due; Unavailable if it is not open.
  StatusOr<std::shared_ptr<Storage>> Primary();
  StatusOr<std::shared_ptr<Storage>> Pair();
  // Records the outcome of a call or probe on the primary (at `started`, when it began).
  void NotePrimary(const Status& st, TimePoint started);
  // Reports a change to `mode` (options_.on_mode_change); called without mu_ held.
  void Announce(FailoverMode mode) const;
  Status ReadOnlyRefusal() const;

  const FailoverSides sides_;
  const FailoverOptions options_;

  mutable std::mutex mu_;
  FailoverMode mode_ = FailoverMode::kPrimary;         // guarded by mu_
  std::shared_ptr<Storage> primary_;                   // guarded by mu_; null until opened
  std::shared_ptr<Storage> pair_;                      // guarded by mu_; read-only
  std::shared_ptr<Storage> promoted_;                  // guarded by mu_; set in promoted mode
  std::optional<TimePoint> unreachable_since_;         // guarded by mu_
  std::optional<TimePoint> primary_open_failed_at_;    // guarded by mu_
  std::optional<TimePoint> pair_open_failed_at_;       // guarded by mu_
  std::optional<TimePoint> paired_since_;              // guarded by mu_
  CommitObserver* observer_ = nullptr;                 // guarded by mu_
  std::mutex promote_mu_;                              // one promote at a time
};

}  // namespace coffer::store
