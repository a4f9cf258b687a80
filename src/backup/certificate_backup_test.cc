// Certificate backup and restore through a real barrier: the blob carries every version of the
// certificate with its policy, managed key and managed secret; restore writes the three in one
// transaction or nothing at all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backup/blob_codec.h"
#include "backup/test_deployment.h"

namespace coffer::backup {
namespace {

using ::testing::HasSubstr;

vault::CertificateCreateParams SelfParams(std::string issuer = "Self") {
  vault::CertificateCreateParams p;
  p.policy.kty = "EC";
  p.policy.curve = "P-256";
  p.policy.key_size = 256;
  p.policy.subject = "CN=backup.example";
  p.policy.issuer_name = std::move(issuer);
  return p;
}

class CertificateBackupTest : public test_support::DeploymentTest {
 protected:
  std::string Issue(const std::string& name, const std::string& issuer = "Self") {
    auto op = d_.certificates.Create(east_, name, SelfParams(issuer));
    EXPECT_TRUE(op.ok()) << op.status().ToString();
    return op.ok() ? op->operation.version : std::string();
  }

  std::string Backup(const std::string& name) {
    auto blob = d_.backups.BackupCertificate(east_, name);
    EXPECT_TRUE(blob.ok()) << blob.status().ToString();
    return blob.ok() ? *blob : std::string();
  }

  bool AnyExists(const model::VaultRecord& v, const std::string& name) {
    return d_.certificates.Get(v, name, "").ok() || d_.keys.Get(v, name, "").ok() ||
           d_.secrets.Get(v, name, "").ok();
  }

};

TEST_F(CertificateBackupTest, RoundTripKeepsEveryVersionPolicyKeyAndSecret) {
  std::string v1 = Issue("web");
  std::string v2 = Issue("web");
  std::string blob = Backup("web");
  EXPECT_EQ(blob.find("backup.example"), std::string::npos);  // subject only in ciphertext

  auto restored = d_.backups.RestoreCertificate(west_, blob);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->version.version, v2);
  ASSERT_TRUE(restored->policy.has_value());
  EXPECT_EQ(restored->policy->subject, "CN=backup.example");

  auto versions = d_.certificates.ListVersions(west_, "web", 25, "");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->items.size(), 2u);
  for (const std::string& v : {v1, v2}) {
    auto src = d_.certificates.Get(east_, "web", v);
    auto dst = d_.certificates.Get(west_, "web", v);
    ASSERT_TRUE(src.ok() && dst.ok());
    EXPECT_EQ(dst->version.cer, src->version.cer);
    auto src_secret = d_.secrets.Get(east_, "web", v);
    auto dst_secret = d_.secrets.Get(west_, "web", v);
    ASSERT_TRUE(src_secret.ok() && dst_secret.ok()) << dst_secret.status().ToString();
    EXPECT_TRUE(dst_secret->version.managed);
    EXPECT_EQ(dst_secret->version.value.view(), src_secret->version.value.view());
    auto dst_key = d_.keys.Get(west_, "web", v);
    ASSERT_TRUE(dst_key.ok()) << dst_key.status().ToString();
    EXPECT_TRUE(dst_key->version.managed);
  }
  // The restored key is the certificate's private key: it signs, the source verifies.
  std::string digest(32, 'd');
  auto sig = d_.keys.Sign(west_, "web", v2, "ES256", digest);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  auto ok = d_.keys.Verify(east_, "web", v2, "ES256", digest, sig->value.view());
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->verified);
  // The restored key and secret are still managed: direct deletes are refused.
  EXPECT_EQ(d_.secrets.Delete(west_, "web").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(d_.keys.Delete(west_, "web").status().code(), StatusCode::kPermissionDenied);
}

TEST_F(CertificateBackupTest, DeleteRecoverAndPurgeOfRestoredCertificateCarryKeyAndSecret) {
  Issue("web");
  ASSERT_TRUE(d_.backups.RestoreCertificate(west_, Backup("web")).ok());
  ASSERT_TRUE(d_.certificates.Delete(west_, "web").ok());
  EXPECT_FALSE(AnyExists(west_, "web"));
  ASSERT_TRUE(d_.certificates.Purge(west_, "web").ok());
  EXPECT_FALSE(d_.keys.GetDeleted(west_, "web").ok());
  EXPECT_FALSE(d_.secrets.GetDeleted(west_, "web").ok());
}

TEST_F(CertificateBackupTest, PendingCertificateRestoresWithoutKeyOrSecret) {
  std::string v = Issue("csr", "Unknown");
  auto restored = d_.backups.RestoreCertificate(west_, Backup("csr"));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->version.version, v);
  EXPECT_TRUE(restored->version.cer.empty());
  EXPECT_FALSE(restored->version.attributes.enabled);
  EXPECT_FALSE(restored->has_operation);  // the source's request is not carried
  EXPECT_EQ(d_.keys.Get(west_, "csr", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(d_.secrets.Get(west_, "csr", "").status().code(), StatusCode::kNotFound);
}

TEST_F(CertificateBackupTest, NameHeldByAPlainSecretIsConflictAndNothingIsWritten) {
  Issue("web");
  std::string blob = Backup("web");
  vault::SecretSetParams p;
  p.value = SecretBytes(std::string_view("occupant"));
  ASSERT_TRUE(d_.secrets.Set(west_, "web", std::move(p)).ok());
  auto r = d_.backups.RestoreCertificate(west_, blob);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(d_.certificates.Get(west_, "web", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(d_.keys.Get(west_, "web", "").status().code(), StatusCode::kNotFound);
  auto occupant = d_.secrets.Get(west_, "web", "");
  ASSERT_TRUE(occupant.ok());
  EXPECT_EQ(occupant->version.value.view(), "occupant");
}

TEST_F(CertificateBackupTest, SecondRestoreAndSoftDeletedNameAreConflicts) {
  Issue("web");
  std::string blob = Backup("web");
  ASSERT_TRUE(d_.backups.RestoreCertificate(west_, blob).ok());
  EXPECT_EQ(d_.backups.RestoreCertificate(west_, blob).status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(d_.certificates.Delete(west_, "web").ok());
  auto r = d_.backups.RestoreCertificate(west_, blob);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(r.status().reason(), "ObjectIsDeletedButRecoverable");
}

TEST_F(CertificateBackupTest, BlobIsBoundToSubscriptionGeographyAndKind) {
  Issue("web");
  std::string blob = Backup("web");
  EXPECT_THAT(d_.backups.RestoreCertificate(other_sub_, blob).status().message(),
              HasSubstr("subscription"));
  EXPECT_THAT(d_.backups.RestoreCertificate(europe_, blob).status().message(),
              HasSubstr("geography"));
  EXPECT_THAT(d_.backups.RestoreKey(west_, blob).status().message(),
              HasSubstr("holds a certificate, not a key"));
  EXPECT_THAT(d_.backups.RestoreSecret(west_, blob).status().message(),
              HasSubstr("holds a certificate, not a secret"));
  vault::KeyCreateParams ec;
  ec.kty = "EC";
  ASSERT_TRUE(d_.keys.Create(east_, "plain", ec).ok());
  auto key_blob = d_.backups.BackupKey(east_, "plain");
  ASSERT_TRUE(key_blob.ok());
  EXPECT_THAT(d_.backups.RestoreCertificate(west_, *key_blob).status().message(),
              HasSubstr("holds a key, not a certificate"));
  for (const model::VaultRecord& v : {other_sub_, europe_, west_}) {
    EXPECT_FALSE(AnyExists(v, "web"));
  }
}

TEST_F(CertificateBackupTest, BitFlipsSpreadThroughTheBlobAreRejectedAndWriteNothing) {
  Issue("web");
  std::string blob = Backup("web");
  for (size_t i = 0; i < blob.size(); i += 97) {  // a spread of positions through the blob
    std::string bad = blob;
    bad[i] ^= 0x10;
    auto r = d_.backups.RestoreCertificate(west_, bad);
    ASSERT_FALSE(r.ok()) << "flip at " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "flip at " << i;
  }
  EXPECT_FALSE(AnyExists(west_, "web"));
}

TEST_F(CertificateBackupTest, MissingOrDeletedCertificateIsNotFound) {
  EXPECT_EQ(d_.backups.BackupCertificate(east_, "none").status().code(), StatusCode::kNotFound);
  Issue("gone");
  ASSERT_TRUE(d_.certificates.Delete(east_, "gone").ok());
  EXPECT_EQ(d_.backups.BackupCertificate(east_, "gone").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace coffer::backup
