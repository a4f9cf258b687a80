#include "api/vault_json.h"

#include "auth/principals.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

// Azure's permission names per kind (AZURE_API.md Part 2 §B5).
constexpr std::string_view kKeyPermissions[] = {
    "all", "encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify", "get", "list",
    "create", "update", "import", "delete", "backup", "restore", "recover", "purge", "release",
    "rotate", "getrotationpolicy", "setrotationpolicy"};
constexpr std::string_view kSecretPermissions[] = {"all",    "get",     "list",    "set", "delete",
                                                   "backup", "restore", "recover", "purge"};
constexpr std::string_view kCertificatePermissions[] = {
    "all",        "get",          "list",          "delete",        "create",
    "import",     "update",       "managecontacts", "getissuers",   "listissuers",
    "setissuers", "deleteissuers", "manageissuers", "recover",      "purge",
    "backup",     "restore"};
constexpr std::string_view kStoragePermissions[] = {
    "all", "get", "list", "delete", "set", "update", "regeneratekey", "recover", "purge",
    "backup", "restore", "setsas", "listsas", "getsas", "deletesas"};

template <size_t N>
bool Known(const std::string_view (&names)[N], std::string_view p) {
  for (std::string_view n : names) {
    if (EqualsIgnoreCase(n, p)) return true;
  }
  return false;
}

std::string PortSuffix(const HostInfo& host) {
  const std::string& a = host.authority;
  size_t colon = a.rfind(':');
  size_t bracket = a.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) return "";
  return a.substr(colon);
}

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadRequest"); }

}  // namespace

Json AccessPoliciesJson(const std::vector<model::AccessPolicyEntry>& policies) {
  Json out = Json::array();
  for (const auto& e : policies) {
    Json j = {{"tenantId", e.tenant_id},
              {"objectId", e.object_id},
              {"permissions",
               {{"keys", e.keys},
                {"secrets", e.secrets},
                {"certificates", e.certificates},
                {"storage", e.storage}}}};
    if (!e.application_id.empty()) j["applicationId"] = e.application_id;
    out.push_back(std::move(j));
  }
  return out;
}

StatusOr<std::vector<model::AccessPolicyEntry>> ParseAccessPolicies(const Json& array,
                                                                    const std::string& tenant) {
  if (!array.is_array()) return FieldTypeError("properties.accessPolicies", "an array");
  if (array.size() > 1024) return Bad("A vault has at most 1024 access policies.");
  std::vector<model::AccessPolicyEntry> out;
  for (size_t i = 0; i < array.size(); ++i) {
    const Json& item = array[i];
    std::string where = "accessPolicies[" + std::to_string(i) + "]";
    if (!item.is_object()) return FieldTypeError(where, "an object");
    model::AccessPolicyEntry e;
    ASSIGN_OR_RETURN(auto tenant_id, OptString(item, "tenantId"));
    ASSIGN_OR_RETURN(auto object_id, OptString(item, "objectId"));
    ASSIGN_OR_RETURN(auto application_id, OptString(item, "applicationId"));
    if (!tenant_id || !auth::IsGuid(*tenant_id)) {
      return Bad(where + ".tenantId must be the tenant's GUID.");
    }
    if (!EqualsIgnoreCase(*tenant_id, tenant)) {
      return Bad(where + ".tenantId '" + tenant_id->substr(0, 40) +
                 "' is not this deployment's tenant (" + tenant + ").");
    }
    if (!object_id || !auth::IsGuid(*object_id)) {
      return Bad(where + ".objectId must be a principal's object id (a GUID).");
    }
    if (application_id && !application_id->empty() && !auth::IsGuid(*application_id)) {
      return Bad(where + ".applicationId must be a GUID.");
    }
    e.tenant_id = AsciiLower(*tenant_id);
    e.object_id = AsciiLower(*object_id);
    e.application_id = AsciiLower(application_id.value_or(""));
    ASSIGN_OR_RETURN(const Json* permissions, OptObject(item, "permissions"));
    if (permissions == nullptr) return Bad(where + ".permissions is required.");
    struct Kind {
      const char* name;
      std::vector<std::string>* out;
      bool (*known)(std::string_view);
    } kinds[] = {
        {"keys", &e.keys, [](std::string_view p) { return Known(kKeyPermissions, p); }},
        {"secrets", &e.secrets, [](std::string_view p) { return Known(kSecretPermissions, p); }},
        {"certificates", &e.certificates,
         [](std::string_view p) { return Known(kCertificatePermissions, p); }},
        {"storage", &e.storage, [](std::string_view p) { return Known(kStoragePermissions, p); }},
    };
    for (const Kind& k : kinds) {
      auto it = permissions->find(k.name);
      if (it == permissions->end() || it->is_null()) continue;
      if (!it->is_array() || it->size() > 64) {
        return FieldTypeError(where + ".permissions." + k.name, "an array of permission names");
      }
      for (const Json& p : *it) {
        if (!p.is_string()) {
          return FieldTypeError(where + ".permissions." + k.name, "an array of permission names");
        }
        const std::string& name = p.get_ref<const std::string&>();
        if (!k.known(name)) {
          return Bad("'" + name.substr(0, 40) + "' in " + where + ".permissions." + k.name +
                     " is not a " + std::string(k.name).substr(0, std::string(k.name).size() - 1) +
                     " permission Azure Key Vault knows.");
        }
        bool dup = false;
        for (const auto& q : *k.out) dup = dup || EqualsIgnoreCase(q, name);
        if (!dup) k.out->push_back(name);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Json LimitsJson(const ServiceLimits& limits) {
  auto at = [&](ThrottleClass c) { return limits.VaultLimit(c); };
  return Json{{"windowSeconds", ServiceLimits::kWindowSeconds},
              {"secretCreate", at(ThrottleClass::kSecretCreate)},
              {"vaultOther", at(ThrottleClass::kVaultOther)},
              {"keyCreate", at(ThrottleClass::kKeyCreate)},
              {"keyCreateHsm", at(ThrottleClass::kKeyCreateHsm)},
              {"keyOther", at(ThrottleClass::kKeyOther)},
              {"keyOtherHsm", at(ThrottleClass::kKeyOtherHsm)},
              {"subscriptionFactor", limits.subscription_factor},
              {"perIdentity", limits.per_identity}};
}

Json VaultJson(const model::VaultRecord& v, const HostInfo& host, const ServiceLimits& limits) {
  Json props = {{"tenantId", v.tenant_id},
                {"sku", {{"family", "A"}, {"name", v.sku}}},
                {"accessPolicies", AccessPoliciesJson(v.access_policies)},
                {"vaultUri", "https://" + AsciiLower(v.name) + ".vault.localhost" +
                                 PortSuffix(host) + "/"},
                {"enabledForDeployment", false},
                {"enabledForDiskEncryption", false},
                {"enabledForTemplateDeployment", false},
                {"enableSoftDelete", true},
                {"softDeleteRetentionInDays", v.retention_days},
                {"enableRbacAuthorization", v.rbac_authorization},
                {"publicNetworkAccess", "Enabled"},
                {"provisioningState", "Succeeded"},
                {"limits", LimitsJson(limits)}};
  if (v.purge_protection) props["enablePurgeProtection"] = true;
  return Json{{"id", "/subscriptions/" + v.subscription_id + "/resourceGroups/" +
                         v.resource_group + "/providers/Microsoft.KeyVault/vaults/" + v.name},
              {"name", v.name},
              {"type", "Microsoft.KeyVault/vaults"},
              {"location", v.location},
              {"tags", v.tags},
              {"properties", props}};
}

Json DeletedVaultJson(const model::VaultRecord& v) {
  UnixSeconds deleted = v.deleted ? v.deleted->deleted_date : 0;
  UnixSeconds purge = v.deleted ? v.deleted->scheduled_purge_date : 0;
  return Json{{"id", "/subscriptions/" + v.subscription_id +
                         "/providers/Microsoft.KeyVault/locations/" + AsciiLower(v.location) +
                         "/deletedVaults/" + v.name},
              {"name", v.name},
              {"type", "Microsoft.KeyVault/deletedVaults"},
              {"properties",
               {{"vaultId", "/subscriptions/" + v.subscription_id + "/resourceGroups/" +
                                v.resource_group + "/providers/Microsoft.KeyVault/vaults/" +
                                v.name},
                {"location", v.location},
                {"deletionDate", FormatRfc3339(deleted)},
                {"scheduledPurgeDate", FormatRfc3339(purge)},
                {"tags", v.tags},
                {"purgeProtectionEnabled", v.purge_protection}}}};
}

}  // namespace coffer::api
