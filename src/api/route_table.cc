#include "api/route_table.h"

#include "api/routes.h"
#include "backup/blob_codec.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

constexpr size_t kIdentityBody = 64 * 1024;
constexpr size_t kManagementBody = 1024 * 1024;
constexpr size_t kDataBody = 256 * 1024;
// A restore body: {"value": base64url of a blob of at most backup::kMaxBlobBytes}.
constexpr size_t kRestoreBody = (backup::kMaxBlobBytes + 2) / 3 * 4 + 64 * 1024;

constexpr std::string_view kVaultPath =
    "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}";

// Data-plane route: action and access-policy permission on the vault or the named object.
Route Data(std::string_view method, std::string_view pattern, std::string_view action,
           std::string_view policy, ObjectKind object, RouteHandler handler,
           bool run_inline = false, size_t body = kDataBody) {
  return Route{method, pattern, Plane::kData, Authz::kDataAction, action, policy,
               object, body, run_inline, handler};
}

Route Secret(std::string_view method, std::string_view pattern, std::string_view action,
             std::string_view policy, RouteHandler handler, bool run_inline = false) {
  return Data(method, pattern, action, policy, ObjectKind::kSecret, handler, run_inline);
}

Route Key(std::string_view method, std::string_view pattern, std::string_view action,
          std::string_view policy, RouteHandler handler, bool run_inline = false) {
  return Data(method, pattern, action, policy, ObjectKind::kKey, handler, run_inline);
}

Route Cert(std::string_view method, std::string_view pattern, std::string_view action,
           std::string_view policy, RouteHandler handler, bool run_inline = false) {
  return Data(method, pattern, action, policy, ObjectKind::kCertificate, handler, run_inline);
}

Route Admin(std::string_view method, std::string_view pattern, std::string_view action,
            RouteHandler handler) {
  return Route{method, pattern, Plane::kAdmin, Authz::kTenantAdmin, action, "",
               ObjectKind::kNone, method == "POST" ? kIdentityBody : 0, false, handler};
}

// The service-limit class of a route (CONTRACT.md "Throttling"): secret set, key import and
// certificate create and import count as secret creates; key create and rotate as key creates
// (App decides -HSM from the body or the key); every other key route, lists included, in
// key_other; every other data-plane route — secrets, certificates, contacts, issuers, rng — in
// vault_other. Other planes are not throttled.
ThrottleClass LimitClassOf(const Route& r) {
  if (r.plane != Plane::kData) return ThrottleClass::kNone;
  if (r.handler == SetSecret || r.handler == ImportKey || r.handler == CreateCertificate ||
      r.handler == ImportCertificate) {
    return ThrottleClass::kSecretCreate;
  }
  if (r.handler == CreateKey || r.handler == RotateKey) return ThrottleClass::kKeyCreate;
  if (r.action.starts_with("Microsoft.KeyVault/vaults/keys/") ||
      r.action.starts_with("Microsoft.KeyVault/vaults/keyrotationpolicies/")) {
    return ThrottleClass::kKeyOther;
  }
  return ThrottleClass::kVaultOther;
}

std::vector<Route> BuildTable() {
  // Reads (GET) and key operations run inline on the I/O thread; everything that commits goes
  // to the worker pool (App::OnHead).
  std::vector<Route> t = {
      // Identity: no token.
      {"POST", "{tenant}/oauth2/v2.0/token", Plane::kIdentity, Authz::kNone, "", "",
       ObjectKind::kNone, kIdentityBody, false, IssueToken},
      {"GET", "{tenant}/v2.0/.well-known/openid-configuration", Plane::kIdentity, Authz::kNone,
       "", "", ObjectKind::kNone, 0, true, OpenIdConfiguration},
      {"GET", "{tenant}/discovery/v2.0/keys", Plane::kIdentity, Authz::kNone, "", "",
       ObjectKind::kNone, 0, true, Jwks},
      // Operator: no token, served while sealed.
      {"GET", "_coffer/health", Plane::kOperator, Authz::kNone, "", "", ObjectKind::kNone, 0,
       true, Health},
      {"GET", "healthz", Plane::kOperator, Authz::kNone, "", "", ObjectKind::kNone, 0, true,
       Healthz},
      // Loopback without a token; elsewhere the handler asks for the tenant administrator.
      {"GET", "metrics", Plane::kOperator, Authz::kNone, "", "", ObjectKind::kNone, 0, true,
       MetricsScrape},
      {"POST", "_coffer/operator/unseal", Plane::kOperator, Authz::kNone, "", "",
       ObjectKind::kNone, kIdentityBody, false, Unseal},
      // Portal (CONTRACT.md "Portal"): static files and the dev sign-in, no token. "/portal/"
      // is the segment "portal" (SplitPath drops one trailing slash): index.html.
      {"GET", "portal", Plane::kPortal, Authz::kNone, "", "", ObjectKind::kNone, 0, true,
       PortalFile},
      {"GET", "portal/{file}", Plane::kPortal, Authz::kNone, "", "", ObjectKind::kNone, 0, true,
       PortalFile},
      {"POST", "portal/dev-token", Plane::kPortal, Authz::kNone, "", "", ObjectKind::kNone,
       kIdentityBody, false, PortalDevToken},
      // Dev clock (dev mode only).
      {"GET", "_coffer/dev/time-shift", Plane::kDev, Authz::kTenantAdmin,
       "Coffer/dev/time-shift/read", "", ObjectKind::kNone, 0, false, DevClock},
      {"POST", "_coffer/dev/time-shift", Plane::kDev, Authz::kTenantAdmin,
       "Coffer/dev/time-shift/action", "", ObjectKind::kNone, kIdentityBody, false, DevClock},

      // Tenant administration.
      Admin("POST", "_coffer/principals", "Coffer/principals/write", CreatePrincipal),
      Admin("GET", "_coffer/principals", "Coffer/principals/read", ListPrincipals),
      Admin("GET", "_coffer/principals/{oid}", "Coffer/principals/read", GetPrincipal),
      Admin("DELETE", "_coffer/principals/{oid}", "Coffer/principals/delete", DeletePrincipal),
      Admin("POST", "_coffer/principals/{oid}/secrets", "Coffer/principals/secrets/write",
            AddPrincipalSecret),
      Admin("DELETE", "_coffer/principals/{oid}/secrets/{keyId}",
            "Coffer/principals/secrets/delete", RevokePrincipalSecret),
      Admin("POST", "_coffer/subscriptions", "Coffer/subscriptions/write", CreateSubscription),
      Admin("POST", "_coffer/operator/failover/promote", "Coffer/operator/failover/action",
            PromotePair),
      {"GET", "subscriptions", Plane::kManagement, Authz::kHandler,
       "Microsoft.Resources/subscriptions/read", "", ObjectKind::kNone, 0, false,
       ListSubscriptions},

      // Role definitions and assignments at any scope (the handlers decide: a write's role
      // condition needs the body).
      {"GET", "providers/Microsoft.Authorization/roleDefinitions", Plane::kManagement,
       Authz::kHandler, "Microsoft.Authorization/roleDefinitions/read", "", ObjectKind::kNone,
       0, false, ListRoleDefinitions},
      {"GET", "providers/Microsoft.Authorization/roleDefinitions/{id}", Plane::kManagement,
       Authz::kHandler, "Microsoft.Authorization/roleDefinitions/read", "", ObjectKind::kNone,
       0, false, GetRoleDefinition},
      {"GET", "{scope*}/providers/Microsoft.Authorization/roleDefinitions", Plane::kManagement,
       Authz::kHandler, "Microsoft.Authorization/roleDefinitions/read", "", ObjectKind::kNone,
       0, false, ListRoleDefinitions},
      {"GET", "{scope*}/providers/Microsoft.Authorization/roleDefinitions/{id}",
       Plane::kManagement, Authz::kHandler, "Microsoft.Authorization/roleDefinitions/read", "",
       ObjectKind::kNone, 0, false, GetRoleDefinition},
      {"GET", "{scope*}/providers/Microsoft.Authorization/roleAssignments", Plane::kManagement,
       Authz::kHandler, "Microsoft.Authorization/roleAssignments/read", "", ObjectKind::kNone,
       0, false, ListRoleAssignments},
      {"PUT", "{scope*}/providers/Microsoft.Authorization/roleAssignments/{id}",
       Plane::kManagement, Authz::kHandler, "Microsoft.Authorization/roleAssignments/write", "",
       ObjectKind::kNone, kManagementBody, false, PutRoleAssignment},
      {"GET", "{scope*}/providers/Microsoft.Authorization/roleAssignments/{id}",
       Plane::kManagement, Authz::kHandler, "Microsoft.Authorization/roleAssignments/read", "",
       ObjectKind::kNone, 0, false, GetRoleAssignment},
      {"DELETE", "{scope*}/providers/Microsoft.Authorization/roleAssignments/{id}",
       Plane::kManagement, Authz::kHandler, "Microsoft.Authorization/roleAssignments/delete", "",
       ObjectKind::kNone, 0, false, DeleteRoleAssignment},

      // Management plane: vaults.
      {"GET", "subscriptions/{sub}/providers/Microsoft.KeyVault/vaults", Plane::kManagement,
       Authz::kHandler, "Microsoft.KeyVault/vaults/read", "", ObjectKind::kNone, 0, false,
       ListVaults},
      {"GET", "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults",
       Plane::kManagement, Authz::kHandler, "Microsoft.KeyVault/vaults/read", "",
       ObjectKind::kNone, 0, false, ListVaults},
      {"PUT", kVaultPath, Plane::kManagement, Authz::kVault, "Microsoft.KeyVault/vaults/write",
       "", ObjectKind::kNone, kManagementBody, false, PutVault},
      {"GET", kVaultPath, Plane::kManagement, Authz::kVault, "Microsoft.KeyVault/vaults/read", "",
       ObjectKind::kNone, 0, false, GetVault},
      {"PATCH", kVaultPath, Plane::kManagement, Authz::kVault,
       "Microsoft.KeyVault/vaults/write", "", ObjectKind::kNone, kManagementBody, false,
       PatchVault},
      {"DELETE", kVaultPath, Plane::kManagement, Authz::kVault,
       "Microsoft.KeyVault/vaults/delete", "", ObjectKind::kNone, 0, false, DeleteVault},

      {"PUT", "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/"
              "{vault}/accessPolicies/{operation}",
       Plane::kManagement, Authz::kVault, "Microsoft.KeyVault/vaults/accessPolicies/write", "",
       ObjectKind::kNone, kManagementBody, false, UpdateAccessPolicies},
      {"GET", "subscriptions/{sub}/providers/Microsoft.KeyVault/deletedVaults",
       Plane::kManagement, Authz::kSubscription, "Microsoft.KeyVault/deletedVaults/read", "",
       ObjectKind::kNone, 0, false, ListDeletedVaults},
      {"GET",
       "subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/"
       "{name}",
       Plane::kManagement, Authz::kSubscription,
       "Microsoft.KeyVault/locations/deletedVaults/read", "", ObjectKind::kNone, 0, false,
       GetDeletedVault},
      {"POST",
       "subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/"
       "{name}/purge",
       Plane::kManagement, Authz::kSubscription,
       "Microsoft.KeyVault/locations/deletedVaults/purge/action", "", ObjectKind::kNone,
       kManagementBody, false, PurgeDeletedVault},
      {"POST", "subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability",
       Plane::kManagement, Authz::kSubscription, "Microsoft.KeyVault/checkNameAvailability/read",
       "", ObjectKind::kNone, kManagementBody, false, CheckVaultNameAvailability},
      {"GET", "subscriptions/{sub}/resources", Plane::kManagement, Authz::kHandler,
       "Microsoft.Resources/subscriptions/resources/read", "", ObjectKind::kNone, 0, false,
       ListResources},

      // Secrets (AZURE_API.md §3; data actions and permissions from Part 2 §B2).
      Data("GET", "secrets", "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
           "secrets list", ObjectKind::kNone, ListSecrets, true),
      Data("GET", "deletedsecrets", "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
           "secrets list", ObjectKind::kNone, ListDeletedSecrets, true),
      Data("POST", "secrets/restore", "Microsoft.KeyVault/vaults/secrets/restore/action",
           "secrets restore", ObjectKind::kNone, RestoreSecret, false, kRestoreBody),
      Secret("GET", "deletedsecrets/{name}",
             "Microsoft.KeyVault/vaults/secrets/readMetadata/action", "secrets get",
             GetDeletedSecret, true),
      Secret("DELETE", "deletedsecrets/{name}", "Microsoft.KeyVault/vaults/secrets/purge/action",
             "secrets purge", PurgeDeletedSecret),
      Secret("POST", "deletedsecrets/{name}/recover",
             "Microsoft.KeyVault/vaults/secrets/recover/action", "secrets recover",
             RecoverDeletedSecret),
      Secret("GET", "secrets/{name}/versions",
             "Microsoft.KeyVault/vaults/secrets/readMetadata/action", "secrets list",
             ListSecretVersions, true),
      Secret("POST", "secrets/{name}/backup", "Microsoft.KeyVault/vaults/secrets/backup/action",
             "secrets backup", BackupSecret),
      Secret("PUT", "secrets/{name}", "Microsoft.KeyVault/vaults/secrets/setSecret/action",
             "secrets set", SetSecret),
      Secret("GET", "secrets/{name}", "Microsoft.KeyVault/vaults/secrets/getSecret/action",
             "secrets get", GetSecret, true),
      Secret("PATCH", "secrets/{name}", "Microsoft.KeyVault/vaults/secrets/update/action",
             "secrets set", UpdateSecret),
      Secret("DELETE", "secrets/{name}", "Microsoft.KeyVault/vaults/secrets/delete",
             "secrets delete", DeleteSecret),
      Secret("GET", "secrets/{name}/{version}",
             "Microsoft.KeyVault/vaults/secrets/getSecret/action", "secrets get", GetSecret,
             true),
      Secret("PATCH", "secrets/{name}/{version}",
             "Microsoft.KeyVault/vaults/secrets/update/action", "secrets set", UpdateSecret),

      // Keys (AZURE_API.md §4).
      Data("GET", "keys", "Microsoft.KeyVault/vaults/keys/read", "keys list", ObjectKind::kNone,
           ListKeys, true),
      Data("GET", "deletedkeys", "Microsoft.KeyVault/vaults/keys/read", "keys list",
           ObjectKind::kNone, ListDeletedKeys, true),
      Data("POST", "keys/restore", "Microsoft.KeyVault/vaults/keys/restore/action",
           "keys restore", ObjectKind::kNone, RestoreKey, false, kRestoreBody),
      Key("GET", "deletedkeys/{name}", "Microsoft.KeyVault/vaults/keys/read", "keys get",
          GetDeletedKey, true),
      Key("DELETE", "deletedkeys/{name}", "Microsoft.KeyVault/vaults/keys/purge/action",
          "keys purge", PurgeDeletedKey),
      Key("POST", "deletedkeys/{name}/recover", "Microsoft.KeyVault/vaults/keys/recover/action",
          "keys recover", RecoverDeletedKey),
      Key("GET", "keys/{name}/versions", "Microsoft.KeyVault/vaults/keys/read", "keys list",
          ListKeyVersions, true),
      Key("POST", "keys/{name}/create", "Microsoft.KeyVault/vaults/keys/create/action",
          "keys create", CreateKey),
      Key("POST", "keys/{name}/backup", "Microsoft.KeyVault/vaults/keys/backup/action",
          "keys backup", BackupKey),
      Key("POST", "keys/{name}/rotate", "Microsoft.KeyVault/vaults/keys/rotate/action",
          "keys rotate", RotateKey),
      Key("GET", "keys/{name}/rotationpolicy",
          "Microsoft.KeyVault/vaults/keyrotationpolicies/read", "keys getrotationpolicy",
          GetKeyRotationPolicy, true),
      Key("PUT", "keys/{name}/rotationpolicy",
          "Microsoft.KeyVault/vaults/keyrotationpolicies/write", "keys setrotationpolicy",
          SetKeyRotationPolicy),
      Key("PUT", "keys/{name}", "Microsoft.KeyVault/vaults/keys/import/action", "keys import",
          ImportKey),
      // Key attestation: literal, so before keys/{name}/{version}.
      Key("GET", "keys/{name}/attestation", "Microsoft.KeyVault/vaults/keys/read", "keys get",
          GetKeyAttestation, true),
      Key("GET", "keys/{name}/{version?}/attestation", "Microsoft.KeyVault/vaults/keys/read",
          "keys get", GetKeyAttestation, true),
      Key("GET", "keys/{name}", "Microsoft.KeyVault/vaults/keys/read", "keys get", GetKey, true),
      Key("PATCH", "keys/{name}", "Microsoft.KeyVault/vaults/keys/update/action", "keys update",
          UpdateKey),
      Key("DELETE", "keys/{name}", "Microsoft.KeyVault/vaults/keys/delete", "keys delete",
          DeleteKey),
      Key("GET", "keys/{name}/{version}", "Microsoft.KeyVault/vaults/keys/read", "keys get",
          GetKey, true),
      Key("PATCH", "keys/{name}/{version}", "Microsoft.KeyVault/vaults/keys/update/action",
          "keys update", UpdateKey),
      Key("POST", "keys/{name}/{version?}/encrypt", "Microsoft.KeyVault/vaults/keys/encrypt/action",
          "keys encrypt", KeyEncrypt, true),
      Key("POST", "keys/{name}/{version?}/decrypt", "Microsoft.KeyVault/vaults/keys/decrypt/action",
          "keys decrypt", KeyDecrypt, true),
      Key("POST", "keys/{name}/{version?}/wrapkey", "Microsoft.KeyVault/vaults/keys/wrap/action",
          "keys wrapKey", KeyWrap, true),
      Key("POST", "keys/{name}/{version?}/unwrapkey",
          "Microsoft.KeyVault/vaults/keys/unwrap/action", "keys unwrapKey", KeyUnwrap, true),
      Key("POST", "keys/{name}/{version?}/sign", "Microsoft.KeyVault/vaults/keys/sign/action",
          "keys sign", KeySign, true),
      Key("POST", "keys/{name}/{version?}/verify", "Microsoft.KeyVault/vaults/keys/verify/action",
          "keys verify", KeyVerify, true),
      // Secure key release: may fetch the attestation authority's keys, so never inline.
      Key("POST", "keys/{name}/release", "Microsoft.KeyVault/vaults/keys/release/action",
          "keys release", ReleaseKey),
      Key("POST", "keys/{name}/{version?}/release", "Microsoft.KeyVault/vaults/keys/release/action",
          "keys release", ReleaseKey),
      // Certificates (AZURE_API.md §5, Part 2 §A2; data actions and permissions from §B2).
      Data("GET", "certificates", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates list", ObjectKind::kNone, ListCertificates, true),
      Data("GET", "deletedcertificates", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates list", ObjectKind::kNone, ListDeletedCertificates, true),
      Data("POST", "certificates/restore",
           "Microsoft.KeyVault/vaults/certificates/restore/action", "certificates restore",
           ObjectKind::kNone, RestoreCertificate, false, kRestoreBody),
      // Contacts: literal, so before certificates/{name}. Reading them has no published data
      // action; CONTRACT.md names certificatecontacts/read.
      Data("GET", "certificates/contacts", "Microsoft.KeyVault/vaults/certificatecontacts/read",
           "certificates managecontacts", ObjectKind::kNone, GetCertificateContacts, true),
      Data("PUT", "certificates/contacts", "Microsoft.KeyVault/vaults/certificatecontacts/write",
           "certificates managecontacts", ObjectKind::kNone, SetCertificateContacts),
      Data("GET", "certificates/issuers", "Microsoft.KeyVault/vaults/certificatecas/read",
           "certificates listissuers", ObjectKind::kNone, ListCertificateIssuers, true),
      Data("GET", "certificates/issuers/{issuer}",
           "Microsoft.KeyVault/vaults/certificatecas/read", "certificates getissuers",
           ObjectKind::kNone, GetCertificateIssuer, true),
      Data("PUT", "certificates/issuers/{issuer}",
           "Microsoft.KeyVault/vaults/certificatecas/write", "certificates setissuers",
           ObjectKind::kNone, SetCertificateIssuer),
      Data("PATCH", "certificates/issuers/{issuer}",
           "Microsoft.KeyVault/vaults/certificatecas/write", "certificates setissuers",
           ObjectKind::kNone, UpdateCertificateIssuer),
      Data("DELETE", "certificates/issuers/{issuer}",
           "Microsoft.KeyVault/vaults/certificatecas/delete", "certificates deleteissuers",
           ObjectKind::kNone, DeleteCertificateIssuer),
      Data("DELETE", "certificates/contacts",
           "Microsoft.KeyVault/vaults/certificatecontacts/write", "certificates managecontacts",
           ObjectKind::kNone, DeleteCertificateContacts),
      Cert("GET", "deletedcertificates/{name}", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates get", GetDeletedCertificate, true),
      Cert("DELETE", "deletedcertificates/{name}",
           "Microsoft.KeyVault/vaults/certificates/purge/action", "certificates purge",
           PurgeDeletedCertificate),
      Cert("POST", "deletedcertificates/{name}/recover",
           "Microsoft.KeyVault/vaults/certificates/recover/action", "certificates recover",
           RecoverDeletedCertificate),
      Cert("GET", "certificates/{name}/versions", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates list", ListCertificateVersions, true),
      Cert("POST", "certificates/{name}/backup",
           "Microsoft.KeyVault/vaults/certificates/backup/action", "certificates backup",
           BackupCertificate),
      Cert("POST", "certificates/{name}/create",
           "Microsoft.KeyVault/vaults/certificates/create/action", "certificates create",
           CreateCertificate),
      Cert("POST", "certificates/{name}/import",
           "Microsoft.KeyVault/vaults/certificates/import/action", "certificates import",
           ImportCertificate),
      Cert("POST", "certificates/{name}/pending/merge",
           "Microsoft.KeyVault/vaults/certificates/create/action", "certificates create",
           MergeCertificate),
      Cert("GET", "certificates/{name}/pending", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates get", GetCertificateOperation, true),
      Cert("PATCH", "certificates/{name}/pending",
           "Microsoft.KeyVault/vaults/certificates/update/action", "certificates update",
           CancelCertificateOperation),
      Cert("DELETE", "certificates/{name}/pending", "Microsoft.KeyVault/vaults/certificates/delete",
           "certificates delete", DeleteCertificateOperation),
      Cert("GET", "certificates/{name}/policy", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates get", GetCertificatePolicy, true),
      Cert("PATCH", "certificates/{name}/policy",
           "Microsoft.KeyVault/vaults/certificates/update/action", "certificates update",
           UpdateCertificatePolicy),
      Cert("GET", "certificates/{name}", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates get", GetCertificate, true),
      Cert("PATCH", "certificates/{name}", "Microsoft.KeyVault/vaults/certificates/update/action",
           "certificates update", UpdateCertificate),
      Cert("DELETE", "certificates/{name}", "Microsoft.KeyVault/vaults/certificates/delete",
           "certificates delete", DeleteCertificate),
      Cert("GET", "certificates/{name}/{version}", "Microsoft.KeyVault/vaults/certificates/read",
           "certificates get", GetCertificate, true),
      Cert("PATCH", "certificates/{name}/{version}",
           "Microsoft.KeyVault/vaults/certificates/update/action", "certificates update",
           UpdateCertificate),
      // Whole-vault backup and restore (CONTRACT.md): Key Vault Administrator's vaults/*; with
      // access policies, backup (restore) on all three kinds.
      Data("POST", "backup", "Microsoft.KeyVault/vaults/backup/action",
           "secrets backup,keys backup,certificates backup", ObjectKind::kNone,
           StartVaultBackup),
      Data("GET", "backup/{job}/pending", "Microsoft.KeyVault/vaults/backup/action",
           "secrets backup,keys backup,certificates backup", ObjectKind::kNone,
           GetVaultBackupJob, true),
      Data("GET", "backup/{job}/content", "Microsoft.KeyVault/vaults/backup/action",
           "secrets backup,keys backup,certificates backup", ObjectKind::kNone,
           GetVaultBackupContent),
      Data("PUT", "restore", "Microsoft.KeyVault/vaults/restore/action",
           "secrets restore,keys restore,certificates restore", ObjectKind::kNone,
           StartVaultRestore, false, kMaxArchiveHttpBytes),
      Data("GET", "restore/{job}/pending", "Microsoft.KeyVault/vaults/restore/action",
           "secrets restore,keys restore,certificates restore", ObjectKind::kNone,
           GetVaultRestoreJob, true),
      // Random bytes reveal nothing about the vault: any caller of the tenant (docs/decisions.md).
      {"POST", "rng", Plane::kData, Authz::kHandler, "", "", ObjectKind::kNone, kDataBody, true,
       RandomBytes},
  };
  for (Route& r : t) {
    r.limit = LimitClassOf(r);
    // A per-object restore holds its body, the parsed JSON string, the base64url-decoded blob
    // and the opened plaintext at once: about 5× the body (bench/body_budget.sh measured 5.5×
    // of the peak RSS per body in flight).
    if (r.body_limit == kRestoreBody) r.body_memory_factor = 5;
    r.spool_body = r.handler == StartVaultRestore;
  }
  return t;
}

}  // namespace

const std::string& RouteParams::Get(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [n, v] : items) {
    if (n == name) return v;
  }
  return kEmpty;
}

RouteTable::RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {
  compiled_.reserve(routes_.size());
  for (const Route& r : routes_) {
    Compiled c;
    std::string_view p = r.pattern;
    while (true) {
      size_t slash = p.find('/');
      c.segments.push_back(p.substr(0, slash));
      if (slash == std::string_view::npos) break;
      p.remove_prefix(slash + 1);
    }
    c.scope_prefix = c.segments.front() == "{scope*}";
    compiled_.push_back(std::move(c));
  }
}

bool RouteTable::MatchPath(const Compiled& c, const std::vector<std::string>& segments,
                           RouteParams* params) const {
  size_t fixed = c.segments.size() - (c.scope_prefix ? 1 : 0);
  if (c.scope_prefix ? segments.size() <= fixed : segments.size() != fixed) return false;
  size_t offset = segments.size() - fixed;  // segments taken by {scope*}
  params->items.clear();
  for (size_t i = c.scope_prefix ? 1 : 0; i < c.segments.size(); ++i) {
    std::string_view want = c.segments[i];
    const std::string& got = segments[i - (c.scope_prefix ? 1 : 0) + offset];
    if (want.front() == '{') {
      bool optional = want.size() > 2 && want[want.size() - 2] == '?';
      if (got.empty() && !optional) return false;
      std::string_view name = want.substr(1, want.size() - (optional ? 3 : 2));
      params->items.emplace_back(name, got);
    } else if (!EqualsIgnoreCase(want, got)) {
      return false;
    }
  }
  if (c.scope_prefix) {
    std::string scope;
    for (size_t i = 0; i < offset; ++i) scope += "/" + segments[i];
    params->items.emplace_back("scope", std::move(scope));
  }
  return true;
}

RouteMatch RouteTable::Match(std::string_view method, const std::vector<std::string>& segments,
                             bool vault_host) const {
  RouteMatch m;
  RouteParams params;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (vault_host && r.plane != Plane::kData) continue;
    if (!MatchPath(compiled_[i], segments, &params)) continue;
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    m.path_exists = true;
    if (m.allowed.find(r.method) == std::string::npos) {
      if (!m.allowed.empty()) m.allowed += ", ";
      m.allowed += r.method;
    }
  }
  return m;
}

const RouteTable& CofferRoutes() {
  static const RouteTable table(BuildTable());
  return table;
}

}  // namespace coffer::api
