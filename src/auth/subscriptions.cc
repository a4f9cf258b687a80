#include "auth/subscriptions.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "auth/principals.h"  // NewGuid, IsGuid, ValidateDisplayName
#include "core/encoding.h"
#include "core/record_codec.h"

namespace coffer::auth {
namespace {

// Every write here publishes the cache topic: the other nodes sharing the storage reload once
// it commits (docs/decisions.md "Several nodes on one PostgreSQL").
Status PublishingUpdate(barrier::Barrier& barrier, const barrier::BarrierFn& fn) {
  return barrier.Update([&](barrier::Txn& t) {
    t.Publish(SubscriptionRegistry::kCacheTopic);
    return fn(t);
  });
}

constexpr uint8_t kSubscriptionRecordType = 0x23;
constexpr uint8_t kFormatV1 = 1;
constexpr std::string_view kPrefix = "subscription/";
constexpr std::string_view kPurpose = "subscription";
constexpr std::string_view kEnabled = "Enabled";

Status SubscriptionNotFound(std::string_view id) {
  return NotFoundError(
      "The subscription '" + std::string(id.substr(0, 64)) + "' could not be found.",
      "SubscriptionNotFound");
}

SecretBytes Encode(const Subscription& s) {
  RecordWriter w;
  w.U8(kSubscriptionRecordType);
  w.U8(kFormatV1);
  w.Bytes(s.id);
  w.Bytes(s.display_name);
  w.Bytes(s.state);
  w.Bytes(s.tenant_id);
  w.I64(s.created);
  return w.Finish();
}

StatusOr<Subscription> Decode(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kSubscriptionRecordType || format != kFormatV1) {
    return DataLossError("subscription record has an unknown type or format");
  }
  Subscription s;
  RETURN_IF_ERROR(r.String(&s.id, 64));
  RETURN_IF_ERROR(r.String(&s.display_name, 4 * kMaxSubscriptionDisplayNameChars));
  RETURN_IF_ERROR(r.String(&s.state, 32));
  RETURN_IF_ERROR(r.String(&s.tenant_id, 64));
  RETURN_IF_ERROR(r.I64(&s.created));
  RETURN_IF_ERROR(r.ExpectEnd());
  return s;
}

}  // namespace

SubscriptionRegistry::SubscriptionRegistry(barrier::Barrier& barrier, const Clock& clock,
                                           Random& rng, std::string tenant_id)
    : barrier_(barrier), clock_(clock), rng_(rng), tenant_id_(AsciiLower(tenant_id)) {}

Status SubscriptionRegistry::Load() {
  std::lock_guard write(write_mu_);
  return LoadLocked();
}

Status SubscriptionRegistry::LoadLocked() {
  std::map<std::string, Subscription, std::less<>> fresh;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    fresh.clear();
    ASSIGN_OR_RETURN(auto records, t.Scan(kPrefix, "", 0));
    for (const auto& [key, plain] : records) {
      ASSIGN_OR_RETURN(Subscription s, Decode(plain.view()));
      std::string id = s.id;
      fresh.emplace(std::move(id), std::move(s));
    }
    return OkStatus();
  }));
  std::unique_lock lock(mu_);
  by_id_ = std::move(fresh);
  loaded_ = true;
  return OkStatus();
}

Status SubscriptionRegistry::EnsureLoadedLocked() {
  {
    std::shared_lock lock(mu_);
    if (loaded_) return OkStatus();
  }
  return LoadLocked();
}

Status SubscriptionRegistry::EnsureLoaded() {
  {
    std::shared_lock lock(mu_);
    if (loaded_) return OkStatus();
  }
  std::lock_guard write(write_mu_);
  return EnsureLoadedLocked();
}

void SubscriptionRegistry::Unload() {
  std::lock_guard write(write_mu_);
  std::unique_lock lock(mu_);
  by_id_.clear();
  loaded_ = false;
}

StatusOr<Subscription> SubscriptionRegistry::Insert(Subscription s) {
  std::lock_guard write(write_mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac(kPurpose, s.id));
  std::string key = std::string(kPrefix) + EncodeHex(mac);
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto existing, t.Get(key));
    if (existing) {
      return AlreadyExistsError("The subscription '" + s.id + "' is already registered.",
                                "SubscriptionAlreadyExists");
    }
    return t.Put(key, Encode(s));
  }));
  std::unique_lock lock(mu_);
  by_id_[s.id] = s;
  return s;
}

StatusOr<Subscription> SubscriptionRegistry::Create(std::string_view display_name) {
  RETURN_IF_ERROR(
      ValidateDisplayName(display_name, kMaxSubscriptionDisplayNameChars, "displayName"));
  if (tenant_id_.empty()) {
    return FailedPreconditionError("This server has no tenant yet; bootstrap it first.");
  }
  Subscription s;
  s.id = NewGuid(rng_);
  s.display_name = std::string(display_name);
  s.state = std::string(kEnabled);
  s.tenant_id = tenant_id_;
  s.created = clock_.Now();
  return Insert(std::move(s));
}

StatusOr<Subscription> SubscriptionRegistry::Register(const Subscription& subscription) {
  if (!IsGuid(subscription.id) || !IsGuid(subscription.tenant_id)) {
    return InvalidArgumentError("A subscription's id and tenant must be GUIDs.", "BadParameter");
  }
  if (subscription.state != kEnabled) {
    return InvalidArgumentError("A subscription's state must be 'Enabled'.", "BadParameter");
  }
  RETURN_IF_ERROR(ValidateDisplayName(subscription.display_name, kMaxSubscriptionDisplayNameChars,
                                      "displayName"));
  Subscription s = subscription;
  s.id = AsciiLower(s.id);
  s.tenant_id = AsciiLower(s.tenant_id);
  if (s.created == 0) s.created = clock_.Now();
  return Insert(std::move(s));
}

StatusOr<std::vector<Subscription>> SubscriptionRegistry::List() {
  RETURN_IF_ERROR(EnsureLoaded());
  std::vector<Subscription> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, s] : by_id_) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const Subscription& a, const Subscription& b) {
    return std::tie(a.created, a.id) < std::tie(b.created, b.id);
  });
  return out;
}

StatusOr<Subscription> SubscriptionRegistry::Get(std::string_view id) {
  RETURN_IF_ERROR(EnsureLoaded());
  std::string lower = AsciiLower(id);
  std::shared_lock lock(mu_);
  auto it = by_id_.find(lower);
  if (it == by_id_.end()) return SubscriptionNotFound(id);
  return it->second;
}

bool SubscriptionRegistry::Exists(std::string_view id) const {
  std::shared_lock lock(mu_);
  if (by_id_.find(id) != by_id_.end()) return true;
  for (char c : id) {
    if (c >= 'A' && c <= 'Z') return by_id_.find(AsciiLower(id)) != by_id_.end();
  }
  return false;
}

}  // namespace coffer::auth
