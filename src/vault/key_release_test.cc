// KeyService secure key release: which versions may be released (exportable with a policy,
// enabled, inside nbf..exp), that a policy changed since verification stops the release, and
// that the wrapped material opens to the key itself.
#include <gtest/gtest.h>

#include "crypto/key_release.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/unit_vault_test_support.h"
#include "vault/key_service.h"

namespace coffer::vault {
namespace {

constexpr char kPolicy[] = R"({"version":"1.0.0","anyOf":[{"authority":"https://a.localhost",)"
                           R"("allOf":[{"claim":"c","equals":true}]}]})";

class KeyReleaseTest : public ::testing::Test {
 protected:
  KeyReleaseTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
    policy_.data = kPolicy;
  }

  KeyView Create(std::string_view name, bool exportable, std::string kty = "RSA") {
    KeyCreateParams p;
    p.kty = std::move(kty);
    if (exportable) {
      p.exportable = true;
      p.release_policy = policy_;
    }
    auto k = keys_.Create(vault_, name, p);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? std::move(*k) : KeyView{};
  }

  crypto::PublicKey RuntimePublic() { return *crypto::PublicKey::FromJwk(runtime_.PublicJwk()); }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  model::VaultRecord vault_ = testing::UnitVault();
  model::KeyReleasePolicy policy_;
  crypto::KeyMaterial runtime_ = *crypto::KeyMaterial::GenerateRsa(2048);
};

TEST_F(KeyReleaseTest, ExportableKeyIsReleasedWrappedToTheRuntimeKey) {
  KeyView k = Create("x", true, "oct-HSM");
  auto candidate = keys_.ReleaseCandidate(vault_, "x", "");
  ASSERT_TRUE(candidate.ok()) << candidate.status().ToString();
  EXPECT_EQ(candidate->version.version, k.version.version);
  auto released = keys_.Release(vault_, "x", k.version.version, policy_, RuntimePublic(),
                                "RSA_AES_KEY_WRAP_256");
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(released->view.version.version, k.version.version);
  EXPECT_TRUE(released->view.version.material.empty());
  auto opened = crypto::UnwrapReleasedKey(runtime_, "RSA_AES_KEY_WRAP_256", released->wrapped);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->size(), 32u);
  // The released AES key is the key: it unwraps what the service wrapped with it.
  SecretBytes secret(std::string_view("0123456789abcdef"));
  auto wrapped = keys_.WrapKey(vault_, "x", "", "CKM_AES_KEY_WRAP_PAD", secret);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  crypto::JwkParts jwk;
  jwk.kty = "oct";
  jwk.k = *opened;
  auto unwrapped = crypto::KeyMaterial::FromJwk(jwk)->UnwrapKey("CKM_AES_KEY_WRAP_PAD",
                                                                wrapped->value.view());
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(*unwrapped, secret);
}

TEST_F(KeyReleaseTest, NonExportableDisabledAndExpiredKeysAreNotReleased) {
  Create("plain", false);
  auto r = keys_.ReleaseCandidate(vault_, "plain", "");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not exportable"), std::string::npos);

  Create("off", true);
  KeyPatch disable;
  disable.enabled = false;
  ASSERT_TRUE(keys_.Update(vault_, "off", "", disable).ok());
  EXPECT_EQ(keys_.ReleaseCandidate(vault_, "off", "").status().reason(), "KeyDisabled");

  Create("old", true);
  KeyPatch expire;
  expire.expires = std::optional<UnixSeconds>(clock_.Now() + 10);
  ASSERT_TRUE(keys_.Update(vault_, "old", "", expire).ok());
  clock_.Advance(11);
  EXPECT_EQ(keys_.ReleaseCandidate(vault_, "old", "").status().reason(), "KeyExpired");
  EXPECT_EQ(keys_.Release(vault_, "old", "", policy_, RuntimePublic(), "CKM_RSA_AES_KEY_WRAP")
                .status()
                .reason(),
            "KeyExpired");
  EXPECT_EQ(keys_.ReleaseCandidate(vault_, "none", "").status().code(), StatusCode::kNotFound);
}

TEST_F(KeyReleaseTest, PolicyChangedSinceVerificationStopsTheRelease) {
  Create("k", true);
  model::KeyReleasePolicy other = policy_;
  other.data = std::string(kPolicy).replace(std::string(kPolicy).find("true"), 4, "false");
  KeyPatch patch;
  patch.release_policy = other;
  ASSERT_TRUE(keys_.Update(vault_, "k", "", patch).ok());
  auto r = keys_.Release(vault_, "k", "", policy_, RuntimePublic(), "CKM_RSA_AES_KEY_WRAP");
  EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  EXPECT_TRUE(keys_.Release(vault_, "k", "", other, RuntimePublic(), "CKM_RSA_AES_KEY_WRAP").ok());
  EXPECT_EQ(
      keys_.Release(vault_, "k", "", other, RuntimePublic(), "RSA-OAEP").status().code(),
      StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::vault
