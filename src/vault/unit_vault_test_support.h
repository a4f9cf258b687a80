// A vault record for unit tests of the domain services, which need one but no registry.
#pragma once

#include "model/vault_record.h"

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

}  // namespace coffer::vault::testing
