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

constexpr size_t kIdentityBodyLimit = 64 * 1024;
constexpr size_t kManagementBodyLimit = 1024 * 1024;
constexpr size_t kDataBodyLimit = 256 * 1024;
constexpr size_t kRestoreBodyLimit = 24 * 1024 * 1024;

bool IsIdentityPath(const std::vector<std::string>& s) {
  // /{tenant}/oauth2/v2.0/token, /{tenant}/v2.0/.well-known/openid-configuration,
  // /{tenant}/discovery/v2.0/keys
  if (s.size() == 4 && s[1] == "oauth2" && s[2] == "v2.0" && s[3] == "token") return true;
  if (s.size() == 4 && s[1] == "v2.0" && s[2] == ".well-known" &&
      s[3] == "openid-configuration") {
    return true;
  }
  return s.size() == 4 && s[1] == "discovery" && s[2] == "v2.0" && s[3] == "keys";
}

Plane Classify(const HostInfo& host, const std::vector<std::string>& s) {
  if (host.is_vault) return Plane::kData;
  if (!s.empty() && s[0] == "_coffer") {
    if (s.size() >= 2 && (s[1] == "operator" || s[1] == "health")) return Plane::kOperator;
    return Plane::kDev;
  }
  if (!s.empty() && EqualsIgnoreCase(s[0], "subscriptions")) return Plane::kManagement;
  if (IsIdentityPath(s)) return Plane::kIdentity;
  return Plane::kData;
}

// Requests that never wait on a commit run on the connection's I/O thread (one per core) and
// skip the hand-off to the worker pool: reads (an SQLite snapshot and in-memory caches) and the
// key operations, which are CPU work on a cached key — on the I/O threads they use every core
// without two thread switches per request. Writes go to the worker pool, which is sized for
// callers blocked on a group commit.
bool RunsInline(const std::string& method, const std::vector<std::string>& s) {
  if (method == "GET") return true;
  if (method != "POST") return false;
  if (s.size() == 1 && s[0] == "rng") return true;
  if (s.size() != 4 || s[0] != "keys") return false;
  const std::string& op = s[3];
  return op == "sign" || op == "verify" || op == "encrypt" || op == "decrypt" ||
         op == "wrapkey" || op == "unwrapkey";
}

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

}  // namespace

std::optional<std::vector<std::string>> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
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
  return out;
}

App::App(AppOptions options, AppServices services)
    : options_(std::move(options)), services_(std::move(services)) {}

http::Response App::ErrorResponse(int status, std::string_view message) {
  return ProtocolErrorResponse(status, message);
}

http::HeadDecision App::OnHead(const http::RequestHead& head) {
  http::HeadDecision d;
  RequestContext ctx;
  auto host = ParseHost(head.host, options_.extra_hosts);
  if (!host.ok()) {
    d.respond_now = api::ErrorResponse(host.status());
    return d;
  }
  ctx.host = *host;
  auto segments = SplitPath(head.path);
  if (!segments) {
    d.respond_now = api::ErrorResponse(
        InvalidArgumentError("The request path has a malformed percent-escape.", "BadParameter"));
    return d;
  }
  ctx.segments = std::move(*segments);
  ctx.plane = Classify(ctx.host, ctx.segments);

  if (ctx.plane == Plane::kOperator) {
    d.body_limit = kIdentityBodyLimit;
    d.context = std::move(ctx);
    return d;
  }
  if (services_.barrier->sealed()) {
    d.respond_now = api::ErrorResponse(UnavailableError(
        "Coffer is sealed. An operator must unseal it (`coffer operator unseal`).",
        "ServiceUnavailable"));
    d.respond_now->headers.Set("Retry-After", "5");
    return d;
  }
  if (ctx.plane == Plane::kIdentity) {
    d.body_limit = kIdentityBodyLimit;
    d.context = std::move(ctx);
    return d;
  }

  const std::string& audience =
      ctx.plane == Plane::kData ? options_.data_audience : options_.management_audience;
  auto authz = head.headers.Get("Authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (!authz || authz->size() <= kBearer.size() ||
      !EqualsIgnoreCase(authz->substr(0, kBearer.size()), kBearer)) {
    d.respond_now = Challenge(*this, ctx.host, audience,
                              "AKV10000: Request is missing a Bearer or PoP token.");
    return d;
  }
  std::string_view token = authz->substr(kBearer.size());
  auto principal = services_.tokens->Validate(token, audience, [this](std::string_view origin) {
    if (!origin.starts_with("https://")) return false;
    auto h = ParseHost(origin.substr(8), options_.extra_hosts);
    return h.ok() && !h->is_vault;
  });
  if (!principal.ok()) {
    if (principal.status().code() == StatusCode::kUnauthenticated) {
      d.respond_now = Challenge(*this, ctx.host, audience, principal.status().message());
    } else {
      d.respond_now = api::ErrorResponse(principal.status());
    }
    return d;
  }
  ctx.principal = std::move(*principal);

  d.body_limit = ctx.plane == Plane::kData ? kDataBodyLimit : kManagementBodyLimit;
  if (ctx.plane == Plane::kData && head.method == "POST" && ctx.segments.size() == 2 &&
      ctx.segments[1] == "restore") {
    d.body_limit = kRestoreBodyLimit;
  }
  d.run_inline = ctx.plane == Plane::kData && RunsInline(head.method, ctx.segments);
  d.context = std::move(ctx);
  return d;
}

http::Response App::Handle(http::Request& req) {
  const auto* ctx = std::any_cast<RequestContext>(&req.context);
  if (ctx == nullptr) return api::ErrorResponse(InternalError("request without context"));
  http::Response resp;
  switch (ctx->plane) {
    case Plane::kIdentity: resp = HandleIdentity(*this, *ctx, req); break;
    case Plane::kOperator: resp = HandleOperator(*this, *ctx, req); break;
    case Plane::kManagement: resp = HandleManagement(*this, *ctx, req); break;
    case Plane::kDev: resp = HandleDev(*this, *ctx, req); break;
    case Plane::kData: {
      std::string version;
      Status s = CheckDataApiVersion(req, &version);
      if (!s.ok()) {
        resp = api::ErrorResponse(s);
        break;
      }
      std::string vault_name = ctx->host.is_vault ? ctx->host.vault_name : options_.default_vault;
      auto vault = services_.vaults->Get(vault_name);
      if (!vault.ok()) {
        resp = api::ErrorResponse(vault.status());
        break;
      }
      if (!ctx->segments.empty() &&
          (ctx->segments[0] == "secrets" || ctx->segments[0] == "deletedsecrets")) {
        resp = HandleSecrets(*this, *ctx, req, *vault, version);
      } else if (!ctx->segments.empty() &&
                 (ctx->segments[0] == "keys" || ctx->segments[0] == "deletedkeys")) {
        resp = HandleKeys(*this, *ctx, req, *vault, version);
      } else if (ctx->segments.size() == 1 && ctx->segments[0] == "rng") {
        resp = HandleRandomBytes(req);
      } else {
        resp = NoRoute(req);
      }
      resp.headers.Set("x-ms-keyvault-service-version", "1.9.0.0");
      break;
    }
  }
  SecureClear(req.body);
  if (auto id = req.headers.Get("x-ms-client-request-id")) {
    resp.headers.Set("x-ms-client-request-id", std::string(id->substr(0, 128)));
  }
  resp.headers.Set("x-ms-request-id", NextRequestId());
  return resp;
}

http::Response NoRoute(const http::Request& req) {
  return ErrorResponse(NotFoundError("There is no operation " + req.method + " " +
                                         std::string(req.path.substr(0, 200)) +
                                         " in this API. Check the path and method.",
                                     "NotFound"));
}

}  // namespace coffer::api
