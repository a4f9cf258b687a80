// The portal (CONTRACT.md "Portal"): its static files and its dev sign-in, on the base host
// only (the route table serves a vault host nothing but its data plane), without a token.
//   GET  /portal/ and /portal/<file>  → the file compiled into the binary (portal/), with its
//        content type and a strict Content-Security-Policy; 404 for any other name.
//   POST /portal/dev-token            → dev mode only: {"access_token", "expires_in",
//        "token_type"} of the dev client for the scope the JSON body names ({"scope":
//        "<audience>/.default"}, default the data plane), when the request's Origin is the
//        portal's own; never the client secret. 403 for another or no Origin, 404 outside dev
//        mode.
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "portal/portal_assets.h"

namespace coffer::api {
namespace {

// What the page may load and call: itself, and the vaults' data planes on the same port (the
// management plane and the token endpoint are on its own origin). Nothing inline, no eval, no
// framing, no plugins; blob: downloads need no source.
std::string ContentSecurityPolicy(const HostInfo& host) {
  std::string port = host.port.empty() ? "" : ":" + host.port;
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self' https://*.vault.localhost" + port +
         "; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

}  // namespace

COFFER_ROUTE_HANDLER(PortalFile) {
  const portal::Asset* asset = portal::FindAsset(ctx.Param("file"));
  if (asset == nullptr) return NoRoute(req);
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", std::string(asset->content_type));
  r.headers.Set("Content-Security-Policy", ContentSecurityPolicy(ctx.host));
  r.headers.Set("X-Content-Type-Options", "nosniff");
  r.headers.Set("Referrer-Policy", "no-referrer");
  r.headers.Set("Cache-Control", "no-cache");
  r.body = std::string(asset->body);
  return r;
}

COFFER_ROUTE_HANDLER(PortalDevToken) {
  if (!app.options().dev_mode || !app.services().dev_client) return NoRoute(req);
  auto origin = req.headers.Get("Origin");
  if (!origin || !IsPortalOrigin(*origin, ctx.host, app.options().extra_hosts)) {
    return ErrorResponse(PermissionDeniedError(
        "The dev sign-in answers only the portal's own page: the request's Origin must be this "
        "server's origin (" + ctx.host.Origin() + ").",
        "Forbidden"));
  }
  std::string audience = app.options().data_audience;
  if (!req.body.empty()) {
    auto body = ParseObjectBody(req.body);
    if (!body.ok()) return ErrorResponse(body.status());
    if (body->contains("scope")) {
      const Json& scope = (*body)["scope"];
      audience = scope.is_string() ? ScopeAudience(app, scope.get<std::string>()) : "";
      if (audience.empty()) {
        return ErrorResponse(InvalidArgumentError(
            "The scope must be '" + app.options().data_audience + "/.default' or '" +
                app.options().management_audience + "/.default'.",
            "BadParameter"));
      }
    }
  }
  auto client = app.services().dev_client();
  if (!client.ok()) return ErrorResponse(client.status());
  auto token = app.services().tokens->Issue(
      *client, ctx.host.Origin() + "/" + app.options().tenant_id + "/v2.0", audience);
  if (!token.ok()) return ErrorResponse(token.status());
  http::Response r = JsonResponse(200, Dump(Json{{"token_type", "Bearer"},
                                                {"expires_in", token->expires_in},
                                                {"access_token", token->access_token}}));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace coffer::api
