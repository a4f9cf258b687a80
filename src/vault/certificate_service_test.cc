// CertificateService over an in-memory store: Self issuance (RSA, EC), the managed key and
// secret written with the certificate, Unknown issuer's pending operation, import of PFX and
// PEM, the managed objects' 403s, name conflicts, and the one-transaction rule.
#include "vault/certificate_service.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/certificate_info.h"
#include "crypto/certificate_issue.h"
#include "crypto/certificate_pem.h"
#include "crypto/pkcs12.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"

namespace coffer::vault {
namespace {

using model::CertificateOperationStatus;

class CertificateServiceTest : public ::testing::Test {
 protected:
  CertificateServiceTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
    vault_.name = "unit";
    vault_.id = "0123456789abcdef0123456789abcdef";
    vault_.retention_days = 7;
  }

  static CertificateCreateParams SelfParams(std::string kty = "RSA") {
    CertificateCreateParams p;
    p.policy.kty = std::move(kty);
    if (p.policy.IsEc()) {
      p.policy.curve = "P-256";
      p.policy.key_size = 256;
    }
    p.policy.subject = "CN=unit.example";
    p.policy.sans.dns_names = {"unit.example"};
    p.policy.sans_present = true;
    return p;
  }

  // A self-signed certificate and key issued at `now`, valid `months`, as PFX base64 or PEM.
  std::string MakeImport(bool pem, int64_t now, int months = 12) {
    auto key = crypto::KeyMaterial::GenerateRsa(2048);
    EXPECT_TRUE(key.ok());
    crypto::X509Profile profile;
    profile.subject = "CN=imported.example";
    profile.key_usage = {"digitalSignature", "keyEncipherment"};
    profile.validity_months = months;
    crypto::CertificateChain chain;
    auto der = crypto::IssueSelfSignedCertificate(profile, *key, now);
    EXPECT_TRUE(der.ok()) << der.status().ToString();
    chain.leaf_der = *der;
    if (pem) return std::string(crypto::ExportPemBundle(*key, chain)->view());
    return EncodeBase64(crypto::ExportPkcs12(*key, chain)->view());
  }

  bool Exists(std::string_view name) {
    return certs_.Get(vault_, name, "").ok() || keys_.Get(vault_, name, "").ok() ||
           secrets_.Get(vault_, name, "").ok();
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  SecretService secrets_{barrier_, clock_, crypto::SystemRandom()};
  CertificateService certs_{barrier_, clock_, crypto::SystemRandom(), keys_.traits()};
  model::VaultRecord vault_;
};

TEST_F(CertificateServiceTest, SelfRsaWritesCertificateManagedKeyAndSecret) {
  auto op = certs_.Create(vault_, "web", SelfParams());
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->operation.status, CertificateOperationStatus::kCompleted);
  auto cert = certs_.Get(vault_, "web", "");
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_EQ(cert->version.version, op->operation.version);
  ASSERT_TRUE(cert->policy.has_value());
  EXPECT_TRUE(cert->has_operation);
  auto info = crypto::InspectCertificate(cert->version.cer);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject, "CN=unit.example");
  EXPECT_EQ(cert->version.attributes.expires, info->not_after);

  auto key = keys_.Get(vault_, "web", "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE(key->version.managed);
  EXPECT_EQ(key->version.version, cert->version.version);
  auto secret = secrets_.Get(vault_, "web", "");
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_TRUE(secret->version.managed);
  EXPECT_EQ(secret->version.key_id, cert->version.version);
  EXPECT_EQ(secret->version.content_type, "application/x-pkcs12");
  auto pfx = DecodeBase64(secret->version.value.view());
  ASSERT_TRUE(pfx.has_value());
  auto opened = crypto::ImportPkcs12(*pfx, std::nullopt);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->chain.leaf_der, cert->version.cer);
}

TEST_F(CertificateServiceTest, SelfEcWithPemContentType) {
  auto params = SelfParams("EC");
  params.policy.content_type = "application/x-pem-file";
  auto op = certs_.Create(vault_, "ec", params);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  auto secret = secrets_.Get(vault_, "ec", "");
  ASSERT_TRUE(secret.ok());
  auto opened = crypto::ImportPemBundle(secret->version.value.view());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->key.type(), crypto::KeyType::kEc);
  auto key = keys_.Get(vault_, "ec", "");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->version.kty, "EC");
}

TEST_F(CertificateServiceTest, ManagedSecretAndKeyRefuseDirectChanges) {
  ASSERT_TRUE(certs_.Create(vault_, "web", SelfParams()).ok());
  SecretSetParams set;
  set.value = SecretBytes("x");
  auto s = secrets_.Set(vault_, "web", std::move(set));
  EXPECT_EQ(s.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.status().reason(), "SecretManagedByKeyVault");
  EXPECT_EQ(s.status().message(),
            "Operation \"set\" is not allowed as this object's lifetime is managed by Key Vault.");
  EXPECT_EQ(secrets_.Update(vault_, "web", "", SecretPatch{}).status().reason(),
            "SecretManagedByKeyVault");
  EXPECT_EQ(secrets_.Delete(vault_, "web").status().reason(), "SecretManagedByKeyVault");
  EXPECT_EQ(keys_.Update(vault_, "web", "", KeyPatch{}).status().reason(), "KeyManagedByKeyVault");
  EXPECT_EQ(keys_.Delete(vault_, "web").status().reason(), "KeyManagedByKeyVault");
  KeyCreateParams create;
  create.kty = "RSA";
  EXPECT_EQ(keys_.Create(vault_, "web", create).status().reason(), "KeyManagedByKeyVault");
}

TEST_F(CertificateServiceTest, APlainSecretsNameIsAConflictAndNothingIsWritten) {
  SecretSetParams set;
  set.value = SecretBytes("plain");
  ASSERT_TRUE(secrets_.Set(vault_, "taken", std::move(set)).ok());
  auto op = certs_.Create(vault_, "taken", SelfParams());
  EXPECT_EQ(op.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(op.status().reason(), "Conflict");
  EXPECT_FALSE(certs_.Get(vault_, "taken", "").ok());
  EXPECT_FALSE(keys_.Get(vault_, "taken", "").ok());
  auto imported = certs_.Import(vault_, "taken", {MakeImport(false, clock_.Now()), {}, {}, {}, {}});
  EXPECT_EQ(imported.status().reason(), "Conflict");
}

TEST_F(CertificateServiceTest, AFailureInTheSameTransactionWritesNothing) {
  // A soft-deleted plain key: the certificate and secret would be written, the key cannot.
  KeyCreateParams create;
  create.kty = "EC";
  ASSERT_TRUE(keys_.Create(vault_, "half", create).ok());
  ASSERT_TRUE(keys_.Delete(vault_, "half").ok());
  auto op = certs_.Create(vault_, "half", SelfParams());
  EXPECT_EQ(op.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(certs_.Get(vault_, "half", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(secrets_.Get(vault_, "half", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(certs_.GetPolicy(vault_, "half").status().code(), StatusCode::kNotFound);
}

TEST_F(CertificateServiceTest, UnknownIssuerPendsWithACsrAndRefusesASecondCreate) {
  auto params = SelfParams();
  params.policy.issuer_name = "Unknown";
  auto op = certs_.Create(vault_, "ext", params);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->operation.status, CertificateOperationStatus::kInProgress);
  EXPECT_FALSE(op->operation.csr.empty());
  EXPECT_TRUE(op->operation.key_material.empty());
  auto pending = certs_.Get(vault_, "ext", "");
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->version.attributes.enabled);
  EXPECT_FALSE(keys_.Get(vault_, "ext", "").ok());
  EXPECT_EQ(certs_.Create(vault_, "ext", params).status().reason(), "Conflict");
  auto listed = certs_.List(vault_, 25, "", false);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->items.empty());
  EXPECT_EQ(certs_.List(vault_, 25, "", true)->items.size(), 1u);

  // A chain of another key does not merge, and changes nothing.
  std::string other = MakeImport(false, clock_.Now());
  auto opened = crypto::ImportPkcs12(*DecodeBase64(other), std::nullopt);
  ASSERT_TRUE(opened.ok());
  auto merged = certs_.Merge(vault_, "ext", {EncodeBase64(opened->chain.leaf_der)}, {}, {});
  EXPECT_EQ(merged.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(certs_.GetOperation(vault_, "ext")->operation.status,
            CertificateOperationStatus::kInProgress);

  auto cancelled = certs_.CancelOperation(vault_, "ext");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->operation.status, CertificateOperationStatus::kCancelled);
  ASSERT_TRUE(certs_.DeleteOperation(vault_, "ext").ok());
  EXPECT_EQ(certs_.GetOperation(vault_, "ext").status().reason(), "PendingCertificateNotFound");
}

TEST_F(CertificateServiceTest, ImportPfxAndPemDerivePolicies) {
  auto pfx = certs_.Import(vault_, "pfx", {MakeImport(false, clock_.Now()), {}, {}, {}, {}});
  ASSERT_TRUE(pfx.ok()) << pfx.status().ToString();
  ASSERT_TRUE(pfx->policy.has_value());
  EXPECT_EQ(pfx->policy->issuer_name, "Self");
  EXPECT_EQ(pfx->policy->subject, "CN=imported.example");
  EXPECT_EQ(pfx->policy->content_type, "application/x-pkcs12");
  EXPECT_TRUE(keys_.Get(vault_, "pfx", "")->version.managed);

  auto pem = certs_.Import(vault_, "pem", {MakeImport(true, clock_.Now()), {}, {}, {}, {}});
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  EXPECT_EQ(pem->policy->content_type, "application/x-pem-file");
  EXPECT_EQ(secrets_.Get(vault_, "pem", "")->version.content_type, "application/x-pem-file");
}

TEST_F(CertificateServiceTest, ImportRefusesBadInput) {
  auto wrong = certs_.Import(vault_, "bad",
                             {MakeImport(false, clock_.Now()), SecretBytes("nope"), {}, {}, {}});
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  auto expired = certs_.Import(
      vault_, "bad", {MakeImport(false, clock_.Now() - 3 * 365 * 86400, 1), {}, {}, {}, {}});
  EXPECT_EQ(expired.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  auto garbage = certs_.Import(vault_, "bad", {"!!!", {}, {}, {}, {}});
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists("bad"));
}

TEST_F(CertificateServiceTest, DeleteRecoverPurgeMoveKeyAndSecretToo) {
  ASSERT_TRUE(certs_.Create(vault_, "life", SelfParams()).ok());
  auto deleted = certs_.Delete(vault_, "life");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(deleted->deleted.has_value());
  EXPECT_FALSE(Exists("life"));
  EXPECT_TRUE(keys_.GetDeleted(vault_, "life").ok());
  EXPECT_TRUE(secrets_.GetDeleted(vault_, "life").ok());
  EXPECT_TRUE(keys_.ListDeleted(vault_, 25, "")->items.empty());
  EXPECT_TRUE(secrets_.ListDeleted(vault_, 25, "")->items.empty());
  EXPECT_TRUE(certs_.GetDeleted(vault_, "life").ok());
  EXPECT_EQ(certs_.ListDeleted(vault_, 25, "")->items.size(), 1u);

  ASSERT_TRUE(certs_.Recover(vault_, "life").ok());
  EXPECT_TRUE(keys_.Get(vault_, "life", "").ok());
  EXPECT_TRUE(secrets_.Get(vault_, "life", "").ok());

  ASSERT_TRUE(certs_.Delete(vault_, "life").ok());
  ASSERT_TRUE(certs_.Purge(vault_, "life").ok());
  EXPECT_FALSE(certs_.GetDeleted(vault_, "life").ok());
  EXPECT_FALSE(keys_.GetDeleted(vault_, "life").ok());
  EXPECT_FALSE(secrets_.GetDeleted(vault_, "life").ok());
  // The name is free again.
  EXPECT_TRUE(certs_.Create(vault_, "life", SelfParams()).ok());
}

TEST_F(CertificateServiceTest, VersionsUpdateAndPolicy) {
  EXPECT_TRUE(certs_.ListVersions(vault_, "never", 25, "")->items.empty());
  ASSERT_TRUE(certs_.Create(vault_, "v", SelfParams()).ok());
  ASSERT_TRUE(certs_.Create(vault_, "v", SelfParams()).ok());
  EXPECT_EQ(certs_.ListVersions(vault_, "v", 25, "")->items.size(), 2u);
  CertificatePatch patch;
  patch.enabled = false;
  patch.tags = model::Tags{{"a", "b"}};
  auto updated = certs_.Update(vault_, "v", "", patch);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(updated->version.attributes.enabled);
  EXPECT_EQ(updated->version.tags.at("a"), "b");
  EXPECT_EQ(secrets_.Get(vault_, "v", "").status().reason(), "SecretDisabled");

  auto policy = certs_.GetPolicy(vault_, "v");
  ASSERT_TRUE(policy.ok());
  policy->validity_months = 24;
  ASSERT_TRUE(certs_.SetPolicy(vault_, "v", *policy).ok());
  EXPECT_EQ(certs_.GetPolicy(vault_, "v")->validity_months, 24);
}

}  // namespace
}  // namespace coffer::vault
