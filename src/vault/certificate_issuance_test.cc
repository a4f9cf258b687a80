// Self certificates issued by the sweeper (self_issuance_seconds > 0), with a ManualClock: the
// create answers inProgress with a disabled pending version and a CSR; nothing is issued before
// the due time; at the due time one pass issues the version with its managed key and secret and
// completes the operation; a cancelled, deleted or soft-deleted operation is never issued; a
// second create while one is in progress is a 409; `enabled: false` and tags survive issuance.
#include <gtest/gtest.h>

#include "crypto/certificate_info.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/sweeper.h"
#include "vault/unit_vault_test_support.h"

namespace coffer::vault {
namespace {

using model::CertificateOperationStatus;

constexpr UnixSeconds kDelay = 3;

class CertificateIssuanceTest : public ::testing::Test {
 protected:
  CertificateIssuanceTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
    vault_ = testing::RegisterUnitVault(vaults_);
    sweeper_.AttachKeys(&keys_);
    sweeper_.AttachCertificates(&certs_, [](const LifetimeActionEvent&) { return OkStatus(); });
  }

  // Starts a Self certificate (EC P-256: quick to make).
  StatusOr<CertificateOperationView> Start(std::string_view name, bool enabled = true) {
    CertificateCreateParams p;
    p.policy.kty = "EC";
    p.policy.curve = "P-256";
    p.policy.key_size = 256;
    p.policy.subject = "CN=later.example";
    p.tags = model::Tags{{"team", "web"}};
    p.enabled = enabled;
    return certs_.Create(vault_, name, std::move(p));
  }

  CertificateOperationStatus OpStatus(std::string_view name) {
    auto op = certs_.GetOperation(vault_, name);
    EXPECT_TRUE(op.ok()) << op.status().ToString();
    return op.ok() ? op->operation.status : CertificateOperationStatus::kFailed;
  }

  size_t Sweep() {
    auto n = sweeper_.SweepOnce();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : 0;
  }

  // The issuance entries of the sweep index.
  size_t IssuanceEntries() {
    size_t n = 0;
    EXPECT_TRUE(barrier_.View([&](barrier::Txn& t) -> coffer::Status {
      ASSIGN_OR_RETURN(auto keys, t.ScanKeys(Keyspace::kDuePrefix, "", 0));
      for (auto& k : keys) n += k.find("/i/") != std::string::npos;
      return OkStatus();
    }).ok());
    return n;
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_{1'800'000'000};
  VaultRegistry vaults_{barrier_, clock_, crypto::SystemRandom()};
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  SecretService secrets_{barrier_, clock_, crypto::SystemRandom()};
  CertificateService certs_{barrier_, clock_, crypto::SystemRandom(), keys_.traits(),
                            CertificateServiceOptions{kDelay}};
  Sweeper sweeper_{barrier_, vaults_, clock_};
  model::VaultRecord vault_;
};

TEST_F(CertificateIssuanceTest, InProgressUntilDueThenOnePassIssuesEverything) {
  auto op = Start("web");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->operation.status, CertificateOperationStatus::kInProgress);
  EXPECT_EQ(op->operation.issuer_name, "Self");
  EXPECT_FALSE(op->operation.csr.empty());
  EXPECT_TRUE(op->operation.key_material.empty());  // never handed out

  auto pending = certs_.Get(vault_, "web", "");
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->version.cer.empty());
  EXPECT_FALSE(pending->version.attributes.enabled);
  EXPECT_EQ(keys_.Get(vault_, "web", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(secrets_.Get(vault_, "web", "").status().code(), StatusCode::kNotFound);

  clock_.Advance(kDelay - 1);
  Sweep();
  EXPECT_EQ(OpStatus("web"), CertificateOperationStatus::kInProgress);

  clock_.Advance(1);
  EXPECT_EQ(Sweep(), 1u);
  EXPECT_EQ(OpStatus("web"), CertificateOperationStatus::kCompleted);
  auto cert = certs_.Get(vault_, "web", "");
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(cert->version.version, op->operation.version);
  EXPECT_TRUE(cert->version.attributes.enabled);
  EXPECT_EQ(cert->version.tags.at("team"), "web");
  auto info = crypto::InspectCertificate(cert->version.cer);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->not_before, *cert->version.attributes.not_before);

  // The managed key holds the pair the CSR was made for; the secret has the same version.
  auto key = keys_.Get(vault_, "web", op->operation.version);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE(key->version.managed);
  auto secret = secrets_.Get(vault_, "web", op->operation.version);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_TRUE(secret->version.managed);

  EXPECT_EQ(IssuanceEntries(), 0u);
  EXPECT_EQ(OpStatus("web"), CertificateOperationStatus::kCompleted);
}

TEST_F(CertificateIssuanceTest, ASecondCreateWhileInProgressIsAConflict) {
  ASSERT_TRUE(Start("web").ok());
  auto again = Start("web");
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().reason(), "Conflict");
  clock_.Advance(kDelay);
  Sweep();
  EXPECT_TRUE(Start("web").ok());  // issued: a new version may start
}

TEST_F(CertificateIssuanceTest, CancelledOrDeletedOperationIsNeverIssued) {
  ASSERT_TRUE(Start("cancelled").ok());
  ASSERT_TRUE(Start("dropped").ok());
  auto cancelled = certs_.CancelOperation(vault_, "cancelled");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(cancelled->operation.cancellation_requested);
  ASSERT_TRUE(certs_.DeleteOperation(vault_, "dropped").ok());

  clock_.Advance(kDelay);
  EXPECT_EQ(Sweep(), 2u);
  EXPECT_EQ(OpStatus("cancelled"), CertificateOperationStatus::kCancelled);
  EXPECT_EQ(certs_.GetOperation(vault_, "dropped").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(IssuanceEntries(), 0u);
  for (const char* name : {"cancelled", "dropped"}) {
    auto got = certs_.Get(vault_, name, "");
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->version.cer.empty()) << name;
    EXPECT_EQ(keys_.Get(vault_, name, "").status().code(), StatusCode::kNotFound) << name;
  }
}

TEST_F(CertificateIssuanceTest, SoftDeletedBeforeIssueFailsTheOperationAndRecoverCanStartAgain) {
  ASSERT_TRUE(Start("web").ok());
  ASSERT_TRUE(certs_.Delete(vault_, "web").ok());
  clock_.Advance(kDelay);
  EXPECT_EQ(Sweep(), 1u);
  ASSERT_TRUE(certs_.Recover(vault_, "web").ok());
  auto op = certs_.GetOperation(vault_, "web");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->operation.status, CertificateOperationStatus::kFailed);
  EXPECT_EQ(op->operation.error_code, "CertificateDeleted");
  EXPECT_TRUE(Start("web").ok());  // not held up by an operation that can never finish
}

TEST_F(CertificateIssuanceTest, APolicyThatNoLongerIssuesFailsTheOperationOnce) {
  ASSERT_TRUE(Start("web").ok());
  auto policy = certs_.GetPolicy(vault_, "web");
  ASSERT_TRUE(policy.ok());
  policy->subject = "not a distinguished name";
  policy->sans = {};
  ASSERT_TRUE(certs_.SetPolicy(vault_, "web", *policy).ok());
  clock_.Advance(kDelay);
  Sweep();
  auto op = certs_.GetOperation(vault_, "web");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->operation.status, CertificateOperationStatus::kFailed);
  EXPECT_FALSE(op->operation.error_message.empty());
  EXPECT_EQ(IssuanceEntries(), 0u);  // not retried every pass
  EXPECT_EQ(keys_.Get(vault_, "web", "").status().code(), StatusCode::kNotFound);
}

TEST_F(CertificateIssuanceTest, DisabledCreateIsIssuedDisabled) {
  ASSERT_TRUE(Start("off", /*enabled=*/false).ok());
  clock_.Advance(kDelay);
  Sweep();
  auto cert = certs_.Get(vault_, "off", "");
  ASSERT_TRUE(cert.ok());
  EXPECT_FALSE(cert->version.cer.empty());
  EXPECT_FALSE(cert->version.attributes.enabled);
  auto key = keys_.Get(vault_, "off", "");
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(key->version.attributes.enabled);
}

TEST_F(CertificateIssuanceTest, AnEntryOfAPurgedVaultIsDropped) {
  ASSERT_TRUE(Start("web").ok());
  ASSERT_TRUE(vaults_.Delete(vault_.subscription_id, "rg", "unit").ok());
  clock_.Advance(kDelay);
  Sweep();
  EXPECT_EQ(IssuanceEntries(), 1u);  // waits while the vault can still be recovered
  clock_.Advance(91 * 86400);
  Sweep();
  Sweep();
  EXPECT_EQ(IssuanceEntries(), 0u);  // the vault was purged: nothing is left to issue
}

}  // namespace
}  // namespace coffer::vault
