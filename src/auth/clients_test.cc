#include "auth/clients.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace coffer::auth {
namespace {

constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kSecret = "Zq8~clientSecretValue.3f9aA71bQ";

class ClientRegistryTest : public ::testing::Test {
 protected:
  ClientRegistryTest() : barrier_(storage_, crypto::SystemRandom()), clients_(barrier_) {}

  void SetUp() override {
    auto unseal = barrier_.Initialize();
    ASSERT_TRUE(unseal.ok()) << unseal.status().ToString();
    client_.client_id = "5d0f6a2e-7c1b-4e39-9a0d-2b8c4f1e6a70";
    client_.object_id = "9b3e1c55-0d2a-4f8e-b6c7-13a9e4d2f801";
    client_.tenant_id = std::string(kTenant);
    client_.display_name = "coffer-dev";
    ASSERT_TRUE(clients_.Put(client_, SecretBytes(kSecret)).ok());
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

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ClientRegistry clients_;
  Client client_;
};

TEST_F(ClientRegistryTest, AuthenticatesWithTheRightSecret) {
  auto got = clients_.Authenticate(kTenant, client_.client_id, kSecret);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->client_id, client_.client_id);
  EXPECT_EQ(got->object_id, client_.object_id);
  EXPECT_EQ(got->tenant_id, kTenant);
  EXPECT_EQ(got->display_name, client_.display_name);
}

TEST_F(ClientRegistryTest, ClientIdAndTenantAreCaseInsensitiveGuids) {
  EXPECT_TRUE(
      clients_.Authenticate(AsciiLower(kTenant), "5D0F6A2E-7C1B-4E39-9A0D-2B8C4F1E6A70", kSecret)
          .ok());
  std::string upper_tenant(kTenant);
  for (char& c : upper_tenant) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(clients_.Authenticate(upper_tenant, client_.client_id, kSecret).ok());
}

TEST_F(ClientRegistryTest, RejectsWrongSecret) {
  std::string secret(kSecret);
  const std::vector<std::string> wrong_secrets = {"", secret.substr(0, secret.size() - 1),
                                                  secret + "x", "Zq8~CLIENTSECRETVALUE.3F9AA71BQ",
                                                  std::string(secret.size(), 'a')};
  for (const std::string& wrong : wrong_secrets) {
    auto got = clients_.Authenticate(kTenant, client_.client_id, wrong);
    EXPECT_EQ(got.status().code(), StatusCode::kUnauthenticated) << "secret: " << wrong;
    EXPECT_EQ(got.status().reason(), "invalid_client");
  }
}

TEST_F(ClientRegistryTest, RejectsUnknownClient) {
  for (std::string_view id : {"00000000-0000-4000-8000-000000000000", "", "x",
                              "a-client-id-that-is-much-longer-than-any-guid-could-ever-be-x"}) {
    auto got = clients_.Authenticate(kTenant, id, kSecret);
    EXPECT_EQ(got.status().code(), StatusCode::kUnauthenticated) << "client: " << id;
  }
  EXPECT_EQ(clients_.Authenticate(kTenant, std::string(65, 'a'), kSecret).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(ClientRegistryTest, RejectsOtherTenant) {
  for (std::string_view tenant : {"00000000-1111-2222-3333-444444444444", "common", ""}) {
    auto got = clients_.Authenticate(tenant, client_.client_id, kSecret);
    EXPECT_EQ(got.status().code(), StatusCode::kUnauthenticated) << "tenant: " << tenant;
  }
}

TEST_F(ClientRegistryTest, ErrorsNeverEchoTheSecret) {
  auto got = clients_.Authenticate(kTenant, client_.client_id, "WrongSecretThatMustNotLeak");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().ToString().find("WrongSecretThatMustNotLeak"), std::string::npos);
}

TEST_F(ClientRegistryTest, PutReplacesTheSecret) {
  ASSERT_TRUE(clients_.Put(client_, SecretBytes(std::string_view("the-new-secret-9f2c"))).ok());
  EXPECT_EQ(clients_.Authenticate(kTenant, client_.client_id, kSecret).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(clients_.Authenticate(kTenant, client_.client_id, "the-new-secret-9f2c").ok());
}

TEST_F(ClientRegistryTest, GetFindsKnownClientsOnly) {
  auto got = clients_.Get(client_.client_id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->object_id, client_.object_id);
  EXPECT_EQ(clients_.Get("00000000-0000-4000-8000-000000000000").status().code(),
            StatusCode::kNotFound);
}

TEST_F(ClientRegistryTest, StorageHoldsNeitherSecretNorClientIdInAnyPlainForm) {
  std::vector<store::Entry> entries = RawEntries();
  ASSERT_FALSE(entries.empty());
  std::string upper_id = client_.client_id;
  for (char& c : upper_id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::string> needles = {std::string(kSecret),  EncodeHex(kSecret),
                                      EncodeBase64(kSecret), EncodeBase64Url(kSecret),
                                      client_.client_id,     upper_id,
                                      client_.object_id,     std::string(client_.display_name)};
  for (const store::Entry& e : entries) {
    for (const std::string& needle : needles) {
      EXPECT_EQ(e.key.find(needle), std::string::npos) << "key " << e.key << " holds " << needle;
      EXPECT_EQ(e.value.find(needle), std::string::npos) << "value under " << e.key;
    }
  }
}

TEST_F(ClientRegistryTest, DecryptedRecordHoldsOnlyAMacOfTheSecret) {
  // Behind the barrier the record is plaintext; even there the secret must not appear.
  std::vector<std::pair<std::string, SecretBytes>> records;
  Status s = barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(records, t.Scan("client/", "", 0));
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(records.size(), 1u);
  std::string_view plain = records[0].second.view();
  EXPECT_NE(plain.find(client_.client_id), std::string_view::npos);  // sanity: it is the record
  EXPECT_EQ(plain.find(kSecret), std::string_view::npos);
  EXPECT_EQ(plain.find(EncodeHex(kSecret)), std::string_view::npos);
  EXPECT_EQ(plain.find(crypto::Sha256(kSecret)), std::string_view::npos);
}

}  // namespace
}  // namespace coffer::auth
