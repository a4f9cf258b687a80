// Test support for the backup tests: one Coffer deployment over MemoryStorage — an unsealed
// barrier and the vault, secret, key, certificate and backup services over it — and
// ScriptedStorage, which acts as PostgreSQL under failover does: runs a transaction's function
// twice after a serialization conflict, or refuses writes while serving read-only.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "backup/backup_service.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/vault_registry.h"

namespace coffer::backup::test_support {

constexpr char kSubA[] = "11111111-1111-1111-1111-111111111111";
constexpr char kSubB[] = "22222222-2222-2222-2222-222222222222";

// A Storage over another that, when armed, runs the function of the next Update twice, as
// PostgreSQL does after a serialization conflict (SQLSTATE 40001/40P01; store/storage.h): the
// first run fails — at its `at_put`-th Put, or after it has returned when `at_put` is 0 — and
// is rolled back, then the function runs again from the start and that run's outcome is the
// Update's. While read-only (a node serving from the paired region: store/failover_storage.h)
// every Update is refused Unavailable without running its function; Views go on.
// Thread-safety: as the inner storage's; the switches are atomic.
class ScriptedStorage final : public store::Storage {
 public:
  explicit ScriptedStorage(store::Storage& inner) : inner_(inner) {}

  void RerunNextUpdate(int at_put = 0) {
    at_put_.store(at_put);
    armed_.store(true);
  }
  // Updates whose function ran twice.
  int reruns() const { return reruns_.load(); }
  void SetReadOnly(bool read_only) { read_only_.store(read_only); }

  Status Update(const store::TxnFn& fn) override {
    if (read_only_.load()) {
      return UnavailableError("Storage is read-only: this node serves from the paired region "
                              "(failover) (test)");
    }
    if (!armed_.exchange(false)) return inner_.Update(fn);
    ++reruns_;
    (void)inner_.Update([&](store::Transaction& t) -> Status {
      ConflictingTxn conflicting(t, at_put_.load());
      Status s = store::RunTxnFn(fn, conflicting);
      (void)s;  // whatever it says: the conflict rolls the run back
      return Status(StatusCode::kAborted, "could not serialize access (simulated 40001)");
    });
    return inner_.Update(fn);
  }
  Status View(const store::TxnFn& fn) override { return inner_.View(fn); }

 private:
  // Forwards to the real transaction; its `at_put`-th Put fails as a conflict would.
  class ConflictingTxn final : public store::Transaction {
   public:
    ConflictingTxn(store::Transaction& t, int at_put) : t_(t), at_put_(at_put) {}
    StatusOr<std::optional<std::string>> Get(std::string_view key) override { return t_.Get(key); }
    StatusOr<std::vector<store::Entry>> Scan(std::string_view prefix, std::string_view after,
                                             size_t limit) override {
      return t_.Scan(prefix, after, limit);
    }
    Status Put(std::string_view key, std::string_view value) override {
      if (++puts_ == at_put_) {
        return Status(StatusCode::kAborted, "could not serialize access (simulated 40001)");
      }
      return t_.Put(key, value);
    }
    Status Delete(std::string_view key) override { return t_.Delete(key); }
    void Publish(std::string_view topic) override { t_.Publish(topic); }

   private:
    store::Transaction& t_;
    int at_put_;
    int puts_ = 0;
  };

  store::Storage& inner_;
  std::atomic<bool> armed_{false};
  std::atomic<int> at_put_{0};
  std::atomic<int> reruns_{0};
  std::atomic<bool> read_only_{false};
};

// Creates vault `name` in `vaults` (resource group "rg", tenant "tenant").
inline model::VaultRecord MakeVault(vault::VaultRegistry& vaults, const std::string& name,
                                    const std::string& sub, const std::string& location) {
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

struct Deployment {
  Deployment() : barrier(scripted, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier.Initialize().ok());
  }
  model::VaultRecord MakeVault(const std::string& name, const std::string& sub,
                               const std::string& location) {
    return test_support::MakeVault(vaults, name, sub, location);
  }

  store::MemoryStorage storage;
  ScriptedStorage scripted{storage};  // the barrier's storage
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
