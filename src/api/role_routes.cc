// ARM role definitions and role assignments (CONTRACT.md "Authorization", AZURE_API.md Part 2
// §B4), as @azure/arm-authorization@9.0.0 sends them at api-version 2022-04-01:
//   GET    {scope}/providers/Microsoft.Authorization/roleDefinitions[?$filter=roleName eq '…']
//   GET    {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}
//   PUT    {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}
//   GET    {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}
//   DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}
//   GET    {scope}/providers/Microsoft.Authorization/roleAssignments[?$filter=…]
// Errors use ARM's shape (the reason is the outer code).
#include "api/authorization.h"
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

constexpr std::string_view kDefinitionsPath = "/providers/Microsoft.Authorization/roleDefinitions/";

// The subscription a scope names ("" for the tenant root).
std::string SubscriptionOf(std::string_view scope) {
  constexpr std::string_view kSubs = "/subscriptions/";
  if (scope.size() <= kSubs.size() || !EqualsIgnoreCase(scope.substr(0, kSubs.size()), kSubs)) {
    return "";
  }
  std::string_view rest = scope.substr(kSubs.size());
  return AsciiLower(rest.substr(0, rest.find('/')));
}

std::string DefinitionId(std::string_view subscription, std::string_view guid) {
  std::string prefix = subscription.empty() ? "" : "/subscriptions/" + std::string(subscription);
  return prefix + std::string(kDefinitionsPath) + std::string(guid);
}

Json DefinitionJson(const auth::RoleDefinition& d, std::string_view subscription) {
  Json permissions = Json::array();
  for (const auth::RolePermission& p : d.permissions) {
    Json j = {{"actions", p.actions},
              {"notActions", p.not_actions},
              {"dataActions", p.data_actions},
              {"notDataActions", p.not_data_actions}};
    if (!p.condition.empty()) {
      j["condition"] = p.condition;
      j["conditionVersion"] = p.condition_version;
    }
    permissions.push_back(std::move(j));
  }
  return Json{{"id", DefinitionId(subscription, d.id)},
              {"name", d.id},
              {"type", "Microsoft.Authorization/roleDefinitions"},
              {"properties",
               {{"roleName", d.role_name},
                {"type", d.role_type},
                {"description", d.description},
                {"assignableScopes", d.assignable_scopes},
                {"permissions", permissions},
                {"createdBy", nullptr},
                {"updatedBy", nullptr}}}};
}

Json AssignmentJson(const auth::RoleAssignment& a) {
  return Json{{"id", a.scope + "/providers/Microsoft.Authorization/roleAssignments/" + a.name},
              {"name", a.name},
              {"type", "Microsoft.Authorization/roleAssignments"},
              {"properties",
               {{"roleDefinitionId", DefinitionId(SubscriptionOf(a.scope), a.role_definition_id)},
                {"principalId", a.principal_id},
                {"principalType", a.principal_type},
                {"scope", a.scope},
                {"description", a.description.empty() ? Json(nullptr) : Json(a.description)},
                {"condition", nullptr},
                {"conditionVersion", nullptr},
                {"createdOn", FormatRfc3339(a.created)},
                {"updatedOn", FormatRfc3339(a.updated)},
                {"createdBy", a.created_by.empty() ? Json(nullptr) : Json(a.created_by)},
                {"updatedBy", a.created_by.empty() ? Json(nullptr) : Json(a.created_by)}}}};
}

// The request's scope, normalised; for a scope in a subscription, that subscription must be
// one of the deployment's (404 SubscriptionNotFound).
StatusOr<std::string> RequestScope(const App& app, const RequestContext& ctx,
                                   const http::Request& req) {
  RETURN_IF_ERROR(CheckManagementApiVersion(req));
  ASSIGN_OR_RETURN(std::string scope, auth::NormalizeScope(ctx.Param("scope")));
  std::string sub = SubscriptionOf(scope);
  if (app.services().subscriptions != nullptr && !app.services().subscriptions->Exists(sub)) {
    return NotFoundError("The subscription '" + sub + "' could not be found.",
                         "SubscriptionNotFound");
  }
  return scope;
}

// The role GUID of a roleDefinitionId in any of its forms ("{guid}", "/providers/…/{guid}",
// "/subscriptions/{s}/providers/…/{guid}", any scope prefix).
std::string RoleGuid(std::string_view id) {
  size_t slash = id.rfind('/');
  return AsciiLower(slash == std::string_view::npos ? id : id.substr(slash + 1));
}

// "$filter" of a role assignment list: atScope(), principalId eq '…', assignedTo('…'), joined
// by "and". InvalidArgument for anything else.
Status ParseAssignmentFilter(std::string_view filter, bool* at_scope, std::string* principal) {
  while (!filter.empty()) {
    while (filter.starts_with(' ')) filter.remove_prefix(1);
    if (filter.empty()) break;
    if (filter.starts_with("atScope()")) {
      *at_scope = true;
      filter.remove_prefix(9);
    } else {
      std::string_view prefix = filter.starts_with("principalId eq '") ? "principalId eq '"
                                : filter.starts_with("assignedTo('")    ? "assignedTo('"
                                                                        : "";
      if (prefix.empty()) break;
      filter.remove_prefix(prefix.size());
      size_t quote = filter.find('\'');
      if (quote == std::string_view::npos) break;
      *principal = AsciiLower(filter.substr(0, quote));
      filter.remove_prefix(quote + 1);
      if (prefix == "assignedTo('") {
        if (!filter.starts_with(")")) break;
        filter.remove_prefix(1);
      }
    }
    while (filter.starts_with(' ')) filter.remove_prefix(1);
    if (filter.empty()) return OkStatus();
    if (!filter.starts_with("and ")) break;
    filter.remove_prefix(4);
  }
  if (filter.empty()) return OkStatus();
  return InvalidArgumentError(
      "The $filter is not supported. Use atScope(), principalId eq '<id>' or "
      "assignedTo('<id>'), joined by 'and'.",
      "InvalidFilter");
}

http::Response DefinitionsResponse(const App& app, const RequestContext& ctx,
                                   const http::Request& req, bool one) {
  if (Status s = CheckManagementApiVersion(req); !s.ok()) return ArmErrorResponse(s);
  std::string scope;
  if (!ctx.Param("scope").empty()) {
    auto normalized = RequestScope(app, ctx, req);
    if (!normalized.ok()) return ArmErrorResponse(normalized.status());
    scope = *normalized;
  }
  std::string sub = SubscriptionOf(scope);
  if (one) {
    const auth::RoleDefinition* d = auth::FindRoleDefinition(ctx.Param("id"));
    if (d == nullptr) {
      return ArmErrorResponse(NotFoundError(
          "The role definition '" + ctx.Param("id").substr(0, 64) + "' could not be found.",
          "RoleDefinitionDoesNotExist"));
    }
    return JsonResponse(200, Dump(DefinitionJson(*d, sub)));
  }
  std::string name;
  if (auto filter = req.Query("$filter")) {
    std::string_view f = *filter;
    constexpr std::string_view kByName = "roleName eq '";
    if (f.starts_with(kByName) && f.ends_with("'")) {
      name = std::string(f.substr(kByName.size(), f.size() - kByName.size() - 1));
    } else if (f != "type eq 'BuiltInRole'") {
      return ArmErrorResponse(InvalidArgumentError(
          "The $filter is not supported. Use roleName eq '<name>' or type eq 'BuiltInRole'.",
          "InvalidFilter"));
    }
  }
  Json items = Json::array();
  for (const auth::RoleDefinition& d : auth::BuiltInRoleDefinitions()) {
    if (!name.empty() && !EqualsIgnoreCase(d.role_name, name)) continue;
    items.push_back(DefinitionJson(d, sub));
  }
  return JsonResponse(200, Dump(Json{{"value", items}}));
}

}  // namespace

// Built-in role definitions are public: any caller of the tenant may read them.
COFFER_ROUTE_HANDLER(ListRoleDefinitions) { return DefinitionsResponse(app, ctx, req, false); }
COFFER_ROUTE_HANDLER(GetRoleDefinition) { return DefinitionsResponse(app, ctx, req, true); }

COFFER_ROUTE_HANDLER(PutRoleAssignment) {
  auto scope = RequestScope(app, ctx, req);
  if (!scope.ok()) return ArmErrorResponse(scope.status());
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ArmErrorResponse(body.status());
  auto props = OptObject(*body, "properties");
  if (!props.ok()) return ArmErrorResponse(props.status());
  if (*props == nullptr) {
    return ArmErrorResponse(FieldTypeError("properties", "an object with roleDefinitionId and principalId"));
  }
  auth::RoleAssignment a;
  a.name = AsciiLower(ctx.Param("id"));
  a.scope = *scope;
  a.created_by = ctx.principal.object_id;
  for (auto [field, out] : {std::pair{"roleDefinitionId", &a.role_definition_id},
                            std::pair{"principalId", &a.principal_id},
                            std::pair{"principalType", &a.principal_type},
                            std::pair{"description", &a.description}}) {
    auto v = OptString(**props, field);
    if (!v.ok()) return ArmErrorResponse(v.status());
    *out = v->value_or("");
  }
  if (a.role_definition_id.empty() || a.principal_id.empty()) {
    return ArmErrorResponse(InvalidArgumentError(
        "properties.roleDefinitionId and properties.principalId are required.",
        "InvalidRoleAssignmentRequest"));
  }
  std::string role = RoleGuid(a.role_definition_id);
  if (auth::FindRoleDefinition(role) == nullptr) {
    return ArmErrorResponse(InvalidArgumentError(
        "The specified role definition with ID '" + role.substr(0, 64) + "' does not exist.",
        "RoleDefinitionDoesNotExist"));
  }
  a.role_definition_id = role;
  a.principal_id = AsciiLower(a.principal_id);
  if (app.services().principals != nullptr &&
      !app.services().principals->Get(a.principal_id).ok()) {
    return ArmErrorResponse(InvalidArgumentError(
        "Principal " + a.principal_id.substr(0, 64) + " does not exist in the directory " +
            app.options().tenant_id + ".",
        "PrincipalNotFound"));
  }
  constexpr std::string_view kWrite = "Microsoft.Authorization/roleAssignments/write";
  if (!app.services().roles->Check(ctx.principal.object_id, kWrite, false, a.scope, role)) {
    return ArmErrorResponse(AuthorizationFailed(ctx.principal, kWrite, a.scope));
  }
  auto created = app.services().roles->Create(std::move(a));
  if (!created.ok()) return ArmErrorResponse(created.status());
  return JsonResponse(created->second ? 201 : 200, Dump(AssignmentJson(created->first)));
}

COFFER_ROUTE_HANDLER(GetRoleAssignment) {
  auto scope = RequestScope(app, ctx, req);
  if (!scope.ok()) return ArmErrorResponse(scope.status());
  constexpr std::string_view kRead = "Microsoft.Authorization/roleAssignments/read";
  if (!app.services().roles->Check(ctx.principal.object_id, kRead, false, *scope)) {
    return ArmErrorResponse(AuthorizationFailed(ctx.principal, kRead, *scope));
  }
  auto a = app.services().roles->Get(*scope, ctx.Param("id"));
  if (!a.ok()) return ArmErrorResponse(a.status());
  return JsonResponse(200, Dump(AssignmentJson(*a)));
}

COFFER_ROUTE_HANDLER(DeleteRoleAssignment) {
  auto scope = RequestScope(app, ctx, req);
  if (!scope.ok()) return ArmErrorResponse(scope.status());
  constexpr std::string_view kDelete = "Microsoft.Authorization/roleAssignments/delete";
  // The role being removed feeds the role condition (Key Vault Data Access Administrator).
  auto existing = app.services().roles->Get(*scope, ctx.Param("id"));
  std::string role = existing.ok() ? existing->role_definition_id : "";
  if (!app.services().roles->Check(ctx.principal.object_id, kDelete, false, *scope, role)) {
    return ArmErrorResponse(AuthorizationFailed(ctx.principal, kDelete, *scope));
  }
  if (!existing.ok()) return ArmErrorResponse(existing.status());
  auto a = app.services().roles->Delete(*scope, ctx.Param("id"));
  if (!a.ok()) return ArmErrorResponse(a.status());
  return JsonResponse(200, Dump(AssignmentJson(*a)));
}

COFFER_ROUTE_HANDLER(ListRoleAssignments) {
  auto scope = RequestScope(app, ctx, req);
  if (!scope.ok()) return ArmErrorResponse(scope.status());
  constexpr std::string_view kRead = "Microsoft.Authorization/roleAssignments/read";
  if (!app.services().roles->Check(ctx.principal.object_id, kRead, false, *scope)) {
    return ArmErrorResponse(AuthorizationFailed(ctx.principal, kRead, *scope));
  }
  bool at_scope = false;
  std::string principal;
  if (auto filter = req.Query("$filter")) {
    if (Status s = ParseAssignmentFilter(*filter, &at_scope, &principal); !s.ok()) {
      return ArmErrorResponse(s);
    }
  }
  Json items = Json::array();
  for (const auth::RoleAssignment& a : app.services().roles->List(*scope, at_scope, principal)) {
    items.push_back(AssignmentJson(a));
  }
  return JsonResponse(200, Dump(Json{{"value", items}}));
}

}  // namespace coffer::api
