// App::ApplyLimits: the service limits at the route table's hook (CONTRACT.md "Throttling";
// docs/decisions.md "Service limits"). OnHead calls it once a data-plane request is
// authenticated and authorized, before its body is read; only key create and rotate, whose
// class (-HSM or not) comes from the body or the key, are decided in Handle.
#include <nlohmann/json.hpp>

#include "api/app.h"
#include "api/errors.h"

namespace coffer::api {
namespace {

// The kty a key create body names; "" when it names none (the handler answers the 400).
std::string BodyKty(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return "";
  auto it = j.find("kty");
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::optional<http::Response> App::ApplyLimits(RequestContext& ctx,
                                               const std::string* body) const {
  const Route* route = ctx.route;
  if (route == nullptr || route->limit == ThrottleClass::kNone || !ctx.vault) {
    return std::nullopt;
  }
  ctx.limit_pending = route->limit == ThrottleClass::kKeyCreate && body == nullptr;
  if (ctx.limit_pending) return std::nullopt;

  ThrottleClass cls = route->limit;
  uint32_t weight = 1;
  const std::string& name = ctx.Param("name");
  if (cls == ThrottleClass::kKeyCreate) {
    std::string kty = BodyKty(*body);
    bool hsm = kty.ends_with("-HSM");
    if (kty.empty()) {  // rotate: the key's own type
      auto shape = services_.keys->Shape(*ctx.vault, name, "");
      hsm = shape.ok() && shape->hsm;
    }
    if (hsm) cls = ThrottleClass::kKeyCreateHsm;
  } else if (cls == ThrottleClass::kKeyOther && route->object == ObjectKind::kKey &&
             !name.empty()) {
    // A key that cannot be read (deleted, missing) weighs as a software RSA-2048 key; the
    // handler answers its 404.
    auto shape = services_.keys->Shape(*ctx.vault, name, ctx.Param("version"));
    if (shape.ok()) {
      if (shape->hsm) cls = ThrottleClass::kKeyOtherHsm;
      weight = KeyOperationWeight(shape->type == crypto::KeyType::kRsa, shape->bits);
    }
  }
  ctx.limit_class = cls;
  ThrottleDecision d = throttle_.Admit(
      ThrottleScope{ctx.vault->id, ctx.vault->subscription_id, ctx.vault->location,
                    ctx.principal.object_id},
      cls, weight);
  if (d.admitted) return std::nullopt;
  ctx.throttled = true;
  // Azure's 429 (AZURE_API.md Part 2 §C2) plus Retry-After, without which the JS SDK does not
  // retry.
  http::Response r = api::ErrorResponse(ResourceExhaustedError(
      "Request was not processed because too many requests were received. Reason: " +
      std::string(d.reason)));
  r.headers.Set("Retry-After", std::to_string(d.retry_after));
  return r;
}

}  // namespace coffer::api
