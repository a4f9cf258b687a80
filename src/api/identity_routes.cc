// Identity (Entra-compatible token endpoint, discovery, JWKS), operator (health, unseal) and
// dev (time shift) routes.
#include <map>

#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

http::Response OAuthError(int status, const std::string& error, const std::string& description) {
  return JsonResponse(status, Dump(Json{{"error", error}, {"error_description", description}}));
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    std::string_view pair = body.substr(start, amp == std::string_view::npos ? body.npos
                                                                              : amp - start);
    size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    for (char& c : name) if (c == '+') c = ' ';
    for (char& c : value) if (c == '+') c = ' ';
    auto n = http::PercentDecode(name);
    auto v = http::PercentDecode(value);
    if (n && v && !n->empty()) out.emplace(std::move(*n), std::move(*v));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

// The tenant segment of an identity path; an OAuth error when it is not ours.
std::optional<http::Response> CheckTenant(const App& app, const RequestContext& ctx) {
  const std::string& tenant = ctx.Param("tenant");
  if (EqualsIgnoreCase(tenant, app.options().tenant_id)) return std::nullopt;
  return OAuthError(400, "invalid_request",
                    "Tenant '" + tenant.substr(0, 64) + "' is not served by this Coffer server.");
}

}  // namespace

std::string ScopeAudience(const App& app, std::string_view scope) {
  std::string audience;
  size_t start = 0;
  while (start < scope.size()) {
    size_t space = scope.find(' ', start);
    std::string_view item = scope.substr(start, space == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : space - start);
    start = space == std::string_view::npos ? scope.size() : space + 1;
    if (item.empty() || item == "openid" || item == "profile" || item == "offline_access") {
      continue;
    }
    bool known = false;
    for (const std::string* aud :
         {&app.options().data_audience, &app.options().management_audience}) {
      if (item.size() == aud->size() + 9 && item.starts_with(*aud) &&
          item.ends_with("/.default")) {
        known = true;
        if (!audience.empty()) return "";  // two audiences
        audience = *aud;
      }
    }
    if (!known) return "";
  }
  return audience;
}

COFFER_ROUTE_HANDLER(IssueToken) {
  if (auto bad = CheckTenant(app, ctx)) return std::move(*bad);
  auto form = ParseForm(req.body);
  SecureClear(req.body);
  if (form["grant_type"] != "client_credentials") {
    return OAuthError(400, "unsupported_grant_type",
                      "Only the client_credentials grant is supported.");
  }
  std::string audience = ScopeAudience(app, form["scope"]);
  if (audience.empty()) {
    return OAuthError(400, "invalid_scope",
                      "The scope must be '" + app.options().data_audience + "/.default' or '" +
                          app.options().management_audience + "/.default'.");
  }
  auto client = app.services().principals->Authenticate(ctx.Param("tenant"), form["client_id"],
                                                     form["client_secret"]);
  SecureClear(form["client_secret"]);
  if (!client.ok()) {
    if (client.status().code() == StatusCode::kUnauthenticated) {
      return OAuthError(401, "invalid_client", client.status().message());
    }
    return ErrorResponse(client.status());
  }
  auto token = app.services().tokens->Issue(
      *client, ctx.host.Origin() + "/" + app.options().tenant_id + "/v2.0", audience);
  if (!token.ok()) return ErrorResponse(token.status());
  return JsonResponse(200, Dump(Json{{"token_type", "Bearer"},
                                     {"expires_in", token->expires_in},
                                     {"ext_expires_in", token->expires_in},
                                     {"access_token", token->access_token}}));
}

COFFER_ROUTE_HANDLER(Jwks) {
  if (auto bad = CheckTenant(app, ctx)) return std::move(*bad);
  auto jwks = app.services().tokens->JwksJson();
  if (!jwks.ok()) return ErrorResponse(jwks.status());
  return JsonResponse(200, *jwks);
}

COFFER_ROUTE_HANDLER(OpenIdConfiguration) {
  if (auto bad = CheckTenant(app, ctx)) return std::move(*bad);
  std::string base = ctx.host.Origin() + "/" + app.options().tenant_id;
  Json doc = {
      {"issuer", base + "/v2.0"},
      {"token_endpoint", base + "/oauth2/v2.0/token"},
      {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
      {"jwks_uri", base + "/discovery/v2.0/keys"},
      {"response_types_supported", {"token"}},
      {"subject_types_supported", {"pairwise"}},
      {"id_token_signing_alg_values_supported", {"ES256"}},
      {"token_endpoint_auth_methods_supported", {"client_secret_post"}},
      {"grant_types_supported", {"client_credentials"}},
      {"tenant_region_scope", nullptr},
      {"cloud_instance_name", "localhost"},
  };
  return JsonResponse(200, Dump(doc));
}

COFFER_ROUTE_HANDLER(Health) {
  return JsonResponse(200, Dump(Json{{"sealed", app.services().barrier->sealed()}}));
}

COFFER_ROUTE_HANDLER(Unseal) {
    auto body = ParseObjectBody(req.body);
    SecureClear(req.body);
    if (!body.ok()) return ErrorResponse(body.status());
    auto key_text = OptString(*body, "key");
    if (!key_text.ok()) return ErrorResponse(key_text.status());
    if (!*key_text) return ErrorResponse(FieldTypeError("key", "the base64 unseal key"));
    auto key = DecodeBase64UrlSecret(**key_text);
    if (!key) return ErrorResponse(FieldTypeError("key", "the base64 unseal key"));
    Status st = app.services().unseal(*key);
    if (!st.ok()) return ErrorResponse(st);
    return JsonResponse(200, Dump(Json{{"sealed", app.services().barrier->sealed()}}));
}

COFFER_ROUTE_HANDLER(DevClock) {
  ShiftedClock* clock = app.services().dev_clock;
  if (!app.options().dev_mode || clock == nullptr) return NoRoute(req);
  if (req.method == "POST") {
    auto body = ParseObjectBody(req.body);
    if (!body.ok()) return ErrorResponse(body.status());
    auto seconds = OptInt(*body, "seconds");
    if (!seconds.ok()) return ErrorResponse(seconds.status());
    if (!*seconds || **seconds < 0 || **seconds > 100LL * 365 * 86400) {
      return ErrorResponse(InvalidArgumentError(
          "'seconds' must be a whole number of seconds between 0 and 100 years; the dev clock "
          "only moves forward.",
          "BadParameter"));
    }
    clock->Advance(**seconds);
    if (app.services().sweeper) app.services().sweeper->Wake();
  }
  return JsonResponse(200, Dump(Json{{"offsetSeconds", clock->offset()}, {"now", clock->Now()}}));
}

}  // namespace coffer::api
