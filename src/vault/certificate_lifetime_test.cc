// Certificate lifetime actions through the Sweeper with a ManualClock: AutoRenew at a lifetime
// percentage or days before expiry issues exactly one new version (with its managed key and
// secret, reusing the key pair under reuse_key); EmailContacts is recorded once per version; the
// due date follows new versions and policy updates; a deleted, disabled, non-Self or already
// renewed certificate is left alone; a purge leaves no schedule behind.
#include <gtest/gtest.h>

#include "crypto/certificate_issue.h"
#include "crypto/certificate_pem.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/sweeper.h"
#include "vault/unit_vault_test_support.h"

namespace coffer::vault {
namespace {

using model::CertificateActionType;
using model::CertificateLifetimeAction;

constexpr int64_t kDay = 86400;

CertificateLifetimeAction Percent(int p, CertificateActionType a) {
  CertificateLifetimeAction out;
  out.lifetime_percentage = p;
  out.action = a;
  return out;
}

CertificateLifetimeAction DaysBefore(int d, CertificateActionType a) {
  CertificateLifetimeAction out;
  out.days_before_expiry = d;
  out.action = a;
  return out;
}

class CertificateLifetimeTest : public ::testing::Test {
 protected:
  CertificateLifetimeTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
    vault_ = testing::RegisterUnitVault(vaults_);
    sweeper_.AttachKeys(&keys_);
    sweeper_.AttachCertificates(&certs_, [this](const LifetimeActionEvent& e) -> Status {
      if (fail_notify_) return UnavailableError("audit log unavailable (test)");
      events_.push_back(e);
      return OkStatus();
    });
  }

  // A Self certificate valid one month with `actions` (EC P-256: quick to make).
  CertificateView Create(std::string_view name, std::vector<CertificateLifetimeAction> actions,
                         bool reuse_key = false) {
    CertificateCreateParams p;
    p.policy.kty = "EC";
    p.policy.curve = "P-256";
    p.policy.key_size = 256;
    p.policy.subject = "CN=renew.example";
    p.policy.validity_months = 1;
    p.policy.reuse_key = reuse_key;
    p.policy.lifetime_actions = std::move(actions);
    auto op = certs_.Create(vault_, name, std::move(p));
    EXPECT_TRUE(op.ok()) << op.status().ToString();
    return Latest(name);
  }

  CertificateView Latest(std::string_view name) {
    auto got = certs_.Get(vault_, name, "");
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? std::move(*got) : CertificateView{};
  }

  // When `action` triggers for the certificate's latest version.
  UnixSeconds TriggerOf(std::string_view name, const CertificateLifetimeAction& action) {
    CertificateView v = Latest(name);
    return model::LifetimeActionTime(action, *v.version.attributes.not_before,
                                     *v.version.attributes.expires);
  }

  size_t Versions(std::string_view name) {
    auto page = certs_.ListVersions(vault_, name, 25, "");
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items.size() : 0;
  }

  void Sweep() {
    auto n = sweeper_.SweepOnce();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
  }

  // Every certificate lifetime entry of the sweep index.
  std::vector<std::string> LifetimeDueKeys() {
    std::vector<std::string> out;
    EXPECT_TRUE(barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(auto keys, t.ScanKeys(Keyspace::kDuePrefix, "", 0));
      for (auto& k : keys) {
        if (k.find("/l/") != std::string::npos) out.push_back(k);
      }
      return OkStatus();
    }).ok());
    return out;
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  VaultRegistry vaults_{barrier_, clock_, crypto::SystemRandom()};
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  SecretService secrets_{barrier_, clock_, crypto::SystemRandom()};
  CertificateService certs_{barrier_, clock_, crypto::SystemRandom(), keys_.traits()};
  Sweeper sweeper_{barrier_, vaults_, clock_};
  model::VaultRecord vault_;
  std::vector<LifetimeActionEvent> events_;
  bool fail_notify_ = false;
};

TEST_F(CertificateLifetimeTest, AutoRenewAtLifetimePercentageIssuesOneNewVersionWithKeyAndSecret) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  CertificateView v1 = Create("web", {renew});
  UnixSeconds at = TriggerOf("web", renew);
  EXPECT_EQ(LifetimeDueKeys().size(), 1u);

  clock_.Set(at - 1);
  Sweep();
  EXPECT_EQ(Versions("web"), 1u);

  clock_.Set(at);
  Sweep();
  ASSERT_EQ(Versions("web"), 2u);
  CertificateView v2 = Latest("web");
  EXPECT_NE(v2.version.version, v1.version.version);
  EXPECT_TRUE(v2.version.attributes.enabled);
  EXPECT_EQ(v2.version.attributes.created, at);
  EXPECT_FALSE(v2.version.cer.empty());
  EXPECT_NE(v2.version.cer, v1.version.cer);
  // Its managed key and secret, same version, written with it; a new key pair.
  auto key = keys_.Get(vault_, "web", "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->version.version, v2.version.version);
  EXPECT_TRUE(key->version.managed);
  auto old_key = keys_.Get(vault_, "web", v1.version.version);
  ASSERT_TRUE(old_key.ok());
  EXPECT_NE(key->public_key.x, old_key->public_key.x);
  auto secret = secrets_.Get(vault_, "web", "");
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(secret->version.version, v2.version.version);
  EXPECT_EQ(secret->version.key_id, v2.version.version);
  auto op = certs_.GetOperation(vault_, "web");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->operation.version, v2.version.version);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].action, CertificateActionType::kAutoRenew);
  EXPECT_EQ(events_[0].vault, "unit");
  EXPECT_EQ(events_[0].certificate, "web");
  EXPECT_EQ(events_[0].version, v1.version.version);
  EXPECT_EQ(events_[0].new_version, v2.version.version);

  // Once: the next due date is the new version's, not the old one's again.
  Sweep();
  EXPECT_EQ(Versions("web"), 2u);
  auto due = LifetimeDueKeys();
  ASSERT_EQ(due.size(), 1u);
  auto entry = Keyspace::ParseDueKey(due[0]);
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->when, TriggerOf("web", renew));
  EXPECT_GT(entry->when, at);

  // And the new version renews in turn.
  clock_.Set(entry->when);
  Sweep();
  EXPECT_EQ(Versions("web"), 3u);
}

TEST_F(CertificateLifetimeTest, AutoRenewAtDaysBeforeExpiry) {
  auto renew = DaysBefore(10, CertificateActionType::kAutoRenew);
  CertificateView v1 = Create("api", {renew});
  UnixSeconds at = TriggerOf("api", renew);
  EXPECT_EQ(at, *v1.version.attributes.expires - 10 * kDay);
  clock_.Set(at - 1);
  Sweep();
  EXPECT_EQ(Versions("api"), 1u);
  clock_.Set(at + 5 * kDay);  // a pass may come late: it still renews once
  Sweep();
  Sweep();
  EXPECT_EQ(Versions("api"), 2u);
}

TEST_F(CertificateLifetimeTest, ReuseKeyKeepsTheKeyPairOnRenewal) {
  auto renew = Percent(80, CertificateActionType::kAutoRenew);
  CertificateView v1 = Create("kept", {renew}, /*reuse_key=*/true);
  clock_.Set(TriggerOf("kept", renew));
  Sweep();
  ASSERT_EQ(Versions("kept"), 2u);
  CertificateView v2 = Latest("kept");
  auto k1 = keys_.Get(vault_, "kept", v1.version.version);
  auto k2 = keys_.Get(vault_, "kept", v2.version.version);
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_NE(v2.version.version, v1.version.version);
  EXPECT_EQ(k2->public_key.x, k1->public_key.x);
  EXPECT_EQ(k2->public_key.y, k1->public_key.y);
  EXPECT_NE(v2.version.cer, v1.version.cer);
}

TEST_F(CertificateLifetimeTest, EmailContactsIsRecordedOncePerVersionWithTheContacts) {
  ASSERT_TRUE(certs_.SetContacts(vault_, {{"ops@example.com", "Ops", ""},
                                          {"sec@example.com", "", ""}}).ok());
  auto mail = DaysBefore(7, CertificateActionType::kEmailContacts);
  CertificateView v1 = Create("mail", {mail});
  clock_.Set(TriggerOf("mail", mail) - 1);
  Sweep();
  EXPECT_TRUE(events_.empty());
  clock_.Set(TriggerOf("mail", mail));
  Sweep();
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].action, CertificateActionType::kEmailContacts);
  EXPECT_EQ(events_[0].vault, "unit");
  EXPECT_EQ(events_[0].certificate, "mail");
  EXPECT_EQ(events_[0].version, v1.version.version);
  EXPECT_EQ(events_[0].emails, (std::vector<std::string>{"ops@example.com", "sec@example.com"}));
  EXPECT_TRUE(events_[0].new_version.empty());
  clock_.Advance(3 * kDay);
  Sweep();
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(Versions("mail"), 1u);  // no renewal: the policy has no AutoRenew
  EXPECT_TRUE(LifetimeDueKeys().empty());
}

TEST_F(CertificateLifetimeTest, EmailThenRenewWhenBothComeDueInOnePass) {
  auto mail = Percent(60, CertificateActionType::kEmailContacts);
  auto renew = Percent(90, CertificateActionType::kAutoRenew);
  CertificateView v1 = Create("both", {renew, mail});
  clock_.Set(TriggerOf("both", mail));
  Sweep();
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(events_[0].emails.empty());  // no contacts set: recorded all the same
  EXPECT_EQ(Versions("both"), 1u);
  clock_.Set(TriggerOf("both", renew) + kDay);
  Sweep();
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].action, CertificateActionType::kAutoRenew);
  EXPECT_EQ(Versions("both"), 2u);
}

TEST_F(CertificateLifetimeTest, AFailedNoticeIsRetriedAtTheNextPass) {
  auto mail = Percent(10, CertificateActionType::kEmailContacts);
  Create("retry", {mail});
  clock_.Set(TriggerOf("retry", mail));
  fail_notify_ = true;
  Sweep();
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(LifetimeDueKeys().size(), 1u);
  fail_notify_ = false;
  Sweep();
  EXPECT_EQ(events_.size(), 1u);
  Sweep();
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(CertificateLifetimeTest, PolicyUpdateMovesTheDueDate) {
  auto late = Percent(90, CertificateActionType::kAutoRenew);
  auto early = Percent(20, CertificateActionType::kAutoRenew);
  Create("moved", {late});
  auto policy = certs_.GetPolicy(vault_, "moved");
  ASSERT_TRUE(policy.ok());
  policy->lifetime_actions = {early};
  ASSERT_TRUE(certs_.SetPolicy(vault_, "moved", *policy).ok());
  auto due = LifetimeDueKeys();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(Keyspace::ParseDueKey(due[0])->when, TriggerOf("moved", early));
  clock_.Set(TriggerOf("moved", early));
  Sweep();
  EXPECT_EQ(Versions("moved"), 2u);

  // A policy without lifetime actions schedules nothing.
  policy = certs_.GetPolicy(vault_, "moved");
  policy->lifetime_actions.clear();
  ASSERT_TRUE(certs_.SetPolicy(vault_, "moved", *policy).ok());
  EXPECT_TRUE(LifetimeDueKeys().empty());
}

TEST_F(CertificateLifetimeTest, NotSelfIssuedIsNotRenewed) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  Create("ca", {renew});
  auto policy = certs_.GetPolicy(vault_, "ca");
  ASSERT_TRUE(policy.ok());
  policy->issuer_name = "Unknown";
  ASSERT_TRUE(certs_.SetPolicy(vault_, "ca", *policy).ok());
  EXPECT_TRUE(LifetimeDueKeys().empty());
  clock_.Set(TriggerOf("ca", renew) + kDay);
  Sweep();
  EXPECT_EQ(Versions("ca"), 1u);
  EXPECT_TRUE(events_.empty());
}

TEST_F(CertificateLifetimeTest, DisabledLatestVersionWaitsUntilEnabled) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  Create("off", {renew});
  UnixSeconds at = TriggerOf("off", renew);
  CertificatePatch disable;
  disable.enabled = false;
  ASSERT_TRUE(certs_.Update(vault_, "off", "", disable).ok());
  EXPECT_TRUE(LifetimeDueKeys().empty());
  clock_.Set(at + kDay);
  Sweep();
  EXPECT_EQ(Versions("off"), 1u);
  CertificatePatch enable;
  enable.enabled = true;
  ASSERT_TRUE(certs_.Update(vault_, "off", "", enable).ok());
  Sweep();
  EXPECT_EQ(Versions("off"), 2u);
}

TEST_F(CertificateLifetimeTest, DeletedCertificateWaitsAndRecoveredOneRenews) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  Create("gone", {renew});
  UnixSeconds at = TriggerOf("gone", renew);
  ASSERT_TRUE(certs_.Delete(vault_, "gone").ok());
  EXPECT_TRUE(LifetimeDueKeys().empty());
  clock_.Set(at + kDay);
  Sweep();
  ASSERT_TRUE(certs_.Recover(vault_, "gone").ok());
  EXPECT_EQ(Versions("gone"), 1u);
  Sweep();
  EXPECT_EQ(Versions("gone"), 2u);
}

TEST_F(CertificateLifetimeTest, AStaleEntryOfARenewedCertificateDoesNothing) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  Create("once", {renew});
  UnixSeconds at = TriggerOf("once", renew);
  std::string stale = LifetimeDueKeys().at(0);
  clock_.Set(at);
  Sweep();
  ASSERT_EQ(Versions("once"), 2u);
  // The old entry again (as a second node's sweeper might hold it): nothing happens.
  auto mac = Keyspace(barrier_).NameMac(vault_.id, model::ObjectKind::kCertificate, "once");
  ASSERT_TRUE(mac.ok());
  ASSERT_TRUE(barrier_.Update([&](barrier::Txn& t) { return t.Put(stale, SecretBytes()); }).ok());
  ASSERT_TRUE(certs_.RunLifetimeActions(vault_, *mac, stale, at, at + 1,
                                        [](const LifetimeActionEvent&) { return OkStatus(); })
                  .ok());
  EXPECT_EQ(Versions("once"), 2u);
  EXPECT_EQ(LifetimeDueKeys().size(), 1u);  // the stale entry went; the new version's stays
  EXPECT_NE(LifetimeDueKeys()[0], stale);
}

TEST_F(CertificateLifetimeTest, ManualNewVersionReschedulesFromIt) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  Create("manual", {renew});
  UnixSeconds first = TriggerOf("manual", renew);
  clock_.Set(first - kDay);
  Create("manual", {renew});  // a new version by hand, a day before the renewal
  clock_.Set(first);
  Sweep();
  EXPECT_EQ(Versions("manual"), 2u);
  auto due = LifetimeDueKeys();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(Keyspace::ParseDueKey(due[0])->when, TriggerOf("manual", renew));
}

TEST_F(CertificateLifetimeTest, CertificateInADeletedVaultWaitsAndPurgeLeavesNoSchedule) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  Create("vaulted", {renew});
  clock_.Set(TriggerOf("vaulted", renew));
  ASSERT_TRUE(vaults_.Delete(vault_.subscription_id, vault_.resource_group, vault_.name).ok());
  Sweep();
  EXPECT_EQ(LifetimeDueKeys().size(), 1u);  // waits
  clock_.Advance(int64_t{vault_.retention_days} * kDay);
  Sweep();  // purges the vault; its certificate's entry is then dropped
  Sweep();
  EXPECT_TRUE(LifetimeDueKeys().empty());
  EXPECT_TRUE(events_.empty());
}

TEST_F(CertificateLifetimeTest, ImportIsScheduledByItsDerivedPolicyEmailContactsAt80Percent) {
  auto key = crypto::KeyMaterial::GenerateEc("P-256");
  ASSERT_TRUE(key.ok());
  crypto::X509Profile profile;
  profile.subject = "CN=imported.example";
  profile.key_usage = {"digitalSignature"};
  profile.validity_months = 2;
  crypto::CertificateChain chain;
  auto der = crypto::IssueSelfSignedCertificate(profile, *key, clock_.Now());
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  chain.leaf_der = *der;
  CertificateImportParams params;
  params.value = std::string(crypto::ExportPemBundle(*key, chain)->view());
  auto imported = certs_.Import(vault_, "imp", std::move(params));
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ASSERT_EQ(imported->policy->lifetime_actions.size(), 1u);
  auto mail = imported->policy->lifetime_actions[0];
  EXPECT_EQ(mail.action, CertificateActionType::kEmailContacts);
  EXPECT_EQ(mail.lifetime_percentage, 80);
  auto due = LifetimeDueKeys();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(Keyspace::ParseDueKey(due[0])->when, TriggerOf("imp", mail));
  clock_.Set(TriggerOf("imp", mail));
  Sweep();
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].action, CertificateActionType::kEmailContacts);
  EXPECT_EQ(Versions("imp"), 1u);
}

TEST_F(CertificateLifetimeTest, PurgeRemovesTheScheduleAndItsEntry) {
  auto renew = Percent(50, CertificateActionType::kAutoRenew);
  Create("purged", {renew});
  ASSERT_TRUE(certs_.Delete(vault_, "purged").ok());
  ASSERT_TRUE(certs_.Purge(vault_, "purged").ok());
  EXPECT_TRUE(LifetimeDueKeys().empty());
  size_t schedules = 1;
  ASSERT_TRUE(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto keys, t.ScanKeys(Keyspace::kCertificateScheduleArea, "", 0));
    schedules = keys.size();
    return OkStatus();
  }).ok());
  EXPECT_EQ(schedules, 0u);
}

}  // namespace
}  // namespace coffer::vault
