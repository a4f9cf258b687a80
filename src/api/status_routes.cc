// Health and metrics (CONTRACT.md "PostgreSQL and paired-region failover", "Throttling"):
//   GET /healthz  → 200 {"status":"ok","sealed":false,"storage":"primary","writable":true},
//                   503 with the same shape while sealed; no token.
//   GET /metrics  → Prometheus text; without a token from loopback, otherwise with a
//                   management token of the tenant administrator.
//   POST /_coffer/operator/failover/promote → 200 {"storage":"paired","writable":true}
//                   (tenant administrator; `coffer operator failover promote`).
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"

namespace coffer::api {
namespace {

ServingState State(const App& app) {
  ServingState s;
  if (app.services().serving) s = app.services().serving();
  s.sealed = app.services().barrier->sealed();
  return s;
}

bool FromLoopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

}  // namespace

COFFER_ROUTE_HANDLER(Healthz) {
  ServingState s = State(app);
  Json body = {{"status", s.sealed ? "sealed" : "ok"},
               {"sealed", s.sealed},
               {"storage", s.storage},
               {"writable", s.writable && !s.sealed}};
  http::Response r = JsonResponse(s.sealed ? 503 : 200, Dump(body));
  if (s.sealed) r.headers.Set("Retry-After", "5");
  return r;
}

COFFER_ROUTE_HANDLER(MetricsScrape) {
  if (!FromLoopback(req.remote_address)) {
    auto caller = app.Authenticate(req, app.options().management_audience);
    if (!caller.ok()) return ErrorResponse(caller.status());
    if (app.services().principals == nullptr ||
        !app.services().principals->IsTenantAdmin(caller->object_id)) {
      return ArmErrorResponse(PermissionDeniedError(
          "Metrics from another address need a management token of the tenant administrator.",
          "AuthorizationFailed"));
    }
  }
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.headers.Set("Cache-Control", "no-cache");
  r.body = app.metrics().Render(State(app));
  return r;
}

COFFER_ROUTE_HANDLER(PromotePair) {
  if (!app.services().promote_pair) {
    return ArmErrorResponse(FailedPreconditionError(
        "This node has no paired region: set [failover] paired_url (with [storage] engine = "
        "\"postgres\") to promote its replica."));
  }
  if (Status s = app.services().promote_pair(); !s.ok()) return ArmErrorResponse(s);
  ServingState s = State(app);
  return JsonResponse(200, Dump(Json{{"storage", s.storage}, {"writable", s.writable}}));
}

}  // namespace coffer::api
