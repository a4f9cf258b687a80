#include "server/cache_feed.h"

#include "core/log.h"

namespace coffer::server {

store::FeedHandler CacheFeed::Handler() {
  store::FeedHandler h;
  h.on_topic = [this](std::string_view topic) { OnTopic(topic); };
  h.on_reset = [this] { OnReset(); };
  h.on_idle = [this] { OnIdle(); };
  h.settled = [this] { return Settled(); };
  return h;
}

bool CacheFeed::Settled() const { return !(principals_ || subscriptions_ || roles_); }

void CacheFeed::OnTopic(std::string_view topic) {
  if (t_.keys != nullptr && t_.keys->OnCacheTopic(topic)) return;
  if (t_.barrier != nullptr && t_.barrier->DeliverCacheTopic(topic)) return;
  if (topic == vault::VaultRegistry::kCacheTopic) {
    if (t_.vaults != nullptr) t_.vaults->InvalidateCache();
    return;
  }
  if (topic == auth::PrincipalRegistry::kCacheTopic) {
    principals_ = true;
  } else if (topic == auth::SubscriptionRegistry::kCacheTopic) {
    subscriptions_ = true;
  } else if (topic == auth::RoleAssignmentStore::kCacheTopic) {
    roles_ = true;
  } else {
    log::warn("cache feed: unknown topic '{}' ignored", topic.substr(0, 64));
    return;
  }
  ReloadPending();
}

void CacheFeed::OnReset() {
  if (t_.keys != nullptr) t_.keys->ForgetAll();
  if (t_.barrier != nullptr) t_.barrier->ResetCaches();
  if (t_.vaults != nullptr) t_.vaults->InvalidateCache();
  principals_ = subscriptions_ = roles_ = true;
  ReloadPending();
}

void CacheFeed::OnIdle() {
  if (principals_ || subscriptions_ || roles_) ReloadPending();
}

namespace {
// The indexes answering per-request checks block those checks while they re-read.
Status Refresh(auth::PrincipalRegistry& p) { return p.Refresh(); }
Status Refresh(auth::RoleAssignmentStore& r) { return r.Refresh(); }
Status Refresh(auth::SubscriptionRegistry& s) { return s.Load(); }
}  // namespace

void CacheFeed::ReloadPending() {
  // Sealed: nothing is loaded and nothing answers from these indexes; unsealing loads them.
  if (t_.barrier == nullptr || t_.barrier->sealed()) {
    principals_ = subscriptions_ = roles_ = false;
    return;
  }
  Status failed;
  auto reload = [&](bool& pending, auto* target) {
    if (!pending || target == nullptr) return;
    Status s = Refresh(*target);
    if (s.ok()) {
      pending = false;
    } else if (failed.ok()) {
      failed = s;
    }
  };
  reload(principals_, t_.principals);
  reload(subscriptions_, t_.subscriptions);
  reload(roles_, t_.roles);
  if (!failed.ok() && !failing_) {
    log::warn("cache feed: reloading after another node's change failed ({}); retrying",
              failed.message());
  }
  failing_ = !failed.ok();
}

}  // namespace coffer::server
