// JSON of the ARM vault resources: vaults, deleted vaults and access policies
// (AZURE_API.md Part 2 §B5, §D), shared by vault_routes.cc and deleted_vault_routes.cc.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "api/host.h"
#include "api/json_body.h"
#include "api/service_limits.h"
#include "model/vault_record.h"

namespace coffer::api {

// `limits`: the service limits in force, shown as properties.limits (CONTRACT.md "Throttling").
Json VaultJson(const model::VaultRecord& v, const HostInfo& host, const ServiceLimits& limits);
// {"windowSeconds": 10, "secretCreate": 300, …, "subscriptionFactor": 5, "perIdentity": 0}.
Json LimitsJson(const ServiceLimits& limits);
Json DeletedVaultJson(const model::VaultRecord& v);
// Every entry carries `permissions` with all four lists, even when empty (the SDK's
// deserializer reads them unconditionally).
Json AccessPoliciesJson(const std::vector<model::AccessPolicyEntry>& policies);
// Parses an `accessPolicies` array: tenantId must be the deployment's `tenant`, objectId a
// GUID, every permission one of Azure's names for its kind (case-insensitive). InvalidArgument
// naming the entry and the problem otherwise.
StatusOr<std::vector<model::AccessPolicyEntry>> ParseAccessPolicies(const Json& array,
                                                                    const std::string& tenant);

}  // namespace coffer::api
