// Authorization helpers shared by App::Authorize (route-level decisions in OnHead) and the
// handlers that decide for themselves (vault lists filtered by what the caller may read, role
// assignment writes whose role condition needs the body). Scopes and 403 bodies are Azure's
// (CONTRACT.md "Authorization", AZURE_API.md Part 2 §B3).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "api/route_table.h"
#include "auth/token_service.h"
#include "core/status.h"
#include "model/vault_record.h"

namespace coffer::api {

// "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}".
std::string VaultScope(std::string_view subscription, std::string_view group,
                       std::string_view vault);
std::string VaultScope(const model::VaultRecord& v);
// The vault's scope, plus "/secrets/{name}" (or keys, certificates) when the route names one.
std::string ObjectScope(const model::VaultRecord& v, ObjectKind kind, std::string_view name);

// ARM's 403 AuthorizationFailed (management plane, tenant-administrator routes).
Status AuthorizationFailed(const auth::Principal& caller, std::string_view action,
                           std::string_view scope);
// The data plane's 403 Forbidden / ForbiddenByRbac.
Status ForbiddenByRbac(const auth::Principal& caller, std::string_view action,
                       std::string_view resource, const model::VaultRecord& vault);
// Access-policy vaults: OK if an entry of the caller's object id grants `permission` ("secrets
// get": kind, space, permission; "all" grants every permission of its kind), else 403
// Forbidden / AccessDenied. Names compare case-insensitively. A comma-separated list
// ("secrets backup,keys backup,certificates backup") needs every permission it names.
Status CheckAccessPolicy(const model::VaultRecord& vault, const auth::Principal& caller,
                         std::string_view permission);

}  // namespace coffer::api
