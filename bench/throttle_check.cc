// What the service limits add to a request, in CPU time: Throttle::Admit — the decision every
// data-plane request makes in App::OnHead — against, in the same run, the route lookup every
// request already pays there (SplitPath + RouteTable::Match of GET /secrets/{name}, the
// baseline). Prints ns per call and the ratios. See bench/README.md.
//
//   build/bench/coffer_throttle_check [iterations=2000000] [vaults=1000]
//
// Cases (one vault of one subscription unless said otherwise):
//   admitted        the limit is never reached (the secret GET hot path), one thread;
//   admitted x2     two threads on the same vault at once (both I/O threads of a 2-core node);
//   many vaults     each call on the next of `vaults` vaults (stripes and map lookups vary);
//   per caller      per_identity on: a third scope per request;
//   refused         the window is full: every call is refused (what a 429 costs here);
//   route match     the baseline.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "api/request_context.h"
#include "api/route_table.h"
#include "api/throttle.h"
#include "nanos_per_call.h"

namespace {

using namespace coffer;       // NOLINT: a benchmark's main
using namespace coffer::api;  // NOLINT

using bench::NanosPerCall;

ServiceLimits Unlimited() {
  ServiceLimits l;
  for (auto& v : l.per_vault) v = ServiceLimits::kMaxLimit;
  l.subscription_factor = 1000;
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  size_t iterations = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2'000'000;
  size_t vault_count = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
  if (iterations == 0 || vault_count == 0) {
    std::fprintf(stderr, "throttle_check: iterations and vaults must be positive\n");
    return 2;
  }
  // No injected clock: the system clock in milliseconds, as in the server.
  const Clock* clock = nullptr;
  const ThrottleScope scope{"0123456789abcdef0123456789abcdef",
                            "11111111-2222-3333-4444-555555555555", "eastus",
                            "66666666-7777-8888-9999-000000000000"};
  bool all = true;

  Throttle open(Unlimited(), clock);
  double admitted = NanosPerCall(iterations, [&](size_t) {
    all &= open.Admit(scope, ThrottleClass::kVaultOther, 1).admitted;
  });

  double contended = 0;
  {
    std::vector<std::thread> threads;
    std::vector<double> per_thread(2);
    for (size_t t = 0; t < per_thread.size(); ++t) {
      threads.emplace_back([&, t] {
        per_thread[t] = NanosPerCall(iterations, [&](size_t) {
          open.Admit(scope, ThrottleClass::kVaultOther, 1);
        });
      });
    }
    for (auto& th : threads) th.join();
    contended = (per_thread[0] + per_thread[1]) / 2;
  }

  std::vector<std::string> vault_ids;
  for (size_t i = 0; i < vault_count; ++i) vault_ids.push_back("vault-" + std::to_string(i));
  Throttle spread(Unlimited(), clock);
  double many = NanosPerCall(iterations, [&](size_t i) {
    ThrottleScope s = scope;
    s.vault_id = vault_ids[i % vault_ids.size()];
    all &= spread.Admit(s, ThrottleClass::kVaultOther, 1).admitted;
  });

  ServiceLimits shared = Unlimited();
  shared.per_identity = 0.5;
  Throttle per_caller(shared, clock);
  double caller = NanosPerCall(iterations, [&](size_t) {
    all &= per_caller.Admit(scope, ThrottleClass::kVaultOther, 1).admitted;
  });

  ServiceLimits tiny;
  tiny.per_vault[static_cast<size_t>(ThrottleClass::kVaultOther)] = 1;
  Throttle full(tiny, clock);
  full.Admit(scope, ThrottleClass::kVaultOther, 1);
  size_t refused_count = 0;
  double refused = NanosPerCall(iterations, [&](size_t) {
    refused_count += !full.Admit(scope, ThrottleClass::kVaultOther, 1).admitted;
  });

  const std::string path = "/secrets/bench-get";
  double baseline = NanosPerCall(iterations, [&](size_t) {
    auto segments = SplitPath(path);
    all &= CofferRoutes().Match("GET", *segments, true).route != nullptr;
  });

  // A window can turn over during the refused run (a new second, 1 request admitted per 10 s).
  if (!all || refused_count + 2 < iterations) {
    std::fprintf(stderr, "throttle_check: a call that must be admitted or refused was not\n");
    return 1;
  }
  std::printf("== bench/throttle_check: %zu iterations per case\n", iterations);
  std::printf("admitted, one thread:              %8.1f ns/request\n", admitted);
  std::printf("admitted, two threads, one vault:  %8.1f ns/request (per thread)\n", contended);
  std::printf("admitted, %zu vaults in turn:    %8.1f ns/request\n", vault_count, many);
  std::printf("admitted, per-caller share on:     %8.1f ns/request\n", caller);
  std::printf("refused (window full):             %8.1f ns/request\n", refused);
  std::printf("baseline: path split + route match:%8.1f ns/request\n", baseline);
  std::printf("ratio admitted/route match:              %.2f\n", admitted / baseline);
  std::printf("ratio admitted (2 threads)/route match:  %.2f\n", contended / baseline);
  std::printf("ratio refused/route match:               %.2f\n", refused / baseline);
  return 0;
}
