// ObjectStore composed by a caller: one barrier transaction writes a key version and a secret
// version (as a certificate version will), the key's caches are still dropped after it, and a
// failure in either kind writes neither.
#include "vault/object_store.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace coffer::vault
