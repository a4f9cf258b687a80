// BackupService: backup and restore through a real barrier over MemoryStorage — the binding to
// deployment, subscription and geography, the error precedence, and that failures write nothing.
#include "backup/backup_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "backup/blob_codec.h"
#include "backup/test_deployment.h"

namespace coffer::backup {
namespace {

using ::testing::HasSubstr;
using test_support::Deployment;
using test_support::kSubA;
using test_support::kSubB;

class BackupServiceTest : public test_support::DeploymentTest {
 protected:
  vault::SecretView Set(const model::VaultRecord& v, const std::string& name,
                        const std::string& value, vault::SecretSetParams p = {}) {
    p.value = SecretBytes(std::string_view(value));
    auto s = d_.secrets.Set(v, name, std::move(p));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : vault::SecretView{};
  }

  std::string Backup(const std::string& name) {
    auto blob = d_.backups.BackupSecret(east_, name);
    EXPECT_TRUE(blob.ok()) << blob.status().ToString();
    return blob.ok() ? *blob : std::string();
  }

  // A blob of a one-version secret "db-password" in east_.
  std::string SimpleBlob() {
    Set(east_, "db-password", "hunter2");
    return Backup("db-password");
  }

};

TEST_F(BackupServiceTest, RestoreIntoOtherRegionOfSameGeographyKeepsEveryVersion) {
  vault::SecretSetParams p1;
  p1.content_type = "text/plain";
  p1.tags = model::Tags{{"env", "prod"}};
  p1.not_before = 1'600'000'000;
  p1.expires = 1'900'000'000;
  Set(east_, "Api-Key", "v1", std::move(p1));
  d_.clock.Advance(60);
  vault::SecretSetParams p2;
  p2.enabled = false;
  vault::SecretView second = Set(east_, "Api-Key", "v2", std::move(p2));
  d_.clock.Advance(60);
  Set(east_, "Api-Key", std::string(model::kMaxSecretValueBytes, 'z'));
  d_.clock.Advance(60);
  vault::SecretPatch patch;
  patch.tags = model::Tags{{"rotated", "yes"}};
  ASSERT_TRUE(d_.secrets.Update(east_, "api-key", second.version.version, patch).ok());

  auto original = d_.secrets.Export(east_, "api-key");
  ASSERT_TRUE(original.ok());
  d_.clock.Advance(3600);
  std::string blob = Backup("api-key");
  auto restored = d_.backups.RestoreSecret(west_, blob);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->name, "Api-Key");
  EXPECT_EQ(restored->version.version, original->versions.back().version);

  auto copy = d_.secrets.Export(west_, "API-KEY");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->name, "Api-Key");
  EXPECT_EQ(copy->created, original->created);
  ASSERT_EQ(copy->versions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto& a = original->versions[i];
    const auto& b = copy->versions[i];
    EXPECT_EQ(a.version, b.version);
    EXPECT_TRUE(a.value == b.value);
    EXPECT_EQ(a.content_type, b.content_type);
    EXPECT_EQ(a.tags, b.tags);
    EXPECT_EQ(a.attributes.enabled, b.attributes.enabled);
    EXPECT_EQ(a.attributes.not_before, b.attributes.not_before);
    EXPECT_EQ(a.attributes.expires, b.attributes.expires);
    EXPECT_EQ(a.attributes.created, b.attributes.created);
    EXPECT_EQ(a.attributes.updated, b.attributes.updated);
  }
  EXPECT_NE(copy->versions[1].attributes.created, copy->versions[1].attributes.updated);
  auto latest = d_.secrets.Get(west_, "api-key", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version.version, original->versions.back().version);
}

TEST_F(BackupServiceTest, TenThousandVersionsBackUpAndRestoreFarPastAzures500) {
  for (int i = 0; i < 10'000; ++i) Set(east_, "busy", "v" + std::to_string(i));
  std::string blob = Backup("busy");
  auto restored = d_.backups.RestoreSecret(west_, blob);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->version.value.view(), "v9999");
  auto versions = d_.secrets.ListVersions(west_, "busy", 25, "");
  ASSERT_TRUE(versions.ok());
  EXPECT_FALSE(versions->next_token.empty());  // more than one page
}

TEST_F(BackupServiceTest, AnObjectOverTheBlobCapIsAClear400) {
  // Values this large cannot be stored through the API; the encoder still refuses the blob.
  vault::SecretObject big{"big", 0, {}};
  model::SecretVersion v;
  v.version = "0123456789abcdef0123456789abcdef";
  v.value = SecretBytes(std::string(1 << 20, 'x'));
  big.versions.assign(65, v);
  BlobHeader header;
  header.backup_root_id = std::string(kBackupRootIdSize, 'r');
  header.salt = std::string(kBlobSaltSize, 's');
  header.nonce = std::string(kBlobNonceSize, 'n');
  header.subscription_id = kSubA;
  header.geography = "united states";
  header.source_vault = "src-east";
  auto blob = EncodeSecretBlob(header, big, SecretBytes(std::string(32, 'k')));
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(blob.status().message(), HasSubstr("64 MiB per-object cap"));
}

TEST_F(BackupServiceTest, TwoBackupsOfOneSecretDifferAndBothRestore) {
  std::string a = SimpleBlob();
  std::string b = Backup("db-password");
  EXPECT_NE(a, b);  // fresh salt and nonce
  EXPECT_EQ(a.find("db-password"), std::string::npos);
  EXPECT_EQ(a.find("hunter2"), std::string::npos);
  EXPECT_TRUE(d_.backups.RestoreSecret(west_, a).ok());
  ASSERT_TRUE(d_.secrets.Delete(west_, "db-password").ok());
  ASSERT_TRUE(d_.secrets.Purge(west_, "db-password").ok());
  EXPECT_TRUE(d_.backups.RestoreSecret(west_, b).ok());
}

TEST_F(BackupServiceTest, BackupOfMissingSecretIsNotFound) {
  auto blob = d_.backups.BackupSecret(east_, "nope");
  EXPECT_EQ(blob.status().code(), StatusCode::kNotFound);
}

TEST_F(BackupServiceTest, RestoreFailsForBlobFromOtherSubscription) {
  std::string blob = SimpleBlob();
  auto r = d_.backups.RestoreSecret(other_sub_, blob);
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().reason(), "BadParameter");
  EXPECT_THAT(r.status().message(), HasSubstr("subscription"));
  EXPECT_EQ(d_.secrets.Get(other_sub_, "db-password", "").status().code(),
            StatusCode::kNotFound);
}

TEST_F(BackupServiceTest, RestoreFailsForBlobFromOtherGeography) {
  std::string blob = SimpleBlob();
  auto r = d_.backups.RestoreSecret(europe_, blob);
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("geography"));
  EXPECT_THAT(r.status().message(), HasSubstr("United States"));
  EXPECT_THAT(r.status().message(), HasSubstr("Europe"));
  EXPECT_EQ(d_.secrets.Get(europe_, "db-password", "").status().code(), StatusCode::kNotFound);
}

TEST_F(BackupServiceTest, RestoreFailsForBlobFromAnotherDeployment) {
  Deployment other;
  model::VaultRecord there = other.MakeVault("src-east", kSubA, "eastus");
  ASSERT_TRUE(other.secrets.Set(there, "db-password", test_support::SecretValue("x")).ok());
  auto blob = other.backups.BackupSecret(there, "db-password");
  ASSERT_TRUE(blob.ok());
  auto r = d_.backups.RestoreSecret(west_, *blob);
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("another Coffer deployment"));
}

TEST_F(BackupServiceTest, DeploymentCheckComesBeforeSubscriptionCheck) {
  Deployment other;
  model::VaultRecord there = other.MakeVault("src-east", kSubB, "westeurope");
  ASSERT_TRUE(other.secrets.Set(there, "s", test_support::SecretValue("x")).ok());
  auto blob = other.backups.BackupSecret(there, "s");
  ASSERT_TRUE(blob.ok());
  EXPECT_THAT(d_.backups.RestoreSecret(west_, *blob).status().message(),
              HasSubstr("another Coffer deployment"));
}

TEST_F(BackupServiceTest, RestoreOntoExistingNameIsConflictAndLeavesOccupantUntouched) {
  std::string blob = SimpleBlob();
  vault::SecretView occupant = Set(west_, "DB-PASSWORD", "occupant");
  auto r = d_.backups.RestoreSecret(west_, blob);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  auto now = d_.secrets.Export(west_, "db-password");
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->versions.size(), 1u);
  EXPECT_EQ(now->name, "DB-PASSWORD");
  EXPECT_EQ(now->versions[0].version, occupant.version.version);
  EXPECT_EQ(now->versions[0].value.view(), "occupant");
}

TEST_F(BackupServiceTest, RestoreOntoSoftDeletedNameIsConflict) {
  std::string blob = SimpleBlob();
  Set(west_, "db-password", "old");
  ASSERT_TRUE(d_.secrets.Delete(west_, "db-password").ok());
  auto r = d_.backups.RestoreSecret(west_, blob);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(r.status().reason(), "ObjectIsDeletedButRecoverable");
}

TEST_F(BackupServiceTest, EverySingleBitFlipIsRejectedAndWritesNothing) {
  std::string blob = SimpleBlob();
  uint64_t commits = d_.storage.commits();
  for (size_t i = 0; i < blob.size() * 8; ++i) {
    std::string bad = blob;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    auto r = d_.backups.RestoreSecret(west_, bad);
    ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "bit " << i;
    EXPECT_EQ(r.status().reason(), "BadParameter");
  }
  EXPECT_EQ(d_.storage.commits(), commits);
  EXPECT_EQ(d_.secrets.Get(west_, "db-password", "").status().code(), StatusCode::kNotFound);
}

TEST_F(BackupServiceTest, EveryTruncationIsRejectedAndWritesNothing) {
  std::string blob = SimpleBlob();
  uint64_t commits = d_.storage.commits();
  for (size_t len = 0; len < blob.size(); ++len) {
    auto r = d_.backups.RestoreSecret(west_, std::string_view(blob).substr(0, len));
    ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "length " << len;
    EXPECT_THAT(r.status().message(), HasSubstr("invalid or corrupt version"));
  }
  EXPECT_EQ(d_.storage.commits(), commits);
}

TEST_F(BackupServiceTest, TrailingByteIsRejected) {
  auto r = d_.backups.RestoreSecret(west_, SimpleBlob() + '\0');
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("invalid or corrupt version"));
}

TEST_F(BackupServiceTest, EmptyAndForeignInputsAreRejected) {
  for (std::string_view in : {std::string_view(""), std::string_view("CFBK"),
                              std::string_view("not a blob at all"),
                              std::string_view("\x29" "AzureKeyVaultSecretBackupV1.microsoft.com")}) {
    auto r = d_.backups.RestoreSecret(west_, in);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << in;
  }
}

TEST_F(BackupServiceTest, UnknownFormatVersionIsRejected) {
  std::string blob = SimpleBlob();
  blob[4] = 2;
  EXPECT_THAT(d_.backups.RestoreSecret(west_, blob).status().message(),
              HasSubstr("format version 2 is not supported"));
}

TEST_F(BackupServiceTest, KeyBlobIntoSecretsNamesTheKind) {
  std::string blob = SimpleBlob();
  blob[5] = static_cast<char>(model::ObjectKind::kKey);
  auto r = d_.backups.RestoreSecret(west_, blob);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("This backup holds a key, not a secret"));
}

TEST_F(BackupServiceTest, HeaderAlteredPastTheChecksFailsIntegrity) {
  std::string blob = SimpleBlob();
  size_t at = blob.find("src-east");
  ASSERT_NE(at, std::string::npos);
  blob[at] = 'S';
  EXPECT_THAT(d_.backups.RestoreSecret(west_, blob).status().message(),
              HasSubstr("invalid or corrupt version"));
}

TEST_F(BackupServiceTest, RestoreWhileSealedIsUnavailable) {
  std::string blob = SimpleBlob();
  d_.barrier.Seal();
  EXPECT_EQ(d_.backups.RestoreSecret(west_, blob).status().code(), StatusCode::kUnavailable);
}


vault::KeyCreateParams EcKey() {
  vault::KeyCreateParams p;
  p.kty = "EC";
  return p;
}

TEST_F(BackupServiceTest, KeyRoundTripsWithVersionsMaterialAndPolicy) {
  auto v1 = d_.keys.Create(east_, "signer", EcKey());
  auto v2 = d_.keys.Create(east_, "signer", EcKey());
  ASSERT_TRUE(v1.ok() && v2.ok());
  vault::RotationPolicyParams policy;
  policy.expiry_time = "P90D";
  ASSERT_TRUE(d_.keys.SetRotationPolicy(east_, "signer", policy).ok());
  auto blob = d_.backups.BackupKey(east_, "signer");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(blob->find("signer"), std::string::npos);  // the name is inside the ciphertext

  auto restored = d_.backups.RestoreKey(west_, *blob);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->version.version, v2->version.version);
  EXPECT_EQ(restored->public_key.x, v2->public_key.x);
  auto sig = d_.keys.Sign(west_, "signer", v1->version.version, "ES256", std::string(32, 'd'));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  auto ok = d_.keys.Verify(east_, "signer", v1->version.version, "ES256", std::string(32, 'd'),
                           sig->value.view());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->verified);
  auto got = d_.keys.GetRotationPolicy(west_, "signer");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->policy.has_value());
  EXPECT_EQ(got->policy->expiry_time, "P90D");

  auto again = d_.backups.RestoreKey(west_, *blob);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

TEST_F(BackupServiceTest, KeyBlobIntoSecretRestoreAndBackAreBadParameterNamingTheKind) {
  ASSERT_TRUE(d_.keys.Create(east_, "k", EcKey()).ok());
  auto key_blob = d_.backups.BackupKey(east_, "k");
  ASSERT_TRUE(key_blob.ok());
  auto as_secret = d_.backups.RestoreSecret(west_, *key_blob);
  ASSERT_FALSE(as_secret.ok());
  EXPECT_EQ(as_secret.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(as_secret.status().message(), HasSubstr("holds a key, not a secret"));

  std::string secret_blob = SimpleBlob();
  auto as_key = d_.backups.RestoreKey(west_, secret_blob);
  ASSERT_FALSE(as_key.ok());
  EXPECT_THAT(as_key.status().message(), HasSubstr("holds a secret, not a key"));
}

TEST_F(BackupServiceTest, KeyBlobIsBoundToSubscriptionAndGeography) {
  ASSERT_TRUE(d_.keys.Create(east_, "k", EcKey()).ok());
  auto blob = d_.backups.BackupKey(east_, "k");
  ASSERT_TRUE(blob.ok());
  EXPECT_THAT(d_.backups.RestoreKey(other_sub_, *blob).status().message(),
              HasSubstr("subscription"));
  EXPECT_THAT(d_.backups.RestoreKey(europe_, *blob).status().message(), HasSubstr("geography"));
  std::string flipped = *blob;
  flipped[flipped.size() - 3] ^= 1;
  EXPECT_THAT(d_.backups.RestoreKey(west_, flipped).status().message(), HasSubstr("invalid or corrupt version"));
}

}  // namespace
}  // namespace coffer::backup
