// The authorization matrix over HTTPS: every data-plane route × every built-in Key Vault role
// (plus Owner, Contributor, no role, and an object-scope assignment). The expected cells are
// written down from Azure's published role definitions (AZURE_API.md Part 2 §B1, §B2), not
// derived from Coffer's code: a route whose action or a role whose grants drift fails here.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"
#include "crypto/primitives.h"

namespace coffer::api {
namespace {

using testing::AppTest;

// Azure's built-in role GUIDs.
const std::map<std::string, std::string> kRoles = {
    {"Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483"},
    {"Reader", "21090545-7ca7-4776-b22c-e363652d74d2"},
    {"SecretsOfficer", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"},
    {"SecretsUser", "4633458b-17de-408a-b874-0445c86b69e6"},
    {"CryptoOfficer", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"},
    {"CryptoUser", "12338af0-0e69-4776-bea7-57ae8d297424"},
    {"CryptoServiceEncryptionUser", "e147488a-f6f5-4113-8e2d-b22465e65bf6"},
    {"CryptoServiceReleaseUser", "08bbd89e-9f13-488c-ac41-acfcb10c90ab"},
    {"CertificatesOfficer", "a4417e6f-fecd-4de8-b567-7b0420556985"},
    {"CertificateUser", "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"},
    {"DataAccessAdministrator", "8b54135c-b56d-4d72-a534-26097cfdc8d8"},
    {"PurgeOperator", "a68e7c17-0ab2-4c09-9a58-125dae29748c"},
    {"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
    {"KeyVaultContributor", "f25e0fa2-a7c8-4377-a976-54943a77a395"},
    {"Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
    {"UserAccessAdministrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
    {"ArmReader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
};

// Who may call each route, by Azure's definitions:
//   Administrator: Microsoft.KeyVault/vaults/* (everything).
//   Reader: vaults/*/read + secrets/readMetadata/action.
//   SecretsOfficer: secrets/*.   SecretsUser: secrets/getSecret + secrets/readMetadata.
//   CryptoOfficer: keys/* + keyrotationpolicies/*.
//   CryptoUser: keys/read, update, backup, encrypt, decrypt, wrap, unwrap, sign, verify.
//   CryptoServiceEncryptionUser: keys/read, wrap, unwrap.
//   CertificateUser: certificates/read, secrets/getSecret, secrets/readMetadata, keys/read.
//   CertificatesOfficer: certificatecas/*, certificates/*, certificatecontacts/write.
//   CryptoServiceReleaseUser (keys/release), DataAccessAdministrator, PurgeOperator, Owner, Contributor, KeyVaultContributor,
//   UserAccessAdministrator, ArmReader: no data action of these routes.
struct Cell {
  const char* method;
  const char* path;
  std::set<std::string> allowed;  // besides Administrator
};

const std::set<std::string> kSecretReaders = {"Reader", "SecretsOfficer", "SecretsUser",
                                               "CertificateUser"};
const std::set<std::string> kSecretGetters = {"SecretsOfficer", "SecretsUser", "CertificateUser"};
const std::set<std::string> kSecretWriters = {"SecretsOfficer"};
const std::set<std::string> kKeyReaders = {"Reader", "CryptoOfficer", "CryptoUser",
                                            "CryptoServiceEncryptionUser", "CertificateUser"};
const std::set<std::string> kKeyOfficer = {"CryptoOfficer"};
const std::set<std::string> kKeyUsers = {"CryptoOfficer", "CryptoUser"};
const std::set<std::string> kKeyWrappers = {"CryptoOfficer", "CryptoUser",
                                             "CryptoServiceEncryptionUser"};

const std::set<std::string> kCertReaders = {"Reader", "CertificatesOfficer", "CertificateUser"};
const std::set<std::string> kCertOfficer = {"CertificatesOfficer"};

const Cell kMatrix[] = {
    {"GET", "/secrets", kSecretReaders},
    {"GET", "/deletedsecrets", kSecretReaders},
    {"GET", "/deletedsecrets/s1", kSecretReaders},
    {"DELETE", "/deletedsecrets/s1", kSecretWriters},
    {"POST", "/deletedsecrets/s1/recover", kSecretWriters},
    {"POST", "/secrets/restore", kSecretWriters},
    {"GET", "/secrets/s1/versions", kSecretReaders},
    {"POST", "/secrets/s1/backup", kSecretWriters},
    {"PUT", "/secrets/s1", kSecretWriters},
    {"GET", "/secrets/s1", kSecretGetters},
    {"GET", "/secrets/s1/00000000000000000000000000000000", kSecretGetters},
    {"PATCH", "/secrets/s1", kSecretWriters},
    {"PATCH", "/secrets/s1/00000000000000000000000000000000", kSecretWriters},
    {"DELETE", "/secrets/s1", kSecretWriters},
    {"GET", "/keys", kKeyReaders},
    {"GET", "/deletedkeys", kKeyReaders},
    {"GET", "/deletedkeys/k1", kKeyReaders},
    {"DELETE", "/deletedkeys/k1", kKeyOfficer},
    {"POST", "/deletedkeys/k1/recover", kKeyOfficer},
    {"POST", "/keys/restore", kKeyOfficer},
    {"GET", "/keys/k1/versions", kKeyReaders},
    {"POST", "/keys/k1/create", kKeyOfficer},
    {"POST", "/keys/k1/backup", kKeyUsers},
    {"POST", "/keys/k1/rotate", kKeyOfficer},
    {"GET", "/keys/k1/rotationpolicy", {"Reader", "CryptoOfficer"}},
    {"PUT", "/keys/k1/rotationpolicy", kKeyOfficer},
    {"PUT", "/keys/k1", kKeyOfficer},
    {"GET", "/keys/k1", kKeyReaders},
    {"GET", "/keys/k1/00000000000000000000000000000000", kKeyReaders},
    {"PATCH", "/keys/k1", kKeyUsers},
    {"DELETE", "/keys/k1", kKeyOfficer},
    {"POST", "/keys/k1//encrypt", kKeyUsers},
    {"POST", "/keys/k1//decrypt", kKeyUsers},
    {"POST", "/keys/k1//wrapkey", kKeyWrappers},
    {"POST", "/keys/k1//unwrapkey", kKeyWrappers},
    {"POST", "/keys/k1//sign", kKeyUsers},
    {"POST", "/keys/k1//verify", kKeyUsers},
    {"GET", "/certificates", kCertReaders},
    {"GET", "/deletedcertificates", kCertReaders},
    {"GET", "/deletedcertificates/c1", kCertReaders},
    {"DELETE", "/deletedcertificates/c1", kCertOfficer},
    {"POST", "/deletedcertificates/c1/recover", kCertOfficer},
    {"POST", "/certificates/restore", kCertOfficer},
    {"GET", "/certificates/c1/versions", kCertReaders},
    {"POST", "/certificates/c1/create", kCertOfficer},
    {"POST", "/certificates/c1/import", kCertOfficer},
    {"POST", "/certificates/c1/backup", kCertOfficer},
    {"POST", "/certificates/c1/pending/merge", kCertOfficer},
    {"GET", "/certificates/c1/pending", kCertReaders},
    {"PATCH", "/certificates/c1/pending", kCertOfficer},
    {"DELETE", "/certificates/c1/pending", kCertOfficer},
    {"GET", "/certificates/c1/policy", kCertReaders},
    {"PATCH", "/certificates/c1/policy", kCertOfficer},
    {"GET", "/certificates/c1", kCertReaders},
    {"GET", "/certificates/c1/00000000000000000000000000000000", kCertReaders},
    {"PATCH", "/certificates/c1", kCertOfficer},
    {"DELETE", "/certificates/c1", kCertOfficer},
    // Contacts: Reader by vaults/*/read; the Officer may write them but not read them.
    {"GET", "/certificates/contacts", {"Reader"}},
    {"PUT", "/certificates/contacts", kCertOfficer},
    {"DELETE", "/certificates/contacts", kCertOfficer},
    {"GET", "/certificates/issuers", {"Reader", "CertificatesOfficer"}},
    {"GET", "/certificates/issuers/i1", {"Reader", "CertificatesOfficer"}},
    {"PUT", "/certificates/issuers/i1", kCertOfficer},
    {"PATCH", "/certificates/issuers/i1", kCertOfficer},
    {"DELETE", "/certificates/issuers/i1", kCertOfficer},
};

std::string InnerCode(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "";
  return j["error"].value("innererror", nlohmann::json::object()).value("code", "");
}

using AuthorizationMatrixTest = AppTest;

TEST_F(AuthorizationMatrixTest, EveryDataPlaneRouteForEveryBuiltInRole) {
  std::map<std::string, Caller> callers;
  for (const auto& [label, guid] : kRoles) {
    callers[label] = NewCaller(label);
    Assign(callers[label].object_id, guid, VaultScope());
  }
  callers["NoRole"] = NewCaller("no-role");
  const std::string host = std::string(kVault) + ".vault.localhost";
  int cells = 0;
  for (const Cell& cell : kMatrix) {
    for (const auto& [label, caller] : callers) {
      bool allowed = label == "Administrator" || cell.allowed.contains(label);
      auto r = Call(cell.method, host, std::string(cell.path) + "?api-version=7.5",
                    caller.data_token, "{}");
      SCOPED_TRACE(std::string(cell.method) + " " + cell.path + " as " + label + " → " +
                   std::to_string(r.status) + " " + r.body.substr(0, 200));
      if (allowed) {
        EXPECT_NE(r.status, 403);
        EXPECT_NE(r.status, 401);
        EXPECT_LT(r.status, 500);
      } else {
        EXPECT_EQ(r.status, 403);
        EXPECT_EQ(InnerCode(r.body), "ForbiddenByRbac");
        EXPECT_NE(r.body.find("Microsoft.KeyVault/vaults/"), std::string::npos);
      }
      ++cells;
    }
  }
  EXPECT_EQ(cells, static_cast<int>(std::size(kMatrix) * (kRoles.size() + 1)));
}

TEST_F(AuthorizationMatrixTest, ObjectScopeGrantsThatObjectOnly) {
  Caller admin = NewCaller("admin");
  Assign(admin.object_id, kRoles.at("Administrator"), VaultScope());
  const std::string host = std::string(kVault) + ".vault.localhost";
  for (const char* name : {"s1", "s2"}) {
    auto r = Call("PUT", host, std::string("/secrets/") + name + "?api-version=7.5",
                  admin.data_token, R"({"value":"v"})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  Caller one = NewCaller("one-secret");
  Assign(one.object_id, kRoles.at("SecretsUser"), VaultScope() + "/secrets/s1");
  EXPECT_EQ(Call("GET", host, "/secrets/s1?api-version=7.5", one.data_token).status, 200);
  EXPECT_EQ(Call("GET", host, "/secrets/S1?api-version=7.5", one.data_token).status, 200);
  EXPECT_EQ(Call("GET", host, "/secrets/s2?api-version=7.5", one.data_token).status, 403);
  // An object-scope grant does not make the list visible (as in Azure).
  EXPECT_EQ(Call("GET", host, "/secrets?api-version=7.5", one.data_token).status, 403);
  EXPECT_EQ(Call("PUT", host, "/secrets/s1?api-version=7.5", one.data_token, R"({"value":"x"})")
                .status,
            403);
}

TEST_F(AuthorizationMatrixTest, DenialDoesNotRevealWhetherTheObjectExists) {
  Caller admin = NewCaller("admin");
  Assign(admin.object_id, kRoles.at("Administrator"), VaultScope());
  const std::string host = std::string(kVault) + ".vault.localhost";
  ASSERT_EQ(Call("PUT", host, "/secrets/real?api-version=7.5", admin.data_token,
                 R"({"value":"v"})")
                .status,
            200);
  Caller nobody = NewCaller("nobody");
  auto present = Call("GET", host, "/secrets/real?api-version=7.5", nobody.data_token);
  auto absent = Call("GET", host, "/secrets/absent?api-version=7.5", nobody.data_token);
  EXPECT_EQ(present.status, 403);
  EXPECT_EQ(absent.status, 403);
}

TEST_F(AuthorizationMatrixTest, RemovedAssignmentDeniesTheNextRequest) {
  Caller c = NewCaller("revoked");
  auth::RoleAssignment a;
  a.name = auth::NewGuid(crypto::SystemRandom());
  a.scope = VaultScope();
  a.role_definition_id = kRoles.at("SecretsUser");
  a.principal_id = c.object_id;
  ASSERT_TRUE(services().roles->Create(a).ok());
  const std::string host = std::string(kVault) + ".vault.localhost";
  EXPECT_EQ(Call("GET", host, "/secrets?api-version=7.5", c.data_token).status, 200);
  ASSERT_TRUE(services().roles->Delete(a.scope, a.name).ok());
  EXPECT_EQ(Call("GET", host, "/secrets?api-version=7.5", c.data_token).status, 403);
}

}  // namespace
}  // namespace coffer::api
