// A vault record for unit tests of the domain services, which need one but no registry, and
// the same vault made through a registry for tests that run the sweeper.
#pragma once

#include <gtest/gtest.h>

#include "model/vault_record.h"
#include "vault/vault_registry.h"

namespace coffer::vault::testing {

inline model::VaultRecord UnitVault() {
  model::VaultRecord v;
  v.name = "unit";
  v.id = "0123456789abcdef0123456789abcdef";
  v.subscription_id = "11111111-1111-1111-1111-111111111111";
  v.location = "eastus";
  v.retention_days = 7;
  return v;
}

// Creates the vault "unit" in `vaults` (subscription 1111…, group rg, eastus) and returns it.
inline model::VaultRecord RegisterUnitVault(VaultRegistry& vaults) {
  VaultSpec spec;
  spec.name = "unit";
  spec.subscription_id = "11111111-1111-1111-1111-111111111111";
  spec.resource_group = "rg";
  spec.location = "eastus";
  spec.tenant_id = "tenant";
  auto made = vaults.CreateOrUpdate(spec);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? made->first : model::VaultRecord{};
}

}  // namespace coffer::vault::testing
