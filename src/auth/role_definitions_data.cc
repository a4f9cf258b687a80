// Azure's built-in role definitions, copied verbatim (facts, not code).
//
// Sources, read 2026 (each role's `name`, `roleName`, `description` and `permissions` exactly as
// in the JSON block of its page):
//  - MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/privileged.md
//    (ms.date 07/01/2026): Owner, Contributor, User Access Administrator.
//  - …/built-in-roles/general.md (ms.date 02/23/2026): Reader.
//  - …/built-in-roles/security.md (ms.date 01/25/2025): every Key Vault role below except
//    Key Vault Purge Operator.
//  - Key Vault Purge Operator is not in that page. Its JSON is the Azure API's own
//    (`az role definition list` shape, createdOn 2024-09-04T15:25:07Z) as recorded by
//    https://azure-rbac-catalog.org/roles/a68e7c17-0ab2-4c09-9a58-125dae29748c; the id, name and
//    description also appear in Microsoft's Key Vault RBAC guide (rbac-guide.md). See
//    docs/decisions.md "Authorization".
#include "auth/role_definitions.h"

namespace coffer::auth {
namespace {

std::vector<RoleDefinition> MakeBuiltIns() {
  std::vector<RoleDefinition> roles;
  auto add = [&roles](std::string id, std::string name, std::string description,
                      RolePermission permission) {
    RoleDefinition r;
    r.id = std::move(id);
    r.role_name = std::move(name);
    r.description = std::move(description);
    r.permissions.push_back(std::move(permission));
    r.assignable_scopes = {"/"};
    roles.push_back(std::move(r));
  };

  // ---- privileged.md / general.md ----
  add("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
      "Grants full access to manage all resources, including the ability to assign roles in Azure "
      "RBAC.",
      {.actions = {"*"}});
  add("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
      "Grants full access to manage all resources, but does not allow you to assign roles in Azure "
      "RBAC, manage assignments in Azure Blueprints, or share image galleries.",
      {.actions = {"*"},
       .not_actions = {"Microsoft.Authorization/*/Delete",
                       "Microsoft.Authorization/*/Write",
                       "Microsoft.Authorization/elevateAccess/Action",
                       "Microsoft.Blueprint/blueprintAssignments/write",
                       "Microsoft.Blueprint/blueprintAssignments/delete",
                       "Microsoft.Compute/galleries/share/action",
                       "Microsoft.Purview/consents/write",
                       "Microsoft.Purview/consents/delete",
                       "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                       "Microsoft.Subscription/cancel/action",
                       "Microsoft.Subscription/enable/action"}});
  add("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader",
      "View all resources, but does not allow you to make any changes.",
      {.actions = {"*/read"}});
  add("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator",
      "Lets you manage user access to Azure resources.",
      {.actions = {"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"}});

  // ---- security.md ----
  add("00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator",
      "Perform all data plane operations on a key vault and all objects in it, including "
      "certificates, keys, and secrets. Cannot manage key vault resources or manage role "
      "assignments. Only works for key vaults that use the 'Azure role-based access control' "
      "permission model.",
      {.actions = {"Microsoft.Authorization/*/read",
                   "Microsoft.Insights/alertRules/*",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.Support/*",
                   "Microsoft.KeyVault/checkNameAvailability/read",
                   "Microsoft.KeyVault/deletedVaults/read",
                   "Microsoft.KeyVault/locations/*/read",
                   "Microsoft.KeyVault/vaults/*/read",
                   "Microsoft.KeyVault/operations/read"},
       .data_actions = {"Microsoft.KeyVault/vaults/*"}});
  add("db79e9a7-68ee-4b58-9aeb-b90e7c24fcba", "Key Vault Certificate User",
      "Read certificate contents. Only works for key vaults that use the 'Azure role-based access "
      "control' permission model.",
      {.data_actions = {"Microsoft.KeyVault/vaults/certificates/read",
                        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
                        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
                        "Microsoft.KeyVault/vaults/keys/read"}});
  add("a4417e6f-fecd-4de8-b567-7b0420556985", "Key Vault Certificates Officer",
      "Perform any action on the certificates of a key vault, except manage permissions. Only "
      "works for key vaults that use the 'Azure role-based access control' permission model.",
      {.actions = {"Microsoft.Authorization/*/read",
                   "Microsoft.Insights/alertRules/*",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.Support/*",
                   "Microsoft.KeyVault/checkNameAvailability/read",
                   "Microsoft.KeyVault/deletedVaults/read",
                   "Microsoft.KeyVault/locations/*/read",
                   "Microsoft.KeyVault/vaults/*/read",
                   "Microsoft.KeyVault/operations/read"},
       .data_actions = {"Microsoft.KeyVault/vaults/certificatecas/*",
                        "Microsoft.KeyVault/vaults/certificates/*",
                        "Microsoft.KeyVault/vaults/certificatecontacts/write"}});
  add("f25e0fa2-a7c8-4377-a976-54943a77a395", "Key Vault Contributor",
      "Lets you manage key vaults, but not access to them.",
      {.actions = {"Microsoft.Authorization/*/read",
                   "Microsoft.Insights/alertRules/*",
                   "Microsoft.KeyVault/*",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.Support/*"},
       .not_actions = {"Microsoft.KeyVault/locations/deletedVaults/purge/action",
                       "Microsoft.KeyVault/hsmPools/*",
                       "Microsoft.KeyVault/managedHsms/*"}});
  add("14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "Key Vault Crypto Officer",
      "Perform any action on the keys of a key vault, except manage permissions. Only works for "
      "key vaults that use the 'Azure role-based access control' permission model.",
      {.actions = {"Microsoft.Authorization/*/read",
                   "Microsoft.Insights/alertRules/*",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.Support/*",
                   "Microsoft.KeyVault/checkNameAvailability/read",
                   "Microsoft.KeyVault/deletedVaults/read",
                   "Microsoft.KeyVault/locations/*/read",
                   "Microsoft.KeyVault/vaults/*/read",
                   "Microsoft.KeyVault/operations/read"},
       .data_actions = {"Microsoft.KeyVault/vaults/keys/*",
                        "Microsoft.KeyVault/vaults/keyrotationpolicies/*"}});
  add("e147488a-f6f5-4113-8e2d-b22465e65bf6", "Key Vault Crypto Service Encryption User",
      "Read metadata of keys and perform wrap/unwrap operations. Only works for key vaults that "
      "use the 'Azure role-based access control' permission model.",
      {.actions = {"Microsoft.EventGrid/eventSubscriptions/write",
                   "Microsoft.EventGrid/eventSubscriptions/read",
                   "Microsoft.EventGrid/eventSubscriptions/delete"},
       .data_actions = {"Microsoft.KeyVault/vaults/keys/read",
                        "Microsoft.KeyVault/vaults/keys/wrap/action",
                        "Microsoft.KeyVault/vaults/keys/unwrap/action"}});
  add("08bbd89e-9f13-488c-ac41-acfcb10c90ab", "Key Vault Crypto Service Release User",
      "Release keys. Only works for key vaults that use the 'Azure role-based access control' "
      "permission model.",
      {.data_actions = {"Microsoft.KeyVault/vaults/keys/release/action"}});
  add("12338af0-0e69-4776-bea7-57ae8d297424", "Key Vault Crypto User",
      "Perform cryptographic operations using keys. Only works for key vaults that use the 'Azure "
      "role-based access control' permission model.",
      {.data_actions = {"Microsoft.KeyVault/vaults/keys/read",
                        "Microsoft.KeyVault/vaults/keys/update/action",
                        "Microsoft.KeyVault/vaults/keys/backup/action",
                        "Microsoft.KeyVault/vaults/keys/encrypt/action",
                        "Microsoft.KeyVault/vaults/keys/decrypt/action",
                        "Microsoft.KeyVault/vaults/keys/wrap/action",
                        "Microsoft.KeyVault/vaults/keys/unwrap/action",
                        "Microsoft.KeyVault/vaults/keys/sign/action",
                        "Microsoft.KeyVault/vaults/keys/verify/action"}});
  add("8b54135c-b56d-4d72-a534-26097cfdc8d8", "Key Vault Data Access Administrator",
      "Manage access to Azure Key Vault by adding or removing role assignments for the Key Vault "
      "Administrator, Key Vault Certificates Officer, Key Vault Crypto Officer, Key Vault Crypto "
      "Service Encryption User, Key Vault Crypto User, Key Vault Reader, Key Vault Secrets "
      "Officer, or Key Vault Secrets User roles. Includes an ABAC condition to constrain role "
      "assignments.",
      {.actions = {"Microsoft.Authorization/roleAssignments/write",
                   "Microsoft.Authorization/roleAssignments/delete",
                   "Microsoft.Authorization/*/read",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.Resources/subscriptions/read",
                   "Microsoft.Management/managementGroups/read",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Support/*",
                   "Microsoft.KeyVault/vaults/*/read"},
       .condition =
           "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
           "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
           "ForAnyOfAnyValues:GuidEquals{00482a5a-887f-4fb3-b363-3b7fe8e74483, "
           "a4417e6f-fecd-4de8-b567-7b0420556985, 14b46e9e-c2b7-41b4-b07b-48a6ebf60603, "
           "e147488a-f6f5-4113-8e2d-b22465e65bf6, 12338af0-0e69-4776-bea7-57ae8d297424, "
           "21090545-7ca7-4776-b22c-e363652d74d2, b86a8fe4-44ce-4948-aee5-eccb2c155cd7, "
           "4633458b-17de-408a-b874-0445c86b69e6})) AND "
           "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
           "(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
           "ForAnyOfAnyValues:GuidEquals{00482a5a-887f-4fb3-b363-3b7fe8e74483, "
           "a4417e6f-fecd-4de8-b567-7b0420556985, 14b46e9e-c2b7-41b4-b07b-48a6ebf60603, "
           "e147488a-f6f5-4113-8e2d-b22465e65bf6, 12338af0-0e69-4776-bea7-57ae8d297424, "
           "21090545-7ca7-4776-b22c-e363652d74d2, b86a8fe4-44ce-4948-aee5-eccb2c155cd7, "
           "4633458b-17de-408a-b874-0445c86b69e6}))",
       .condition_version = "2.0"});
  add("21090545-7ca7-4776-b22c-e363652d74d2", "Key Vault Reader",
      "Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive "
      "values such as secret contents or key material. Only works for key vaults that use the "
      "'Azure role-based access control' permission model.",
      {.actions = {"Microsoft.Authorization/*/read",
                   "Microsoft.Insights/alertRules/*",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.Support/*",
                   "Microsoft.KeyVault/checkNameAvailability/read",
                   "Microsoft.KeyVault/deletedVaults/read",
                   "Microsoft.KeyVault/locations/*/read",
                   "Microsoft.KeyVault/vaults/*/read",
                   "Microsoft.KeyVault/operations/read"},
       .data_actions = {"Microsoft.KeyVault/vaults/*/read",
                        "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}});
  add("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Key Vault Secrets Officer",
      "Perform any action on the secrets of a key vault, except manage permissions. Only works for "
      "key vaults that use the 'Azure role-based access control' permission model.",
      {.actions = {"Microsoft.Authorization/*/read",
                   "Microsoft.Insights/alertRules/*",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.Support/*",
                   "Microsoft.KeyVault/checkNameAvailability/read",
                   "Microsoft.KeyVault/deletedVaults/read",
                   "Microsoft.KeyVault/locations/*/read",
                   "Microsoft.KeyVault/vaults/*/read",
                   "Microsoft.KeyVault/operations/read"},
       .data_actions = {"Microsoft.KeyVault/vaults/secrets/*"}});
  add("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User",
      "Read secret contents. Only works for key vaults that use the 'Azure role-based access "
      "control' permission model.",
      {.data_actions = {"Microsoft.KeyVault/vaults/secrets/getSecret/action",
                        "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}});

  // ---- azure-rbac-catalog.org (Azure API JSON; not in security.md) ----
  add("a68e7c17-0ab2-4c09-9a58-125dae29748c", "Key Vault Purge Operator",
      "Allows permanent deletion of soft-deleted vaults.",
      {.actions = {"Microsoft.Authorization/*/read",
                   "Microsoft.Insights/alertRules/*",
                   "Microsoft.Resources/deployments/*",
                   "Microsoft.Resources/subscriptions/resourceGroups/read",
                   "Microsoft.KeyVault/deletedVaults/read",
                   "Microsoft.KeyVault/locations/deletedVaults/read",
                   "Microsoft.KeyVault/locations/deletedVaults/purge/action",
                   "Microsoft.KeyVault/locations/operationResults/read"}});
  return roles;
}

}  // namespace

const std::vector<RoleDefinition>& BuiltInRoleDefinitions() {
  static const std::vector<RoleDefinition>* const kRoles =
      new std::vector<RoleDefinition>(MakeBuiltIns());
  return *kRoles;
}

}  // namespace coffer::auth
