// SecretService over a real barrier and MemoryStorage: versions, names, limits, paging, soft
// delete, recover, purge, and that a failed commit leaves nothing behind.
#include "vault/secret_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/unit_vault_test_support.h"

namespace coffer::vault {
namespace {

using ::testing::HasSubstr;

SecretSetParams ValueOnly(std::string_view value) {
  SecretSetParams p;
  p.value = SecretBytes(value);
  return p;
}

class SecretServiceTest : public ::testing::Test {
 protected:
  SecretServiceTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
  }

  SecretView Set(std::string_view name, std::string_view value) {
    auto s = secrets_.Set(vault_, name, ValueOnly(value));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : SecretView{};
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  SecretService secrets_{barrier_, clock_, crypto::SystemRandom()};
  model::VaultRecord vault_ = testing::UnitVault();
};

TEST_F(SecretServiceTest, GetReturnsLatestAndEachVersionById) {
  SecretView v1 = Set("db", "one");
  clock_.Advance(1);
  SecretView v2 = Set("db", "two");
  EXPECT_NE(v1.version.version, v2.version.version);
  EXPECT_EQ(v1.version.version.size(), 32u);

  auto latest = secrets_.Get(vault_, "db", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version.value.view(), "two");
  EXPECT_EQ(latest->version.version, v2.version.version);
  auto first = secrets_.Get(vault_, "db", v1.version.version);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->version.value.view(), "one");
}

TEST_F(SecretServiceTest, LatestIsDecidedBySequenceNotTimestamp) {
  Set("db", "one");
  Set("db", "two");  // same second
  Set("db", "three");
  EXPECT_EQ(secrets_.Get(vault_, "db", "")->version.value.view(), "three");
}

TEST_F(SecretServiceTest, UnknownVersionIsNotFound) {
  Set("db", "one");
  EXPECT_EQ(secrets_.Get(vault_, "db", "ffffffffffffffffffffffffffffffff").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(secrets_.Get(vault_, "db", "not-a-version").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(secrets_.Get(vault_, "missing", "").status().reason(), "SecretNotFound");
}

TEST_F(SecretServiceTest, NamesAreCaseInsensitiveAndKeepOriginalSpelling) {
  Set("My-Secret", "a");
  Set("MY-SECRET", "b");  // a new version of the same secret
  auto got = secrets_.Get(vault_, "my-secret", "");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "My-Secret");
  EXPECT_EQ(got->version.value.view(), "b");
  auto versions = secrets_.ListVersions(vault_, "my-SECRET", 25, "");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->items.size(), 2u);
}

TEST_F(SecretServiceTest, InvalidNamesAreRejected) {
  for (std::string_view bad : {"", "has space", "under_score", "dot.name"}) {
    EXPECT_EQ(secrets_.Set(vault_, bad, ValueOnly("x")).status().code(),
              StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(secrets_.Set(vault_, std::string(127, 'a'), ValueOnly("x")).ok());
  EXPECT_EQ(secrets_.Set(vault_, std::string(128, 'a'), ValueOnly("x")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SecretServiceTest, ValueOf25600BytesIsAcceptedAnd25601Rejected) {
  auto ok = secrets_.Set(vault_, "big", ValueOnly(std::string(25600, 'v')));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(secrets_.Get(vault_, "big", "")->version.value.size(), 25600u);
  auto too_big = secrets_.Set(vault_, "bigger", ValueOnly(std::string(25601, 'v')));
  EXPECT_EQ(too_big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(too_big.status().reason(), "BadParameter");
  EXPECT_EQ(secrets_.Get(vault_, "bigger", "").status().code(), StatusCode::kNotFound);
}

TEST_F(SecretServiceTest, DisabledVersionCannotBeRead) {
  SecretSetParams p = ValueOnly("x");
  p.enabled = false;
  ASSERT_TRUE(secrets_.Set(vault_, "off", std::move(p)).ok());
  auto got = secrets_.Get(vault_, "off", "");
  EXPECT_EQ(got.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(got.status().reason(), "SecretDisabled");
}

TEST_F(SecretServiceTest, UpdateChangesOnlyTheFieldsGiven) {
  SecretSetParams p = ValueOnly("x");
  p.content_type = "text/plain";
  p.tags = model::Tags{{"a", "1"}};
  p.expires = 2'000'000'000;
  SecretView v = *secrets_.Set(vault_, "s", std::move(p));
  clock_.Advance(100);

  SecretPatch patch;
  patch.tags = model::Tags{{"b", "2"}};
  patch.not_before = std::optional<UnixSeconds>(1'000);
  auto u = secrets_.Update(vault_, "s", v.version.version, patch);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->version.content_type, "text/plain");
  EXPECT_EQ(u->version.tags, (model::Tags{{"b", "2"}}));
  EXPECT_EQ(u->version.attributes.not_before, 1'000);
  EXPECT_EQ(u->version.attributes.expires, 2'000'000'000);
  EXPECT_EQ(u->version.attributes.created, v.version.attributes.created);
  EXPECT_EQ(u->version.attributes.updated, v.version.attributes.created + 100);

  SecretPatch clear;
  clear.expires = std::optional<UnixSeconds>();  // explicit null
  u = secrets_.Update(vault_, "s", "", clear);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->version.attributes.expires.has_value());
  EXPECT_EQ(u->version.attributes.not_before, 1'000);
  EXPECT_EQ(secrets_.Get(vault_, "s", "")->version.value.view(), "x");
}

TEST_F(SecretServiceTest, ListPagesWithoutDuplicatesOrGaps) {
  std::set<std::string> want;
  for (int i = 0; i < 7; ++i) {
    std::string name = "secret-" + std::to_string(i);
    Set(name, "v");
    want.insert(name);
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = secrets_.List(vault_, 2, token);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->items.size(), 2u);
    for (const auto& item : page->items) {
      EXPECT_TRUE(item.version.value.empty());  // lists never carry values
      EXPECT_TRUE(seen.insert(item.name).second) << "duplicate " << item.name;
    }
    token = page->next_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen, want);
  EXPECT_EQ(pages, 4);
}

TEST_F(SecretServiceTest, ListVersionsPagesWithoutDuplicatesOrGaps) {
  std::set<std::string> want;
  for (int i = 0; i < 7; ++i) want.insert(Set("rotating", std::to_string(i)).version.version);
  std::set<std::string> seen;
  std::string token;
  do {
    auto page = secrets_.ListVersions(vault_, "rotating", 2, token);
    ASSERT_TRUE(page.ok());
    for (const auto& item : page->items) {
      EXPECT_TRUE(seen.insert(item.version.version).second);
    }
    token = page->next_token;
  } while (!token.empty() && seen.size() < 20);
  EXPECT_EQ(seen, want);
}

TEST_F(SecretServiceTest, ForgedOrAlteredPageTokenIsRejected) {
  for (int i = 0; i < 5; ++i) Set("s" + std::to_string(i), "v");
  auto page = secrets_.List(vault_, 2, "");
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_token.empty());
  std::string altered = page->next_token;
  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {altered, std::string("forged"), std::string("!!!"),
                                 page->next_token + "AA"}) {
    auto r = secrets_.List(vault_, 2, bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // A token from one listing is not valid for another.
  EXPECT_EQ(secrets_.ListDeleted(vault_, 2, page->next_token).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SecretServiceTest, DeleteGetDeletedListDeletedRecoverRoundTrip) {
  Set("Temp", "value");
  auto deleted = secrets_.Delete(vault_, "temp");
  ASSERT_TRUE(deleted.ok());
  ASSERT_TRUE(deleted->deleted.has_value());
  EXPECT_EQ(deleted->deleted->scheduled_purge_date, clock_.Now() + 7 * 86400);
  EXPECT_EQ(secrets_.Get(vault_, "temp", "").status().code(), StatusCode::kNotFound);

  auto info = secrets_.GetDeleted(vault_, "TEMP");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, "Temp");
  auto listed = secrets_.ListDeleted(vault_, 25, "");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].name, "Temp");
  EXPECT_TRUE(secrets_.List(vault_, 25, "")->items.empty());

  ASSERT_TRUE(secrets_.Recover(vault_, "temp").ok());
  auto back = secrets_.Get(vault_, "temp", "");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->version.value.view(), "value");
  EXPECT_EQ(secrets_.GetDeleted(vault_, "temp").status().code(), StatusCode::kNotFound);
}

TEST_F(SecretServiceTest, SetOnSoftDeletedNameIsConflict) {
  Set("gone", "v");
  ASSERT_TRUE(secrets_.Delete(vault_, "gone").ok());
  auto r = secrets_.Set(vault_, "GONE", ValueOnly("again"));
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(r.status().reason(), "ObjectIsDeletedButRecoverable");
}

TEST_F(SecretServiceTest, PurgeRemovesTheDeletedSecretForGood) {
  Set("p", "v");
  ASSERT_TRUE(secrets_.Delete(vault_, "p").ok());
  ASSERT_TRUE(secrets_.Purge(vault_, "p").ok());
  EXPECT_EQ(secrets_.GetDeleted(vault_, "p").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(secrets_.Get(vault_, "p", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(secrets_.Purge(vault_, "p").code(), StatusCode::kNotFound);
  // The name is free again and starts a fresh history.
  Set("p", "new");
  EXPECT_EQ(secrets_.ListVersions(vault_, "p", 25, "")->items.size(), 1u);
}

TEST_F(SecretServiceTest, PurgeOfLiveSecretIsNotFound) {
  Set("live", "v");
  EXPECT_EQ(secrets_.Purge(vault_, "live").code(), StatusCode::kNotFound);
  EXPECT_TRUE(secrets_.Get(vault_, "live", "").ok());
}

TEST_F(SecretServiceTest, PurgeUnderPurgeProtectionIsForbidden) {
  vault_.purge_protection = true;
  Set("kept", "v");
  ASSERT_TRUE(secrets_.Delete(vault_, "kept").ok());
  Status s = secrets_.Purge(vault_, "kept");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(secrets_.GetDeleted(vault_, "kept").ok());
}

TEST_F(SecretServiceTest, FailedCommitLeavesNothingHalfWritten) {
  SecretView v1 = Set("atomic", "one");
  storage_.FailNextCommits(1);
  auto failed = secrets_.Set(vault_, "atomic", ValueOnly("two"));
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  auto latest = secrets_.Get(vault_, "atomic", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version.version, v1.version.version);
  EXPECT_EQ(secrets_.ListVersions(vault_, "atomic", 25, "")->items.size(), 1u);

  storage_.FailNextCommits(1);
  EXPECT_FALSE(secrets_.Set(vault_, "fresh", ValueOnly("x")).ok());
  EXPECT_EQ(secrets_.Get(vault_, "fresh", "").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(secrets_.List(vault_, 25, "").ok());
  EXPECT_EQ(secrets_.List(vault_, 25, "")->items.size(), 1u);

  storage_.FailNextCommits(1);
  EXPECT_FALSE(secrets_.Delete(vault_, "atomic").ok());
  EXPECT_TRUE(secrets_.Get(vault_, "atomic", "").ok());
  EXPECT_EQ(secrets_.GetDeleted(vault_, "atomic").status().code(), StatusCode::kNotFound);
}

TEST_F(SecretServiceTest, ExportAndImportKeepVersionsInOrder) {
  for (int i = 0; i < 3; ++i) Set("exp", "v" + std::to_string(i));
  auto object = secrets_.Export(vault_, "exp");
  ASSERT_TRUE(object.ok());
  ASSERT_EQ(object->versions.size(), 3u);
  EXPECT_EQ(object->versions.back().value.view(), "v2");
  model::VaultRecord other = vault_;
  other.id = "fedcba9876543210fedcba9876543210";
  auto imported = secrets_.Import(other, *object);
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(imported->version.version, object->versions.back().version);
  EXPECT_EQ(secrets_.Get(other, "exp", "")->version.value.view(), "v2");
  EXPECT_EQ(secrets_.Import(other, *object).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(SecretServiceTest, SealedBarrierAnswersUnavailable) {
  Set("s", "v");
  barrier_.Seal();
  EXPECT_EQ(secrets_.Get(vault_, "s", "").status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace coffer::vault
