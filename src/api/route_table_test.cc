// The route table: every route resolves to the action Azure names for it (AZURE_API.md Part 2
// §B2), parameters are extracted, literal routes win over parameter routes, and unknown paths
// and methods are told apart (404 vs 405).
#include "api/route_table.h"

#include <gtest/gtest.h>

#include <set>

#include "api/app.h"
#include "api/request_context.h"
#include "api/routes.h"

namespace coffer::api {
namespace {

std::vector<std::string> Path(std::string_view p) { return *SplitPath(p); }

RouteMatch Match(std::string_view method, std::string_view path, bool vault_host = true) {
  return CofferRoutes().Match(method, Path(path), vault_host);
}

struct Expect {
  std::string_view method;
  std::string_view path;
  std::string_view action;
  std::string_view policy;
  RouteHandler handler;
};

constexpr std::string_view kKv = "Microsoft.KeyVault/vaults/";

TEST(RouteTableTest, EveryDataPlaneRouteResolvesToAzuresDataAction) {
  const Expect cases[] = {
      {"GET", "/secrets", "secrets/readMetadata/action", "secrets list", ListSecrets},
      {"GET", "/deletedsecrets", "secrets/readMetadata/action", "secrets list",
       ListDeletedSecrets},
      {"GET", "/deletedsecrets/a", "secrets/readMetadata/action", "secrets get",
       GetDeletedSecret},
      {"DELETE", "/deletedsecrets/a", "secrets/purge/action", "secrets purge",
       PurgeDeletedSecret},
      {"POST", "/deletedsecrets/a/recover", "secrets/recover/action", "secrets recover",
       RecoverDeletedSecret},
      {"POST", "/secrets/restore", "secrets/restore/action", "secrets restore", RestoreSecret},
      {"GET", "/secrets/a/versions", "secrets/readMetadata/action", "secrets list",
       ListSecretVersions},
      {"POST", "/secrets/a/backup", "secrets/backup/action", "secrets backup", BackupSecret},
      {"PUT", "/secrets/a", "secrets/setSecret/action", "secrets set", SetSecret},
      {"GET", "/secrets/a", "secrets/getSecret/action", "secrets get", GetSecret},
      {"GET", "/secrets/a/", "secrets/getSecret/action", "secrets get", GetSecret},
      {"GET", "/secrets/a/0123456789abcdef0123456789abcdef", "secrets/getSecret/action",
       "secrets get", GetSecret},
      {"PATCH", "/secrets/a", "secrets/update/action", "secrets set", UpdateSecret},
      {"PATCH", "/secrets/a/0123", "secrets/update/action", "secrets set", UpdateSecret},
      {"DELETE", "/secrets/a", "secrets/delete", "secrets delete", DeleteSecret},
      {"GET", "/keys", "keys/read", "keys list", ListKeys},
      {"GET", "/deletedkeys", "keys/read", "keys list", ListDeletedKeys},
      {"GET", "/deletedkeys/k", "keys/read", "keys get", GetDeletedKey},
      {"DELETE", "/deletedkeys/k", "keys/purge/action", "keys purge", PurgeDeletedKey},
      {"POST", "/deletedkeys/k/recover", "keys/recover/action", "keys recover",
       RecoverDeletedKey},
      {"POST", "/keys/restore", "keys/restore/action", "keys restore", RestoreKey},
      {"GET", "/keys/k/versions", "keys/read", "keys list", ListKeyVersions},
      {"POST", "/keys/k/create", "keys/create/action", "keys create", CreateKey},
      {"POST", "/keys/k/backup", "keys/backup/action", "keys backup", BackupKey},
      {"POST", "/keys/k/rotate", "keys/rotate/action", "keys rotate", RotateKey},
      {"GET", "/keys/k/rotationpolicy", "keyrotationpolicies/read", "keys getrotationpolicy",
       GetKeyRotationPolicy},
      {"PUT", "/keys/k/rotationpolicy", "keyrotationpolicies/write", "keys setrotationpolicy",
       SetKeyRotationPolicy},
      {"PUT", "/keys/k", "keys/import/action", "keys import", ImportKey},
      {"GET", "/keys/k", "keys/read", "keys get", GetKey},
      {"GET", "/keys/k/v1", "keys/read", "keys get", GetKey},
      {"PATCH", "/keys/k", "keys/update/action", "keys update", UpdateKey},
      {"PATCH", "/keys/k/v1/", "keys/update/action", "keys update", UpdateKey},
      {"DELETE", "/keys/k", "keys/delete", "keys delete", DeleteKey},
      {"POST", "/keys/k/v/encrypt", "keys/encrypt/action", "keys encrypt", KeyEncrypt},
      {"POST", "/keys/k//decrypt", "keys/decrypt/action", "keys decrypt", KeyDecrypt},
      {"POST", "/keys/k/v/wrapkey", "keys/wrap/action", "keys wrapKey", KeyWrap},
      {"POST", "/keys/k/v/unwrapkey", "keys/unwrap/action", "keys unwrapKey", KeyUnwrap},
      {"POST", "/keys/k/v/sign", "keys/sign/action", "keys sign", KeySign},
      {"POST", "/keys/k/v/verify", "keys/verify/action", "keys verify", KeyVerify},
      {"POST", "/keys/k/release", "keys/release/action", "keys release", ReleaseKey},
      {"POST", "/keys/k//release", "keys/release/action", "keys release", ReleaseKey},
      {"POST", "/keys/k/v/release", "keys/release/action", "keys release", ReleaseKey},
      {"GET", "/keys/k/attestation", "keys/read", "keys get", GetKeyAttestation},
      {"GET", "/keys/k/v/attestation", "keys/read", "keys get", GetKeyAttestation},
      {"GET", "/keys/k//attestation", "keys/read", "keys get", GetKeyAttestation},
      {"GET", "/certificates", "certificates/read", "certificates list", ListCertificates},
      {"GET", "/deletedcertificates", "certificates/read", "certificates list",
       ListDeletedCertificates},
      {"GET", "/deletedcertificates/c", "certificates/read", "certificates get",
       GetDeletedCertificate},
      {"DELETE", "/deletedcertificates/c", "certificates/purge/action", "certificates purge",
       PurgeDeletedCertificate},
      {"POST", "/deletedcertificates/c/recover", "certificates/recover/action",
       "certificates recover", RecoverDeletedCertificate},
      {"GET", "/certificates/c/versions", "certificates/read", "certificates list",
       ListCertificateVersions},
      {"POST", "/certificates/c/create", "certificates/create/action", "certificates create",
       CreateCertificate},
      {"POST", "/certificates/c/backup", "certificates/backup/action", "certificates backup",
       BackupCertificate},
      {"POST", "/certificates/restore", "certificates/restore/action", "certificates restore",
       RestoreCertificate},
      {"POST", "/certificates/c/import", "certificates/import/action", "certificates import",
       ImportCertificate},
      {"POST", "/certificates/c/pending/merge", "certificates/create/action",
       "certificates create", MergeCertificate},
      {"GET", "/certificates/c/pending", "certificates/read", "certificates get",
       GetCertificateOperation},
      {"PATCH", "/certificates/c/pending", "certificates/update/action", "certificates update",
       CancelCertificateOperation},
      {"DELETE", "/certificates/c/pending", "certificates/delete", "certificates delete",
       DeleteCertificateOperation},
      {"GET", "/certificates/c/policy", "certificates/read", "certificates get",
       GetCertificatePolicy},
      {"PATCH", "/certificates/c/policy", "certificates/update/action", "certificates update",
       UpdateCertificatePolicy},
      {"GET", "/certificates/c/", "certificates/read", "certificates get", GetCertificate},
      {"GET", "/certificates/c/0123456789abcdef0123456789abcdef", "certificates/read",
       "certificates get", GetCertificate},
      {"PATCH", "/certificates/c/v1", "certificates/update/action", "certificates update",
       UpdateCertificate},
      {"DELETE", "/certificates/c", "certificates/delete", "certificates delete",
       DeleteCertificate},
  };
  for (const Expect& e : cases) {
    SCOPED_TRACE(std::string(e.method) + " " + std::string(e.path));
    RouteMatch m = Match(e.method, e.path);
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->plane, Plane::kData);
    EXPECT_EQ(m.route->authz, Authz::kDataAction);
    EXPECT_EQ(m.route->action, std::string(kKv) + std::string(e.action));
    EXPECT_EQ(m.route->policy, e.policy);
    EXPECT_EQ(m.route->handler, e.handler);
  }
}

TEST(RouteTableTest, ParametersAreExtractedAndTheLatestVersionMayBeEmpty) {
  RouteMatch m = Match("POST", "/keys/my%20key//sign");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.Get("name"), "my key");
  EXPECT_EQ(m.params.Get("version"), "");
  EXPECT_EQ(m.route->object, ObjectKind::kKey);

  m = Match("GET", "/secrets/s1/ABCDEF0123456789abcdef0123456789");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.Get("name"), "s1");
  EXPECT_EQ(m.params.Get("version"), "ABCDEF0123456789abcdef0123456789");
  EXPECT_EQ(m.params.Get("absent"), "");
  EXPECT_EQ(m.route->object, ObjectKind::kSecret);
}

TEST(RouteTableTest, LiteralRoutesWinOverParameterRoutes) {
  EXPECT_EQ(Match("GET", "/secrets/a/versions").route->handler, ListSecretVersions);
  EXPECT_EQ(Match("GET", "/keys/a/rotationpolicy").route->handler, GetKeyRotationPolicy);
  EXPECT_EQ(Match("POST", "/secrets/restore").route->handler, RestoreSecret);
  // A secret may be called "restore": PUT and GET are the object routes.
  EXPECT_EQ(Match("PUT", "/secrets/restore").route->handler, SetSecret);
  EXPECT_EQ(Match("GET", "/secrets/restore").route->handler, GetSecret);
}

TEST(RouteTableTest, PerObjectRestoresReserveTheirDecodedCopiesInTheBodyBudget) {
  for (const char* path : {"/secrets/restore", "/keys/restore", "/certificates/restore"}) {
    EXPECT_EQ(Match("POST", path).route->body_memory_factor, 5u) << path;
  }
  EXPECT_EQ(Match("PUT", "/secrets/s").route->body_memory_factor, 1u);
  EXPECT_EQ(Match("POST", "/keys/k/v/sign").route->body_memory_factor, 1u);
}

TEST(RouteTableTest, LiteralSegmentsMatchCaseInsensitively) {
  EXPECT_EQ(Match("GET", "/Secrets/a/Versions").route->handler, ListSecretVersions);
  EXPECT_EQ(Match("POST", "/keys/k/v/Sign").route->handler, KeySign);
}

TEST(RouteTableTest, UnknownPathIsNotFoundAndAKnownPathWithAnotherMethodIsNotAllowed) {
  RouteMatch m = Match("GET", "/nothing/here");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_FALSE(m.path_exists);

  m = Match("GET", "/keys/k/v/sign");  // a version GET needs 3 segments; this has 4
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_exists);
  EXPECT_EQ(m.allowed, "POST");

  m = Match("POST", "/secrets/a");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_exists);
  EXPECT_EQ(m.allowed, "PUT, GET, PATCH, DELETE");

  m = Match("POST", "/keys/k/v/explode");  // not an operation
  EXPECT_EQ(m.route, nullptr);
  EXPECT_FALSE(m.path_exists);

  m = Match("PUT", "/secrets//x");  // empty name
  EXPECT_EQ(m.route, nullptr);
}

TEST(RouteTableTest, AVaultHostServesOnlyTheDataPlane) {
  EXPECT_EQ(Match("GET", "/_coffer/health", true).route, nullptr);
  EXPECT_EQ(Match("POST", "/t/oauth2/v2.0/token", true).route, nullptr);
  EXPECT_EQ(Match("GET", "/subscriptions/s/providers/Microsoft.KeyVault/vaults", true).route,
            nullptr);
  EXPECT_EQ(Match("GET", "/_coffer/health", false).route->handler, Health);
  EXPECT_EQ(Match("POST", "/t/oauth2/v2.0/token", false).route->handler, IssueToken);
  // The base host serves the default vault's data plane too.
  EXPECT_EQ(Match("GET", "/secrets/a", false).route->handler, GetSecret);
}

TEST(RouteTableTest, ManagementRoutesNameArmActions) {
  const std::string vault =
      "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
      "Microsoft.KeyVault/vaults/v1";
  struct {
    std::string_view method;
    std::string_view action;
    Authz authz;
    RouteHandler handler;
  } cases[] = {
      {"PUT", "Microsoft.KeyVault/vaults/write", Authz::kVault, PutVault},
      {"PATCH", "Microsoft.KeyVault/vaults/write", Authz::kVault, PatchVault},
      {"GET", "Microsoft.KeyVault/vaults/read", Authz::kVault, GetVault},
      {"DELETE", "Microsoft.KeyVault/vaults/delete", Authz::kVault, DeleteVault},
  };
  for (const auto& c : cases) {
    RouteMatch m = Match(c.method, vault, false);
    ASSERT_NE(m.route, nullptr) << c.method;
    EXPECT_EQ(m.route->plane, Plane::kManagement);
    EXPECT_EQ(m.route->action, c.action);
    EXPECT_EQ(m.route->authz, c.authz);
    EXPECT_EQ(m.route->handler, c.handler);
    EXPECT_EQ(m.params.Get("vault"), "v1");
    EXPECT_EQ(m.params.Get("rg"), "rg");
  }
  // A doubled leading slash (how @azure/arm-authorization sends a scope) is the same path.
  RouteMatch m = Match("GET", "/" + vault, false);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler, GetVault);
}

TEST(RouteTableTest, ScopePrefixPatternTakesOneOrMoreLeadingSegments) {
  static http::Response (*const kHandler)(const App&, const RequestContext&, http::Request&) =
      nullptr;
  RouteTable table({Route{"GET", "{scope*}/providers/Microsoft.Authorization/roleAssignments/{id}",
                          Plane::kManagement, Authz::kHandler, "", "", ObjectKind::kNone, 0,
                          false, kHandler}});
  RouteMatch m = table.Match(
      "GET", Path("/subscriptions/s/resourceGroups/g/providers/Microsoft.Authorization/"
                  "roleAssignments/r1"),
      false);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.Get("scope"), "/subscriptions/s/resourceGroups/g");
  EXPECT_EQ(m.params.Get("id"), "r1");
  m = table.Match("GET", Path("/providers/Microsoft.Authorization/roleAssignments/r1"), false);
  EXPECT_EQ(m.route, nullptr);  // no scope at all
}

TEST(RouteTableTest, EveryRouteIsCompleteAndUnique) {
  std::set<std::string> seen;
  for (const Route& r : CofferRoutes().routes()) {
    SCOPED_TRACE(std::string(r.method) + " " + std::string(r.pattern));
    EXPECT_NE(r.handler, nullptr);
    EXPECT_TRUE(seen.insert(std::string(r.method) + " " + std::string(r.pattern)).second);
    if (r.method != "GET" && r.method != "DELETE") {
      EXPECT_GT(r.body_limit, 0u);
    }
    if (r.authz == Authz::kDataAction) {
      EXPECT_EQ(r.plane, Plane::kData);
      EXPECT_TRUE(r.action.starts_with(kKv));
      EXPECT_FALSE(r.policy.empty());
    }
    if (r.authz == Authz::kNone) {
      EXPECT_TRUE(r.plane == Plane::kIdentity || r.plane == Plane::kOperator ||
                  r.plane == Plane::kPortal);
    }
    // Writes never run inline: they wait on a group commit.
    if (r.run_inline) {
      EXPECT_TRUE(r.method == "GET" || r.pattern.starts_with("keys/{name}/{version?}/") ||
                  r.pattern == "rng");
    }
  }
}

// CONTRACT.md "Throttling": which service-limit class each kind of route counts in.
TEST(RouteTableTest, RoutesCountInTheContractsServiceLimitClasses) {
  struct Case {
    std::string_view method;
    std::string_view path;
    ThrottleClass limit;
  };
  const Case data[] = {
      {"PUT", "/secrets/a", ThrottleClass::kSecretCreate},
      {"PUT", "/keys/k", ThrottleClass::kSecretCreate},  // key import
      {"POST", "/certificates/c/create", ThrottleClass::kSecretCreate},
      {"POST", "/certificates/c/import", ThrottleClass::kSecretCreate},
      {"POST", "/keys/k/create", ThrottleClass::kKeyCreate},
      {"POST", "/keys/k/rotate", ThrottleClass::kKeyCreate},
      {"GET", "/keys/k", ThrottleClass::kKeyOther},
      {"GET", "/keys", ThrottleClass::kKeyOther},
      {"POST", "/keys/k/v/sign", ThrottleClass::kKeyOther},
      {"PUT", "/keys/k/rotationpolicy", ThrottleClass::kKeyOther},
      {"DELETE", "/deletedkeys/k", ThrottleClass::kKeyOther},
      {"GET", "/secrets/a", ThrottleClass::kVaultOther},
      {"DELETE", "/secrets/a", ThrottleClass::kVaultOther},
      {"GET", "/certificates/c", ThrottleClass::kVaultOther},
      {"POST", "/certificates/c/pending/merge", ThrottleClass::kVaultOther},
      {"GET", "/certificates/issuers", ThrottleClass::kVaultOther},
      {"POST", "/rng", ThrottleClass::kVaultOther},
      // A whole-vault backup or restore is one request; its status polls count as reads.
      {"POST", "/backup", ThrottleClass::kVaultOther},
      {"GET", "/backup/j/pending", ThrottleClass::kVaultOther},
      {"PUT", "/restore", ThrottleClass::kVaultOther},
      {"GET", "/restore/j/pending", ThrottleClass::kVaultOther},
  };
  for (const Case& c : data) {
    RouteMatch m = Match(c.method, c.path);
    ASSERT_NE(m.route, nullptr) << c.method << " " << c.path;
    EXPECT_EQ(m.route->limit, c.limit) << c.method << " " << c.path;
  }
  for (const Route& r : CofferRoutes().routes()) {
    EXPECT_EQ(r.limit == ThrottleClass::kNone, r.plane != Plane::kData) << r.pattern;
  }
}

TEST(SplitPathTest, DecodesSegmentsAndNormalisesSlashes) {
  EXPECT_EQ(Path("/a/b%2Fc"), (std::vector<std::string>{"a", "b/c"}));
  EXPECT_EQ(Path("/secrets/n/"), (std::vector<std::string>{"secrets", "n"}));
  EXPECT_EQ(Path("//subscriptions/x"), (std::vector<std::string>{"subscriptions", "x"}));
  EXPECT_EQ(Path("/keys/k//sign"), (std::vector<std::string>{"keys", "k", "", "sign"}));
  EXPECT_EQ(Path("/"), std::vector<std::string>{});
  EXPECT_FALSE(SplitPath("/bad%zz").has_value());
  EXPECT_FALSE(SplitPath("relative").has_value());
}

// CONTRACT.md "Whole-vault backup and restore": the vault-wide data actions, and with access
// policies backup (restore) on all three kinds; the archive's body cap.
TEST(RouteTableTest, WholeVaultBackupRoutesNeedTheVaultWideActions) {
  const Expect cases[] = {
      {"POST", "/backup", "backup/action", "secrets backup,keys backup,certificates backup",
       StartVaultBackup},
      {"GET", "/backup/j1/pending", "backup/action",
       "secrets backup,keys backup,certificates backup", GetVaultBackupJob},
      {"GET", "/backup/j1/content", "backup/action",
       "secrets backup,keys backup,certificates backup", GetVaultBackupContent},
      {"PUT", "/restore", "restore/action",
       "secrets restore,keys restore,certificates restore", StartVaultRestore},
      {"GET", "/restore/j1/pending", "restore/action",
       "secrets restore,keys restore,certificates restore", GetVaultRestoreJob},
  };
  for (const Expect& e : cases) {
    SCOPED_TRACE(std::string(e.method) + " " + std::string(e.path));
    RouteMatch m = Match(e.method, e.path);
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->action, std::string(kKv) + std::string(e.action));
    EXPECT_EQ(m.route->policy, e.policy);
    EXPECT_EQ(m.route->handler, e.handler);
    EXPECT_EQ(m.route->limit, ThrottleClass::kVaultOther);  // status polls count in vault_other
  }
  EXPECT_EQ(Match("PUT", "/restore").route->body_limit, kMaxArchiveHttpBytes);
  EXPECT_EQ(Match("GET", "/backup/j1/pending").params.Get("job"), "j1");
  // Only the whole-vault archive upload goes to a file instead of memory.
  EXPECT_TRUE(Match("PUT", "/restore").route->spool_body);
  for (const Route& r : CofferRoutes().routes()) {
    if (r.handler != StartVaultRestore) {
      EXPECT_FALSE(r.spool_body) << r.method << " " << r.pattern;
    }
  }
}

}  // namespace
}  // namespace coffer::api
