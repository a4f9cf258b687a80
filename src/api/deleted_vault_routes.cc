// Deleted vaults, vault name availability and ARM's generic resource list (CONTRACT.md
// "Deleted vaults", AZURE_API.md Part 2 §D1):
//   GET  /subscriptions/{sub}/providers/Microsoft.KeyVault/deletedVaults
//   GET  /subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{loc}/deletedVaults/{name}
//   POST …/locations/{loc}/deletedVaults/{name}/purge     → 200 (purged at once)
//   POST /subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability
//   GET  /subscriptions/{sub}/resources?$filter=resourceType eq 'Microsoft.KeyVault/vaults'
// Recovering is a vault PUT with createMode "recover" (vault_routes.cc).
#include "api/authorization.h"
#include "api/errors.h"
#include "api/routes.h"
#include "api/vault_json.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

Status CheckArm(const App& app, const RequestContext& ctx, const http::Request& req) {
  RETURN_IF_ERROR(CheckManagementApiVersion(req));
  return CheckSubscription(app, ctx.Param("sub"));
}

}  // namespace

COFFER_ROUTE_HANDLER(ListDeletedVaults) {
  if (Status s = CheckArm(app, ctx, req); !s.ok()) return ErrorResponse(s);
  auto list = app.services().vaults->ListDeleted(AsciiLower(ctx.Param("sub")));
  if (!list.ok()) return ErrorResponse(list.status());
  Json items = Json::array();
  for (const auto& v : *list) items.push_back(DeletedVaultJson(v));
  return JsonResponse(200, Dump(Json{{"value", items}, {"nextLink", nullptr}}));
}

COFFER_ROUTE_HANDLER(GetDeletedVault) {
  if (Status s = CheckArm(app, ctx, req); !s.ok()) return ErrorResponse(s);
  auto v = app.services().vaults->GetDeleted(AsciiLower(ctx.Param("sub")), ctx.Param("location"),
                                             ctx.Param("name"));
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(200, Dump(DeletedVaultJson(*v)));
}

COFFER_ROUTE_HANDLER(PurgeDeletedVault) {
  if (Status s = CheckArm(app, ctx, req); !s.ok()) return ErrorResponse(s);
  auto v = app.services().vaults->PurgeNow(AsciiLower(ctx.Param("sub")), ctx.Param("location"),
                                           ctx.Param("name"));
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kFailedPrecondition) {
      return ErrorResponse(Status(StatusCode::kAlreadyExists, v.status().message(),
                                  v.status().reason()));
    }
    return ErrorResponse(v.status());
  }
  if (app.services().keys != nullptr) app.services().keys->ForgetVault(v->id);
  // Its secrets' cached values go too (they could not be reached again: a vault id is not
  // reused).
  app.services().barrier->DeliverCacheTopic(std::string(vault::SecretTraits::kTopicPrefix) +
                                            v->id + "/");
  return JsonResponse(200, "");
}

COFFER_ROUTE_HANDLER(CheckVaultNameAvailability) {
  if (Status s = CheckArm(app, ctx, req); !s.ok()) return ErrorResponse(s);
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto name = OptString(*body, "name");
  if (!name.ok()) return ErrorResponse(name.status());
  if (!*name) return ErrorResponse(FieldTypeError("name", "the vault name to check"));
  auto type = OptString(*body, "type");
  if (!type.ok()) return ErrorResponse(type.status());
  if (*type && !EqualsIgnoreCase(**type, "Microsoft.KeyVault/vaults")) {
    return ErrorResponse(InvalidArgumentError("type must be 'Microsoft.KeyVault/vaults'.",
                                              "BadRequest"));
  }
  if (Status valid = vault::ValidateVaultName(**name); !valid.ok()) {
    return JsonResponse(200, Dump(Json{{"nameAvailable", false},
                                       {"reason", "AccountNameInvalid"},
                                       {"message", valid.message()}}));
  }
  bool live = app.services().vaults->Get(**name).ok();
  bool deleted = false;
  if (!live) {
    auto all = app.services().vaults->ListDeleted("");
    if (!all.ok()) return ErrorResponse(all.status());
    for (const auto& v : *all) deleted = deleted || EqualsIgnoreCase(v.name, **name);
  }
  if (live || deleted) {
    return JsonResponse(
        200, Dump(Json{{"nameAvailable", false},
                       {"reason", "AlreadyExists"},
                       {"message", deleted ? "The vault name '" + **name +
                                                 "' is held by a soft-deleted vault until it "
                                                 "is purged."
                                           : "The vault name '" + **name +
                                                 "' is already in use."}}));
  }
  return JsonResponse(200, Dump(Json{{"nameAvailable", true}}));
}

COFFER_ROUTE_HANDLER(ListResources) {
  auto v = req.Query("api-version");
  if (!v || v->empty()) {
    return ErrorResponse(InvalidArgumentError(
        "The api-version query parameter is missing. Add ?api-version=2015-11-01.",
        "BadParameter"));
  }
  if (Status s = CheckSubscription(app, ctx.Param("sub")); !s.ok()) return ErrorResponse(s);
  // Coffer's only resource type is the vault: any other filter lists nothing.
  std::string_view filter = req.Query("$filter").value_or("");
  bool vaults = filter.empty() ||
                filter.find("Microsoft.KeyVault/vaults") != std::string_view::npos;
  Json items = Json::array();
  if (vaults) {
    auto list = app.services().vaults->List(AsciiLower(ctx.Param("sub")), "");
    if (!list.ok()) return ErrorResponse(list.status());
    for (const auto& vault : *list) {
      if (!CanRead(app, ctx, vault)) continue;
      Json j = VaultJson(vault, ctx.host, app.limits());
      j.erase("properties");
      items.push_back(std::move(j));
    }
  }
  return JsonResponse(200, Dump(Json{{"value", items}, {"nextLink", nullptr}}));
}

}  // namespace coffer::api
