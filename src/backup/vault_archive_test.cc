// Whole-vault archives through a real barrier: a backup restored into an empty vault equals the
// source (every version, deleted objects with their dates, policies, contacts, issuers);
// selective restore reports conflicts and never overwrites; foreign archives and damaged ones
// are refused with nothing written.
#include "backup/vault_archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backup/test_deployment.h"
#include "vault/keyspace.h"

namespace coffer::backup {
namespace {

using ::testing::HasSubstr;
using test_support::SecretValue;

vault::CertificateCreateParams SelfSigned() {
  vault::CertificateCreateParams p;
  p.policy.kty = "EC";
  p.policy.curve = "P-256";
  p.policy.key_size = 256;
  p.policy.subject = "CN=archive.example";
  p.policy.issuer_name = "Self";
  return p;
}

class VaultArchiveTest : public test_support::DeploymentTest {
 protected:
  std::string Backup(const model::VaultRecord& v) {
    std::string out;
    StringSink sink(&out);
    auto summary = archiver_.Backup(v, sink);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    if (summary.ok()) {
      EXPECT_EQ(summary->bytes, out.size());
    }
    return out;
  }

  // Verify, then restore, as PUT /restore does.
  StatusOr<RestoreOutcome> Restore(const model::VaultRecord& v, const std::string& archive,
                                   std::string_view objects = "") {
    ASSIGN_OR_RETURN(ArchiveSelection selection, ArchiveSelection::Parse(objects));
    StringSource verify(archive);
    RETURN_IF_ERROR(archiver_.Verify(v, verify, selection).status());
    if (selection.all()) RETURN_IF_ERROR(archiver_.CheckEmpty(v));
    return archiver_.Restore(v, StringSourceOpener(archive), selection);
  }

  // A source vault with some of everything.
  void Fill() {
    for (std::string_view v : {"one", "two", "three"}) {
      ASSERT_TRUE(d_.secrets.Set(east_, "app-password", SecretValue(v)).ok());
    }
    ASSERT_TRUE(d_.secrets.Set(east_, "old", SecretValue("gone")).ok());
    ASSERT_TRUE(d_.secrets.Delete(east_, "old").ok());
    vault::KeyCreateParams ec;
    ec.kty = "EC";
    ASSERT_TRUE(d_.keys.Create(east_, "signer", ec).ok());
    ASSERT_TRUE(d_.keys.Create(east_, "signer", ec).ok());
    vault::RotationPolicyParams policy;
    policy.expiry_time = "P90D";
    ASSERT_TRUE(d_.keys.SetRotationPolicy(east_, "signer", policy).ok());
    ASSERT_TRUE(d_.certificates.Create(east_, "web", SelfSigned()).ok());
    ASSERT_TRUE(d_.certificates.SetContacts(east_, {{"ops@example.com", "Ops", ""}}).ok());
    model::CertificateIssuer issuer;
    issuer.name = "my-ca";
    issuer.provider = "Test";
    ASSERT_TRUE(d_.certificates.SetIssuer(east_, issuer).ok());
  }

  // Everything Fill() made, with the same versions and dates, in `v`.
  void ExpectFilled(const model::VaultRecord& v);

  VaultArchiver archiver_{d_.barrier, crypto::SystemRandom(), d_.clock, d_.keys.traits(),
                          /*segment_size=*/512};
};

TEST_F(VaultArchiveTest, WholeRestoreIntoAnEmptyVaultEqualsTheSource) {
  Fill();
  std::string archive = Backup(east_);
  EXPECT_EQ(archive.find("app-password"), std::string::npos);  // names only in ciphertext
  d_.clock.Advance(3600);
  auto outcome = Restore(west_, archive);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  // 2 secrets, 1 key, and the certificate with its managed key and secret.
  EXPECT_EQ(outcome->restored, 6u);
  EXPECT_TRUE(outcome->conflicts.empty());
  ExpectFilled(west_);
}

// PostgreSQL runs a transaction's function again after a serialization conflict (40001/40P01)
// — at any statement or at COMMIT — so the restore's function must start again from the
// archive's first byte; the run that commits restores everything, once.
TEST_F(VaultArchiveTest, WholeRestoreRunAgainAfterAConflictRestoresEverythingOnce) {
  Fill();
  std::string archive = Backup(east_);
  int n = 0;
  for (int at_put : {0, 1, 7}) {  // at COMMIT (the archive read to its end), first write, mid-way
    SCOPED_TRACE(at_put);
    model::VaultRecord target = d_.MakeVault("dst-rerun-" + std::to_string(n++), test_support::kSubA,
                                             "West US");
    int reruns = d_.scripted.reruns();
    ASSERT_TRUE(archiver_.Verify(target, *StringSourceOpener(archive)().value(),
                                 ArchiveSelection{}).ok());
    d_.scripted.RerunNextUpdate(at_put);
    auto outcome = archiver_.Restore(target, StringSourceOpener(archive), ArchiveSelection{});
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(d_.scripted.reruns(), reruns + 1);  // the function did run twice
    EXPECT_EQ(outcome->restored, 6u);
    EXPECT_TRUE(outcome->conflicts.empty());
    ExpectFilled(target);
  }
}

TEST_F(VaultArchiveTest, SelectiveRestoreRunAgainReportsEachConflictOnce) {
  Fill();
  std::string archive = Backup(east_);
  ASSERT_TRUE(d_.secrets.Set(west_, "app-password", SecretValue("mine")).ok());
  ASSERT_TRUE(
      d_.certificates.Create(west_, "unrelated", SelfSigned()).ok());  // the vault is not empty
  d_.scripted.RerunNextUpdate();
  auto selection = ArchiveSelection::Parse("secrets/app-password,certificates/web");
  ASSERT_TRUE(selection.ok());
  auto outcome = archiver_.Restore(west_, StringSourceOpener(archive), *selection);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->restored, 3u);  // the certificate with its managed key and secret
  ASSERT_EQ(outcome->conflicts.size(), 1u);
  EXPECT_EQ(outcome->conflicts[0].name, "app-password");
  EXPECT_EQ(d_.secrets.Get(west_, "app-password", "")->version.value.view(), "mine");
  auto versions = d_.certificates.ListVersions(west_, "web", 25, "");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  EXPECT_EQ(versions->items.size(), 1u);  // written once, not twice
}

TEST_F(VaultArchiveTest, ArchiveThatChangesBetweenRunsIsRefusedAndNothingIsWritten) {
  Fill();
  std::string first = Backup(east_);
  std::string second = Backup(east_);  // the same vault: a valid archive, another salt
  int opened = 0;
  ByteSourceOpener open = [&]() -> StatusOr<std::unique_ptr<ByteSource>> {
    return std::unique_ptr<ByteSource>(
        std::make_unique<StringSource>(opened++ == 0 ? first : second));
  };
  d_.scripted.RerunNextUpdate();
  auto outcome = archiver_.Restore(west_, open, ArchiveSelection{});
  EXPECT_EQ(outcome.status().code(), StatusCode::kAborted);
  EXPECT_THAT(outcome.status().message(), HasSubstr("changed"));
  EXPECT_EQ(opened, 2);
  EXPECT_TRUE(archiver_.CheckEmpty(west_).ok());
}

TEST_F(VaultArchiveTest, RestoreFailsWhenTheArchiveCannotBeOpenedAgain) {
  Fill();
  std::string archive = Backup(east_);
  int opened = 0;
  ByteSourceOpener open = [&]() -> StatusOr<std::unique_ptr<ByteSource>> {
    if (opened++ > 0) return UnavailableError("cannot open the archive (test)");
    return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(archive));
  };
  d_.scripted.RerunNextUpdate();
  EXPECT_EQ(archiver_.Restore(west_, open, ArchiveSelection{}).status().code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(archiver_.CheckEmpty(west_).ok());
}

// What Fill() made in east_, checked in a vault restored from its archive.
void VaultArchiveTest::ExpectFilled(const model::VaultRecord& v) {
  auto latest = d_.secrets.Get(v, "app-password", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version.value.view(), "three");
  auto versions = d_.secrets.ListVersions(v, "app-password", 25, "");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->items.size(), 3u);
  auto src_deleted = d_.secrets.GetDeleted(east_, "old");
  auto dst_deleted = d_.secrets.GetDeleted(v, "old");
  ASSERT_TRUE(src_deleted.ok() && dst_deleted.ok()) << dst_deleted.status().ToString();
  EXPECT_EQ(dst_deleted->deleted->deleted_date, src_deleted->deleted->deleted_date);
  EXPECT_EQ(dst_deleted->deleted->scheduled_purge_date,
            src_deleted->deleted->scheduled_purge_date);
  auto key = d_.keys.Get(v, "signer", "");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->version.version, d_.keys.Get(east_, "signer", "")->version.version);
  auto policy = d_.keys.GetRotationPolicy(v, "signer");
  ASSERT_TRUE(policy.ok() && policy->policy);
  EXPECT_EQ(policy->policy->expiry_time, "P90D");
  auto cert = d_.certificates.Get(v, "web", "");
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  ASSERT_TRUE(cert->policy);
  EXPECT_EQ(cert->policy->subject, "CN=archive.example");
  EXPECT_TRUE(d_.secrets.Get(v, "web", "")->version.managed);
  auto contacts = d_.certificates.GetContacts(v);
  ASSERT_TRUE(contacts.ok());
  EXPECT_EQ(contacts->front().email, "ops@example.com");
  EXPECT_TRUE(d_.certificates.GetIssuer(v, "my-ca").ok());
}

// The export merges each kind's live and deleted heads with one pass over its version area:
// many objects of both states (their name MACs interleave) and more versions than a page.
TEST_F(VaultArchiveTest, LiveAndDeletedObjectsInterleavedKeepTheirOwnVersions) {
  for (int i = 0; i < 40; ++i) {
    std::string name = "s" + std::to_string(i);
    int versions = i == 7 ? 300 : 1 + i % 3;
    for (int v = 0; v < versions; ++v) {
      ASSERT_TRUE(d_.secrets.Set(east_, name, SecretValue(name + "/" + std::to_string(v))).ok());
    }
    if (i % 2 == 1) ASSERT_TRUE(d_.secrets.Delete(east_, name).ok());
  }
  std::string archive = Backup(east_);
  auto outcome = Restore(west_, archive);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->restored, 40u);
  for (int i = 0; i < 40; ++i) {
    std::string name = "s" + std::to_string(i);
    size_t versions = i == 7 ? 300 : 1 + i % 3;
    if (i % 2 == 1) {
      EXPECT_TRUE(d_.secrets.GetDeleted(west_, name).ok()) << name;
      EXPECT_FALSE(d_.secrets.Get(west_, name, "").ok()) << name;
      ASSERT_TRUE(d_.secrets.Recover(west_, name).ok()) << name;
    }
    auto latest = d_.secrets.Get(west_, name, "");
    ASSERT_TRUE(latest.ok()) << name << ": " << latest.status().ToString();
    EXPECT_EQ(latest->version.value.view(), name + "/" + std::to_string(versions - 1));
    auto listed = d_.secrets.ListVersions(west_, name, 25, "");
    ASSERT_TRUE(listed.ok());
    size_t count = listed->items.size();
    std::string next = listed->next_token;
    while (!next.empty()) {
      auto page = d_.secrets.ListVersions(west_, name, 25, next);
      ASSERT_TRUE(page.ok());
      count += page->items.size();
      next = page->next_token;
    }
    EXPECT_EQ(count, versions) << name;
  }
}

// What the merge does with records the object store never writes: versions without a head (before
// and after every real object) are left out; a name stored both live and deleted stops the
// backup rather than guess which one the versions belong to.
TEST_F(VaultArchiveTest, OrphanVersionsAreLeftOutAndANameBothLiveAndDeletedStopsTheBackup) {
  using vault::Keyspace;
  ASSERT_TRUE(d_.secrets.Set(east_, "kept", SecretValue("v")).ok());
  ASSERT_TRUE(d_.barrier
                  .Update([&](barrier::Txn& t) -> Status {
                    for (char c : {'0', 'f'}) {
                      RETURN_IF_ERROR(t.Put(Keyspace::VersionKey(east_.id, model::ObjectKind::kSecret,
                                                                 std::string(64, c), "orphan"),
                                            SecretBytes("not an object")));
                    }
                    return OkStatus();
                  })
                  .ok());
  auto outcome = Restore(west_, Backup(east_));
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->restored, 1u);
  EXPECT_EQ(d_.secrets.Get(west_, "kept", "")->version.value.view(), "v");

  Keyspace keys(d_.barrier);
  auto mac = keys.NameMac(east_.id, model::ObjectKind::kSecret, "kept");
  ASSERT_TRUE(mac.ok());
  ASSERT_TRUE(d_.barrier
                  .Update([&](barrier::Txn& t) -> Status {
                    ASSIGN_OR_RETURN(auto head, t.Get(Keyspace::LiveKey(
                                                    east_.id, model::ObjectKind::kSecret, *mac)));
                    if (!head) return NotFoundError("no head");
                    return t.Put(Keyspace::DeletedKey(east_.id, model::ObjectKind::kSecret, *mac),
                                 *head);
                  })
                  .ok());
  std::string out;
  StringSink sink(&out);
  auto both = archiver_.Backup(east_, sink);
  EXPECT_EQ(both.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(both.status().message(), HasSubstr("both live and deleted"));
}

TEST_F(VaultArchiveTest, WholeRestoreNeedsAnEmptyVaultDeletedObjectsIncluded) {
  Fill();
  std::string archive = Backup(east_);
  ASSERT_TRUE(d_.secrets.Set(west_, "x", SecretValue("x")).ok());
  ASSERT_TRUE(d_.secrets.Delete(west_, "x").ok());
  auto outcome = Restore(west_, archive);
  EXPECT_EQ(outcome.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(outcome.status().message(), HasSubstr("not empty"));
  EXPECT_FALSE(d_.secrets.Get(west_, "app-password", "").ok());
}

TEST_F(VaultArchiveTest, SelectiveRestoreReportsConflictsAndNeverOverwrites) {
  Fill();
  std::string archive = Backup(east_);
  ASSERT_TRUE(d_.secrets.Set(west_, "app-password", SecretValue("mine")).ok());
  ASSERT_TRUE(d_.keys.Create(west_, "signer", vault::KeyCreateParams{.kty = "EC"}).ok());
  ASSERT_TRUE(d_.keys.Delete(west_, "signer").ok());
  auto outcome = Restore(west_, archive, "secrets/APP-PASSWORD, keys/signer,certificates/web,"
                                         "secrets/old");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  // The certificate with its managed key and secret, and the deleted secret.
  EXPECT_EQ(outcome->restored, 4u);
  ASSERT_EQ(outcome->conflicts.size(), 2u);
  EXPECT_EQ(outcome->conflicts[0].kind, model::ObjectKind::kSecret);
  EXPECT_THAT(outcome->conflicts[0].reason, HasSubstr("exists"));
  EXPECT_EQ(outcome->conflicts[1].kind, model::ObjectKind::kKey);
  EXPECT_THAT(outcome->conflicts[1].reason, HasSubstr("deleted"));
  EXPECT_EQ(d_.secrets.Get(west_, "app-password", "")->version.value.view(), "mine");
  EXPECT_TRUE(d_.certificates.Get(west_, "web", "").ok());
  EXPECT_TRUE(d_.keys.Get(west_, "web", "").ok());
  EXPECT_TRUE(d_.secrets.GetDeleted(west_, "old").ok());
  EXPECT_FALSE(d_.certificates.GetIssuer(west_, "my-ca").ok());  // whole restores only
}

TEST_F(VaultArchiveTest, SelectionMustNameArchivedObjectsAndNotAManagedOneAlone) {
  Fill();
  std::string archive = Backup(east_);
  EXPECT_THAT(Restore(west_, archive, "secrets/nothere").status().message(),
              HasSubstr("holds no secret named 'nothere'"));
  EXPECT_THAT(Restore(west_, archive, "secrets/web").status().message(),
              HasSubstr("select certificates/web"));
  for (std::string_view bad : {"secret/a", "secrets/", "secrets/a b", "a", "secrets/a,,keys/b"}) {
    EXPECT_EQ(ArchiveSelection::Parse(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(VaultArchiveTest, ArchiveIsBoundToDeploymentSubscriptionAndGeography) {
  Fill();
  std::string archive = Backup(east_);
  EXPECT_THAT(Restore(other_sub_, archive).status().message(), HasSubstr("subscription"));
  EXPECT_THAT(Restore(europe_, archive).status().message(), HasSubstr("geography"));
  test_support::Deployment elsewhere;
  model::VaultRecord there = elsewhere.MakeVault("there", test_support::kSubA, "eastus");
  VaultArchiver other(elsewhere.barrier, crypto::SystemRandom(), elsewhere.clock,
                      elsewhere.keys.traits());
  StringSource source(archive);
  auto verified = other.Verify(there, source, ArchiveSelection{});
  EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(verified.status().message(), HasSubstr("another Coffer deployment"));
}

TEST_F(VaultArchiveTest, DamagedArchiveIsRefusedAndWritesNothing) {
  Fill();
  std::string archive = Backup(east_);
  for (size_t at : {archive.size() / 2, archive.size() - 3}) {
    std::string damaged = archive;
    damaged[at] ^= 0x10;
    EXPECT_EQ(Restore(west_, damaged).status().code(), StatusCode::kInvalidArgument);
    // Even without the verify pass, the one transaction fails at the damaged segment, after
    // everything before it was written inside it, and commits nothing.
    EXPECT_EQ(archiver_.Restore(west_, StringSourceOpener(damaged), ArchiveSelection{})
                  .status()
                  .code(),
              StatusCode::kInvalidArgument);
    EXPECT_TRUE(archiver_.CheckEmpty(west_).ok());
  }
  EXPECT_EQ(Restore(west_, archive.substr(0, archive.size() - 600)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(archiver_.CheckEmpty(west_).ok());
}

TEST_F(VaultArchiveTest, EmptyVaultMakesAValidArchive) {
  std::string archive = Backup(east_);
  auto outcome = Restore(west_, archive);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->restored, 0u);
}

}  // namespace
}  // namespace coffer::backup
