// BodyBudget: the bytes of request bodies a server may hold in memory at once (CONTRACT.md
// "Overload and abuse", `[server] body_budget_mb`). A connection reserves a body's bytes before
// reading it (its Content-Length, or step by step for a chunked body) and gives them back when the
// request's handling has finished; one that does not fit waits for a release, and its
// connection answers 503 if the wait is too long (Connection owns that timer).
//
// Fairness: waiters are granted in arrival order, and a request does not overtake a waiting one,
// so a large body is not starved by a stream of smaller ones — except small requests (at most
// 1/64 of the budget in all, e.g. any data-plane write or token request under the default
// 256 MiB), which are let in whenever they fit, so everyday traffic is not queued behind a row of
// large restores. For the same reason large requests together take at most 15/16 of the budget:
// the last 1/16 is headroom only small ones use, so large bodies alone never lock them out.
// Small requests can hold a large one back only by filling the budget on their own. A request
// never takes more than it may hold in all (Clamp): a body larger than that but within its
// route's cap is served when it is alone, as it was before there was a budget.
//
// Thread-safety: every method may be called from any thread. A waiter's `granted` callback runs
// on the thread that releases (or, for DropWaiters, never), outside the budget's lock; it should
// only post work to its connection.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace coffer::http::impl {

class BodyBudget {
 public:
  explicit BodyBudget(uint64_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity),
        small_(capacity_ / 64),
        large_limit_(capacity_ - capacity_ / 16) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  uint64_t capacity() const { return capacity_; }
  uint64_t small_limit() const { return small_; }
  // The most a request that needs `total` bytes in all may hold: all of them if it is small,
  // else at most the budget less the small requests' headroom.
  uint64_t Clamp(uint64_t total) const {
    return total <= large_limit_ ? total : large_limit_;
  }

  // Takes `extra` more bytes for a request that already holds `held` (a growing chunked body),
  // clamped so that it holds at most Clamp(held + extra), if they fit and nobody waits (or the
  // request is small). True when taken (then the caller holds Clamp(held + extra)).
  bool TryReserve(uint64_t extra, uint64_t held = 0);

  // Takes them now if TryReserve would (returns 0, `granted` is not called), else queues the
  // request and returns its ticket (> 0); `granted` is called once the bytes have been taken
  // for it — from then on they are the caller's to Release.
  uint64_t Reserve(uint64_t extra, std::function<void()> granted, uint64_t held = 0);

  // Withdraws a queued request. True if it was still waiting (its callback will not run);
  // false if it was already granted (or dropped): a granted callback has run or is running.
  bool Cancel(uint64_t ticket);

  // Gives back `bytes` taken by TryReserve or a granted Reserve (the clamped amount), and grants
  // the waiters at the front of the queue that now fit.
  void Release(uint64_t bytes);

  // Forgets every waiter without calling it (server stop): their callbacks are destroyed
  // outside the lock.
  void DropWaiters();

  struct Stats {
    uint64_t reserved = 0;  // bytes taken now
    size_t waiters = 0;     // requests queued
  };
  Stats stats() const;

 private:
  struct Waiter {
    uint64_t ticket;
    uint64_t bytes;
    bool small;
    std::function<void()> granted;
  };

  // Takes the bytes of the waiters at the front that fit, in order; their callbacks go to
  // `granted`, to be called once the lock is released. Needs mu_.
  void GrantFitting(std::vector<std::function<void()>>* granted);
  // Whether a request may take `bytes` more now, with or without waiters before it.
  bool MayTake(uint64_t bytes, bool small, bool queue_ahead) const;
  // `extra` cut so that held + extra is at most Clamp(held + extra).
  uint64_t ClampExtra(uint64_t extra, uint64_t held) const;

  const uint64_t capacity_;
  const uint64_t small_;        // requests up to this size in all may pass waiters
  const uint64_t large_limit_;  // what larger requests may hold together
  mutable std::mutex mu_;
  uint64_t reserved_ = 0;
  uint64_t next_ticket_ = 1;
  std::deque<Waiter> waiters_;
};

// Bytes a connection holds from a BodyBudget; given back on Reset, on destruction, or by the
// reservation a move leaves behind in its new owner. Not thread-safe: one owner at a time.
class BodyReservation {
 public:
  BodyReservation() = default;
  explicit BodyReservation(BodyBudget* budget) : budget_(budget) {}
  BodyReservation(BodyReservation&& other) noexcept
      : budget_(other.budget_), bytes_(other.bytes_) {
    other.bytes_ = 0;
  }
  BodyReservation& operator=(BodyReservation&& other) noexcept {
    if (this != &other) {
      Reset();
      budget_ = other.budget_;
      bytes_ = other.bytes_;
      other.bytes_ = 0;
    }
    return *this;
  }
  ~BodyReservation() { Reset(); }

  uint64_t bytes() const { return bytes_; }
  // Records `bytes` the budget has granted (already clamped).
  void Adopt(uint64_t bytes) { bytes_ += bytes; }
  void Reset() {
    if (budget_ != nullptr && bytes_ > 0) budget_->Release(bytes_);
    bytes_ = 0;
  }

 private:
  BodyBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace coffer::http::impl
