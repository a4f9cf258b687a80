#include "http/impl/body_budget.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace coffer::http::impl {

bool BodyBudget::MayTake(uint64_t bytes, bool small, bool queue_ahead) const {
  uint64_t limit = small ? capacity_ : large_limit_;
  return reserved_ + bytes <= limit && (!queue_ahead || small);
}

uint64_t BodyBudget::ClampExtra(uint64_t extra, uint64_t held) const {
  uint64_t total = held + extra < held ? UINT64_MAX : held + extra;
  uint64_t allowed = Clamp(total);
  return allowed > held ? allowed - held : 0;
}

void BodyBudget::GrantFitting(std::vector<std::function<void()>>* granted) {
  bool queue_ahead = false;  // a waiter before this one is still waiting
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (MayTake(it->bytes, it->small, queue_ahead)) {
      reserved_ += it->bytes;
      granted->push_back(std::move(it->granted));
      it = waiters_.erase(it);
    } else {
      queue_ahead = true;
      ++it;
    }
  }
}

bool BodyBudget::TryReserve(uint64_t extra, uint64_t held) {
  uint64_t bytes = ClampExtra(extra, held);
  bool small = held + bytes <= small_;
  std::lock_guard<std::mutex> lock(mu_);
  if (!MayTake(bytes, small, !waiters_.empty())) return false;
  reserved_ += bytes;
  return true;
}

uint64_t BodyBudget::Reserve(uint64_t extra, std::function<void()> granted, uint64_t held) {
  uint64_t bytes = ClampExtra(extra, held);
  bool small = held + bytes <= small_;
  std::lock_guard<std::mutex> lock(mu_);
  if (MayTake(bytes, small, !waiters_.empty())) {
    reserved_ += bytes;
    return 0;
  }
  uint64_t ticket = next_ticket_++;
  waiters_.push_back(Waiter{ticket, bytes, small, std::move(granted)});
  return ticket;
}

bool BodyBudget::Cancel(uint64_t ticket) {
  std::function<void()> dropped;  // destroyed outside the lock: it may own a connection
  std::vector<std::function<void()>> granted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = waiters_.begin();
    while (it != waiters_.end() && it->ticket != ticket) ++it;
    if (it == waiters_.end()) return false;
    dropped = std::move(it->granted);
    waiters_.erase(it);
    // A large request leaving the queue may let the ones behind it in.
    GrantFitting(&granted);
  }
  for (auto& callback : granted) callback();
  return true;
}

void BodyBudget::Release(uint64_t bytes) {
  std::vector<std::function<void()>> granted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reserved_ = bytes < reserved_ ? reserved_ - bytes : 0;
    GrantFitting(&granted);
  }
  for (auto& callback : granted) callback();
}

void BodyBudget::DropWaiters() {
  std::deque<Waiter> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(waiters_);
  }
}

BodyBudget::Stats BodyBudget::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{reserved_, waiters_.size()};
}

}  // namespace coffer::http::impl
