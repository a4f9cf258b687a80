// ARM-shaped management plane for vaults (DESIGN.md §2 "Management plane").
#include "api/errors.h"
#include "api/json_body.h"
#include "api/authorization.h"
#include "api/routes.h"
#include "api/vault_json.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

Status ValidateGroupName(std::string_view rg) {
  bool ok = !rg.empty() && rg.size() <= 90 && rg.back() != '.';
  for (char c : rg) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          c == '-' || c == '_' || c == '.' || c == '(' || c == ')')) {
      ok = false;
    }
  }
  if (ok) return OkStatus();
  return InvalidArgumentError(
      "The resource group name is invalid: 1-90 letters, digits, '-', '_', '.', '(' or ')', not "
      "ending in '.'.",
      "InvalidResourceGroup");
}

}  // namespace

Status CheckSubscription(const App& app, std::string_view sub) {
  if (!auth::IsGuid(sub)) {
    return InvalidArgumentError(
        "The subscription id must be a GUID such as 00000000-0000-0000-0000-000000000000.",
        "InvalidSubscriptionId");
  }
  if (app.services().subscriptions != nullptr && !app.services().subscriptions->Exists(AsciiLower(sub))) {
    return NotFoundError("The subscription '" + AsciiLower(sub) + "' could not be found.",
                         "SubscriptionNotFound");
  }
  return OkStatus();
}

bool CanRead(const App& app, const RequestContext& ctx, const model::VaultRecord& v) {
  return app.services().roles->Check(ctx.principal.object_id, "Microsoft.KeyVault/vaults/read",
                                     false, VaultScope(v));
}

namespace {

// What a PUT or PATCH body says; `tenant` is checked against the deployment's, access policies
// are validated against it.
Status ReadProperties(const App& app, const Json& body, vault::VaultPatch* p,
                      std::optional<std::string>* tenant, std::optional<std::string>* create_mode) {
  ASSIGN_OR_RETURN(const Json* props, OptObject(body, "properties"));
  ASSIGN_OR_RETURN(p->tags, OptTags(body, "tags"));
  if (props == nullptr) return OkStatus();
  ASSIGN_OR_RETURN(*tenant, OptString(*props, "tenantId"));
  if (*tenant && !EqualsIgnoreCase(**tenant, app.options().tenant_id)) {
    return InvalidArgumentError("properties.tenantId '" + (*tenant)->substr(0, 40) +
                                    "' is not this deployment's tenant; use " +
                                    app.options().tenant_id + ".",
                                "BadRequest");
  }
  ASSIGN_OR_RETURN(*create_mode, OptString(*props, "createMode"));
  if (*create_mode && !EqualsIgnoreCase(**create_mode, "default") &&
      !EqualsIgnoreCase(**create_mode, "recover")) {
    return InvalidArgumentError("properties.createMode must be 'default' or 'recover'.",
                                "BadRequest");
  }
  if (auto it = props->find("accessPolicies"); it != props->end() && !it->is_null()) {
    ASSIGN_OR_RETURN(p->access_policies, ParseAccessPolicies(*it, app.options().tenant_id));
  }
  ASSIGN_OR_RETURN(const Json* sku, OptObject(*props, "sku"));
  if (sku != nullptr) {
    ASSIGN_OR_RETURN(p->sku, OptString(*sku, "name"));
  }
  ASSIGN_OR_RETURN(auto retention, OptInt(*props, "softDeleteRetentionInDays"));
  if (retention) {
    if (*retention < 7 || *retention > 90) {
      return InvalidArgumentError(
          "softDeleteRetentionInDays must be between 7 and 90 (got " + std::to_string(*retention) +
              ").",
          "BadRequest");
    }
    p->retention_days = static_cast<int>(*retention);
  }
  ASSIGN_OR_RETURN(p->purge_protection, OptBool(*props, "enablePurgeProtection"));
  ASSIGN_OR_RETURN(p->rbac_authorization, OptBool(*props, "enableRbacAuthorization"));
  ASSIGN_OR_RETURN(auto soft_delete, OptBool(*props, "enableSoftDelete"));
  if (soft_delete && !*soft_delete) {
    return InvalidArgumentError("Soft delete is always on in Coffer and cannot be disabled.",
                                "BadRequest");
  }
  return OkStatus();
}

// The newest ARM api-version that creates access-policy vaults when enableRbacAuthorization is
// omitted; from 2026-02-01 on, a new vault is an RBAC vault (AZURE_API.md Part 2 §D2).
bool DefaultsToRbac(const http::Request& req) {
  auto v = req.Query("api-version");
  return v && v->substr(0, 10) >= "2026-02-01";
}

// The {sub}, {rg} and {vault} parameters of an ARM vault path, validated.
struct VaultPath {
  std::string sub, rg, name;
};

StatusOr<VaultPath> ReadVaultPath(const App& app, const RequestContext& ctx,
                                  const http::Request& req, bool needs_name) {
  RETURN_IF_ERROR(CheckManagementApiVersion(req));
  VaultPath p;
  RETURN_IF_ERROR(CheckSubscription(app, ctx.Param("sub")));
  p.sub = AsciiLower(ctx.Param("sub"));
  p.rg = ctx.Param("rg");
  if (!p.rg.empty()) RETURN_IF_ERROR(ValidateGroupName(p.rg));
  if (needs_name) {
    p.name = ctx.Param("vault");
    RETURN_IF_ERROR(vault::ValidateVaultName(p.name));
  }
  return p;
}

}  // namespace

COFFER_ROUTE_HANDLER(PutVault) {
  auto path = ReadVaultPath(app, ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  const auto& [sub, rg, name] = *path;
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto location = OptString(*body, "location");
  if (!location.ok()) return ErrorResponse(location.status());
  if (!*location) {
    return ErrorResponse(InvalidArgumentError("The vault's 'location' is required.",
                                              "LocationRequired"));
  }
  vault::VaultPatch patch;
  std::optional<std::string> tenant, create_mode;
  Status st = ReadProperties(app, *body, &patch, &tenant, &create_mode);
  if (!st.ok()) return ErrorResponse(st);
  vault::VaultSpec spec;
  spec.recover = create_mode && EqualsIgnoreCase(*create_mode, "recover");
  spec.access_policies = patch.access_policies;
  spec.default_rbac = DefaultsToRbac(req);
  spec.name = name;
  spec.subscription_id = sub;
  spec.resource_group = rg;
  spec.location = **location;
  spec.tenant_id = AsciiLower(tenant.value_or(app.options().tenant_id));
  spec.sku = patch.sku;
  spec.retention_days = patch.retention_days;
  spec.purge_protection = patch.purge_protection;
  spec.rbac_authorization = patch.rbac_authorization;
  spec.tags = patch.tags;
  auto result = app.services().vaults->CreateOrUpdate(spec);
  if (!result.ok()) return ErrorResponse(result.status());
  return JsonResponse(result->second ? 201 : 200,
                      Dump(VaultJson(result->first, ctx.host, app.limits())));
}

COFFER_ROUTE_HANDLER(ListVaults) {
  auto path = ReadVaultPath(app, ctx, req, false);
  if (!path.ok()) return ErrorResponse(path.status());
  auto list = app.services().vaults->List(path->sub, path->rg);
  if (!list.ok()) return ErrorResponse(list.status());
  Json items = Json::array();
  for (const auto& v : *list) {
    if (CanRead(app, ctx, v)) items.push_back(VaultJson(v, ctx.host, app.limits()));
  }
  return JsonResponse(200, Dump(Json{{"value", items}, {"nextLink", nullptr}}));
}

COFFER_ROUTE_HANDLER(GetVault) {
  auto path = ReadVaultPath(app, ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  auto v = app.services().vaults->GetInScope(path->sub, path->rg, path->name);
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(200, Dump(VaultJson(*v, ctx.host, app.limits())));
}

COFFER_ROUTE_HANDLER(PatchVault) {
  auto path = ReadVaultPath(app, ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  vault::VaultPatch patch;
  std::optional<std::string> tenant, create_mode;
  Status st = ReadProperties(app, *body, &patch, &tenant, &create_mode);
  if (!st.ok()) return ErrorResponse(st);
  auto v = app.services().vaults->Patch(path->sub, path->rg, path->name, patch);
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(200, Dump(VaultJson(*v, ctx.host, app.limits())));
}

COFFER_ROUTE_HANDLER(DeleteVault) {
  auto path = ReadVaultPath(app, ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  auto v = app.services().vaults->GetInScope(path->sub, path->rg, path->name);
  if (v.status().code() == StatusCode::kNotFound) return NoContent();
  if (!v.ok()) return ErrorResponse(v.status());
  Status st = app.services().vaults->Delete(path->sub, path->rg, path->name);
  if (st.code() == StatusCode::kNotFound) return NoContent();
  if (!st.ok()) return ErrorResponse(st);
  // Azure's behaviour: soft-deleting a vault removes the role assignments at its scope and
  // below, and recovering it does not bring them back.
  auto removed = app.services().roles->DeleteAtOrBelow(VaultScope(*v));
  if (!removed.ok()) return ErrorResponse(removed.status());
  return JsonResponse(200, "");
}

COFFER_ROUTE_HANDLER(UpdateAccessPolicies) {
  auto path = ReadVaultPath(app, ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  const std::string& kind = ctx.Param("operation");
  vault::AccessPolicyOp op;
  if (EqualsIgnoreCase(kind, "add")) {
    op = vault::AccessPolicyOp::kAdd;
  } else if (EqualsIgnoreCase(kind, "replace")) {
    op = vault::AccessPolicyOp::kReplace;
  } else if (EqualsIgnoreCase(kind, "remove")) {
    op = vault::AccessPolicyOp::kRemove;
  } else {
    return ErrorResponse(InvalidArgumentError(
        "The access policy operation must be add, replace or remove.", "BadRequest"));
  }
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto props = OptObject(*body, "properties");
  if (!props.ok()) return ErrorResponse(props.status());
  if (*props == nullptr || !(*props)->contains("accessPolicies")) {
    return ErrorResponse(FieldTypeError("properties.accessPolicies", "an array"));
  }
  auto entries = ParseAccessPolicies((**props)["accessPolicies"], app.options().tenant_id);
  if (!entries.ok()) return ErrorResponse(entries.status());
  auto v = app.services().vaults->UpdateAccessPolicies(path->sub, path->rg, path->name, op,
                                                       *entries);
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(
      200, Dump(Json{{"id", VaultScope(*v) + "/accessPolicies/"},
                     {"type", "Microsoft.KeyVault/vaults/accessPolicies"},
                     {"properties", {{"accessPolicies", AccessPoliciesJson(v->access_policies)}}}}));
}

}  // namespace coffer::api
