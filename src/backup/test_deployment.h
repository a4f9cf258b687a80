// Test support for the backup tests: one Coffer deployment over MemoryStorage — an unsealed
// barrier and the vault, secret, key, certificate and backup services over it.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "backup/backup_service.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/vault_registry.h"

namespace coffer::backup::test_support {

constexpr char kSubA[] = "11111111-1111-1111-1111-111111111111";
constexpr char kSubB[] = "22222222-2222-2222-2222-222222222222";

struct Deployment {
  Deployment() : barrier(storage, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier.Initialize().ok());
  }
  model::VaultRecord MakeVault(const std::string& name, const std::string& sub,
                               const std::string& location) {
    vault::VaultSpec spec;
    spec.name = name;
    spec.subscription_id = sub;
    spec.resource_group = "rg";
    spec.location = location;
    spec.tenant_id = "tenant";
    auto made = vaults.CreateOrUpdate(spec);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->first : model::VaultRecord{};
  }

  store::MemoryStorage storage;
  barrier::Barrier barrier;
  ManualClock clock;
  vault::VaultRegistry vaults{barrier, clock, crypto::SystemRandom()};
  vault::SecretService secrets{barrier, clock, crypto::SystemRandom()};
  vault::KeyService keys{barrier, clock, crypto::SystemRandom()};
  vault::CertificateService certificates{barrier, clock, crypto::SystemRandom(), keys.traits()};
  BackupService backups{barrier, secrets, crypto::SystemRandom(), clock, &keys, &certificates};
};

// Parameters setting a secret to `value`, nothing else.
inline vault::SecretSetParams SecretValue(std::string_view value) {
  vault::SecretSetParams p;
  p.value = SecretBytes(value);
  return p;
}

// A deployment with four vaults: two regions of one geography in subscription A, another
// subscription, and another geography — the targets every binding test needs.
class DeploymentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    east_ = d_.MakeVault("src-east", kSubA, "eastus");
    west_ = d_.MakeVault("dst-west", kSubA, "West US");
    other_sub_ = d_.MakeVault("other-sub", kSubB, "eastus");
    europe_ = d_.MakeVault("dst-europe", kSubA, "westeurope");
  }

  Deployment d_;
  model::VaultRecord east_, west_, other_sub_, europe_;
};

}  // namespace coffer::backup::test_support
