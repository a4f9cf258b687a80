#include "auth/role_definitions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace coffer::auth {
namespace {

constexpr std::string_view kOwner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
constexpr std::string_view kSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
constexpr std::string_view kCertificateUser = "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba";
constexpr std::string_view kDataAccessAdmin = "8b54135c-b56d-4d72-a534-26097cfdc8d8";
constexpr std::string_view kPurgeOperator = "a68e7c17-0ab2-4c09-9a58-125dae29748c";
constexpr std::string_view kRaWrite = "Microsoft.Authorization/roleAssignments/write";
constexpr std::string_view kRaDelete = "Microsoft.Authorization/roleAssignments/delete";
constexpr std::string_view kVaultPurge = "Microsoft.KeyVault/locations/deletedVaults/purge/action";

const RoleDefinition& Role(std::string_view name) {
  const RoleDefinition* r = FindRoleDefinitionByName(name);
  EXPECT_NE(r, nullptr) << name;
  static const RoleDefinition kEmpty;
  return r ? *r : kEmpty;
}

std::string Data(std::string_view suffix) {
  return "Microsoft.KeyVault/vaults/" + std::string(suffix);
}

TEST(ActionMatchesTest, WildcardsSpanSegmentsAndCaseIsIgnored) {
  EXPECT_TRUE(ActionMatches("*", "Microsoft.KeyVault/vaults/write"));
  EXPECT_TRUE(ActionMatches("*/read", "Microsoft.KeyVault/vaults/read"));
  EXPECT_TRUE(ActionMatches("*/read", "Microsoft.Authorization/roleAssignments/read"));
  EXPECT_FALSE(ActionMatches("*/read", "Microsoft.KeyVault/vaults/write"));
  EXPECT_FALSE(ActionMatches("*/read", Data("secrets/getSecret/action")));
  EXPECT_FALSE(ActionMatches("*/read", Data("secrets/readMetadata/action")));
  EXPECT_TRUE(ActionMatches("Microsoft.KeyVault/vaults/*/read", Data("keys/read")));
  EXPECT_TRUE(ActionMatches("Microsoft.KeyVault/vaults/*/read", Data("keys/versions/read")));
  // `*` stands for at least the characters between two slashes here: vaults/*/read is not
  // vaults/read, so the Key Vault data roles cannot read the vault resource itself.
  EXPECT_FALSE(ActionMatches("Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/read"));
  EXPECT_TRUE(ActionMatches("Microsoft.KeyVault/vaults/*", Data("secrets/getSecret/action")));
  EXPECT_TRUE(ActionMatches("Microsoft.Authorization/*/Write", kRaWrite));
  EXPECT_TRUE(ActionMatches("MICROSOFT.KEYVAULT/VAULTS/SECRETS/GETSECRET/ACTION",
                            Data("secrets/getSecret/action")));
  EXPECT_TRUE(ActionMatches("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(ActionMatches("a*b*c", "abbbc"));
  EXPECT_FALSE(ActionMatches("a*b*c", "aXXbYY"));
  EXPECT_FALSE(ActionMatches("Microsoft.KeyVault/vaults/secrets/*", Data("secretsX/delete")));
  EXPECT_FALSE(ActionMatches("Microsoft.KeyVault/vaults/read", "Microsoft.KeyVault/vaults/read2"));
  EXPECT_FALSE(ActionMatches("", "x"));
  EXPECT_FALSE(ActionMatches("abc", ""));
}

TEST(RoleCatalogTest, HasEveryRoleTheContractNamesWithLowerCaseIds) {
  const std::vector<std::string> names = {
      "Owner", "Contributor", "Reader", "User Access Administrator", "Key Vault Administrator",
      "Key Vault Reader", "Key Vault Contributor", "Key Vault Data Access Administrator",
      "Key Vault Secrets Officer", "Key Vault Secrets User", "Key Vault Crypto Officer",
      "Key Vault Crypto User", "Key Vault Crypto Service Encryption User",
      "Key Vault Crypto Service Release User", "Key Vault Certificates Officer",
      "Key Vault Certificate User", "Key Vault Purge Operator"};
  std::set<std::string> ids;
  for (const std::string& n : names) {
    const RoleDefinition& r = Role(n);
    EXPECT_EQ(r.role_name, n);
    EXPECT_EQ(r.role_type, "BuiltInRole");
    EXPECT_EQ(r.assignable_scopes, std::vector<std::string>{"/"});
    ASSERT_EQ(r.permissions.size(), 1u) << n;
    EXPECT_FALSE(r.description.empty());
    for (char c : r.id) EXPECT_FALSE(c >= 'A' && c <= 'Z') << r.id;
    ids.insert(r.id);
  }
  EXPECT_EQ(ids.size(), names.size());
  EXPECT_EQ(BuiltInRoleDefinitions().size(), names.size());
}

TEST(RoleCatalogTest, LookupsIgnoreCase) {
  ASSERT_NE(FindRoleDefinition("4633458B-17DE-408A-B874-0445C86B69E6"), nullptr);
  EXPECT_EQ(FindRoleDefinition("4633458B-17DE-408A-B874-0445C86B69E6")->role_name,
            "Key Vault Secrets User");
  EXPECT_EQ(FindRoleDefinitionByName("key vault secrets user")->id, kSecretsUser);
  EXPECT_EQ(FindRoleDefinition("00000000-0000-0000-0000-000000000000"), nullptr);
  EXPECT_EQ(FindRoleDefinition(""), nullptr);
  EXPECT_EQ(FindRoleDefinitionByName("Key Vault"), nullptr);
}

TEST(RoleCatalogTest, SpotChecksAgainstAzuresPublishedJson) {
  EXPECT_EQ(Role("Owner").id, kOwner);
  EXPECT_EQ(Role("Key Vault Secrets User").description,
            "Read secret contents. Only works for key vaults that use the 'Azure role-based "
            "access control' permission model.");
  EXPECT_EQ(Role("Key Vault Contributor").description,
            "Lets you manage key vaults, but not access to them.");
  EXPECT_EQ(Role("Contributor").permissions[0].not_actions.size(), 11u);
  EXPECT_EQ(Role("Key Vault Crypto User").permissions[0].data_actions.size(), 9u);
  const RolePermission& daa = Role("Key Vault Data Access Administrator").permissions[0];
  EXPECT_EQ(daa.condition_version, "2.0");
  EXPECT_EQ(daa.condition.substr(0, 69),
            "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) ");
  EXPECT_EQ(Role("Key Vault Purge Operator").id, kPurgeOperator);
}

// One row: role, action, data?, expected.
struct Grant {
  std::string action;
  bool data;
  bool allowed;
};

void ExpectGrants(std::string_view role_name, const std::vector<Grant>& table) {
  const RoleDefinition& role = Role(role_name);
  for (const Grant& g : table) {
    EXPECT_EQ(RoleGrants(role, g.action, g.data), g.allowed)
        << role_name << (g.data ? " data action " : " action ") << g.action;
  }
}

const std::string kVaultWrite = "Microsoft.KeyVault/vaults/write";
const std::string kVaultRead = "Microsoft.KeyVault/vaults/read";
const std::string kVaultDelete = "Microsoft.KeyVault/vaults/delete";

TEST(RoleGrantsTest, ArmRolesHaveNoDataActions) {
  for (std::string_view role : {"Owner", "Contributor", "Reader", "User Access Administrator",
                                "Key Vault Contributor", "Key Vault Data Access Administrator",
                                "Key Vault Purge Operator"}) {
    ExpectGrants(role, {{Data("secrets/getSecret/action"), true, false},
                        {Data("secrets/readMetadata/action"), true, false},
                        {Data("keys/sign/action"), true, false},
                        {Data("certificates/read"), true, false}});
  }
}

TEST(RoleGrantsTest, Owner) {
  ExpectGrants("Owner", {{kVaultWrite, false, true},
                         {std::string(kRaWrite), false, true},
                         {std::string(kRaDelete), false, true},
                         {std::string(kVaultPurge), false, true}});
}

TEST(RoleGrantsTest, Contributor) {
  ExpectGrants("Contributor", {{kVaultWrite, false, true},
                               {kVaultDelete, false, true},
                               {std::string(kVaultPurge), false, true},
                               {"Microsoft.Authorization/roleAssignments/read", false, true},
                               {std::string(kRaWrite), false, false},
                               {std::string(kRaDelete), false, false},
                               {"Microsoft.Authorization/elevateAccess/Action", false, false}});
}

TEST(RoleGrantsTest, ReaderAndUserAccessAdministrator) {
  ExpectGrants("Reader", {{kVaultRead, false, true},
                          {"Microsoft.Authorization/roleAssignments/read", false, true},
                          {kVaultWrite, false, false},
                          {std::string(kRaWrite), false, false}});
  ExpectGrants("User Access Administrator", {{kVaultRead, false, true},
                                             {std::string(kRaWrite), false, true},
                                             {std::string(kRaDelete), false, true},
                                             {kVaultWrite, false, false}});
}

TEST(RoleGrantsTest, KeyVaultContributorManagesVaultsButCannotPurgeThem) {
  ExpectGrants("Key Vault Contributor",
               {{kVaultWrite, false, true},
                {kVaultDelete, false, true},
                {"Microsoft.KeyVault/deletedVaults/read", false, true},
                {std::string(kVaultPurge), false, false},
                {"Microsoft.KeyVault/managedHsms/write", false, false},
                {std::string(kRaWrite), false, false}});
}

TEST(RoleGrantsTest, PurgeOperatorPurgesVaultsOnly) {
  ExpectGrants("Key Vault Purge Operator",
               {{std::string(kVaultPurge), false, true},
                {"Microsoft.KeyVault/locations/deletedVaults/read", false, true},
                {"Microsoft.KeyVault/deletedVaults/read", false, true},
                {kVaultRead, false, false},
                {kVaultWrite, false, false},
                {kVaultDelete, false, false}});
}

TEST(RoleGrantsTest, KeyVaultAdministratorHasEveryDataActionButNoVaultWrites) {
  ExpectGrants("Key Vault Administrator",
               {{Data("secrets/getSecret/action"), true, true},
                {Data("secrets/purge/action"), true, true},
                {Data("keys/release/action"), true, true},
                {Data("certificatecontacts/read"), true, true},
                {Data("backup/action"), true, true},
                {"Microsoft.KeyVault/vaults/secrets/read", false, true},
                {kVaultRead, false, false},
                {kVaultWrite, false, false},
                {std::string(kRaWrite), false, false},
                {std::string(kVaultPurge), false, false}});
}

TEST(RoleGrantsTest, KeyVaultReaderReadsMetadataOnly) {
  ExpectGrants("Key Vault Reader", {{Data("secrets/readMetadata/action"), true, true},
                                    {Data("keys/read"), true, true},
                                    {Data("certificates/read"), true, true},
                                    {Data("keyrotationpolicies/read"), true, true},
                                    {Data("certificatecas/read"), true, true},
                                    {Data("secrets/getSecret/action"), true, false},
                                    {Data("keys/decrypt/action"), true, false},
                                    {Data("secrets/setSecret/action"), true, false},
                                    {"Microsoft.KeyVault/vaults/keys/read", false, true},
                                    {"Microsoft.KeyVault/deletedVaults/read", false, true},
                                    {kVaultRead, false, false},
                                    {kVaultWrite, false, false}});
}

TEST(RoleGrantsTest, SecretsRoles) {
  ExpectGrants("Key Vault Secrets User", {{Data("secrets/getSecret/action"), true, true},
                                          {Data("secrets/readMetadata/action"), true, true},
                                          {Data("secrets/setSecret/action"), true, false},
                                          {Data("secrets/delete"), true, false},
                                          {Data("keys/read"), true, false},
                                          {kVaultRead, false, false}});
  ExpectGrants("Key Vault Secrets Officer", {{Data("secrets/getSecret/action"), true, true},
                                             {Data("secrets/setSecret/action"), true, true},
                                             {Data("secrets/delete"), true, true},
                                             {Data("secrets/backup/action"), true, true},
                                             {Data("secrets/restore/action"), true, true},
                                             {Data("secrets/purge/action"), true, true},
                                             {Data("keys/read"), true, false},
                                             {Data("certificates/read"), true, false},
                                             {"Microsoft.KeyVault/checkNameAvailability/read",
                                              false, true},
                                             {kVaultRead, false, false},
                                             {kVaultWrite, false, false}});
}

TEST(RoleGrantsTest, CryptoRoles) {
  ExpectGrants("Key Vault Crypto Officer", {{Data("keys/create/action"), true, true},
                                            {Data("keys/purge/action"), true, true},
                                            {Data("keys/rotate/action"), true, true},
                                            {Data("keyrotationpolicies/write"), true, true},
                                            {Data("keys/release/action"), true, true},
                                            {Data("secrets/getSecret/action"), true, false}});
  ExpectGrants("Key Vault Crypto User", {{Data("keys/read"), true, true},
                                         {Data("keys/sign/action"), true, true},
                                         {Data("keys/verify/action"), true, true},
                                         {Data("keys/encrypt/action"), true, true},
                                         {Data("keys/decrypt/action"), true, true},
                                         {Data("keys/wrap/action"), true, true},
                                         {Data("keys/unwrap/action"), true, true},
                                         {Data("keys/update/action"), true, true},
                                         {Data("keys/backup/action"), true, true},
                                         {Data("keys/restore/action"), true, false},
                                         {Data("keys/create/action"), true, false},
                                         {Data("keys/delete"), true, false},
                                         {Data("keys/release/action"), true, false},
                                         {Data("keyrotationpolicies/read"), true, false}});
  ExpectGrants("Key Vault Crypto Service Encryption User",
               {{Data("keys/read"), true, true},
                {Data("keys/wrap/action"), true, true},
                {Data("keys/unwrap/action"), true, true},
                {Data("keys/sign/action"), true, false},
                {"Microsoft.EventGrid/eventSubscriptions/write", false, true},
                {kVaultRead, false, false}});
  ExpectGrants("Key Vault Crypto Service Release User",
               {{Data("keys/release/action"), true, true},
                {Data("keys/read"), true, false},
                {Data("keys/decrypt/action"), true, false}});
}

TEST(RoleGrantsTest, CertificateRoles) {
  ExpectGrants("Key Vault Certificates Officer",
               {{Data("certificates/create/action"), true, true},
                {Data("certificates/purge/action"), true, true},
                {Data("certificatecas/write"), true, true},
                {Data("certificatecontacts/write"), true, true},
                {Data("secrets/getSecret/action"), true, false},
                {Data("keys/read"), true, false}});
  ExpectGrants("Key Vault Certificate User",
               {{Data("certificates/read"), true, true},
                {Data("secrets/getSecret/action"), true, true},
                {Data("secrets/readMetadata/action"), true, true},
                {Data("keys/read"), true, true},
                {Data("certificates/create/action"), true, false},
                {Data("certificatecas/read"), true, false}});
}

TEST(RoleGrantsTest, DataAccessAdministratorAssignsOnlyTheRolesItsConditionLists) {
  const RoleDefinition& daa = Role("Key Vault Data Access Administrator");
  for (std::string_view listed :
       {"00482a5a-887f-4fb3-b363-3b7fe8e74483", "a4417e6f-fecd-4de8-b567-7b0420556985",
        "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        "12338af0-0e69-4776-bea7-57ae8d297424", "21090545-7ca7-4776-b22c-e363652d74d2",
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "4633458b-17de-408a-b874-0445c86b69e6"}) {
    EXPECT_TRUE(RoleGrants(daa, kRaWrite, false, listed)) << listed;
    EXPECT_TRUE(RoleGrants(daa, kRaDelete, false, listed)) << listed;
  }
  EXPECT_TRUE(RoleGrants(daa, kRaWrite, false, "4633458B-17DE-408A-B874-0445C86B69E6"));
  EXPECT_TRUE(RoleGrants(
      daa, kRaWrite, false,
      "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/" +
          std::string(kSecretsUser)));
  for (std::string_view not_listed : {kOwner, kCertificateUser, kDataAccessAdmin, kPurgeOperator,
                                      std::string_view("")}) {
    EXPECT_FALSE(RoleGrants(daa, kRaWrite, false, not_listed)) << not_listed;
    EXPECT_FALSE(RoleGrants(daa, kRaDelete, false, not_listed)) << not_listed;
  }
  // The condition constrains only assignment writes and deletes.
  EXPECT_TRUE(RoleGrants(daa, "Microsoft.Authorization/roleAssignments/read", false));
  EXPECT_TRUE(RoleGrants(daa, "Microsoft.Resources/subscriptions/read", false));
  EXPECT_TRUE(RoleGrants(daa, "Microsoft.KeyVault/vaults/accessPolicies/read", false));
  EXPECT_FALSE(RoleGrants(daa, kVaultRead, false));
  EXPECT_FALSE(RoleGrants(daa, kVaultWrite, false));
  EXPECT_FALSE(RoleGrants(daa, Data("secrets/getSecret/action"), true));
}

TEST(RoleConditionTest, UnknownConstructsAndVersionsFailClosed) {
  const std::string cond = Role("Key Vault Data Access Administrator").permissions[0].condition;
  EXPECT_TRUE(EvaluateRoleCondition(cond, "2.0", kRaWrite, kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition(cond, "1.0", kRaWrite, kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition(cond + ")", "2.0", kRaWrite, kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition(cond.substr(0, cond.size() - 3), "2.0", kRaWrite,
                                     kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition("@Request[Microsoft.Authorization/roleAssignments:"
                                     "PrincipalType] StringEqualsIgnoreCase{'User'}",
                                     "2.0", kRaWrite, kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition("SubOperationMatches{'x'}", "2.0", kRaWrite, kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition(std::string(200, '(') + std::string(200, ')'), "2.0",
                                     kRaWrite, kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition("", "2.0", kRaWrite, kSecretsUser));
}

TEST(RoleConditionTest, OperatorsAndPrecedence) {
  const std::string attr = "@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]";
  EXPECT_TRUE(EvaluateRoleCondition(attr + " GuidNotEquals{" + std::string(kOwner) + "}", "2.0",
                                    kRaDelete, kSecretsUser));
  EXPECT_FALSE(EvaluateRoleCondition(attr + " GuidNotEquals{" + std::string(kOwner) + "}", "2.0",
                                     kRaDelete, kOwner));
  // AND binds tighter than OR; && and || are synonyms.
  const std::string t = "ActionMatches{'*'}";
  const std::string f = "ActionMatches{'nothing'}";
  EXPECT_TRUE(EvaluateRoleCondition(t + " OR " + f + " AND " + f, "2.0", "x", ""));
  EXPECT_FALSE(EvaluateRoleCondition("(" + t + " || " + f + ") && " + f, "2.0", "x", ""));
  EXPECT_TRUE(EvaluateRoleCondition("!(" + f + ")", "2.0", "x", ""));
}

}  // namespace
}  // namespace coffer::auth
