// ARM-shaped management plane for vaults (DESIGN.md §2 "Management plane").
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

bool IsGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

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

std::string PortSuffix(const HostInfo& host) {
  const std::string& a = host.authority;
  size_t colon = a.rfind(':');
  size_t bracket = a.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) return "";
  return a.substr(colon);
}

Json VaultJson(const model::VaultRecord& v, const HostInfo& host) {
  Json props = {{"tenantId", v.tenant_id},
                {"sku", {{"family", "A"}, {"name", v.sku}}},
                {"accessPolicies", Json::array()},
                {"vaultUri", "https://" + AsciiLower(v.name) + ".vault.localhost" +
                                 PortSuffix(host) + "/"},
                {"enabledForDeployment", false},
                {"enabledForDiskEncryption", false},
                {"enabledForTemplateDeployment", false},
                {"enableSoftDelete", true},
                {"softDeleteRetentionInDays", v.retention_days},
                {"enableRbacAuthorization", v.rbac_authorization},
                {"publicNetworkAccess", "Enabled"},
                {"provisioningState", "Succeeded"}};
  if (v.purge_protection) props["enablePurgeProtection"] = true;
  return Json{{"id", "/subscriptions/" + v.subscription_id + "/resourceGroups/" +
                         v.resource_group + "/providers/Microsoft.KeyVault/vaults/" + v.name},
              {"name", v.name},
              {"type", "Microsoft.KeyVault/vaults"},
              {"location", v.location},
              {"tags", v.tags},
              {"properties", props}};
}

Status ReadProperties(const Json& body, vault::VaultPatch* p, std::optional<std::string>* tenant) {
  ASSIGN_OR_RETURN(const Json* props, OptObject(body, "properties"));
  ASSIGN_OR_RETURN(p->tags, OptTags(body, "tags"));
  if (props == nullptr) return OkStatus();
  ASSIGN_OR_RETURN(*tenant, OptString(*props, "tenantId"));
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

// The {sub}, {rg} and {vault} parameters of an ARM vault path, validated.
struct VaultPath {
  std::string sub, rg, name;
};

StatusOr<VaultPath> ReadVaultPath(const RequestContext& ctx, const http::Request& req,
                                  bool needs_name) {
  RETURN_IF_ERROR(CheckManagementApiVersion(req));
  VaultPath p;
  if (!IsGuid(ctx.Param("sub"))) {
    return InvalidArgumentError(
        "The subscription id must be a GUID such as 00000000-0000-0000-0000-000000000000.",
        "InvalidSubscriptionId");
  }
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
  auto path = ReadVaultPath(ctx, req, true);
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
  std::optional<std::string> tenant;
  Status st = ReadProperties(*body, &patch, &tenant);
  if (!st.ok()) return ErrorResponse(st);
  vault::VaultSpec spec;
  spec.name = name;
  spec.subscription_id = sub;
  spec.resource_group = rg;
  spec.location = **location;
  spec.tenant_id = tenant.value_or(app.options().tenant_id);
  spec.sku = patch.sku;
  spec.retention_days = patch.retention_days;
  spec.purge_protection = patch.purge_protection;
  spec.rbac_authorization = patch.rbac_authorization;
  spec.tags = patch.tags;
  auto result = app.services().vaults->CreateOrUpdate(spec);
  if (!result.ok()) return ErrorResponse(result.status());
  return JsonResponse(result->second ? 201 : 200, Dump(VaultJson(result->first, ctx.host)));
}

COFFER_ROUTE_HANDLER(ListVaults) {
  auto path = ReadVaultPath(ctx, req, false);
  if (!path.ok()) return ErrorResponse(path.status());
  auto list = app.services().vaults->List(path->sub, path->rg);
  if (!list.ok()) return ErrorResponse(list.status());
  Json items = Json::array();
  for (const auto& v : *list) items.push_back(VaultJson(v, ctx.host));
  return JsonResponse(200, Dump(Json{{"value", items}, {"nextLink", nullptr}}));
}

COFFER_ROUTE_HANDLER(GetVault) {
  auto path = ReadVaultPath(ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  auto v = app.services().vaults->GetInScope(path->sub, path->rg, path->name);
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(200, Dump(VaultJson(*v, ctx.host)));
}

COFFER_ROUTE_HANDLER(PatchVault) {
  auto path = ReadVaultPath(ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  vault::VaultPatch patch;
  std::optional<std::string> tenant;
  Status st = ReadProperties(*body, &patch, &tenant);
  if (!st.ok()) return ErrorResponse(st);
  auto v = app.services().vaults->Patch(path->sub, path->rg, path->name, patch);
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(200, Dump(VaultJson(*v, ctx.host)));
}

COFFER_ROUTE_HANDLER(DeleteVault) {
  auto path = ReadVaultPath(ctx, req, true);
  if (!path.ok()) return ErrorResponse(path.status());
  Status st = app.services().vaults->Delete(path->sub, path->rg, path->name);
  if (st.code() == StatusCode::kNotFound) return NoContent();
  if (!st.ok()) return ErrorResponse(st);
  return JsonResponse(200, "");
}

}  // namespace coffer::api
