// Timing helper of the in-process micro-benchmarks (authz_check.cc, throttle_check.cc): the
// wall-clock nanoseconds per call of `fn(i)` over `iterations` calls.
#pragma once

#include <chrono>
#include <cstddef>

namespace coffer::bench {

template <typename Fn>
double NanosPerCall(size_t iterations, Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < iterations; ++i) fn(i);
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(end - start).count() /
         static_cast<double>(iterations);
}

}  // namespace coffer::bench
