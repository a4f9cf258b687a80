#include "auth/role_assignments.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/clock.h"
#include "core/encoding.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace coffer::auth {
namespace {

constexpr std::string_view kSub = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590";
constexpr std::string_view kOtherSub = "/subscriptions/7d2c9a10-55e4-4a8b-9f3e-6a1b2c3d4e5f";
constexpr std::string_view kAlice = "9b3e1c55-0d2a-4f8e-b6c7-13a9e4d2f801";
constexpr std::string_view kBob = "2f6c8e1a-4b3d-4c5e-8f7a-9b0c1d2e3f40";
constexpr std::string_view kSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
constexpr std::string_view kSecretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
constexpr std::string_view kOwner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
constexpr std::string_view kDataAccessAdmin = "8b54135c-b56d-4d72-a534-26097cfdc8d8";
constexpr std::string_view kGetSecret = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
constexpr std::string_view kRaWrite = "Microsoft.Authorization/roleAssignments/write";

std::string Rg(std::string_view rg = "rg1") {
  return std::string(kSub) + "/resourceGroups/" + std::string(rg);
}
std::string Vault(std::string_view v = "vault-one", std::string_view rg = "rg1") {
  return Rg(rg) + "/providers/Microsoft.KeyVault/vaults/" + std::string(v);
}
std::string Secret(std::string_view name, std::string_view v = "vault-one") {
  return Vault(v) + "/secrets/" + std::string(name);
}

// A GUID whose last block is `n`, so tests can make many distinct names.
std::string Guid(int n) {
  std::string tail = std::to_string(n);
  return "5d0f6a2e-7c1b-4e39-9a0d-" + std::string(12 - tail.size(), '0') + tail;
}

TEST(NormalizeScopeTest, AcceptsEveryLevelAndCanonicalizesKeywords) {
  EXPECT_EQ(*NormalizeScope(kSub), kSub);
  EXPECT_EQ(*NormalizeScope("//subscriptions/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/"), kSub);
  EXPECT_EQ(*NormalizeScope(std::string(kSub) + "/RESOURCEGROUPS/My.Rg_(1)"),
            std::string(kSub) + "/resourceGroups/My.Rg_(1)");
  EXPECT_EQ(*NormalizeScope(std::string(kSub) + "/resourcegroups/rg1/PROVIDERS/microsoft.keyvault/"
                                                "VAULTS/Vault-One/Secrets/Db-Password"),
            Vault("Vault-One") + "/secrets/Db-Password");
  EXPECT_EQ(*NormalizeScope(Vault() + "/keys/k1"), Vault() + "/keys/k1");
  EXPECT_EQ(*NormalizeScope(Vault() + "/certificates/c1"), Vault() + "/certificates/c1");
}

TEST(NormalizeScopeTest, RejectsBadShapesWithInvalidScope) {
  for (const std::string& bad :
       {std::string(""), std::string("/"), std::string("subscriptions/x"),
        std::string("///subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"),
        std::string("/subscriptions"), std::string("/subscriptions/not-a-guid"),
        std::string(kSub) + "//resourceGroups/rg1", std::string(kSub) + "/resourceGroups",
        std::string(kSub) + "/resourceGroups/rg.", std::string(kSub) + "/resourceGroups/r g",
        std::string(kSub) + "/providers/Microsoft.KeyVault/vaults/v1",
        Rg() + "/providers/Microsoft.Storage/storageAccounts/s1",
        Rg() + "/providers/Microsoft.KeyVault/vaults",
        Rg() + "/providers/Microsoft.KeyVault/vaults/a",
        Rg() + "/providers/Microsoft.KeyVault/vaults/bad--name", Vault() + "/secrets",
        Vault() + "/blobs/x", Vault() + "/secrets/bad_name", Secret("s") + "/versions",
        std::string(kSub) + "/" + std::string(3000, 'a')}) {
    auto got = NormalizeScope(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(got.status().reason(), "InvalidScope") << bad;
  }
}

TEST(ScopeCoversTest, WholeSegmentsCaseInsensitive) {
  EXPECT_TRUE(ScopeCovers(kSub, Secret("s")));
  EXPECT_TRUE(ScopeCovers(Rg(), Rg()));
  EXPECT_TRUE(ScopeCovers(Vault(), AsciiLower(Secret("s"))));
  EXPECT_TRUE(ScopeCovers("/" + std::string(kSub), Vault() + "/"));
  EXPECT_FALSE(ScopeCovers(Rg("rg1"), Rg("rg10")));
  EXPECT_FALSE(ScopeCovers(Secret("s"), Vault()));
  EXPECT_FALSE(ScopeCovers(Secret("s"), Secret("s2")));
  EXPECT_FALSE(ScopeCovers(kOtherSub, Vault()));
  EXPECT_FALSE(ScopeCovers("", Vault()));
}

class RoleAssignmentStoreTest : public ::testing::Test {
 protected:
  RoleAssignmentStoreTest()
      : barrier_(storage_, crypto::SystemRandom()), store_(barrier_, clock_) {}

  void SetUp() override {
    auto unseal = barrier_.Initialize();
    ASSERT_TRUE(unseal.ok()) << unseal.status().ToString();
    ASSERT_TRUE(store_.Load().ok());
  }

  StatusOr<std::pair<RoleAssignment, bool>> Assign(std::string name, std::string_view scope,
                                                   std::string_view principal,
                                                   std::string_view role) {
    RoleAssignment a;
    a.name = std::move(name);
    a.scope = std::string(scope);
    a.principal_id = std::string(principal);
    a.role_definition_id = std::string(role);
    a.created_by = std::string(kBob);
    return store_.Create(std::move(a));
  }

  void MustAssign(std::string name, std::string_view scope, std::string_view principal,
                  std::string_view role) {
    auto got = Assign(std::move(name), scope, principal, role);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->second);
  }

  bool CanGetSecret(std::string_view principal, std::string_view resource) {
    return store_.Check(principal, kGetSecret, true, resource);
  }

  store::MemoryStorage storage_;
  ManualClock clock_{1'750'000'000};
  barrier::Barrier barrier_;
  RoleAssignmentStore store_;
};

TEST_F(RoleAssignmentStoreTest, CreateThenGetReturnsNormalizedAssignment) {
  auto got = Assign("5D0F6A2E-7C1B-4E39-9A0D-2B8C4F1E6A70",
                    "//subscriptions/0B1F6471-1BF0-4DDA-AEC3-CB9272F09590/resourcegroups/rg1",
                    "9B3E1C55-0D2A-4F8E-B6C7-13A9E4D2F801", "4633458B-17DE-408A-B874-0445C86B69E6");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->second);
  const RoleAssignment& a = got->first;
  EXPECT_EQ(a.name, "5d0f6a2e-7c1b-4e39-9a0d-2b8c4f1e6a70");
  EXPECT_EQ(a.scope, Rg());
  EXPECT_EQ(a.principal_id, kAlice);
  EXPECT_EQ(a.role_definition_id, kSecretsUser);
  EXPECT_EQ(a.principal_type, "ServicePrincipal");
  EXPECT_EQ(a.created, 1'750'000'000);
  EXPECT_EQ(a.updated, 1'750'000'000);
  EXPECT_EQ(a.created_by, kBob);

  auto read = store_.Get(AsciiLower(Rg()) + "/", "5D0F6A2E-7C1B-4E39-9A0D-2B8C4F1E6A70");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->name, a.name);
  EXPECT_EQ(read->scope, a.scope);
  EXPECT_EQ(read->created_by, kBob);
  EXPECT_EQ(store_.Get(Vault(), a.name).status().reason(), "RoleAssignmentNotFound");
  EXPECT_EQ(store_.Get(Rg(), Guid(99)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_.Get(Rg(), "not-a-guid").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_.Get("/nope", a.name).status().reason(), "InvalidScope");
}

TEST_F(RoleAssignmentStoreTest, IdenticalRePutIsIdempotent) {
  MustAssign(Guid(1), Vault(), kAlice, kSecretsUser);
  uint64_t generation = store_.generation();
  clock_.Advance(60);
  auto again = Assign(AsciiLower(Guid(1)), AsciiLower(Vault()), kAlice, kSecretsUser);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->second);
  EXPECT_EQ(again->first.created, 1'750'000'000);  // the existing assignment, untouched
  EXPECT_EQ(store_.generation(), generation);
  EXPECT_EQ(store_.List(kSub, false, "").size(), 1u);
}

TEST_F(RoleAssignmentStoreTest, TheTwoConflictReasons) {
  MustAssign(Guid(1), Vault(), kAlice, kSecretsUser);
  auto dup = Assign(Guid(2), Vault(), kAlice, kSecretsUser);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().reason(), "RoleAssignmentExists");

  for (auto [scope, principal, role] :
       {std::tuple{Vault(), kAlice, kSecretsOfficer}, std::tuple{Vault(), kBob, kSecretsUser},
        std::tuple{Rg(), kAlice, kSecretsUser}}) {
    auto update = Assign(Guid(1), scope, principal, role);
    EXPECT_EQ(update.status().code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(update.status().reason(), "RoleAssignmentUpdateNotPermitted");
  }
  EXPECT_EQ(store_.List(kSub, false, "").size(), 1u);
}

TEST_F(RoleAssignmentStoreTest, CreateValidatesItsInput) {
  EXPECT_EQ(Assign(Guid(1), Vault(), kAlice, "00000000-0000-0000-0000-000000000000")
                .status().reason(),
            "RoleDefinitionDoesNotExist");
  EXPECT_EQ(Assign("assignment-1", Vault(), kAlice, kSecretsUser).status().reason(),
            "InvalidRoleAssignmentId");
  EXPECT_EQ(Assign(Guid(1), Vault(), "alice", kSecretsUser).status().reason(),
            "InvalidPrincipalId");
  EXPECT_EQ(Assign(Guid(1), "/subscriptions/x", kAlice, kSecretsUser).status().reason(),
            "InvalidScope");
  RoleAssignment a;
  a.name = Guid(1);
  a.scope = Vault();
  a.principal_id = kAlice;
  a.role_definition_id = kSecretsUser;
  a.principal_type = "robot";
  EXPECT_EQ(store_.Create(a).status().reason(), "InvalidPrincipalType");
  a.principal_type = "user";
  auto made = store_.Create(a);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->first.principal_type, "User");
}

TEST_F(RoleAssignmentStoreTest, DeleteRemovesAndNeedsTheRightScope) {
  MustAssign(Guid(1), Vault(), kAlice, kSecretsUser);
  EXPECT_EQ(store_.Delete(Rg(), Guid(1)).status().reason(), "RoleAssignmentNotFound");
  EXPECT_TRUE(CanGetSecret(kAlice, Secret("s")));
  auto deleted = store_.Delete(AsciiLower(Vault()), Guid(1));
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->role_definition_id, kSecretsUser);
  EXPECT_EQ(store_.Get(Vault(), Guid(1)).status().reason(), "RoleAssignmentNotFound");
  EXPECT_EQ(store_.Delete(Vault(), Guid(1)).status().reason(), "RoleAssignmentNotFound");
  EXPECT_FALSE(CanGetSecret(kAlice, Secret("s")));  // the cached "true" was dropped
  MustAssign(Guid(2), Vault(), kAlice, kSecretsUser);  // and the grant can be made again
}

TEST_F(RoleAssignmentStoreTest, ListAtAboveAndBelow) {
  MustAssign(Guid(1), kSub, kAlice, kOwner);
  MustAssign(Guid(2), Rg(), kBob, kSecretsUser);
  MustAssign(Guid(3), Vault(), kAlice, kSecretsUser);
  MustAssign(Guid(4), Secret("s"), kBob, kSecretsOfficer);
  MustAssign(Guid(5), Vault("vault-two"), kBob, kSecretsUser);
  MustAssign(Guid(6), kOtherSub, kAlice, kOwner);

  auto names = [](const std::vector<RoleAssignment>& v) {
    std::vector<std::string> out;
    for (const RoleAssignment& a : v) out.push_back(a.name);
    return out;
  };
  EXPECT_EQ(names(store_.List(Vault(), false, "")),
            (std::vector<std::string>{Guid(1), Guid(2), Guid(3), Guid(4)}));
  EXPECT_EQ(names(store_.List(AsciiLower(Vault()), true, "")),
            (std::vector<std::string>{Guid(1), Guid(2), Guid(3)}));
  EXPECT_EQ(names(store_.List(Vault(), false, AsciiLower(kBob))),
            (std::vector<std::string>{Guid(2), Guid(4)}));
  EXPECT_EQ(names(store_.List(kSub, false, "")).size(), 5u);
  EXPECT_EQ(names(store_.List(kSub, true, "")), (std::vector<std::string>{Guid(1)}));
}

TEST_F(RoleAssignmentStoreTest, CheckAtEveryScopeLevel) {
  MustAssign(Guid(1), kSub, kAlice, kSecretsUser);
  EXPECT_TRUE(CanGetSecret(kAlice, Secret("s", "any-vault")));
  EXPECT_TRUE(CanGetSecret(AsciiLower(kAlice), AsciiLower(Secret("s"))));
  EXPECT_FALSE(CanGetSecret(kAlice, std::string(kOtherSub) + "/resourceGroups/rg1"));

  MustAssign(Guid(2), Rg("rg2"), kBob, kSecretsUser);
  EXPECT_TRUE(CanGetSecret(kBob, Rg("rg2") + "/providers/Microsoft.KeyVault/vaults/v9/secrets/s"));
  EXPECT_FALSE(CanGetSecret(kBob, Secret("s")));

  const std::string carol = "3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d";
  MustAssign(Guid(3), Vault(), carol, kSecretsUser);
  EXPECT_TRUE(CanGetSecret(carol, Secret("s")));
  EXPECT_FALSE(CanGetSecret(carol, Secret("s", "vault-two")));
  EXPECT_FALSE(store_.Check(carol, "Microsoft.KeyVault/vaults/secrets/setSecret/action", true,
                            Secret("s")));
  EXPECT_FALSE(store_.Check(carol, "Microsoft.KeyVault/vaults/read", false, Vault()));

  const std::string dave = "4b5c6d7e-8f9a-4b1c-8d2e-3f4a5b6c7d8e";
  MustAssign(Guid(4), Secret("only-this"), dave, kSecretsUser);
  EXPECT_TRUE(CanGetSecret(dave, Secret("only-this")));
  EXPECT_TRUE(CanGetSecret(dave, Secret("ONLY-THIS")));
  EXPECT_FALSE(CanGetSecret(dave, Secret("only-this-too")));
  EXPECT_FALSE(CanGetSecret(dave, Secret("other")));
  EXPECT_FALSE(CanGetSecret(dave, Vault()));  // an object grant does not make the list visible

  EXPECT_FALSE(CanGetSecret("", Secret("s")));
  EXPECT_FALSE(CanGetSecret("5e6f7a8b-9c0d-4e2f-a3b4-c5d6e7f8a9b0", Secret("s")));
}

TEST_F(RoleAssignmentStoreTest, CheckFeedsTheTargetRoleToConditions) {
  MustAssign(Guid(1), Vault(), kAlice, kDataAccessAdmin);
  EXPECT_TRUE(store_.Check(kAlice, kRaWrite, false, Vault(), kSecretsUser));
  EXPECT_TRUE(store_.Check(kAlice, kRaWrite, false, Secret("s"), kSecretsOfficer));
  EXPECT_FALSE(store_.Check(kAlice, kRaWrite, false, Vault(), kOwner));
  EXPECT_FALSE(store_.Check(kAlice, kRaWrite, false, Vault(), ""));
  EXPECT_FALSE(store_.Check(kAlice, kRaWrite, false, Rg(), kSecretsUser));
}

TEST_F(RoleAssignmentStoreTest, HasAnyInLooksAtAndBelowTheSubscription) {
  MustAssign(Guid(1), Secret("s"), kAlice, kSecretsUser);
  EXPECT_TRUE(store_.HasAnyIn(kAlice, kSub.substr(15)));
  EXPECT_FALSE(store_.HasAnyIn(kAlice, kOtherSub.substr(15)));
  EXPECT_FALSE(store_.HasAnyIn(kBob, kSub.substr(15)));
  EXPECT_FALSE(store_.HasAnyIn(kAlice, ""));
}

TEST_F(RoleAssignmentStoreTest, DeleteAtOrBelowKeepsHigherScopes) {
  MustAssign(Guid(1), kSub, kAlice, kSecretsUser);
  MustAssign(Guid(2), Rg(), kBob, kSecretsUser);
  MustAssign(Guid(3), Vault(), kAlice, kSecretsOfficer);
  MustAssign(Guid(4), Secret("s"), kBob, kSecretsOfficer);
  MustAssign(Guid(5), Vault("vault-one-b"), kBob, kSecretsOfficer);
  EXPECT_TRUE(store_.Check(kBob, "Microsoft.KeyVault/vaults/secrets/delete", true, Secret("s")));

  auto removed = store_.DeleteAtOrBelow(AsciiLower(Vault()));
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2u);
  EXPECT_FALSE(store_.Check(kBob, "Microsoft.KeyVault/vaults/secrets/delete", true, Secret("s")));
  EXPECT_TRUE(CanGetSecret(kBob, Secret("s")));  // through the resource group
  std::vector<RoleAssignment> left = store_.List(kSub, false, "");
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(*store_.DeleteAtOrBelow(Vault()), 0u);
  EXPECT_EQ(store_.DeleteAtOrBelow("/bad").status().reason(), "InvalidScope");
}

TEST_F(RoleAssignmentStoreTest, DeleteForPrincipal) {
  MustAssign(Guid(1), kSub, kAlice, kSecretsUser);
  MustAssign(Guid(2), Vault(), kAlice, kSecretsOfficer);
  MustAssign(Guid(3), Vault(), kBob, kSecretsUser);
  EXPECT_EQ(*store_.DeleteForPrincipal(AsciiLower(kAlice)), 2u);
  EXPECT_FALSE(CanGetSecret(kAlice, Secret("s")));
  EXPECT_TRUE(CanGetSecret(kBob, Secret("s")));
  EXPECT_EQ(store_.List(kSub, false, "").size(), 1u);
}

TEST_F(RoleAssignmentStoreTest, SurvivesANewStoreInstance) {
  MustAssign(Guid(1), Vault(), kAlice, kSecretsUser);
  MustAssign(Guid(2), Secret("s"), kBob, kSecretsOfficer);
  ASSERT_TRUE(store_.Delete(Secret("s"), Guid(2)).ok());
  MustAssign(Guid(3), kSub, kBob, kOwner);

  RoleAssignmentStore reopened(barrier_, clock_);
  EXPECT_FALSE(reopened.Check(kAlice, kGetSecret, true, Secret("s")));  // not loaded yet
  ASSERT_TRUE(reopened.Load().ok());
  EXPECT_TRUE(reopened.Check(kAlice, kGetSecret, true, Secret("s")));
  EXPECT_TRUE(reopened.Check(kBob, "Microsoft.KeyVault/vaults/write", false, Vault()));
  std::vector<RoleAssignment> all = reopened.List(kSub, false, "");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, Guid(3));
  EXPECT_EQ(all[0].created_by, kBob);
  EXPECT_EQ(all[1].scope, Vault());
  // The new instance's writes see the old one's records: the 409s come from storage.
  RoleAssignment dup;
  dup.name = Guid(9);
  dup.scope = Vault();
  dup.principal_id = kAlice;
  dup.role_definition_id = kSecretsUser;
  EXPECT_EQ(reopened.Create(dup).status().reason(), "RoleAssignmentExists");
}

TEST_F(RoleAssignmentStoreTest, StorageHoldsNoNameOrScopeInTheClear) {
  const std::string name = Guid(1);
  MustAssign(name, Secret("db-password"), kAlice, kSecretsUser);
  std::vector<store::Entry> entries;
  ASSERT_TRUE(storage_.View([&](store::Transaction& t) -> Status {
    ASSIGN_OR_RETURN(entries, t.Scan("authz/ra/", "", 0));
    return OkStatus();
  }).ok());
  ASSERT_EQ(entries.size(), 1u);
  for (std::string_view needle : {std::string_view("db-password"), std::string_view("vault-one"),
                                  std::string_view(name), kAlice}) {
    EXPECT_EQ(entries[0].key.find(needle), std::string::npos) << needle;
    EXPECT_EQ(entries[0].value.find(needle), std::string::npos) << needle;
  }
}

TEST_F(RoleAssignmentStoreTest, CorruptRecordFailsLoadAndKeepsTheIndex) {
  MustAssign(Guid(1), Vault(), kAlice, kSecretsUser);
  ASSERT_TRUE(barrier_.Update([](barrier::Txn& t) {
    return t.Put("authz/ra/00", SecretBytes(std::string_view("\x40\x01garbage")));
  }).ok());
  Status s = store_.Load();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(CanGetSecret(kAlice, Secret("s")));
}

TEST_F(RoleAssignmentStoreTest, EveryChangeBumpsTheGenerationAndBoundsTheCache) {
  uint64_t g0 = store_.generation();
  MustAssign(Guid(1), kSub, kAlice, kSecretsUser);
  EXPECT_GT(store_.generation(), g0);
  // Far more distinct decisions than the cache holds: answers stay right.
  for (int i = 0; i < 70'000; ++i) {
    std::string name = "s";
    name += std::to_string(i);  // not "s" + …: GCC 12's -Wrestrict false positive (PR 105329)
    ASSERT_TRUE(CanGetSecret(kAlice, Secret(name))) << i;
  }
  uint64_t g1 = store_.generation();
  ASSERT_TRUE(store_.Delete(kSub, Guid(1)).ok());
  EXPECT_GT(store_.generation(), g1);
  EXPECT_FALSE(CanGetSecret(kAlice, Secret("s69999")));
}

TEST_F(RoleAssignmentStoreTest, ConcurrentChecksSeeEveryCommittedChange) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        (void)CanGetSecret(kAlice, Secret("s"));
        (void)store_.List(kSub, false, kAlice);
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    MustAssign(Guid(i), Vault(), kAlice, kSecretsUser);
    EXPECT_TRUE(CanGetSecret(kAlice, Secret("s"))) << i;
    ASSERT_TRUE(store_.Delete(Vault(), Guid(i)).ok());
    EXPECT_FALSE(CanGetSecret(kAlice, Secret("s"))) << i;
  }
  stop = true;
  for (std::thread& t : readers) t.join();
}

}  // namespace
}  // namespace coffer::auth
