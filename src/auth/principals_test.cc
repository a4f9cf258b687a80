#include "auth/principals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/record_codec.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace coffer::auth {
namespace {

constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kAdminObject = "9b3e1c55-0d2a-4f8e-b6c7-13a9e4d2f801";
constexpr std::string_view kAdminClient = "5d0f6a2e-7c1b-4e39-9a0d-2b8c4f1e6a70";
constexpr std::string_view kAdminSecret = "Zq8~adminSecretValue.3f9aA71bQxY";
constexpr UnixSeconds kStart = 1'700'000'000;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsLowerGuid(std::string_view s) { return IsGuid(s) && AsciiLower(s) == s; }

class PrincipalRegistryTest : public ::testing::Test {
 protected:
  PrincipalRegistryTest()
      : barrier_(storage_, crypto::SystemRandom()),
        clock_(kStart),
        principals_(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant)) {}

  void SetUp() override {
    auto unseal = barrier_.Initialize();
    ASSERT_TRUE(unseal.ok()) << unseal.status().ToString();
    unseal_key_ = std::move(*unseal);
    ASSERT_TRUE(principals_.Load().ok());
    auto admin = principals_.EnsureTenantAdministrator(kAdminObject, kAdminClient, kTenant,
                                                       "coffer-dev", SecretBytes(kAdminSecret));
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    ASSERT_TRUE(*admin);
    clock_.Advance(10);
  }

  NewPrincipal MustCreate(std::string_view name) {
    auto created = principals_.Create(name);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? std::move(*created) : NewPrincipal{};
  }

  // Every key and value the storage engine holds, as the engine sees them.
  std::vector<store::Entry> RawEntries() {
    std::vector<store::Entry> out;
    Status s = storage_.View([&](store::Transaction& t) -> Status {
      ASSIGN_OR_RETURN(out, t.Scan("", "", 0));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Decrypted records under `prefix`, as the barrier hands them to the registry.
  std::vector<std::pair<std::string, SecretBytes>> Records(std::string_view prefix) {
    std::vector<std::pair<std::string, SecretBytes>> out;
    Status s = barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(out, t.Scan(prefix, "", 0));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  void ExpectInvalidClient(const StatusOr<AuthenticatedClient>& got, const std::string& what) {
    ASSERT_FALSE(got.ok()) << what;
    EXPECT_EQ(got.status().code(), StatusCode::kUnauthenticated) << what;
    EXPECT_EQ(got.status().reason(), "invalid_client") << what;
    if (invalid_client_message_.empty()) invalid_client_message_ = got.status().message();
    EXPECT_EQ(got.status().message(), invalid_client_message_) << what;
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  PrincipalRegistry principals_;
  SecretBytes unseal_key_;
  std::string invalid_client_message_;
};

// ---- Create ----

TEST_F(PrincipalRegistryTest, CreateReturnsAPrincipalWithOneSecretShownOnce) {
  NewPrincipal created = MustCreate("build-agent");
  const ServicePrincipal& p = created.principal;
  EXPECT_TRUE(IsLowerGuid(p.object_id)) << p.object_id;
  EXPECT_TRUE(IsLowerGuid(p.client_id)) << p.client_id;
  EXPECT_NE(p.object_id, p.client_id);
  EXPECT_EQ(p.tenant_id, kTenant);
  EXPECT_EQ(p.display_name, "build-agent");
  EXPECT_FALSE(p.tenant_admin);
  EXPECT_EQ(p.created, kStart + 10);
  ASSERT_EQ(p.secrets.size(), 1u);
  EXPECT_EQ(p.secrets[0].key_id, created.key_id);
  EXPECT_EQ(p.secrets[0].created, kStart + 10);
  EXPECT_TRUE(IsLowerGuid(created.key_id));
  // 256 random bits, base64url.
  ASSERT_EQ(created.client_secret.size(), 43u);
  auto raw = DecodeBase64Url(created.client_secret.view());
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 32u);
  EXPECT_EQ(created.client_secret.view().find_first_of("+/="), std::string_view::npos);
}

TEST_F(PrincipalRegistryTest, CreateMakesDistinctIdsAndSecrets) {
  NewPrincipal a = MustCreate("a");
  NewPrincipal b = MustCreate("a");  // display names need not be unique, as in Entra ID
  EXPECT_NE(a.principal.object_id, b.principal.object_id);
  EXPECT_NE(a.principal.client_id, b.principal.client_id);
  EXPECT_NE(a.key_id, b.key_id);
  EXPECT_NE(a.client_secret.view(), b.client_secret.view());
}

TEST_F(PrincipalRegistryTest, CreateRejectsDisplayNamesOutsideOneTo256Characters) {
  std::string e_acute = "\xc3\xa9";
  std::string max_multibyte;
  for (int i = 0; i < 256; ++i) max_multibyte += e_acute;
  for (const std::string& good : {std::string(256, 'n'), max_multibyte, std::string("x"),
                                  std::string("build agent #1 (CI)")}) {
    EXPECT_TRUE(principals_.Create(good).ok()) << good;
  }
  size_t before = principals_.List()->size();
  for (const std::string& bad :
       {std::string(), std::string("   "), std::string(257, 'n'), max_multibyte + e_acute,
        std::string("tab\there"), std::string("line\nbreak"), std::string("nul\0x", 5),
        std::string("del\x7f"), std::string("bad \xff utf8"), std::string("\xc3"),
        std::string("overlong \xc0\xaf"), std::string("surrogate \xed\xa0\x80")}) {
    auto got = principals_.Create(bad);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(got.status().message().find("displayName"), std::string::npos);
  }
  EXPECT_EQ(principals_.List()->size(), before);
}

TEST_F(PrincipalRegistryTest, CreateWithoutATenantIsFailedPrecondition) {
  PrincipalRegistry no_tenant(barrier_, clock_, crypto::SystemRandom(), "");
  EXPECT_EQ(no_tenant.Create("x").status().code(), StatusCode::kFailedPrecondition);
}

// ---- Authenticate ----

TEST_F(PrincipalRegistryTest, EverySecretAuthenticatesAndNamesItsKeyId) {
  NewPrincipal created = MustCreate("two-secrets");
  auto second = principals_.AddSecret(created.principal.object_id);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto first_auth =
      principals_.Authenticate(kTenant, created.principal.client_id, created.client_secret.view());
  ASSERT_TRUE(first_auth.ok()) << first_auth.status().ToString();
  EXPECT_EQ(first_auth->key_id, created.key_id);
  EXPECT_EQ(first_auth->principal.object_id, created.principal.object_id);
  EXPECT_EQ(first_auth->principal.client_id, created.principal.client_id);
  EXPECT_EQ(first_auth->principal.secrets.size(), 2u);
  auto second_auth =
      principals_.Authenticate(kTenant, created.principal.client_id, second->client_secret.view());
  ASSERT_TRUE(second_auth.ok());
  EXPECT_EQ(second_auth->key_id, second->key_id);
}

TEST_F(PrincipalRegistryTest, ClientIdAndTenantAreCaseInsensitive) {
  auto got = principals_.Authenticate(Upper(std::string(kTenant)), Upper(std::string(kAdminClient)),
                                      kAdminSecret);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->principal.object_id, kAdminObject);
  EXPECT_TRUE(got->principal.tenant_admin);
}

TEST_F(PrincipalRegistryTest, EveryAuthenticationFailureIsTheSameInvalidClient) {
  NewPrincipal created = MustCreate("victim");
  std::string client = created.principal.client_id;
  std::string secret(created.client_secret.view());
  ExpectInvalidClient(principals_.Authenticate(kTenant, client, "wrong"), "wrong secret");
  ExpectInvalidClient(principals_.Authenticate(kTenant, client, ""), "empty secret");
  ExpectInvalidClient(principals_.Authenticate(kTenant, client, secret + "x"), "longer");
  ExpectInvalidClient(principals_.Authenticate(kTenant, client, secret.substr(1)), "shorter");
  ExpectInvalidClient(principals_.Authenticate(kTenant, client, kAdminSecret),
                      "another principal's secret");
  ExpectInvalidClient(principals_.Authenticate(kTenant, kAdminClient, secret),
                      "this secret for another client");
  ExpectInvalidClient(
      principals_.Authenticate(kTenant, "00000000-0000-4000-8000-000000000000", secret),
      "unknown client");
  ExpectInvalidClient(principals_.Authenticate(kTenant, "", secret), "empty client");
  ExpectInvalidClient(principals_.Authenticate(kTenant, std::string(65, 'a'), secret), "long");
  ExpectInvalidClient(
      principals_.Authenticate("00000000-1111-2222-3333-444444444444", client, secret),
      "another tenant");
  ExpectInvalidClient(principals_.Authenticate("common", client, secret), "common tenant");
  ASSERT_TRUE(principals_.RevokeSecret(created.principal.object_id, created.key_id).ok());
  ExpectInvalidClient(principals_.Authenticate(kTenant, client, secret), "revoked secret");
  auto fresh = principals_.AddSecret(created.principal.object_id);
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE(principals_.Delete(created.principal.object_id).ok());
  ExpectInvalidClient(principals_.Authenticate(kTenant, client, fresh->client_secret.view()),
                      "deleted principal");
  EXPECT_EQ(invalid_client_message_.find(secret), std::string::npos);
}

// ---- Get, List ----

TEST_F(PrincipalRegistryTest, GetFindsAPrincipalByObjectIdInAnyCase) {
  NewPrincipal created = MustCreate("reader");
  for (const std::string& id : {created.principal.object_id, Upper(created.principal.object_id)}) {
    auto got = principals_.Get(id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->object_id, created.principal.object_id);
    EXPECT_EQ(got->client_id, created.principal.client_id);
    EXPECT_EQ(got->display_name, "reader");
    ASSERT_EQ(got->secrets.size(), 1u);
    EXPECT_EQ(got->secrets[0].key_id, created.key_id);
  }
}

TEST_F(PrincipalRegistryTest, GetOfAnUnknownPrincipalIsPrincipalNotFound) {
  for (std::string_view id :
       {std::string_view("00000000-0000-4000-8000-000000000000"), std::string_view(""),
        std::string_view("not-a-guid"), std::string_view(kAdminClient)}) {
    auto got = principals_.Get(id);
    EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << id;
    EXPECT_EQ(got.status().reason(), "PrincipalNotFound");
    EXPECT_EQ(got.status().message(),
              "The principal '" + std::string(id) + "' could not be found.");
  }
}

TEST_F(PrincipalRegistryTest, ListHasEveryPrincipalOldestFirst) {
  NewPrincipal a = MustCreate("first");
  clock_.Advance(5);
  NewPrincipal b = MustCreate("second");
  auto list = principals_.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].object_id, kAdminObject);
  EXPECT_TRUE((*list)[0].tenant_admin);
  EXPECT_EQ((*list)[1].object_id, a.principal.object_id);
  EXPECT_EQ((*list)[2].object_id, b.principal.object_id);
  EXPECT_EQ((*list)[2].created, kStart + 15);
  EXPECT_FALSE((*list)[2].tenant_admin);
}

// ---- Delete ----

TEST_F(PrincipalRegistryTest, DeleteRemovesThePrincipalItsSecretsAndItsClientIndex) {
  size_t client_records = Records("client/").size();
  NewPrincipal created = MustCreate("doomed");
  EXPECT_EQ(Records("client/").size(), client_records + 1);
  ASSERT_TRUE(principals_.IsActive(created.principal.object_id, created.key_id));
  ASSERT_TRUE(principals_.Delete(Upper(created.principal.object_id)).ok());
  EXPECT_EQ(principals_.Get(created.principal.object_id).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(principals_.IsActive(created.principal.object_id, created.key_id));
  EXPECT_EQ(Records("client/").size(), client_records);
  EXPECT_EQ(principals_.List()->size(), 1u);
  auto again = principals_.Delete(created.principal.object_id);
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_EQ(again.reason(), "PrincipalNotFound");
}

TEST_F(PrincipalRegistryTest, TheTenantAdministratorCannotBeDeleted) {
  Status s = principals_.Delete(kAdminObject);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("tenant administrator"), std::string::npos) << s.message();
  EXPECT_EQ(s.reason(), "TenantAdministratorCannotBeDeleted");
  EXPECT_TRUE(principals_.Get(kAdminObject).ok());
  EXPECT_TRUE(principals_.IsTenantAdmin(kAdminObject));
  EXPECT_TRUE(principals_.Authenticate(kTenant, kAdminClient, kAdminSecret).ok());
}

// ---- Secrets ----

TEST_F(PrincipalRegistryTest, AddSecretToAnUnknownPrincipalIsPrincipalNotFound) {
  auto got = principals_.AddSecret("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(got.status().reason(), "PrincipalNotFound");
}

TEST_F(PrincipalRegistryTest, AddSecretStopsAtTheCap) {
  NewPrincipal created = MustCreate("rotator");
  for (size_t i = 1; i < kMaxClientSecretsPerPrincipal; ++i) {
    ASSERT_TRUE(principals_.AddSecret(created.principal.object_id).ok()) << i;
  }
  auto over = principals_.AddSecret(created.principal.object_id);
  EXPECT_EQ(over.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(over.status().reason(), "TooManyClientSecrets");
  EXPECT_EQ(principals_.Get(created.principal.object_id)->secrets.size(),
            kMaxClientSecretsPerPrincipal);
  ASSERT_TRUE(principals_.RevokeSecret(created.principal.object_id, created.key_id).ok());
  EXPECT_TRUE(principals_.AddSecret(created.principal.object_id).ok());
}

TEST_F(PrincipalRegistryTest, RevokeSecretRevokesOnlyThatSecret) {
  NewPrincipal created = MustCreate("two");
  auto second = principals_.AddSecret(created.principal.object_id);
  ASSERT_TRUE(second.ok());
  const std::string& oid = created.principal.object_id;
  ASSERT_TRUE(principals_.RevokeSecret(oid, Upper(created.key_id)).ok());
  EXPECT_FALSE(principals_.IsActive(oid, created.key_id));
  EXPECT_TRUE(principals_.IsActive(oid, second->key_id));
  auto got = principals_.Get(oid);
  ASSERT_EQ(got->secrets.size(), 1u);
  EXPECT_EQ(got->secrets[0].key_id, second->key_id);
  EXPECT_TRUE(
      principals_.Authenticate(kTenant, created.principal.client_id, second->client_secret.view())
          .ok());
  Status again = principals_.RevokeSecret(oid, created.key_id);
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_EQ(again.reason(), "ClientSecretNotFound");
}

TEST_F(PrincipalRegistryTest, RevokingTheLastSecretIsAllowed) {
  NewPrincipal created = MustCreate("last");
  const std::string& oid = created.principal.object_id;
  ASSERT_TRUE(principals_.RevokeSecret(oid, created.key_id).ok());
  EXPECT_TRUE(principals_.Get(oid)->secrets.empty());
  EXPECT_FALSE(principals_.IsActive(oid, created.key_id));
  auto added = principals_.AddSecret(oid);
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE(principals_.IsActive(oid, added->key_id));
}

TEST_F(PrincipalRegistryTest, RevokeSecretErrorsAreNotFound) {
  NewPrincipal created = MustCreate("x");
  Status no_principal =
      principals_.RevokeSecret("00000000-0000-4000-8000-000000000000", created.key_id);
  EXPECT_EQ(no_principal.code(), StatusCode::kNotFound);
  EXPECT_EQ(no_principal.reason(), "PrincipalNotFound");
  Status no_key =
      principals_.RevokeSecret(created.principal.object_id, "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(no_key.code(), StatusCode::kNotFound);
  EXPECT_EQ(no_key.reason(), "ClientSecretNotFound");
  EXPECT_TRUE(principals_.IsActive(created.principal.object_id, created.key_id));
}

// ---- The in-memory index ----

TEST_F(PrincipalRegistryTest, IsActiveAndIsTenantAdminAnswerFromMemory) {
  NewPrincipal created = MustCreate("memory");
  auto admin = principals_.Authenticate(kTenant, kAdminClient, kAdminSecret);
  ASSERT_TRUE(admin.ok());
  barrier_.Seal();  // storage is now unreadable: the answers below come from memory
  EXPECT_TRUE(principals_.IsActive(created.principal.object_id, created.key_id));
  EXPECT_TRUE(principals_.IsActive(kAdminObject, admin->key_id));
  EXPECT_FALSE(principals_.IsActive(created.principal.object_id, admin->key_id));
  EXPECT_FALSE(principals_.IsActive("00000000-0000-4000-8000-000000000000", created.key_id));
  EXPECT_TRUE(principals_.IsTenantAdmin(kAdminObject));
  EXPECT_FALSE(principals_.IsTenantAdmin(created.principal.object_id));
  EXPECT_EQ(principals_.Create("sealed").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(principals_.Authenticate(kTenant, kAdminClient, kAdminSecret).status().code(),
            StatusCode::kUnavailable);
  principals_.Unload();
  EXPECT_FALSE(principals_.IsActive(kAdminObject, admin->key_id));
  EXPECT_FALSE(principals_.IsTenantAdmin(kAdminObject));
}

TEST_F(PrincipalRegistryTest, AnIndexIsEmptyUntilLoad) {
  PrincipalRegistry fresh(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  EXPECT_FALSE(fresh.IsTenantAdmin(kAdminObject));
  ASSERT_TRUE(fresh.Load().ok());
  EXPECT_TRUE(fresh.IsTenantAdmin(kAdminObject));
}

TEST_F(PrincipalRegistryTest, AFailedCommitChangesNothingInMemory) {
  NewPrincipal created = MustCreate("steady");
  const std::string& oid = created.principal.object_id;
  storage_.FailNextCommits(1);
  EXPECT_EQ(principals_.RevokeSecret(oid, created.key_id).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(principals_.IsActive(oid, created.key_id));
  storage_.FailNextCommits(1);
  EXPECT_FALSE(principals_.Delete(oid).ok());
  EXPECT_TRUE(principals_.IsActive(oid, created.key_id));
  storage_.FailNextCommits(1);
  auto added = principals_.AddSecret(oid);
  EXPECT_FALSE(added.ok());
  EXPECT_EQ(principals_.Get(oid)->secrets.size(), 1u);
  storage_.FailNextCommits(1);
  EXPECT_FALSE(principals_.Create("never").ok());
  EXPECT_EQ(principals_.List()->size(), 2u);
}

TEST_F(PrincipalRegistryTest, EverythingSurvivesANewRegistryAndLoad) {
  NewPrincipal created = MustCreate("durable");
  const std::string& oid = created.principal.object_id;
  auto second = principals_.AddSecret(oid);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(principals_.RevokeSecret(oid, created.key_id).ok());
  NewPrincipal gone = MustCreate("gone");
  ASSERT_TRUE(principals_.Delete(gone.principal.object_id).ok());

  PrincipalRegistry reloaded(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_TRUE(reloaded.IsActive(oid, second->key_id));
  EXPECT_FALSE(reloaded.IsActive(oid, created.key_id));
  EXPECT_FALSE(reloaded.IsActive(gone.principal.object_id, gone.key_id));
  EXPECT_TRUE(reloaded.IsTenantAdmin(kAdminObject));
  EXPECT_FALSE(reloaded.IsTenantAdmin(oid));
  auto got = reloaded.Get(oid);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->display_name, "durable");
  EXPECT_EQ(got->created, created.principal.created);
  auto auth =
      reloaded.Authenticate(kTenant, created.principal.client_id, second->client_secret.view());
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->key_id, second->key_id);
  EXPECT_EQ(reloaded.List()->size(), 2u);

  // And across a seal and unseal of the barrier.
  barrier_.Seal();
  ASSERT_TRUE(barrier_.Unseal(unseal_key_).ok());
  PrincipalRegistry after_unseal(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  ASSERT_TRUE(after_unseal.Load().ok());
  EXPECT_TRUE(after_unseal.IsActive(oid, second->key_id));
}

// ---- What is stored ----

TEST_F(PrincipalRegistryTest, StorageHoldsNoSecretIdOrNameInAnyPlainForm) {
  NewPrincipal created = MustCreate("display-name-that-must-not-leak");
  std::string secret(created.client_secret.view());
  std::vector<std::string> needles = {secret,
                                      EncodeHex(secret),
                                      EncodeBase64(secret),
                                      std::string(kAdminSecret),
                                      created.principal.client_id,
                                      Upper(created.principal.client_id),
                                      created.principal.object_id,
                                      created.key_id,
                                      std::string(kAdminObject),
                                      "display-name-that-must-not-leak"};
  std::vector<store::Entry> entries = RawEntries();
  ASSERT_FALSE(entries.empty());
  for (const store::Entry& e : entries) {
    for (const std::string& needle : needles) {
      EXPECT_EQ(e.key.find(needle), std::string::npos) << "key " << e.key << " holds " << needle;
      EXPECT_EQ(e.value.find(needle), std::string::npos) << "value under " << e.key;
    }
  }
}

TEST_F(PrincipalRegistryTest, TheDecryptedRecordHoldsTheSecretsHmacNeverTheSecret) {
  NewPrincipal created = MustCreate("hmac-only");
  std::string secret(created.client_secret.view());
  auto expected_mac = barrier_.IndexMac("client-secret", secret);
  ASSERT_TRUE(expected_mac.ok());
  bool seen = false;
  for (const auto& [key, plain] : Records("principal/")) {
    // Decode per docs/formats/records.md, "Principal".
    RecordReader r(plain.view());
    uint8_t type = 0, format = 0;
    std::string object_id, client_id, tenant, name;
    bool admin = false;
    int64_t created_at = 0;
    uint32_t n = 0;
    ASSERT_TRUE(r.U8(&type).ok() && r.U8(&format).ok());
    EXPECT_EQ(type, 0x21);
    EXPECT_EQ(format, 1);
    ASSERT_TRUE(r.String(&object_id).ok() && r.String(&client_id).ok() && r.String(&tenant).ok() &&
                r.String(&name).ok() && r.Bool(&admin).ok() && r.I64(&created_at).ok() &&
                r.U32(&n).ok());
    EXPECT_EQ(plain.view().find(secret), std::string_view::npos);
    EXPECT_EQ(plain.view().find(crypto::Sha256(secret)), std::string_view::npos);
    if (object_id != created.principal.object_id) continue;
    seen = true;
    EXPECT_EQ(client_id, created.principal.client_id);
    EXPECT_EQ(tenant, kTenant);
    EXPECT_EQ(name, "hmac-only");
    EXPECT_FALSE(admin);
    ASSERT_EQ(n, 1u);
    std::string key_id, mac;
    int64_t secret_created = 0;
    ASSERT_TRUE(r.String(&key_id).ok() && r.String(&mac).ok() && r.I64(&secret_created).ok());
    EXPECT_TRUE(r.ExpectEnd().ok());
    EXPECT_EQ(key_id, created.key_id);
    EXPECT_EQ(mac, *expected_mac);
    EXPECT_EQ(mac.size(), 32u);
  }
  EXPECT_TRUE(seen);
}

TEST_F(PrincipalRegistryTest, ADamagedRecordIsDataLoss) {
  ASSERT_TRUE(barrier_
                  .Update([](barrier::Txn& t) {
                    return t.Put("principal/00", SecretBytes(std::string_view("\x21\x01garbage")));
                  })
                  .ok());
  PrincipalRegistry reloaded(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  EXPECT_EQ(reloaded.Load().code(), StatusCode::kDataLoss);
}

// ---- Bootstrap and migration ----

TEST_F(PrincipalRegistryTest, EnsureTenantAdministratorIsIdempotent) {
  auto again = principals_.EnsureTenantAdministrator(kAdminObject, kAdminClient, kTenant,
                                                     "coffer-dev", SecretBytes("other-secret"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_TRUE(principals_.Authenticate(kTenant, kAdminClient, kAdminSecret).ok());
  EXPECT_FALSE(principals_.Authenticate(kTenant, kAdminClient, "other-secret").ok());
  EXPECT_EQ(principals_.List()->size(), 1u);
}

TEST_F(PrincipalRegistryTest, EnsureTenantAdministratorValidatesItsInput) {
  const std::string oid = "11111111-2222-4333-8444-555555555555";
  EXPECT_EQ(principals_.EnsureTenantAdministrator("x", kAdminClient, kTenant, "a", SecretBytes("s"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(principals_
                .EnsureTenantAdministrator(oid, "66666666-7777-4888-9999-000000000000", kTenant,
                                           "a", SecretBytes())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(principals_.Get(oid).status().code(), StatusCode::kNotFound);
}

// A data dir of a build before principals: one client record (type 0x20) at client/<mac>.
TEST_F(PrincipalRegistryTest, LoadMigratesALegacyClientRecord) {
  store::MemoryStorage storage;
  barrier::Barrier barrier(storage, crypto::SystemRandom());
  ASSERT_TRUE(barrier.Initialize().ok());
  const std::string legacy_client = "0a1b2c3d-0000-4000-8000-000000000001";
  const std::string legacy_object = "0a1b2c3d-0000-4000-8000-0000000000aa";
  const std::string legacy_secret = "legacy-dev-secret-value";
  auto client_mac = barrier.IndexMac("client", legacy_client);
  auto secret_mac = barrier.IndexMac("client-secret", legacy_secret);
  ASSERT_TRUE(client_mac.ok() && secret_mac.ok());
  const std::string client_key = "client/" + EncodeHex(*client_mac);
  RecordWriter w;
  w.U8(0x20);
  w.U8(1);
  w.Bytes(legacy_client);
  w.Bytes(legacy_object);
  w.Bytes(kTenant);
  w.Bytes("coffer-dev");
  w.Bytes(*secret_mac);
  SecretBytes legacy = w.Finish();
  ASSERT_TRUE(barrier.Update([&](barrier::Txn& t) { return t.Put(client_key, legacy); }).ok());

  PrincipalRegistry registry(barrier, clock_, crypto::SystemRandom(), std::string(kTenant));
  ASSERT_TRUE(registry.Load().ok());
  auto list = registry.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  const ServicePrincipal& p = (*list)[0];
  EXPECT_EQ(p.object_id, legacy_object);
  EXPECT_EQ(p.client_id, legacy_client);
  EXPECT_EQ(p.tenant_id, kTenant);
  EXPECT_EQ(p.display_name, "coffer-dev");
  EXPECT_TRUE(p.tenant_admin);
  ASSERT_EQ(p.secrets.size(), 1u);
  // The old secret keeps working, now under a key id.
  auto auth = registry.Authenticate(kTenant, legacy_client, legacy_secret);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->key_id, p.secrets[0].key_id);
  EXPECT_TRUE(registry.IsActive(legacy_object, auth->key_id));
  EXPECT_TRUE(registry.IsTenantAdmin(legacy_object));
  EXPECT_EQ(registry.Delete(legacy_object).code(), StatusCode::kFailedPrecondition);
  // The client record is now the client-id index of the new layout.
  std::optional<SecretBytes> index;
  ASSERT_TRUE(barrier
                  .View([&](barrier::Txn& t) -> Status {
                    ASSIGN_OR_RETURN(index, t.Get(client_key));
                    return OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(static_cast<uint8_t>(index->view()[0]), 0x22);
  // Loading again neither duplicates nor re-keys it.
  PrincipalRegistry again(barrier, clock_, crypto::SystemRandom(), std::string(kTenant));
  ASSERT_TRUE(again.Load().ok());
  ASSERT_EQ(again.List()->size(), 1u);
  EXPECT_TRUE(again.IsActive(legacy_object, auth->key_id));
}

// ---- Helpers ----

TEST(ClientSecretTest, GeneratedSecretsAre256RandomBitsInBase64Url) {
  SecretBytes a = GenerateClientSecret(crypto::SystemRandom());
  SecretBytes b = GenerateClientSecret(crypto::SystemRandom());
  EXPECT_NE(a.view(), b.view());
  auto raw = DecodeBase64Url(a.view());
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 32u);
  EXPECT_EQ(EncodeBase64Url(*raw), a.view());
}

TEST(GuidTest, NewGuidIsALowerCaseVersion4Guid) {
  std::string g = NewGuid(crypto::SystemRandom());
  EXPECT_TRUE(IsLowerGuid(g)) << g;
  EXPECT_EQ(g[14], '4');
  EXPECT_NE(std::string("89ab").find(g[19]), std::string::npos);
  EXPECT_FALSE(IsGuid("0a1b2c3d-0000-4000-8000-00000000000"));
  EXPECT_FALSE(IsGuid("0a1b2c3d-0000-4000-8000-00000000000g"));
  EXPECT_FALSE(IsGuid("0a1b2c3d00000-4000-8000-000000000000"));
}

}  // namespace
}  // namespace coffer::auth
