#include "api/throttle.h"

#include <algorithm>
#include <chrono>

namespace coffer::api {
namespace {

constexpr std::string_view kVaultReason = "VaultRequestTypeLimitReached";
constexpr std::string_view kSubscriptionReason = "SubscriptionRequestTypeLimitReached";
constexpr std::string_view kCallerReason = "CallerRequestTypeLimitReached";

size_t SlotOf(int64_t slot, int slots) {
  int64_t m = slot % slots;
  return static_cast<size_t>(m < 0 ? m + slots : m);
}

// The scope keys, composed into per-thread buffers so that a known scope costs no allocation.
// The first byte keeps the three kinds of scope apart.
std::string_view Compose(std::string& buffer, char kind, std::string_view a,
                         std::string_view b = {}, bool lower_b = false) {
  buffer.clear();
  buffer += kind;
  buffer += a;
  if (!b.empty()) {
    buffer += '/';
    for (char c : b) buffer += lower_b && c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  }
  return buffer;
}

}  // namespace

void Throttle::Window::Advance(int64_t now) {
  if (now <= head) return;
  if (now - head >= kSlots) {
    slots.fill(0);
    total = 0;
  } else {
    for (size_t i = SlotOf(head + 1, kSlots), n = static_cast<size_t>(now - head); n > 0; --n) {
      total -= slots[i];
      slots[i] = 0;
      if (++i == kSlots) i = 0;
    }
  }
  head = now;
}

int Throttle::Window::WaitFor(uint64_t limit, uint64_t weight) const {
  if (total + weight <= limit) return 0;
  uint64_t remaining = total;
  // At head + k the slot head - kSlots + k leaves the window; the oldest is the one after head.
  size_t i = SlotOf(head + 1, kSlots);
  for (int k = 1; k < kSlots; ++k) {
    remaining -= slots[i];
    if (remaining + weight <= limit) return k;
    if (++i == kSlots) i = 0;
  }
  return kSlots;
}

void Throttle::Stripe::MaybeSweep(int64_t now) {
  if (scopes.size() < sweep_at) return;
  std::erase_if(scopes, [&](const auto& entry) {
    return entry.second.last_used <= now - kSlots;
  });
  sweep_at = std::max<size_t>(256, 2 * scopes.size());
}

Throttle::Counters& Throttle::Stripe::Find(std::string_view key, int64_t now) {
  auto it = scopes.find(key);
  if (it == scopes.end()) it = scopes.emplace(std::string(key), Counters{}).first;
  it->second.last_used = std::max(it->second.last_used, now);
  return it->second;
}

Throttle::Throttle(ServiceLimits limits, const Clock* clock)
    : limits_(std::move(limits)), clock_(clock) {}

int64_t Throttle::NowMillis() const {
  if (clock_ != nullptr) return clock_->Now() * 1000;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ThrottleDecision Throttle::Admit(const ThrottleScope& scope, ThrottleClass cls,
                                 uint32_t weight) {
  return AdmitAt(scope, cls, weight, NowMillis());
}

ThrottleDecision Throttle::AdmitAt(const ThrottleScope& scope, ThrottleClass cls,
                                   uint32_t weight, int64_t now_ms) {
  if (cls == ThrottleClass::kNone) return {};
  const int64_t now = now_ms / kSlotMillis;
  const auto vault_limit = static_cast<uint64_t>(limits_.VaultLimit(cls));
  struct Part {
    std::string_view key;
    uint64_t limit;
    std::string_view reason;
    Stripe* stripe = nullptr;
    Window* window = nullptr;
  };
  thread_local std::string keys[3];
  Part parts[3];
  size_t n = 0;
  parts[n++] = {Compose(keys[0], 'v', scope.vault_id), vault_limit, kVaultReason};
  parts[n++] = {Compose(keys[1], 's', scope.subscription_id, scope.location, true),
                std::max<uint64_t>(1, static_cast<uint64_t>(static_cast<double>(vault_limit) *
                                                            limits_.subscription_factor)),
                kSubscriptionReason};
  if (limits_.per_identity > 0 && !scope.caller.empty()) {
    parts[n++] = {Compose(keys[2], 'c', scope.vault_id, scope.caller),
                  std::max<uint64_t>(1, static_cast<uint64_t>(static_cast<double>(vault_limit) *
                                                              limits_.per_identity)),
                  kCallerReason};
  }

  // Lock each distinct stripe once, in address order (no two requests wait on each other in a
  // cycle).
  std::array<Stripe*, 3> locked{};
  size_t held = 0;
  for (size_t i = 0; i < n; ++i) {
    parts[i].stripe = &stripes_[Hash{}(parts[i].key) % kStripes];
    if (std::find(locked.begin(), locked.begin() + held, parts[i].stripe) ==
        locked.begin() + held) {
      locked[held++] = parts[i].stripe;
    }
  }
  std::sort(locked.begin(), locked.begin() + held);
  for (size_t i = 0; i < held; ++i) {
    locked[i]->mu.lock();
    locked[i]->MaybeSweep(now);
  }

  ThrottleDecision d;
  int wait_slots = 0;
  size_t cls_index = static_cast<size_t>(cls);
  for (size_t i = 0; i < n; ++i) {
    Part& p = parts[i];
    std::unique_ptr<Window>& window = p.stripe->Find(p.key, now).windows[cls_index];
    if (window == nullptr) window = std::make_unique<Window>();
    p.window = window.get();
    p.window->Advance(now);
    int wait = p.window->WaitFor(p.limit, std::min<uint64_t>(weight, p.limit));
    if (wait > wait_slots) {
      wait_slots = wait;
      d.reason = p.reason;
    }
  }
  if (wait_slots > 0) {
    // Admitted at the start of slot head + wait: whole seconds from now, rounded up.
    int64_t wait_ms = (now + wait_slots) * kSlotMillis - now_ms;
    d.retry_after = static_cast<int>(
        std::clamp<int64_t>((wait_ms + 999) / 1000, 1, ServiceLimits::kWindowSeconds));
  }
  d.admitted = d.retry_after == 0;
  if (d.admitted) {
    for (size_t i = 0; i < n; ++i) {
      auto w = static_cast<uint32_t>(std::min<uint64_t>(weight, parts[i].limit));
      parts[i].window->slots[SlotOf(parts[i].window->head, kSlots)] += w;
      parts[i].window->total += w;
    }
  }
  for (size_t i = held; i-- > 0;) locked[i]->mu.unlock();
  return d;
}

size_t Throttle::tracked_scopes() const {
  size_t n = 0;
  for (const Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    n += s.scopes.size();
  }
  return n;
}

}  // namespace coffer::api
