// The request path over HTTPS for what is not the data-plane matrix: authentication before
// routing, 404/405, the management plane's authorization (AuthorizationFailed), role
// assignments through ARM's shapes, access-policy vaults, deleted vaults and the tenant
// administrator's routes. Exact status codes; expectations from CONTRACT.md and Azure.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"
#include "crypto/primitives.h"

namespace coffer::api {
namespace {

using Json = nlohmann::json;

constexpr const char* kOwner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
constexpr const char* kContributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";
constexpr const char* kReader = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
constexpr const char* kKvContributor = "f25e0fa2-a7c8-4377-a976-54943a77a395";
constexpr const char* kKvAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
constexpr const char* kSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
constexpr const char* kDataAccessAdmin = "8b54135c-b56d-4d72-a534-26097cfdc8d8";
constexpr const char* kPurgeOperator = "a68e7c17-0ab2-4c09-9a58-125dae29748c";

Json Body(const http::ClientResponse& r) { return Json::parse(r.body, nullptr, false); }
std::string Code(const http::ClientResponse& r) {
  Json j = Body(r);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

class AppManagementTest : public testing::AppTest {
 protected:
  std::string Sub() const { return "/subscriptions/" + subscription(); }
  std::string VaultPath(const std::string& name, const std::string& api = "2026-02-01") const {
    return Sub() + "/resourceGroups/" + kGroup + "/providers/Microsoft.KeyVault/vaults/" + name +
           "?api-version=" + api;
  }
  std::string AssignmentPath(const std::string& scope, const std::string& name) const {
    return scope + "/providers/Microsoft.Authorization/roleAssignments/" + name +
           "?api-version=2022-04-01";
  }
  std::string AssignmentBody(const std::string& role, const std::string& oid) const {
    return Json{{"properties",
                 {{"roleDefinitionId",
                   Sub() + "/providers/Microsoft.Authorization/roleDefinitions/" + role},
                  {"principalId", oid}}}}
        .dump();
  }
  std::string NewName() { return auth::NewGuid(crypto::SystemRandom()); }
};

TEST_F(AppManagementTest, UnauthenticatedRequestsGetTheChallengeWhateverThePath) {
  auto r = Call("GET", VaultHost(), "/no/such/path?api-version=7.5", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.headers.Get("WWW-Authenticate").has_value());
  r = Call("GET", "127.0.0.1", "/subscriptions/x/nothing", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.Get("WWW-Authenticate")->find("management.localhost"), std::string::npos);
}

TEST_F(AppManagementTest, UnknownPathIs404AndAWrongMethodIs405WithAllow) {
  Caller c = NewCaller("c");
  auto r = Call("GET", VaultHost(), "/no/such/path?api-version=7.5", c.data_token);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Code(r), "NotFound");
  r = Call("POST", VaultHost(), "/secrets/a?api-version=7.5", c.data_token, "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(*r.headers.Get("Allow"), "PUT, GET, PATCH, DELETE");
}

TEST_F(AppManagementTest, ARepeatedApiVersionIs400OnBothPlanes) {
  Caller c = NewCaller("c");
  Assign(c.object_id, kOwner, Sub());
  Assign(c.object_id, kKvAdministrator, Sub());
  auto r = Call("GET", VaultHost(), "/secrets?api-version=7.5&api-version=7.6", c.data_token);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("more than once"), std::string::npos);
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets?api-version=7.5", c.data_token).status, 200);
  r = Call("GET", "127.0.0.1",
           VaultPath(kVault) + "&api-version=2026-02-01", c.management_token);
  EXPECT_EQ(r.status, 400);
}

TEST_F(AppManagementTest, DataTokenIsRefusedOnTheManagementPlaneAndBack) {
  Caller c = NewCaller("c");
  Assign(c.object_id, kOwner, Sub());
  EXPECT_EQ(Call("GET", "127.0.0.1", VaultPath(kVault), c.data_token).status, 401);
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets?api-version=7.5", c.management_token).status, 401);
  EXPECT_EQ(Call("GET", "127.0.0.1", VaultPath(kVault), c.management_token).status, 200);
}

TEST_F(AppManagementTest, ManagementActionsFollowArmRoles) {
  Caller none = NewCaller("none"), reader = NewCaller("reader"), kvc = NewCaller("kvc"),
         owner = NewCaller("owner");
  Assign(reader.object_id, kReader, Sub());
  Assign(kvc.object_id, kKvContributor, Sub());
  Assign(owner.object_id, kOwner, Sub());
  auto r = Call("GET", "127.0.0.1", VaultPath(kVault), none.management_token);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Code(r), "AuthorizationFailed");
  EXPECT_NE(r.body.find("Microsoft.KeyVault/vaults/read"), std::string::npos);
  EXPECT_EQ(Call("GET", "127.0.0.1", VaultPath(kVault), reader.management_token).status, 200);
  const std::string create = R"({"location":"eastus","properties":{"sku":{"family":"A","name":"standard"}}})";
  r = Call("PUT", "127.0.0.1", VaultPath("made-by-reader"), reader.management_token, create);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Code(r), "AuthorizationFailed");
  EXPECT_EQ(Call("PUT", "127.0.0.1", VaultPath("made-by-kvc"), kvc.management_token, create).status,
            201);
  // Management rights never imply data rights: the creator gets nothing on the data plane.
  EXPECT_EQ(Call("GET", "made-by-kvc.vault.localhost", "/secrets?api-version=7.5", kvc.data_token)
                .status,
            403);
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets?api-version=7.5", owner.data_token).status, 403);

  // Lists show only what the caller may read.
  auto list = Call("GET", "127.0.0.1",
                   Sub() + "/providers/Microsoft.KeyVault/vaults?api-version=2026-02-01",
                   none.management_token);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(Body(list)["value"].empty());
  list = Call("GET", "127.0.0.1",
              Sub() + "/providers/Microsoft.KeyVault/vaults?api-version=2026-02-01",
              reader.management_token);
  EXPECT_EQ(Body(list)["value"].size(), 2u);
}

TEST_F(AppManagementTest, UnknownSubscriptionAndForeignTenantAreRefused) {
  Caller owner = NewCaller("owner");
  Assign(owner.object_id, kOwner, Sub());
  std::string other = "/subscriptions/" + NewName() + "/resourceGroups/g/providers/"
                      "Microsoft.KeyVault/vaults/squat?api-version=2026-02-01";
  auto r = Call("PUT", "127.0.0.1", other, owner.management_token, R"({"location":"eastus"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Code(r), "SubscriptionNotFound");
  auto foreign = Json{{"location", "eastus"},
                      {"properties", {{"tenantId", NewName()}}}}.dump();
  r = Call("PUT", "127.0.0.1", VaultPath("foreign-tenant"), owner.management_token, foreign);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("tenant"), std::string::npos);
}

TEST_F(AppManagementTest, RoleAssignmentsThroughArmShapes) {
  Caller owner = NewCaller("owner"), target = NewCaller("target");
  Assign(owner.object_id, kOwner, Sub());
  std::string name = NewName();
  std::string scope = VaultScope();
  auto r = Call("PUT", "127.0.0.1", AssignmentPath(scope, name), owner.management_token,
                AssignmentBody(kSecretsUser, target.object_id));
  ASSERT_EQ(r.status, 201) << r.body;
  Json j = Body(r);
  EXPECT_EQ(j["name"], name);
  EXPECT_EQ(j["type"], "Microsoft.Authorization/roleAssignments");
  EXPECT_EQ(j["id"], scope + "/providers/Microsoft.Authorization/roleAssignments/" + name);
  EXPECT_EQ(j["properties"]["principalId"], target.object_id);
  EXPECT_EQ(j["properties"]["scope"], scope);
  EXPECT_EQ(j["properties"]["roleDefinitionId"],
            Sub() + "/providers/Microsoft.Authorization/roleDefinitions/" + kSecretsUser);
  // The grant works on the next request.
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets?api-version=7.5", target.data_token).status, 200);
  // The identical body again → 200; the tenant-form role id is accepted.
  std::string tenant_form =
      Json{{"properties",
            {{"roleDefinitionId",
              std::string("/providers/Microsoft.Authorization/roleDefinitions/") + kSecretsUser},
             {"principalId", target.object_id}}}}
          .dump();
  EXPECT_EQ(Call("PUT", "127.0.0.1", AssignmentPath(scope, name), owner.management_token,
                 tenant_form)
                .status,
            200);
  // Same principal, role and scope under another name → 409 RoleAssignmentExists.
  r = Call("PUT", "127.0.0.1", AssignmentPath(scope, NewName()), owner.management_token,
           AssignmentBody(kSecretsUser, target.object_id));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Code(r), "RoleAssignmentExists");
  // Another role under the existing name → 409 RoleAssignmentUpdateNotPermitted.
  r = Call("PUT", "127.0.0.1", AssignmentPath(scope, name), owner.management_token,
           AssignmentBody(kKvAdministrator, target.object_id));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Code(r), "RoleAssignmentUpdateNotPermitted");
  // Unknown role or principal → 400 naming it.
  r = Call("PUT", "127.0.0.1", AssignmentPath(scope, NewName()), owner.management_token,
           AssignmentBody("11111111-2222-3333-4444-555555555555", target.object_id));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Code(r), "RoleDefinitionDoesNotExist");
  std::string ghost = NewName();
  r = Call("PUT", "127.0.0.1", AssignmentPath(scope, NewName()), owner.management_token,
           AssignmentBody(kSecretsUser, ghost));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(ghost), std::string::npos);
  // Malformed scope → 400.
  r = Call("PUT", "127.0.0.1", AssignmentPath(Sub() + "/nonsense/x", NewName()),
           owner.management_token, AssignmentBody(kSecretsUser, target.object_id));
  EXPECT_EQ(r.status, 400);
  // A doubled leading slash (the SDK's form) is the same scope; list and get see it.
  std::string doubled = AssignmentPath(scope, name);
  doubled.insert(doubled.begin(), '/');
  r = Call("GET", "127.0.0.1", doubled, owner.management_token);
  EXPECT_EQ(r.status, 200);
  r = Call("GET", "127.0.0.1",
           scope + "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&"
                   "$filter=atScope()",
           owner.management_token);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["value"].size(), 2u);  // the owner's (above) and the target's (at)
  // Delete → 200, then 404; the grant is gone on the next request.
  EXPECT_EQ(Call("DELETE", "127.0.0.1", AssignmentPath(scope, name), owner.management_token).status,
            200);
  EXPECT_EQ(Call("DELETE", "127.0.0.1", AssignmentPath(scope, name), owner.management_token).status,
            404);
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets?api-version=7.5", target.data_token).status, 403);
}

TEST_F(AppManagementTest, OnlyOwnersAndAdministratorsOfAccessAssignRoles) {
  Caller contributor = NewCaller("contributor"), dataadmin = NewCaller("dataadmin"),
         target = NewCaller("target");
  Assign(contributor.object_id, kContributor, Sub());
  Assign(dataadmin.object_id, kDataAccessAdmin, VaultScope());
  auto r = Call("PUT", "127.0.0.1", AssignmentPath(VaultScope(), NewName()),
                contributor.management_token, AssignmentBody(kSecretsUser, target.object_id));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Code(r), "AuthorizationFailed");
  // Key Vault Data Access Administrator: Key Vault data roles only (its role condition).
  EXPECT_EQ(Call("PUT", "127.0.0.1", AssignmentPath(VaultScope(), NewName()),
                 dataadmin.management_token, AssignmentBody(kSecretsUser, target.object_id))
                .status,
            201);
  EXPECT_EQ(Call("PUT", "127.0.0.1", AssignmentPath(VaultScope(), NewName()),
                 dataadmin.management_token, AssignmentBody(kOwner, target.object_id))
                .status,
            403);
  // …and only at its own scope.
  EXPECT_EQ(Call("PUT", "127.0.0.1", AssignmentPath(Sub(), NewName()), dataadmin.management_token,
                 AssignmentBody(kSecretsUser, target.object_id))
                .status,
            403);
}

TEST_F(AppManagementTest, RoleDefinitionsAreAzuresBuiltIns) {
  Caller c = NewCaller("c");
  auto r = Call("GET", "127.0.0.1",
                Sub() + "/providers/Microsoft.Authorization/roleDefinitions?api-version="
                        "2022-04-01&$filter=roleName%20eq%20'Key%20Vault%20Secrets%20User'",
                c.management_token);
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Body(r);
  ASSERT_EQ(j["value"].size(), 1u);
  EXPECT_EQ(j["value"][0]["name"], kSecretsUser);
  EXPECT_EQ(j["value"][0]["properties"]["permissions"][0]["dataActions"],
            Json({"Microsoft.KeyVault/vaults/secrets/getSecret/action",
                  "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}));
  r = Call("GET", "127.0.0.1",
           std::string("/providers/Microsoft.Authorization/roleDefinitions/") + kOwner +
               "?api-version=2022-04-01",
           c.management_token);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["properties"]["roleName"], "Owner");
}

TEST_F(AppManagementTest, AccessPolicyVaultsDecideByTheirPolicies) {
  Caller owner = NewCaller("owner"), app = NewCaller("app");
  Assign(owner.object_id, kOwner, Sub());
  // An older api-version without enableRbacAuthorization makes an access-policy vault.
  auto r = Call("PUT", "127.0.0.1", VaultPath("policy-vault", "2023-07-01"),
                owner.management_token, R"({"location":"eastus"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["properties"]["enableRbacAuthorization"], false);
  const std::string host = "policy-vault.vault.localhost";
  r = Call("GET", host, "/secrets/a?api-version=7.5", app.data_token);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r)["error"]["innererror"]["code"], "AccessDenied");
  EXPECT_NE(r.body.find("secrets get permission"), std::string::npos);
  // add: Get and Set (names compare case-insensitively).
  std::string add = Json{{"properties",
                          {{"accessPolicies",
                            {{{"tenantId", tenant()},
                              {"objectId", app.object_id},
                              {"permissions", {{"secrets", {"Get", "set"}}}}}}}}}}
                        .dump();
  std::string base = Sub() + "/resourceGroups/" + kGroup +
                     "/providers/Microsoft.KeyVault/vaults/policy-vault/accessPolicies/";
  r = Call("PUT", "127.0.0.1", base + "add?api-version=2023-07-01", owner.management_token, add);
  ASSERT_EQ(r.status, 200) << r.body;
  Json policies = Body(r)["properties"]["accessPolicies"];
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_EQ(policies[0]["permissions"]["keys"], Json::array());
  EXPECT_EQ(Call("PUT", host, "/secrets/a?api-version=7.5", app.data_token, R"({"value":"v"})")
                .status,
            200);
  EXPECT_EQ(Call("GET", host, "/secrets/a?api-version=7.5", app.data_token).status, 200);
  EXPECT_EQ(Call("GET", host, "/secrets?api-version=7.5", app.data_token).status, 403);  // list
  // remove: only Set goes.
  std::string remove = Json{{"properties",
                             {{"accessPolicies",
                               {{{"tenantId", tenant()},
                                 {"objectId", app.object_id},
                                 {"permissions", {{"secrets", {"set"}}}}}}}}}}
                           .dump();
  ASSERT_EQ(Call("PUT", "127.0.0.1", base + "remove?api-version=2023-07-01",
                 owner.management_token, remove)
                .status,
            200);
  EXPECT_EQ(Call("PUT", host, "/secrets/a?api-version=7.5", app.data_token, R"({"value":"v"})")
                .status,
            403);
  EXPECT_EQ(Call("GET", host, "/secrets/a?api-version=7.5", app.data_token).status, 200);
  // Unknown permission names → 400 naming them; nothing applied.
  std::string bad = Json{{"properties",
                          {{"accessPolicies",
                            {{{"tenantId", tenant()},
                              {"objectId", app.object_id},
                              {"permissions", {{"secrets", {"get", "steal"}}}}}}}}}}
                        .dump();
  r = Call("PUT", "127.0.0.1", base + "replace?api-version=2023-07-01", owner.management_token,
           bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("steal"), std::string::npos);
  // Switching the vault to RBAC: the policies stop counting from the next request.
  r = Call("PATCH", "127.0.0.1", VaultPath("policy-vault"), owner.management_token,
           R"({"properties":{"enableRbacAuthorization":true}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Call("GET", host, "/secrets/a?api-version=7.5", app.data_token).status, 403);
}

TEST_F(AppManagementTest, DeletedVaultsRecoverPurgeAndLoseTheirAssignments) {
  Caller owner = NewCaller("owner"), user = NewCaller("user"), kvc = NewCaller("kvc"),
         purger = NewCaller("purger");
  Assign(owner.object_id, kOwner, Sub());
  Assign(kvc.object_id, kKvContributor, Sub());
  Assign(purger.object_id, kPurgeOperator, Sub());
  ASSERT_EQ(Call("PUT", "127.0.0.1", VaultPath("doomed"), owner.management_token,
                 R"({"location":"westus"})")
                .status,
            201);
  std::string scope = Sub() + "/resourceGroups/" + kGroup +
                      "/providers/Microsoft.KeyVault/vaults/doomed";
  Assign(user.object_id, kKvAdministrator, scope);
  ASSERT_EQ(Call("PUT", "doomed.vault.localhost", "/secrets/keep?api-version=7.5",
                 user.data_token, R"({"value":"v"})")
                .status,
            200);
  ASSERT_EQ(Call("DELETE", "127.0.0.1", VaultPath("doomed"), owner.management_token).status, 200);
  // Listed as deleted; the name is reserved; the vault-scope assignment is gone.
  auto r = Call("GET", "127.0.0.1",
                Sub() + "/providers/Microsoft.KeyVault/deletedVaults?api-version=2026-02-01",
                owner.management_token);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(Body(r)["value"].size(), 1u);
  EXPECT_EQ(Body(r)["value"][0]["properties"]["location"], "westus");
  r = Call("PUT", "127.0.0.1", VaultPath("doomed"), owner.management_token,
           R"({"location":"westus"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("deleted state"), std::string::npos);
  r = Call("POST", "127.0.0.1",
           Sub() + "/providers/Microsoft.KeyVault/checkNameAvailability?api-version=2026-02-01",
           owner.management_token, R"({"name":"doomed","type":"Microsoft.KeyVault/vaults"})");
  EXPECT_EQ(Body(r)["nameAvailable"], false);
  EXPECT_EQ(Body(r)["reason"], "AlreadyExists");
  // Recover brings every object back, but not the assignment.
  r = Call("PUT", "127.0.0.1", VaultPath("doomed"), owner.management_token,
           R"({"location":"westus","properties":{"createMode":"recover"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Call("GET", "doomed.vault.localhost", "/secrets/keep?api-version=7.5",
                 user.data_token)
                .status,
            403);
  Assign(user.object_id, kKvAdministrator, scope);
  EXPECT_EQ(Call("GET", "doomed.vault.localhost", "/secrets/keep?api-version=7.5",
                 user.data_token)
                .status,
            200);
  // Purge: Key Vault Contributor may not; Purge Operator may.
  ASSERT_EQ(Call("DELETE", "127.0.0.1", VaultPath("doomed"), owner.management_token).status, 200);
  std::string purge = Sub() + "/providers/Microsoft.KeyVault/locations/westus/deletedVaults/"
                              "doomed/purge?api-version=2026-02-01";
  EXPECT_EQ(Call("POST", "127.0.0.1", purge, kvc.management_token, "{}").status, 403);
  EXPECT_EQ(Call("POST", "127.0.0.1", purge, purger.management_token, "{}").status, 200);
  r = Call("GET", "127.0.0.1",
           Sub() + "/providers/Microsoft.KeyVault/deletedVaults?api-version=2026-02-01",
           owner.management_token);
  EXPECT_TRUE(Body(r)["value"].empty());
  EXPECT_EQ(Call("PUT", "127.0.0.1", VaultPath("doomed"), owner.management_token,
                 R"({"location":"westus"})")
                .status,
            201);
}

TEST_F(AppManagementTest, TenantAdministrationNeedsTheTenantAdministrator) {
  Caller owner = NewCaller("owner");
  Assign(owner.object_id, kOwner, Sub());
  auto r = Call("POST", "127.0.0.1", "/_coffer/principals", owner.management_token,
                R"({"displayName":"x"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Code(r), "AuthorizationFailed");
  EXPECT_EQ(Call("POST", "127.0.0.1", "/_coffer/subscriptions", owner.management_token,
                 R"({"displayName":"x"})")
                .status,
            403);
  r = Call("GET", "127.0.0.1", "/subscriptions?api-version=2022-12-01", owner.management_token);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(Body(r)["value"].size(), 1u);
  EXPECT_EQ(Body(r)["value"][0]["subscriptionId"], subscription());
}

}  // namespace
}  // namespace coffer::api
