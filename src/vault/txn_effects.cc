#include "vault/txn_effects.h"

namespace coffer::vault {

void TxnEffects::Run() {
  std::vector<std::function<void()>> fns = std::move(fns_);
  fns_.clear();
  for (auto& fn : fns) fn();
}

Status UpdateWithEffects(barrier::Barrier& barrier, const EffectsFn& fn) {
  TxnEffects effects;
  Status s = barrier.Update([&](barrier::Txn& t) -> Status {
    RETURN_IF_ERROR(fn(t, effects));
    // Topics of an earlier run of fn (the engine may run it again) are published too: an
    // extra invalidation is harmless.
    for (const std::string& topic : effects.topics()) t.Publish(topic);
    return OkStatus();
  });
  effects.Run();
  return s;
}

}  // namespace coffer::vault
