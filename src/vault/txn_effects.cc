#include "vault/txn_effects.h"

namespace coffer::vault {

void TxnEffects::Run() {
  std::vector<std::function<void()>> fns = std::move(fns_);
  fns_.clear();
  for (auto& fn : fns) fn();
}

Status UpdateWithEffects(barrier::Barrier& barrier, const EffectsFn& fn) {
  TxnEffects effects;
  Status s = barrier.Update([&](barrier::Txn& t) { return fn(t, effects); });
  effects.Run();
  return s;
}

}  // namespace coffer::vault
