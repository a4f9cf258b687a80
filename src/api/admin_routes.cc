// Tenant administration (CONTRACT.md "Principals", "Management plane"): service principals and
// their client secrets under /_coffer/principals, the deployment's subscriptions under
// /_coffer/subscriptions (tenant administrator only, decided by the route table), and ARM's
// GET /subscriptions, which lists the subscriptions the caller holds any assignment in.
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "core/encoding.h"
#include "crypto/primitives.h"

namespace coffer::api {
namespace {

Json PrincipalJson(const auth::ServicePrincipal& p) {
  Json secrets = Json::array();
  for (const auth::ClientSecretInfo& s : p.secrets) {
    secrets.push_back({{"keyId", s.key_id}, {"created", FormatRfc3339(s.created)}});
  }
  return Json{{"objectId", p.object_id},
              {"clientId", p.client_id},
              {"tenantId", p.tenant_id},
              {"displayName", p.display_name},
              {"tenantAdministrator", p.tenant_admin},
              {"created", FormatRfc3339(p.created)},
              {"secrets", secrets}};
}

Json SubscriptionJson(const auth::Subscription& s) {
  return Json{{"id", "/subscriptions/" + s.id},
              {"subscriptionId", s.id},
              {"displayName", s.display_name},
              {"state", s.state},
              {"tenantId", s.tenant_id}};
}

StatusOr<std::string> DisplayName(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  ASSIGN_OR_RETURN(std::optional<std::string> name, OptString(body, "displayName"));
  if (!name) return FieldTypeError("displayName", "a string of 1 to 256 characters");
  return std::move(*name);
}

http::Response WithSecret(int status, Json j, const SecretBytes& secret) {
  j["clientSecret"] = std::string(secret.view());
  std::string text = Dump(j);
  SecureClear(j["clientSecret"].get_ref<std::string&>());
  return JsonResponse(status, std::move(text));
}

}  // namespace

COFFER_ROUTE_HANDLER(CreatePrincipal) {
  auto name = DisplayName(req);
  if (!name.ok()) return ArmErrorResponse(name.status());
  auto made = app.services().principals->Create(*name);
  if (!made.ok()) return ArmErrorResponse(made.status());
  Json j = PrincipalJson(made->principal);
  j["keyId"] = made->key_id;
  return WithSecret(201, std::move(j), made->client_secret);
}

COFFER_ROUTE_HANDLER(ListPrincipals) {
  auto list = app.services().principals->List();
  if (!list.ok()) return ArmErrorResponse(list.status());
  Json items = Json::array();
  for (const auto& p : *list) items.push_back(PrincipalJson(p));
  return JsonResponse(200, Dump(Json{{"value", items}}));
}

COFFER_ROUTE_HANDLER(GetPrincipal) {
  auto p = app.services().principals->Get(ctx.Param("oid"));
  if (!p.ok()) return ArmErrorResponse(p.status());
  return JsonResponse(200, Dump(PrincipalJson(*p)));
}

COFFER_ROUTE_HANDLER(DeletePrincipal) {
  const std::string& oid = ctx.Param("oid");
  if (Status s = app.services().principals->Delete(oid); !s.ok()) return ArmErrorResponse(s);
  // Its assignments go with it, so a later principal can never inherit them.
  auto removed = app.services().roles->DeleteForPrincipal(AsciiLower(oid));
  if (!removed.ok()) return ArmErrorResponse(removed.status());
  return NoContent();
}

COFFER_ROUTE_HANDLER(AddPrincipalSecret) {
  auto added = app.services().principals->AddSecret(ctx.Param("oid"));
  if (!added.ok()) return ArmErrorResponse(added.status());
  return WithSecret(201, Json{{"keyId", added->key_id}, {"created", FormatRfc3339(added->created)}},
                    added->client_secret);
}

COFFER_ROUTE_HANDLER(RevokePrincipalSecret) {
  Status s = app.services().principals->RevokeSecret(ctx.Param("oid"), ctx.Param("keyId"));
  if (!s.ok()) return ArmErrorResponse(s);
  return NoContent();
}

COFFER_ROUTE_HANDLER(CreateSubscription) {
  auto name = DisplayName(req);
  if (!name.ok()) return ArmErrorResponse(name.status());
  auto s = app.services().subscriptions->Create(*name);
  if (!s.ok()) return ArmErrorResponse(s.status());
  // As in Azure, whoever creates a subscription is its Owner (an explicit assignment, listed
  // and removable like any other); nobody else gets anything.
  auth::RoleAssignment owner;
  owner.name = auth::NewGuid(crypto::SystemRandom());
  owner.scope = "/subscriptions/" + s->id;
  owner.role_definition_id = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";  // Owner
  owner.principal_id = AsciiLower(ctx.principal.object_id);
  owner.created_by = owner.principal_id;
  auto made = app.services().roles->Create(std::move(owner));
  if (!made.ok()) return ArmErrorResponse(made.status());
  return JsonResponse(201, Dump(SubscriptionJson(*s)));
}

COFFER_ROUTE_HANDLER(ListSubscriptions) {
  if (Status s = CheckManagementApiVersion(req); !s.ok()) return ArmErrorResponse(s);
  auto list = app.services().subscriptions->List();
  if (!list.ok()) return ArmErrorResponse(list.status());
  Json items = Json::array();
  for (const auto& s : *list) {
    if (app.services().roles->HasAnyIn(ctx.principal.object_id, s.id)) {
      items.push_back(SubscriptionJson(s));
    }
  }
  return JsonResponse(200, Dump(Json{{"value", items}}));
}

}  // namespace coffer::api
