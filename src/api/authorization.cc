// Authorization of a matched route (CONTRACT.md "Authorization"): decided in OnHead, before the
// body is read and before anything about the object is looked at, so a denied caller gets the
// same 403 whether or not the object exists. The decisions come from the in-memory role
// assignment index (and, for access-policy vaults, the vault record); nothing here reads
// storage.
#include "api/authorization.h"

#include "api/app.h"
#include "api/errors.h"
#include "api/routes.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

std::string_view KindSegment(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kSecret: return "secrets";
    case ObjectKind::kKey: return "keys";
    case ObjectKind::kCertificate: return "certificates";
    case ObjectKind::kNone: break;
  }
  return "";
}

std::string Caller(const auth::Principal& p) {
  return "appid=" + p.client_id + ";oid=" + p.object_id + ";iss=https://sts.windows.net/" +
         p.tenant_id + "/";
}

}  // namespace

std::string VaultScope(std::string_view subscription, std::string_view group,
                       std::string_view vault) {
  return "/subscriptions/" + AsciiLower(subscription) + "/resourceGroups/" + std::string(group) +
         "/providers/Microsoft.KeyVault/vaults/" + std::string(vault);
}

std::string VaultScope(const model::VaultRecord& v) {
  return VaultScope(v.subscription_id, v.resource_group, v.name);
}

std::string ObjectScope(const model::VaultRecord& v, ObjectKind kind, std::string_view name) {
  std::string scope = VaultScope(v);
  if (kind != ObjectKind::kNone && !name.empty()) {
    scope += "/";
    scope += KindSegment(kind);
    scope += "/";
    scope += name;
  }
  return scope;
}

Status AuthorizationFailed(const auth::Principal& caller, std::string_view action,
                           std::string_view scope) {
  return PermissionDeniedError(
      "The client '" + caller.client_id + "' with object id '" + caller.object_id +
          "' does not have authorization to perform action '" + std::string(action) +
          "' over scope '" + std::string(scope) +
          "' or the scope is invalid. If access was recently granted, please refresh your "
          "credentials.",
      "AuthorizationFailed");
}

Status ForbiddenByRbac(const auth::Principal& caller, std::string_view action,
                       std::string_view resource, const model::VaultRecord& vault) {
  return PermissionDeniedError(
      "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny "
      "assignments or role definitions were changed recently, please observe propagation "
      "time.\r\nCaller: " +
          Caller(caller) + "\r\nAction: '" + std::string(action) + "'\r\nResource: '" +
          AsciiLower(resource) +
          "'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: "
          "'DeniedWithNoValidRBAC' \r\nVault: " +
          vault.name + ";location=" + vault.location + "\r\n",
      "ForbiddenByRbac");
}

Status CheckAccessPolicy(const model::VaultRecord& vault, const auth::Principal& caller,
                         std::string_view permission) {
  if (size_t comma = permission.find(','); comma != std::string_view::npos) {
    RETURN_IF_ERROR(CheckAccessPolicy(vault, caller, permission.substr(0, comma)));
    return CheckAccessPolicy(vault, caller, permission.substr(comma + 1));
  }
  size_t space = permission.find(' ');
  std::string_view kind = permission.substr(0, space);
  std::string_view wanted = space == std::string_view::npos ? "" : permission.substr(space + 1);
  for (const model::AccessPolicyEntry& e : vault.access_policies) {
    if (!EqualsIgnoreCase(e.object_id, caller.object_id)) continue;
    const std::vector<std::string>* list = kind == "keys"           ? &e.keys
                                           : kind == "secrets"      ? &e.secrets
                                           : kind == "certificates" ? &e.certificates
                                                                    : &e.storage;
    for (const std::string& p : *list) {
      if (EqualsIgnoreCase(p, wanted) || EqualsIgnoreCase(p, "all")) return OkStatus();
    }
  }
  return PermissionDeniedError(
      "The user, group or application '" + Caller(caller) + "' does not have " +
          std::string(kind) + " " + std::string(wanted) + " permission on key vault '" +
          vault.name + ";location=" + vault.location +
          "'. For help resolving this issue, please see "
          "https://go.microsoft.com/fwlink/?linkid=2125287",
      "AccessDenied");
}

Status App::Authorize(const RequestContext& ctx) const {
  const Route& route = *ctx.route;
  const auth::Principal& caller = ctx.principal;
  switch (route.authz) {
    case Authz::kNone:
    case Authz::kHandler:
      return OkStatus();
    case Authz::kTenantAdmin:
      if (services_.principals != nullptr &&
          services_.principals->IsTenantAdmin(caller.object_id)) {
        return OkStatus();
      }
      return AuthorizationFailed(caller, route.action, "/");
    case Authz::kSubscription:
    case Authz::kVault: {
      // ARM resolves the subscription before it authorizes: a malformed id is 400 and one
      // that is not the deployment's 404 SubscriptionNotFound (CONTRACT.md).
      RETURN_IF_ERROR(CheckSubscription(*this, ctx.Param("sub")));
      std::string scope =
          route.authz == Authz::kVault
              ? VaultScope(ctx.Param("sub"), ctx.Param("rg"), ctx.Param("vault"))
              : "/subscriptions/" + AsciiLower(ctx.Param("sub"));
      if (services_.roles->Check(caller.object_id, route.action, false, scope)) {
        return OkStatus();
      }
      return AuthorizationFailed(caller, route.action, scope);
    }
    case Authz::kDataAction: {
      const model::VaultRecord& vault = *ctx.vault;
      std::string resource = ObjectScope(vault, route.object, ctx.Param("name"));
      if (vault.rbac_authorization) {
        if (services_.roles->Check(caller.object_id, route.action, true, resource)) {
          return OkStatus();
        }
        return ForbiddenByRbac(caller, route.action, resource, vault);
      }
      return CheckAccessPolicy(vault, caller, route.policy);
    }
  }
  return InternalError("unknown authorization mode");
}

}  // namespace coffer::api
