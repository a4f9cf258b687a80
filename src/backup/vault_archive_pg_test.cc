// Whole-vault restore on the PostgreSQL engine when its transaction meets a real serialization
// failure: PgStorage rolls the transaction back and runs its function again (store/pg_storage.h),
// and the run that commits restores the whole archive, each object once.
//
// Runs against COFFER_TEST_PG_URL (a role that owns its database, as scripts/pg.sh makes), in a
// fresh schema dropped afterwards; without the variable it skips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "backup/test_deployment.h"
#include "backup/vault_archive.h"
#include "crypto/primitives.h"
#include "store/pg_storage.h"
#include "store/pg_test_support.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/vault_registry.h"

namespace coffer::backup {
namespace {

using test_support::MakeVault;
using test_support::SecretValue;

constexpr char kSub[] = "11111111-1111-1111-1111-111111111111";

StatusOr<std::unique_ptr<store::PgStorage>> OpenPg(const std::string& schema) {
  store::PgOptions options;
  options.url = store::pg_test::Url();
  options.schema = schema;
  options.application_name = schema;
  options.max_connections = 4;
  return store::PgStorage::Open(std::move(options));
}

// Over PgStorage: when armed, the first run of the next Update meets a real serialization
// failure. After its snapshot is taken, another connection commits a row; after the function
// has returned, the run writes that row too — "could not serialize access due to concurrent
// update" (40001) — so PgStorage rolls the run back and runs the function again.
class ConflictOnceStorage final : public store::Storage {
 public:
  ConflictOnceStorage(store::PgStorage& pg, store::PgStorage& other) : pg_(pg), other_(other) {}
  void ConflictNextUpdate() { armed_.store(true); }

  Status Update(const store::TxnFn& fn) override {
    if (!armed_.exchange(false)) return pg_.Update(fn);
    int runs = 0;
    return pg_.Update([&](store::Transaction& t) -> Status {
      if (++runs > 1) return fn(t);
      RETURN_IF_ERROR(t.Get(kRow).status());  // the run's snapshot is taken here
      RETURN_IF_ERROR(other_.Update([](store::Transaction& o) {
        return o.Put(kRow, "written by another connection");
      }));
      RETURN_IF_ERROR(fn(t));
      return t.Put(kRow, "written by the first run");
    });
  }
  Status View(const store::TxnFn& fn) override { return pg_.View(fn); }

 private:
  static constexpr char kRow[] = "zz-test/conflict";
  store::PgStorage& pg_;
  store::PgStorage& other_;
  std::atomic<bool> armed_{false};
};

class PgArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (store::pg_test::Url() == nullptr) {
      GTEST_SKIP() << "COFFER_TEST_PG_URL is not set; start a server with `bash scripts/pg.sh "
                      "start DIR` and export the URL it prints (scripts/test.sh does)";
    }
    schema_ = store::pg_test::FreshSchemaName("coffer_vbak");
    auto pg = OpenPg(schema_);
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = std::move(*pg);
    auto other = OpenPg(schema_);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_ = std::move(*other);
    storage_ = std::make_unique<ConflictOnceStorage>(*pg_, *other_);
    barrier_ = std::make_unique<barrier::Barrier>(*storage_, crypto::SystemRandom());
    ASSERT_TRUE(barrier_->Initialize().ok());
    vaults_ = std::make_unique<vault::VaultRegistry>(*barrier_, clock_, crypto::SystemRandom());
    secrets_ = std::make_unique<vault::SecretService>(*barrier_, clock_, crypto::SystemRandom());
    keys_ = std::make_unique<vault::KeyService>(*barrier_, clock_, crypto::SystemRandom());
    archiver_ = std::make_unique<VaultArchiver>(*barrier_, crypto::SystemRandom(), clock_,
                                                keys_->traits(), /*segment_size=*/512);
  }
  void TearDown() override {
    archiver_.reset();
    keys_.reset();
    secrets_.reset();
    vaults_.reset();
    barrier_.reset();
    storage_.reset();
    other_.reset();
    pg_.reset();
    if (!schema_.empty()) store::pg_test::DropSchema(schema_);
  }
  model::VaultRecord Vault(const std::string& name) {
    return MakeVault(*vaults_, name, kSub, "eastus");
  }

  std::string schema_;
  ManualClock clock_;
  std::unique_ptr<store::PgStorage> pg_, other_;
  std::unique_ptr<ConflictOnceStorage> storage_;
  std::unique_ptr<barrier::Barrier> barrier_;
  std::unique_ptr<vault::VaultRegistry> vaults_;
  std::unique_ptr<vault::SecretService> secrets_;
  std::unique_ptr<vault::KeyService> keys_;
  std::unique_ptr<VaultArchiver> archiver_;
};

TEST_F(PgArchiveTest, RestoreRunAgainAfterASerializationFailureRestoresTheWholeVault) {
  model::VaultRecord source = Vault("source");
  model::VaultRecord target = Vault("target");
  constexpr int kSecrets = 40;  // many segments of 512 bytes
  for (int i = 0; i < kSecrets; ++i) {
    std::string name = "s" + std::to_string(i);
    ASSERT_TRUE(secrets_->Set(source, name, SecretValue("first-" + name)).ok());
    ASSERT_TRUE(secrets_->Set(source, name, SecretValue("second-" + name)).ok());
  }
  ASSERT_TRUE(secrets_->Delete(source, "s0").ok());
  vault::KeyCreateParams ec;
  ec.kty = "EC";
  ASSERT_TRUE(keys_->Create(source, "signer", ec).ok());

  std::string archive;
  StringSink sink(&archive);
  auto summary = archiver_->Backup(source, sink);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_TRUE(archiver_->Verify(target, *StringSourceOpener(archive)().value(),
                                ArchiveSelection{}).ok());

  uint64_t conflicts = pg_->Stats().conflicts;
  storage_->ConflictNextUpdate();
  auto outcome = archiver_->Restore(target, StringSourceOpener(archive), ArchiveSelection{});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(pg_->Stats().conflicts, conflicts + 1);  // PostgreSQL did refuse the first run
  EXPECT_EQ(outcome->restored, static_cast<uint64_t>(kSecrets) + 1);

  for (int i = 1; i < kSecrets; ++i) {
    std::string name = "s" + std::to_string(i);
    auto got = secrets_->Get(target, name, "");
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(got->version.value.view(), "second-" + name);
    auto versions = secrets_->ListVersions(target, name, 25, "");
    ASSERT_TRUE(versions.ok());
    EXPECT_EQ(versions->items.size(), 2u) << name;
  }
  EXPECT_TRUE(secrets_->GetDeleted(target, "s0").ok());
  auto key = keys_->Get(target, "signer", "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->version.version, keys_->Get(source, "signer", "")->version.version);
}

}  // namespace
}  // namespace coffer::backup
