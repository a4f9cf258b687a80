#include "api/app.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "core/encoding.h"
#include "crypto/primitives.h"

namespace coffer::api {
namespace {

http::Response Challenge(const App& app, const HostInfo& host, const std::string& audience,
                         const std::string& message) {
  http::Response r = ErrorResponse(UnauthenticatedError(message, "Unauthorized"));
  r.headers.Set("WWW-Authenticate", "Bearer authorization=\"" + host.Origin() + "/" +
                                        app.options().tenant_id + "\", resource=\"" + audience +
                                        "\"");
  return r;
}

// A request id: 8 random bytes drawn once per thread, then that thread's counter — unique
// within a thread, and across threads and restarts but for a 2^-64 chance of equal prefixes.
// Ids are not secrets; this keeps the OS random source (and OpenSSL's fork check, a getpid
// per call) off the per-request path.
std::string NextRequestId() {
  thread_local const std::string prefix = EncodeHex(crypto::SystemRandom().Bytes(8));
  thread_local uint64_t counter = 0;
  char digits[17];
  std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(++counter));
  return prefix + digits;
}

// The audience a request that matched no route is challenged for: the data plane on a vault
// host and on data-looking paths, the management plane on ARM and /_coffer paths.
bool LooksLikeData(const HostInfo& host, const std::vector<std::string>& s) {
  if (host.is_vault || s.empty()) return true;
  return !(EqualsIgnoreCase(s[0], "subscriptions") || EqualsIgnoreCase(s[0], "providers") ||
           s[0] == "_coffer");
}

}  // namespace

std::optional<std::vector<std::string>> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view raw = path.substr(start, slash == std::string_view::npos ? path.npos
                                                                              : slash - start);
    auto decoded = http::PercentDecode(raw);
    if (!decoded) return std::nullopt;
    out.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (out.size() >= 2 && out.back().empty()) out.pop_back();
  return out;
}

App::App(AppOptions options, AppServices services)
    : options_(std::move(options)),
      services_(std::move(services)),
      metrics_(CofferRoutes()),
      throttle_(options_.limits, services_.limits_clock) {}

StatusOr<auth::Principal> App::Authenticate(const http::RequestHead& head,
                                            const std::string& audience) const {
  auto authz = head.headers.Get("Authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (!authz || authz->size() <= kBearer.size() ||
      !EqualsIgnoreCase(authz->substr(0, kBearer.size()), kBearer)) {
    return UnauthenticatedError("AKV10000: Request is missing a Bearer or PoP token.");
  }
  std::string_view token = authz->substr(kBearer.size());
  return services_.tokens->Validate(token, audience, [this](std::string_view origin) {
    if (!origin.starts_with("https://")) return false;
    auto h = ParseHost(origin.substr(8), options_.extra_hosts);
    return h.ok() && !h->is_vault;
  });
}

http::Response App::ErrorResponse(int status, std::string_view message) {
  return ProtocolErrorResponse(status, message);
}

http::HeadDecision App::OnHead(const http::RequestHead& head) {
  http::HeadDecision d;
  RequestContext ctx;
  ctx.start = std::chrono::steady_clock::now();
  ctx.request_id = NextRequestId();
  auto refuse = [&](http::Response r) {
    d.respond_now = Finish(ctx, head, std::move(r));
    return std::move(d);
  };
  auto host = ParseHost(head.host, options_.extra_hosts);
  if (!host.ok()) return refuse(api::ErrorResponse(host.status()));
  ctx.host = *host;
  // A CORS preflight from the portal's own origin, before authentication (a preflight carries
  // no credentials); Finish adds the origin. Any other preflight goes on and is refused.
  if (head.method == "OPTIONS" && head.headers.Get("Access-Control-Request-Method")) {
    auto origin = head.headers.Get("Origin");
    if (origin && IsPortalOrigin(*origin, ctx.host, options_.extra_hosts)) {
      http::Response r;
      r.status = 204;
      r.headers.Set("Access-Control-Allow-Methods", "GET, PUT, POST, PATCH, DELETE");
      r.headers.Set("Access-Control-Allow-Headers", "Authorization, Content-Type");
      r.headers.Set("Access-Control-Max-Age", "600");
      return refuse(std::move(r));
    }
  }
  auto segments = SplitPath(head.path);
  if (!segments) {
    return refuse(api::ErrorResponse(
        InvalidArgumentError("The request path has a malformed percent-escape.", "BadParameter")));
  }
  ctx.segments = std::move(*segments);
  RouteMatch match = CofferRoutes().Match(head.method, ctx.segments, ctx.host.is_vault);
  ctx.route = match.route;
  ctx.params = std::move(match.params);
  const Route* route = ctx.route;

  if (route != nullptr && route->plane == Plane::kOperator) {
    d.body_limit = route->body_limit;
    d.context = std::move(ctx);
    return d;
  }
  if (services_.barrier->sealed()) {
    http::Response r = api::ErrorResponse(UnavailableError(
        "Coffer is sealed. An operator must unseal it (`coffer operator unseal`).",
        "ServiceUnavailable"));
    r.headers.Set("Retry-After", "5");
    return refuse(std::move(r));
  }
  // Several nodes: nothing cached is consulted before this node has heard of every write
  // acknowledged before the request arrived (CONTRACT.md: "read by every other at once").
  if (services_.await_fresh) {
    if (!head.awaited.has_value()) {
      http::HeadDecision wait;
      wait.await = services_.await_fresh;
      return wait;
    }
    if (!*head.awaited) {
      http::Response r = api::ErrorResponse(UnavailableError(
          "Coffer cannot confirm that it has every change the other nodes committed: its "
          "notification connection to the database is down. Retry shortly.",
          "ServiceUnavailable"));
      r.headers.Set("Retry-After", "1");
      return refuse(std::move(r));
    }
  }
  if (route != nullptr && route->authz == Authz::kNone) {
    d.body_limit = route->body_limit;
    d.run_inline = route->run_inline;
    d.context = std::move(ctx);
    return d;
  }

  // Authenticate before anything else is looked at, whatever the path.
  bool data = route != nullptr ? route->plane == Plane::kData
                               : LooksLikeData(ctx.host, ctx.segments);
  const std::string& audience = data ? options_.data_audience : options_.management_audience;
  auto principal = Authenticate(head, audience);
  if (!principal.ok()) {
    if (principal.status().code() == StatusCode::kUnauthenticated) {
      return refuse(Challenge(*this, ctx.host, audience, principal.status().message()));
    }
    return refuse(api::ErrorResponse(principal.status()));
  }
  ctx.principal = std::move(*principal);

  if (route == nullptr) {
    if (!match.path_exists) return refuse(NoRoute(head));
    http::Response r = api::ErrorResponse(Status(
        StatusCode::kFailedPrecondition,
        "The method " + head.method.substr(0, 16) + " is not allowed on this path; use " +
            match.allowed + ".",
        "MethodNotAllowed"));
    r.status = 405;
    r.headers.Set("Allow", match.allowed);
    return refuse(std::move(r));
  }

  if (route->plane == Plane::kData) {
    if (Status s = CheckDataApiVersion(head, &ctx.api_version); !s.ok()) {
      return refuse(api::ErrorResponse(s));
    }
    auto vault = services_.vaults->Get(ctx.host.is_vault ? ctx.host.vault_name
                                                         : options_.default_vault);
    if (!vault.ok()) return refuse(api::ErrorResponse(vault.status()));
    ctx.vault = std::move(*vault);
  }
  if (Status s = Authorize(ctx); !s.ok()) return refuse(api::ErrorResponse(s));
  if (auto throttled = ApplyLimits(ctx, nullptr)) return refuse(std::move(*throttled));

  d.body_limit = route->body_limit;
  d.body_memory_factor = route->body_memory_factor;
  d.run_inline = route->run_inline;
  if (route->spool_body && services_.vault_backups != nullptr) {
    d.body_spool_dir = services_.vault_backups->spool_dir();
  }
  d.context = std::move(ctx);
  return d;
}

http::Response App::Handle(http::Request& req) {
  auto* ctx = std::any_cast<RequestContext>(&req.context);
  if (ctx == nullptr || ctx->route == nullptr) {
    return api::ErrorResponse(InternalError("request without a route"));
  }
  if (ctx->limit_pending) {
    if (auto throttled = ApplyLimits(*ctx, &req.body)) {
      SecureClear(req.body);
      return Finish(*ctx, req, std::move(*throttled));
    }
  }
  if (services_.paired_read_check && ctx->route->plane != Plane::kOperator &&
      ctx->route->plane != Plane::kPortal) {
    if (Status s = services_.paired_read_check(); !s.ok()) {
      SecureClear(req.body);
      return Finish(*ctx, req, api::ErrorResponse(s));
    }
  }
  http::Response resp = ctx->route->handler(*this, *ctx, req);
  SecureClear(req.body);
  return Finish(*ctx, req, std::move(resp));
}

namespace {

std::string_view PlaneName(Plane p) {
  switch (p) {
    case Plane::kData: return "data";
    case Plane::kIdentity: return "identity";
    case Plane::kOperator: return "operator";
    case Plane::kPortal: return "portal";
    case Plane::kManagement:
    case Plane::kAdmin:
    case Plane::kDev: break;
  }
  return "management";
}

std::string_view KindName(ObjectKind k) {
  switch (k) {
    case ObjectKind::kSecret: return "secret";
    case ObjectKind::kKey: return "key";
    case ObjectKind::kCertificate: return "certificate";
    case ObjectKind::kNone: break;
  }
  return "";
}

}  // namespace

// One audit line per request, written before the response is sent (CONTRACT.md "Audit log"):
// who, what, which object, the result — never a value, a key or a token. False when it cannot
// be written: the caller must then answer 503 (fail-closed).
bool App::Audit(const RequestContext& ctx, const http::RequestHead& head, int status) const {
  if (services_.audit == nullptr) return true;
  auth::AuditEntry e;
  e.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  e.request_id = ctx.request_id;
  e.caller_oid = ctx.principal.object_id;
  e.caller_appid = ctx.principal.client_id;
  e.caller_tid = ctx.principal.tenant_id;
  e.ip = head.remote_address;
  const Route* r = ctx.route;
  e.plane = r != nullptr ? PlaneName(r->plane)
                         : (LooksLikeData(ctx.host, ctx.segments) ? "data" : "management");
  if (ctx.vault) {
    e.vault = ctx.vault->name;
  } else if (ctx.host.is_vault) {
    e.vault = ctx.host.vault_name;
  } else if (r != nullptr && !ctx.Param("vault").empty()) {
    e.vault = ctx.Param("vault");
  }
  if (r != nullptr) {
    e.operation = r->action.empty() ? std::string(r->method) + " " + std::string(r->pattern)
                                    : std::string(r->action);
    if (r->object != ObjectKind::kNone) {
      e.object_kind = KindName(r->object);
      e.object_name = ctx.Param("name");
      e.object_version = ctx.Param("version");
    }
  }
  e.status = status;
  e.duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            ctx.start)
                      .count();
  return services_.audit->Append(e).ok();
}

http::Response App::Finish(const RequestContext& ctx, const http::RequestHead& head,
                           http::Response resp) const {
  // Only a resolved vault is a label: a made-up host name must not add a series.
  std::string_view vault = ctx.vault ? std::string_view(ctx.vault->name) : std::string_view();
  metrics_.Observe(ctx.route, resp.status,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.start)
                       .count(),
                   vault, ctx.limit_pending ? ThrottleClass::kNone : ctx.limit_class,
                   ctx.throttled);
  if (!Audit(ctx, head, resp.status)) {
    SecureClear(resp.body);
    resp = api::ErrorResponse(UnavailableError(
        "The audit log cannot be written, so the request was not answered. An operator must "
        "check the audit log's disk and path.",
        "ServiceUnavailable"));
    resp.headers.Set("Retry-After", "5");
  }
  if (ctx.route != nullptr ? ctx.route->plane == Plane::kData : ctx.host.is_vault) {
    resp.headers.Set("x-ms-keyvault-service-version", "1.9.0.0");
  }
  if (auto id = head.headers.Get("x-ms-client-request-id")) {
    resp.headers.Set("x-ms-client-request-id", std::string(id->substr(0, 128)));
  }
  resp.headers.Set("x-ms-request-id", ctx.request_id);
  // CORS for the portal's own origin only, never "*" (CONTRACT.md "Routes that need no token"):
  // its page on https://localhost:<port> calls the vault hosts (and the management plane, when
  // opened on 127.0.0.1) with the user's token.
  if (auto origin = head.headers.Get("Origin"); origin && !ctx.host.authority.empty()) {
    resp.headers.Set("Vary", "Origin");
    if (IsPortalOrigin(*origin, ctx.host, options_.extra_hosts)) {
      resp.headers.Set("Access-Control-Allow-Origin", std::string(*origin));
    }
  }
  return resp;
}

http::Response NoRoute(const http::RequestHead& req) {
  return ErrorResponse(NotFoundError("There is no operation " + req.method.substr(0, 16) + " " +
                                         std::string(req.path.substr(0, 200)) +
                                         " in this API. Check the path and method.",
                                     "NotFound"));
}

http::Response NoContent() {
  http::Response r;
  r.status = 204;
  return r;
}

}  // namespace coffer::api
