// Throttle: admits or refuses one request against the service limits (service_limits.h), per
// node. Each scope — a vault, a subscription in one location, and (when `per_identity` is set)
// one caller in one vault — keeps, per transaction class, a sliding window of the last 10 s in
// 100 one-tenth-of-a-second slots. A request of weight w is admitted when every scope it counts
// in has room for w in the window; it is then added to all of them at once. A refused request is
// added nowhere (Azure: 429s do not count), and its Retry-After is the whole seconds, rounded
// up, until every refusing scope would have room, from 1 to 10, assuming no other traffic. A
// weight above a scope's limit is cut to the limit, so a heavy request waits for an empty window
// instead of being refused forever. Tenth-of-a-second slots bound what any real-time 10 s span
// can admit to the limit plus one slot's admissions.
//
// Time: an injected Clock (whole seconds: tests move it by hand and nothing sleeps), or, without
// one, the system clock in milliseconds. A clock that steps back keeps counting into the newest
// slot until it catches up.
//
// Thread-safety: Admit is safe to call concurrently. Scopes live in 64 lock stripes chosen by
// a hash of the scope's key; a request locks at most three stripes, in address order, for a few
// dozen instructions, and allocates only for a scope or class it has never seen. Scopes idle for
// a whole window are dropped when their stripe grows, so memory follows the active vaults and
// callers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/service_limits.h"
#include "core/clock.h"

namespace coffer::api {

// Who a request is counted against.
struct ThrottleScope {
  std::string_view vault_id;
  std::string_view subscription_id;
  std::string_view location;
  std::string_view caller;  // the caller's object id; "" = no per-caller share
};

struct ThrottleDecision {
  bool admitted = true;
  int retry_after = 0;      // refused: seconds until it would be admitted, 1..10
  std::string_view reason;  // refused: which limit, as Azure's 429 message names it
};

class Throttle {
 public:
  // `clock` null: the system clock, in milliseconds.
  Throttle(ServiceLimits limits, const Clock* clock);

  ThrottleDecision Admit(const ThrottleScope& scope, ThrottleClass cls, uint32_t weight);
  // Admit at `now_ms`, milliseconds since the epoch (tests of sub-second edges).
  ThrottleDecision AdmitAt(const ThrottleScope& scope, ThrottleClass cls, uint32_t weight,
                           int64_t now_ms);

  const ServiceLimits& limits() const { return limits_; }
  // Scopes currently tracked, all stripes (tests of the idle sweep).
  size_t tracked_scopes() const;

 private:
  static constexpr int64_t kSlotMillis = 100;
  static constexpr int kSlots = ServiceLimits::kWindowSeconds * 1000 / kSlotMillis;

  // One class's requests in one scope over the last kSlots slots.
  struct Window {
    int64_t head = 0;  // the newest slot (milliseconds since the epoch / kSlotMillis)
    uint64_t total = 0;
    std::array<uint32_t, kSlots> slots{};
    // Moves the window to slot `now`, dropping the slots that left it.
    void Advance(int64_t now);
    // Slots from the head until `weight` more fits under `limit` (0: fits now).
    int WaitFor(uint64_t limit, uint64_t weight) const;
  };
  struct Counters {
    int64_t last_used = 0;  // slot
    std::array<std::unique_ptr<Window>, kThrottleClasses> windows;  // made on first use
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct alignas(64) Stripe {
    mutable std::mutex mu;
    std::unordered_map<std::string, Counters, Hash, std::equal_to<>> scopes;
    size_t sweep_at = 256;
    // Drops scopes idle for a whole window once the map has doubled since the last sweep.
    void MaybeSweep(int64_t now);
    Counters& Find(std::string_view key, int64_t now);
  };
  static constexpr size_t kStripes = 64;

  int64_t NowMillis() const;

  ServiceLimits limits_;
  const Clock* clock_;
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace coffer::api
