// VaultRecord: one vault's configuration, as stored (through the barrier) by the vault registry.
//
// Thread-safety: plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/object.h"

namespace coffer::model {

// One entry of a vault's legacy access policies (Azure's AccessPolicyEntry). Permission names
// are kept as given and compared case-insensitively.
struct AccessPolicyEntry {
  std::string tenant_id;
  std::string object_id;
  std::string application_id;  // "" when none (compound identities are not used)
  std::vector<std::string> keys;
  std::vector<std::string> secrets;
  std::vector<std::string> certificates;
  std::vector<std::string> storage;
};

struct VaultRecord {
  std::string name;             // as created (lookups are case-insensitive)
  std::string id;               // 32 lowercase hex, random, never reused; keys all its objects
  std::string tenant_id;
  std::string subscription_id;  // lowercase GUID
  std::string resource_group;   // as first given
  std::string location;         // exactly as given
  std::string sku = "standard";
  int retention_days = 90;
  bool purge_protection = false;
  bool rbac_authorization = true;
  UnixSeconds created = 0;
  UnixSeconds updated = 0;
  Tags tags;
  std::optional<DeletedInfo> deleted;
  std::vector<AccessPolicyEntry> access_policies;  // decide data access when !rbac_authorization

  // Azure's recoveryLevel / recoverableDays for objects in this vault (AZURE_API.md §6.1).
  std::string RecoveryLevel() const;
};

SecretBytes EncodeVaultRecord(const VaultRecord& v);
StatusOr<VaultRecord> DecodeVaultRecord(std::string_view record);

}  // namespace coffer::model
