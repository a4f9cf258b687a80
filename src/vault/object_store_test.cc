// ObjectStore composed by a caller: one barrier transaction writes a key version and a secret
// version (as a certificate version will), the key's caches are still dropped after it, and a
// failure in either kind writes neither.
#include "vault/object_store.h"

#include <gtest/gtest.h>

#include <utility>

#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/key_service.h"
#include "vault/kind_traits.h"
#include "vault/secret_service.h"

namespace coffer::vault {
namespace {

constexpr char kNewKeyVersion[] = "0000000000000000000000000000000a";
constexpr char kNewSecretVersion[] = "0000000000000000000000000000000b";

class ObjectStoreTest : public ::testing::Test {
 protected:
  ObjectStoreTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
    vault_.name = "unit";
    vault_.id = "0123456789abcdef0123456789abcdef";
    vault_.retention_days = 7;
    KeyCreateParams ec;
    ec.kty = "EC";
    EXPECT_TRUE(keys_.Create(vault_, "cert", ec).ok());
    // Fill the key's caches.
    EXPECT_TRUE(keys_.Sign(vault_, "cert", "", "ES256", std::string(32, 'a')).ok());
  }

  // In one transaction: a new key version (the latest's material again) and a secret version
  // that names it, both under `name`.
  Status WriteCertificateLike(std::string_view name) {
    ObjectStore<model::KeyVersion> key_store(keyspace_, keys_.traits());
    ObjectStore<model::SecretVersion> secret_store(keyspace_, secret_traits_);
    return UpdateWithEffects(barrier_, [&](barrier::Txn& t, TxnEffects& effects) -> Status {
      ASSIGN_OR_RETURN(ObjectLocation key_loc, key_store.Locate(vault_.id, name));
      ASSIGN_OR_RETURN(auto latest, key_store.ReadLatest(t, key_loc, name));
      model::KeyVersion next = latest.version;
      next.version = kNewKeyVersion;
      RETURN_IF_ERROR(key_store.AddVersion(t, effects, key_loc, name, next).status());
      ASSIGN_OR_RETURN(ObjectLocation secret_loc, secret_store.Locate(vault_.id, name));
      model::SecretVersion secret;
      secret.version = kNewSecretVersion;
      secret.value = SecretBytes("-----BEGIN CERTIFICATE-----");
      secret.managed = true;
      secret.key_id = kNewKeyVersion;
      return secret_store.AddVersion(t, effects, secret_loc, name, secret).status();
    });
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  Keyspace keyspace_{barrier_};
  SecretTraits secret_traits_;
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  SecretService secrets_{barrier_, clock_, crypto::SystemRandom()};
  model::VaultRecord vault_;
};

TEST_F(ObjectStoreTest, OneTransactionWritesAKeyAndASecretAndDropsTheKeyCaches) {
  ASSERT_GT(keys_.cached_versions(), 0u);
  Status written = WriteCertificateLike("cert");
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(keys_.cached_versions(), 0u);
  auto signed_by = keys_.Sign(vault_, "cert", "", "ES256", std::string(32, 'a'));
  ASSERT_TRUE(signed_by.ok());
  EXPECT_EQ(signed_by->version, kNewKeyVersion);
  auto secret = secrets_.Get(vault_, "cert", "");
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(secret->version.version, kNewSecretVersion);
  EXPECT_EQ(secret->version.key_id, kNewKeyVersion);
}

TEST_F(ObjectStoreTest, AFailureInOneKindWritesNeither) {
  SecretSetParams value;
  value.value = SecretBytes("v");
  ASSERT_TRUE(secrets_.Set(vault_, "cert", std::move(value)).ok());
  ASSERT_TRUE(secrets_.Delete(vault_, "cert").ok());  // the secret's name is now taken
  Status written = WriteCertificateLike("cert");
  EXPECT_EQ(written.code(), StatusCode::kAlreadyExists);
  auto latest = keys_.Get(vault_, "cert", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_NE(latest->version.version, kNewKeyVersion);
  EXPECT_EQ(keys_.Get(vault_, "cert", kNewKeyVersion).status().code(), StatusCode::kNotFound);
}

// Counts the requests a caller makes of the storage (a Get or a GetMany is one each).
class CountingStorage final : public store::Storage {
 public:
  explicit CountingStorage(store::Storage& inner) : inner_(inner) {}
  Status Update(const store::TxnFn& fn) override {
    return inner_.Update([&](store::Transaction& t) {
      Txn counted(t, requests_);
      return fn(counted);
    });
  }
  Status View(const store::TxnFn& fn) override {
    return inner_.View([&](store::Transaction& t) {
      Txn counted(t, requests_);
      return fn(counted);
    });
  }
  int TakeRequests() { return std::exchange(requests_, 0); }

 private:
  class Txn final : public store::Transaction {
   public:
    Txn(store::Transaction& inner, int& requests) : inner_(inner), requests_(requests) {}
    StatusOr<std::optional<std::string>> Get(std::string_view key) override {
      ++requests_;
      return inner_.Get(key);
    }
    StatusOr<std::vector<std::optional<std::string>>> GetMany(
        const std::vector<std::string_view>& keys) override {
      ++requests_;
      return inner_.GetMany(keys);
    }
    StatusOr<std::vector<store::Entry>> Scan(std::string_view prefix, std::string_view after,
                                             size_t limit) override {
      ++requests_;
      return inner_.Scan(prefix, after, limit);
    }
    Status Put(std::string_view key, std::string_view value) override {
      return inner_.Put(key, value);
    }
    Status Delete(std::string_view key) override { return inner_.Delete(key); }

   private:
    store::Transaction& inner_;
    int& requests_;
  };

  store::Storage& inner_;
  int requests_ = 0;
};

// Two services on one storage, as two Coffer nodes on one PostgreSQL: a read of the latest
// version guesses it from what this node saw last and reads the head and that version in one
// request; whatever the other node wrote meanwhile (a new version, a disabled one, a delete),
// the answer follows the head read in the same snapshot — a wrong guess costs one more
// request, never a stale answer. (Each read drops b's read cache first, which would otherwise
// answer without the storage: this is the read below it.)
TEST(ObjectStoreLatestHintTest, ALatestReadIsOneRequestAndNeverStaleAcrossNodes) {
  store::MemoryStorage memory;
  CountingStorage storage(memory);
  barrier::Barrier barrier(storage, crypto::SystemRandom());
  ASSERT_TRUE(barrier.Initialize().ok());
  ManualClock clock;
  SecretService a(barrier, clock, crypto::SystemRandom());
  SecretService b(barrier, clock, crypto::SystemRandom());
  model::VaultRecord vault;
  vault.name = "unit";
  vault.id = "0123456789abcdef0123456789abcdef";
  vault.retention_days = 7;
  auto set = [&](const char* value) {
    SecretSetParams p;
    p.value = SecretBytes(std::string_view(value));
    auto r = a.Set(vault, "s", std::move(p));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->version.version : std::string();
  };
  auto read_status = [&](std::string_view version = "") -> Status {
    b.OnCacheReset();
    return b.Get(vault, "s", version).status();
  };
  // The value read through b, or "?" with the failure added.
  auto read = [&](std::string_view version = "") -> std::string {
    b.OnCacheReset();
    auto got = b.Get(vault, "s", version);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? std::string(got->version.value.view()) : "?";
  };

  std::string v1 = set("one");
  storage.TakeRequests();
  EXPECT_EQ(read(), "one");
  EXPECT_EQ(storage.TakeRequests(), 2) << "no guess yet: the head, then the version";
  EXPECT_EQ(read(), "one");
  EXPECT_EQ(storage.TakeRequests(), 1) << "head and guessed version in one request";
  EXPECT_EQ(b.Get(vault, "s", "")->version.value.view(), "one");
  EXPECT_EQ(storage.TakeRequests(), 0) << "from b's read cache";

  std::string v2 = set("two");
  storage.TakeRequests();
  EXPECT_EQ(read(), "two") << "the other node's new version, at once";
  EXPECT_EQ(storage.TakeRequests(), 2) << "the guess (v1) missed: one more request";
  EXPECT_EQ(read(), "two");
  EXPECT_EQ(storage.TakeRequests(), 1);

  // The guessed version itself changed (disabled through the other node): seen at once.
  SecretPatch disable;
  disable.enabled = false;
  ASSERT_TRUE(a.Update(vault, "s", v2, disable).ok());
  EXPECT_EQ(read_status().reason(), "SecretDisabled");
  // A version named by the caller: one request, no guess needed.
  storage.TakeRequests();
  EXPECT_EQ(read(v1), "one");
  EXPECT_EQ(storage.TakeRequests(), 1);
  EXPECT_EQ(read_status("0123456789abcdef0123456789abcdef").code(), StatusCode::kNotFound);

  // Deleted through the other node: gone at once, though the guess is still remembered.
  ASSERT_TRUE(a.Delete(vault, "s").ok());
  EXPECT_EQ(read_status().code(), StatusCode::kNotFound);
  EXPECT_EQ(read_status(v1).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace coffer::vault
