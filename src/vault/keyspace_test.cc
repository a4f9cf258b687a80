// Keyspace: every due entry parses back to what was encoded, and a key naming an unknown kind or
// target is DataLoss (never a default kind).
#include "vault/keyspace.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace coffer::vault {
namespace {

void ExpectRoundTrip(const DueEntry& entry, std::string_view want_key) {
  std::string key = Keyspace::DueKey(entry);
  EXPECT_EQ(key, want_key);
  auto parsed = Keyspace::ParseDueKey(key);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->when, entry.when);
  EXPECT_EQ(parsed->action, entry.action);
  EXPECT_EQ(parsed->mac, entry.mac);
  if (entry.action != DueAction::kPurgeVault) {
    EXPECT_EQ(parsed->vault_id, entry.vault_id);
    EXPECT_EQ(parsed->kind, entry.kind);
  }
}

TEST(KeyspaceTest, DueEntriesRoundTripInTheDocumentedLayout) {
  ExpectRoundTrip(DueEntry::PurgeObject(0x1234, Keyspace::At("v1", model::ObjectKind::kSecret,
                                                              "abcd")),
                  "due/0000000000001234/o/v1/s/abcd");
  ExpectRoundTrip(DueEntry::PurgeObject(7, Keyspace::At("v1", model::ObjectKind::kCertificate,
                                                         "ff")),
                  "due/0000000000000007/o/v1/c/ff");
  ExpectRoundTrip(DueEntry::RotateKey(16, "v2", "00aa"), "due/0000000000000010/r/v2/k/00aa");
  ExpectRoundTrip(DueEntry::CertificateLifetime(0x20, "v3", "c0"),
                  "due/0000000000000020/l/v3/c/c0");
  ExpectRoundTrip(DueEntry::IssueCertificate(0x21, "v3", "c1"),
                  "due/0000000000000021/i/v3/c/c1");
  ExpectRoundTrip(DueEntry::PurgeVault(1, "beef"), "due/0000000000000001/v/beef");
}

TEST(KeyspaceTest, UnknownKindOrTargetIsDataLoss) {
  for (std::string_view key :
       {"due/0000000000000001/o/v1/x/abcd", "due/0000000000000001/q/v1/s/abcd",
        "due/0000000000000001/r/v1/s/abcd", "due/0000000000000001/l/v1/k/abcd",
        "due/0000000000000001/i/v1/s/abcd",
        "due/000000000000000g/o/v1/s/abcd",
        "due/0000000000000001/o/v1", "due/00000001/o/v1/s/abcd", "obj/v1/s/abcd"}) {
    EXPECT_EQ(Keyspace::ParseDueKey(key).status().code(), StatusCode::kDataLoss) << key;
  }
  EXPECT_EQ(model::ObjectKindFromTag('x').status().code(), StatusCode::kDataLoss);
}

TEST(KeyspaceTest, ObjectKeysKeepTheirStoredShape) {
  ObjectLocation loc = Keyspace::At("v1", model::ObjectKind::kKey, "m");
  EXPECT_EQ(loc.live_key, "obj/v1/k/m");
  EXPECT_EQ(loc.deleted_key, "del/v1/k/m");
  EXPECT_EQ(loc.VersionKey("0a"), "ver/v1/k/m/0a");
  EXPECT_EQ(Keyspace::RotationPolicyKey("v1", "m"), "rot/v1/k/m");
  EXPECT_EQ(Keyspace::CertificateScheduleKey("v1", "m"), "clt/v1/c/m");
  EXPECT_EQ(Keyspace::VaultKeyForMac("ab"), "vault/ab");
  EXPECT_EQ(*Keyspace::VaultMac("vault/ab"), "ab");
  EXPECT_EQ(Keyspace::VaultMac("obj/ab").status().code(), StatusCode::kDataLoss);
}

TEST(KeyspaceTest, BackupJobsKeepTheirStoredShape) {
  ExpectRoundTrip(DueEntry::ExpireBackupJob(0x30, "v4", "0123abcd"),
                  "due/0000000000000030/b/v4/0123abcd");
  for (std::string_view key : {"due/0000000000000001/b/v4", "due/0000000000000001/b//j",
                               "due/0000000000000001/b/v4/", "due/0000000000000001/b/v4/j/x"}) {
    EXPECT_EQ(Keyspace::ParseDueKey(key).status().code(), StatusCode::kDataLoss) << key;
  }
  EXPECT_EQ(Keyspace::BackupJobKey("v1", "j"), "bjob/v1/j");
  EXPECT_EQ(Keyspace::BackupArchiveChunkKey("v1", "j", 0x1f), "bak/v1/j/0000001f");
  auto areas = Keyspace::VaultObjectAreas("v1");
  EXPECT_NE(std::find(areas.begin(), areas.end(), "bjob/v1/"), areas.end());
  EXPECT_NE(std::find(areas.begin(), areas.end(), "bak/v1/"), areas.end());
}

}  // namespace
}  // namespace coffer::vault
