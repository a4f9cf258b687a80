// Clocks. The domain never reads the system time directly: it is handed a Clock, so tests
// (and the dev-mode time shift) can move time without sleeping.
//
// Times are Unix seconds (Azure's wire format). Thread-safety: all implementations are safe to
// call from many threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace coffer {

using UnixSeconds = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixSeconds Now() const = 0;
};

// "2026-12-06T03:38:16Z" (RFC 3339, UTC, whole seconds), as ARM writes dates.
std::string FormatRfc3339(UnixSeconds t);

// The real wall clock.
class SystemClock final : public Clock {
 public:
  UnixSeconds Now() const override;
};

// A clock that reads `base` plus an offset that can only move forward: the domain clock of
// dev mode (`coffer dev time-shift`). Token and TLS checks never use it.
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(const Clock& base) : base_(base) {}
  UnixSeconds Now() const override { return base_.Now() + offset_.load(); }
  // Adds `seconds` (must be >= 0) to the offset; returns the new offset.
  int64_t Advance(int64_t seconds) { return offset_ += seconds; }
  int64_t offset() const { return offset_.load(); }

 private:
  const Clock& base_;
  std::atomic<int64_t> offset_{0};
};

// A clock set by hand, for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixSeconds start = 1'700'000'000) : now_(start) {}
  UnixSeconds Now() const override { return now_.load(); }
  void Set(UnixSeconds t) { now_ = t; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  std::atomic<UnixSeconds> now_;
};

}  // namespace coffer
