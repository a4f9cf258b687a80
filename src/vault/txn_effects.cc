#include "vault/txn_effects.h"

#include <algorithm>

namespace coffer::vault {

void TxnEffects::Run() {
  std::vector<std::function<void()>> fns = std::move(fns_);
  fns_.clear();
  for (auto& fn : fns) fn();
}

std::vector<std::string> TopicsToPublish(const std::vector<std::string>& topics) {
  std::vector<std::string> out(topics);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() <= kMaxTopicsPerTxn) return out;
  for (std::string& topic : out) {
    size_t first = topic.find('/');
    size_t second = first == std::string::npos ? first : topic.find('/', first + 1);
    if (second != std::string::npos) topic.resize(second + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status UpdateWithEffects(barrier::Barrier& barrier, const EffectsFn& fn) {
  TxnEffects effects;
  Status s = barrier.Update([&](barrier::Txn& t) -> Status {
    RETURN_IF_ERROR(fn(t, effects));
    // Topics of an earlier run of fn (the engine may run it again) are published too: an
    // extra invalidation is harmless.
    for (const std::string& topic : TopicsToPublish(effects.topics())) t.Publish(topic);
    return OkStatus();
  });
  effects.Run();
  return s;
}

}  // namespace coffer::vault
