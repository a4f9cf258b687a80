// KeyService over a real barrier and MemoryStorage: defaults per key type, import, public-only
// views, updates, lists, soft delete/recover/purge, export/restore, and the server-side checks
// on cryptographic operations (key_ops, disabled, nbf/exp by the injected clock).
#include "vault/key_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/encoding.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/unit_vault_test_support.h"

namespace coffer::vault {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

KeyCreateParams Kty(std::string kty) {
  KeyCreateParams p;
  p.kty = std::move(kty);
  return p;
}

std::string Digest32() { return std::string(32, '\x5a'); }

class KeyServiceTest : public ::testing::Test {
 protected:
  KeyServiceTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
  }

  KeyView Create(std::string_view name, KeyCreateParams p) {
    auto k = keys_.Create(vault_, name, p);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? std::move(*k) : KeyView{};
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  model::VaultRecord vault_ = testing::UnitVault();
};

TEST_F(KeyServiceTest, EcKeyDefaultsToP256WithSignVerify) {
  KeyView k = Create("ec1", Kty("EC"));
  EXPECT_EQ(k.version.kty, "EC");
  EXPECT_EQ(k.public_key.crv, "P-256");
  EXPECT_EQ(k.public_key.x.size(), 32u);
  EXPECT_TRUE(k.public_key.d.empty());
  EXPECT_THAT(k.version.key_ops, ElementsAre("sign", "verify"));
  EXPECT_TRUE(k.version.material.empty());
}

TEST_F(KeyServiceTest, RsaHsmKeyDefaultsTo2048BitsAndEchoesKty) {
  KeyView k = Create("rsa1", Kty("RSA-HSM"));
  EXPECT_EQ(k.version.kty, "RSA-HSM");
  EXPECT_EQ(k.public_key.n.size(), 256u);
  EXPECT_EQ(k.public_key.e, std::string("\x01\x00\x01", 3));
  EXPECT_THAT(k.version.key_ops,
              ElementsAre("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"));
}

TEST_F(KeyServiceTest, OctKeyDefaultsTo256BitsWithoutExposingK) {
  KeyView k = Create("aes", Kty("oct-HSM"));
  EXPECT_TRUE(k.public_key.k.empty());
  EXPECT_THAT(k.version.key_ops, ElementsAre("encrypt", "decrypt", "wrapKey", "unwrapKey"));
  auto wrapped = keys_.WrapKey(vault_, "aes", "", "A256KW", SecretBytes(std::string(32, 'k')));
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  EXPECT_EQ(wrapped->value.size(), 40u);
}

TEST_F(KeyServiceTest, UnsupportedTypeSizeCurveAndOpAreBadParameter) {
  KeyCreateParams size = Kty("RSA");
  size.key_size = 1024;
  KeyCreateParams crv = Kty("EC");
  crv.crv = "P-192";
  KeyCreateParams ops = Kty("EC");
  ops.key_ops = std::vector<std::string>{"sign", "launch"};
  for (const auto& p : {Kty("DSA"), size, crv, ops}) {
    auto k = keys_.Create(vault_, "bad", p);
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(k.status().reason(), "BadParameter");
  }
}

TEST_F(KeyServiceTest, ImportKeepsKeyOpsAndHsmFlagAndRefusesInconsistentJwk) {
  // RFC 7517 appendix A.2's P-256 key.
  KeyImportParams p;
  p.jwk.kty = "EC";
  p.jwk.crv = "P-256";
  p.jwk.x = *DecodeBase64Url("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4");
  p.jwk.y = *DecodeBase64Url("4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM");
  p.jwk.d = *DecodeBase64UrlSecret("870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE");
  p.hsm = true;
  p.key_ops = std::vector<std::string>{"SIGN"};
  auto k = keys_.Import(vault_, "imp", p);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->version.kty, "EC-HSM");
  EXPECT_THAT(k->version.key_ops, ElementsAre("sign"));
  EXPECT_EQ(k->public_key.x, p.jwk.x);
  EXPECT_TRUE(k->public_key.d.empty());

  p.jwk.d = SecretBytes(std::string(32, '\x01'));  // does not match x, y
  auto bad = keys_.Import(vault_, "imp", p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KeyServiceTest, NewVersionBecomesLatestAndOldVersionStaysReadable) {
  KeyView v1 = Create("k", Kty("EC"));
  KeyView v2 = Create("k", Kty("EC"));
  auto latest = keys_.Get(vault_, "K", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version.version, v2.version.version);
  EXPECT_EQ(latest->name, "k");
  auto old = keys_.Get(vault_, "k", v1.version.version);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->public_key.x, v1.public_key.x);
  auto versions = keys_.ListVersions(vault_, "k", 25, "");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->items.size(), 2u);
}

TEST_F(KeyServiceTest, MissingKeyAndVersionAreKeyNotFound) {
  EXPECT_EQ(keys_.Get(vault_, "nope", "").status().reason(), "KeyNotFound");
  Create("k", Kty("EC"));
  auto v = keys_.Get(vault_, "k", "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(keys_.Get(vault_, "k", "xyz").status().reason(), "KeyNotFound");
}

TEST_F(KeyServiceTest, DisabledKeyIsReadableButRefusesOperations) {
  Create("k", Kty("EC"));
  KeyPatch off;
  off.enabled = false;
  ASSERT_TRUE(keys_.Update(vault_, "k", "", off).ok());
  auto got = keys_.Get(vault_, "k", "");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->version.attributes.enabled);
  auto sig = keys_.Sign(vault_, "k", "", "ES256", Digest32());
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(sig.status().reason(), "KeyDisabled");
  EXPECT_EQ(sig.status().message(), "Operation sign is not allowed on a disabled key.");
}

TEST_F(KeyServiceTest, OperationOutsideKeyOpsIsForbiddenNamingOpAndKey) {
  KeyCreateParams p = Kty("RSA");
  p.key_ops = std::vector<std::string>{"sign", "verify"};
  Create("signer", p);
  auto enc = keys_.Encrypt(vault_, "signer", "", "RSA-OAEP", SecretBytes(std::string("hi")), "", "");
  ASSERT_FALSE(enc.ok());
  EXPECT_EQ(enc.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(enc.status().reason(), "KeyOperationForbidden");
  EXPECT_THAT(enc.status().message(), HasSubstr("encrypt"));
  EXPECT_THAT(enc.status().message(), HasSubstr("signer"));

  KeyPatch allow;
  allow.key_ops = std::vector<std::string>{"encrypt", "decrypt"};
  ASSERT_TRUE(keys_.Update(vault_, "signer", "", allow).ok());
  auto ok = keys_.Encrypt(vault_, "signer", "", "RSA-OAEP", SecretBytes(std::string("hi")), "", "");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto plain = keys_.Decrypt(vault_, "signer", ok->version, "RSA-OAEP", ok->value.view(), "", "", "");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->value.view(), "hi");
}

TEST_F(KeyServiceTest, NotYetValidAndExpiredKeysFollowTheDomainClock) {
  KeyCreateParams p = Kty("EC");
  p.not_before = clock_.Now() + 100;
  p.expires = clock_.Now() + 200;
  Create("timed", p);
  auto early = keys_.Sign(vault_, "timed", "", "ES256", Digest32());
  EXPECT_EQ(early.status().reason(), "KeyNotYetValid");
  clock_.Advance(150);
  auto sig = keys_.Sign(vault_, "timed", "", "ES256", Digest32());
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig->value.size(), 64u);
  clock_.Advance(100);
  auto late = keys_.Sign(vault_, "timed", "", "ES256", Digest32());
  EXPECT_EQ(late.status().reason(), "KeyExpired");
  EXPECT_THAT(late.status().message(), HasSubstr("expired"));
  // Verify is not date-controlled: data signed while the key was valid can still be checked.
  auto verified = keys_.Verify(vault_, "timed", "", "ES256", Digest32(), sig->value.view());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->verified);
}

TEST_F(KeyServiceTest, AlgorithmThatDoesNotFitTheKeyTypeIsBadParameterBeforeKeyOps) {
  Create("ec", Kty("EC"));  // key_ops sign, verify
  auto enc = keys_.Encrypt(vault_, "ec", "", "RSA-OAEP", SecretBytes(std::string("x")), "", "");
  EXPECT_EQ(enc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys_.Sign(vault_, "ec", "", "FOO", Digest32()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(KeyServiceTest, WrongDigestLengthAndAlgorithmAreBadParameter) {
  Create("k", Kty("EC"));
  EXPECT_EQ(keys_.Sign(vault_, "k", "", "ES256", "short").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(keys_.Sign(vault_, "k", "", "RS256", Digest32()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(KeyServiceTest, DeleteRecoverPurgeFollowSoftDeleteRules) {
  Create("k", Kty("EC"));
  auto deleted = keys_.Delete(vault_, "k");
  ASSERT_TRUE(deleted.ok());
  ASSERT_TRUE(deleted->deleted.has_value());
  EXPECT_FALSE(deleted->public_key.x.empty());
  EXPECT_EQ(keys_.Get(vault_, "k", "").status().code(), StatusCode::kNotFound);
  auto again = keys_.Create(vault_, "k", Kty("EC"));
  EXPECT_EQ(again.status().reason(), "ObjectIsDeletedButRecoverable");
  auto listed = keys_.ListDeleted(vault_, 25, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->items.size(), 1u);
  ASSERT_TRUE(keys_.Recover(vault_, "k").ok());
  EXPECT_TRUE(keys_.Get(vault_, "k", "").ok());

  ASSERT_TRUE(keys_.Delete(vault_, "k").ok());
  size_t cached = keys_.cached_materials();
  ASSERT_TRUE(keys_.Purge(vault_, "k").ok());
  EXPECT_LT(keys_.cached_materials(), cached);
  EXPECT_EQ(keys_.GetDeleted(vault_, "k").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(keys_.Create(vault_, "k", Kty("EC")).ok());
}

TEST_F(KeyServiceTest, PurgeUnderPurgeProtectionIsForbidden) {
  vault_.purge_protection = true;
  Create("k", Kty("EC"));
  ASSERT_TRUE(keys_.Delete(vault_, "k").ok());
  EXPECT_EQ(keys_.Purge(vault_, "k").code(), StatusCode::kPermissionDenied);
}

TEST_F(KeyServiceTest, ExportAndRestoreKeepVersionsAndMaterial) {
  KeyView v1 = Create("k", Kty("EC"));
  KeyView v2 = Create("k", Kty("EC"));
  auto exported = keys_.ExportObject(vault_, "k");
  ASSERT_TRUE(exported.ok());
  ASSERT_EQ(exported->versions.size(), 2u);
  EXPECT_EQ(keys_.RestoreObject(vault_, *exported).status().reason(), "Conflict");

  model::VaultRecord other = vault_;
  other.id = "fedcba9876543210fedcba9876543210";
  auto restored = keys_.RestoreObject(other, *exported);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->version.version, v2.version.version);
  EXPECT_EQ(restored->public_key.x, v2.public_key.x);
  auto sig = keys_.Sign(other, "k", v1.version.version, "ES256", Digest32());
  ASSERT_TRUE(sig.ok());
  auto ok = keys_.Verify(vault_, "k", v1.version.version, "ES256", Digest32(), sig->value.view());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->verified);
}

// A transaction that wrote many keys (a whole-vault restore) publishes "key/<vault id>/"
// (TopicsToPublish): it drops every cached entry of that vault's keys, and only of that vault.
TEST_F(KeyServiceTest, AVaultWideTopicDropsThatVaultsKeysOnly) {
  Create("k", Kty("EC"));
  ASSERT_TRUE(keys_.Sign(vault_, "k", "", "ES256", Digest32()).ok());
  ASSERT_EQ(keys_.cached_versions(), 2u);
  EXPECT_TRUE(keys_.OnCacheTopic("key/ffffffffffffffffffffffffffffffff/"));
  EXPECT_EQ(keys_.cached_versions(), 2u);
  EXPECT_FALSE(keys_.OnCacheTopic("secret/" + vault_.id + "/"));
  EXPECT_EQ(keys_.cached_versions(), 2u);
  EXPECT_TRUE(keys_.OnCacheTopic("key/" + vault_.id + "/"));
  EXPECT_EQ(keys_.cached_versions(), 0u);
  EXPECT_EQ(keys_.cached_materials(), 0u);
  EXPECT_TRUE(keys_.Sign(vault_, "k", "", "ES256", Digest32()).ok());
}

// Operations are served from the version cache after the first one; every write to the key
// must still show in the next operation.
TEST_F(KeyServiceTest, OperationsSeeEveryWriteDespiteTheVersionCache) {
  KeyView v1 = Create("k", Kty("EC"));
  auto sign = [&](std::string_view version = "") {
    return keys_.Sign(vault_, "k", version, "ES256", Digest32());
  };
  auto first = sign();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->version, v1.version.version);
  EXPECT_EQ(keys_.cached_versions(), 2u);  // "latest" and the version itself

  KeyPatch off;
  off.enabled = false;
  ASSERT_TRUE(keys_.Update(vault_, "k", "", off).ok());
  EXPECT_EQ(sign().status().reason(), "KeyDisabled");
  EXPECT_EQ(sign(v1.version.version).status().reason(), "KeyDisabled");
  KeyPatch on;
  on.enabled = true;
  ASSERT_TRUE(keys_.Update(vault_, "k", v1.version.version, on).ok());
  EXPECT_TRUE(sign().ok());

  KeyPatch verify_only;
  verify_only.key_ops = std::vector<std::string>{"verify"};
  ASSERT_TRUE(keys_.Update(vault_, "k", "", verify_only).ok());
  EXPECT_EQ(sign().status().reason(), "KeyOperationForbidden");
  KeyPatch both;
  both.key_ops = std::vector<std::string>{"sign", "verify"};
  ASSERT_TRUE(keys_.Update(vault_, "k", "", both).ok());

  KeyPatch expired;
  expired.expires = std::optional<UnixSeconds>(clock_.Now() - 1);
  ASSERT_TRUE(keys_.Update(vault_, "k", "", expired).ok());
  EXPECT_EQ(sign().status().reason(), "KeyExpired");
  KeyPatch no_expiry;
  no_expiry.expires = std::optional<UnixSeconds>();
  ASSERT_TRUE(keys_.Update(vault_, "k", "", no_expiry).ok());
  ASSERT_TRUE(sign().ok());

  KeyView v2 = Create("k", Kty("EC"));  // a new version becomes latest at once
  auto latest = sign();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, v2.version.version);
  auto old = sign(v1.version.version);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->version, v1.version.version);
  auto rotated = keys_.Rotate(vault_, "k");
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(sign()->version, rotated->version.version);

  auto exported = keys_.ExportObject(vault_, "k");
  ASSERT_TRUE(exported.ok());
  ASSERT_TRUE(keys_.Delete(vault_, "k").ok());
  EXPECT_EQ(sign().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sign(v1.version.version).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(keys_.Recover(vault_, "k").ok());
  EXPECT_TRUE(sign().ok());

  ASSERT_TRUE(keys_.Delete(vault_, "k").ok());
  EXPECT_EQ(sign().status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(keys_.Purge(vault_, "k").ok());
  EXPECT_EQ(keys_.cached_versions(), 0u);
  EXPECT_EQ(keys_.cached_materials(), 0u);
  EXPECT_EQ(sign().status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(keys_.RestoreObject(vault_, *exported).ok());
  auto restored = sign();
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->version, rotated->version.version);
}

TEST_F(KeyServiceTest, SealedBarrierRefusesOperationsEvenWhenCached) {
  Create("k", Kty("EC"));
  ASSERT_TRUE(keys_.Sign(vault_, "k", "", "ES256", Digest32()).ok());
  barrier_.Seal();
  EXPECT_EQ(keys_.Sign(vault_, "k", "", "ES256", Digest32()).status().code(),
            StatusCode::kUnavailable);
}

TEST_F(KeyServiceTest, ListPagesWithoutRepeatsAndCarriesNoMaterial) {
  for (int i = 0; i < 5; ++i) Create(std::string(1, static_cast<char>('a' + i)), Kty("oct"));
  std::set<std::string> seen;
  std::string token;
  do {
    auto page = keys_.List(vault_, 2, token);
    ASSERT_TRUE(page.ok());
    for (const auto& item : page->items) {
      EXPECT_TRUE(seen.insert(item.name).second);
      EXPECT_TRUE(item.version.material.empty());
    }
    token = page->next_token;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 5u);
}

}  // namespace
}  // namespace coffer::vault
