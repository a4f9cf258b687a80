// Route handlers, one file per resource family; route_table.cc lists which route calls which.
// Each takes the App (options and services), the request context from OnHead (route
// parameters, the caller, and for the data plane the vault and api-version) and the request,
// and returns the response. They never throw.
// Thread-safety: called concurrently on I/O and worker threads.
#pragma once

#include "api/app.h"
#include "api/request_context.h"

namespace coffer::api {

#define COFFER_ROUTE_HANDLER(name) \
  http::Response name(const App& app, const RequestContext& ctx, http::Request& req)

// identity_routes.cc: token endpoint, discovery, JWKS; operator; dev clock.
COFFER_ROUTE_HANDLER(IssueToken);
COFFER_ROUTE_HANDLER(OpenIdConfiguration);
COFFER_ROUTE_HANDLER(Jwks);
COFFER_ROUTE_HANDLER(Health);
COFFER_ROUTE_HANDLER(Unseal);
COFFER_ROUTE_HANDLER(DevClock);

// status_routes.cc: health and metrics.
COFFER_ROUTE_HANDLER(Healthz);
COFFER_ROUTE_HANDLER(MetricsScrape);
COFFER_ROUTE_HANDLER(PromotePair);

// vault_routes.cc: ARM vaults.
COFFER_ROUTE_HANDLER(ListVaults);
COFFER_ROUTE_HANDLER(PutVault);
COFFER_ROUTE_HANDLER(GetVault);
COFFER_ROUTE_HANDLER(PatchVault);
COFFER_ROUTE_HANDLER(DeleteVault);
COFFER_ROUTE_HANDLER(UpdateAccessPolicies);

// deleted_vault_routes.cc: deleted vaults, name availability, the generic resource list.
COFFER_ROUTE_HANDLER(ListDeletedVaults);
COFFER_ROUTE_HANDLER(GetDeletedVault);
COFFER_ROUTE_HANDLER(PurgeDeletedVault);
COFFER_ROUTE_HANDLER(CheckVaultNameAvailability);
COFFER_ROUTE_HANDLER(ListResources);

// role_routes.cc: ARM role definitions and assignments at any scope.
COFFER_ROUTE_HANDLER(ListRoleDefinitions);
COFFER_ROUTE_HANDLER(GetRoleDefinition);
COFFER_ROUTE_HANDLER(PutRoleAssignment);
COFFER_ROUTE_HANDLER(GetRoleAssignment);
COFFER_ROUTE_HANDLER(DeleteRoleAssignment);
COFFER_ROUTE_HANDLER(ListRoleAssignments);

// admin_routes.cc: principals, subscriptions.
COFFER_ROUTE_HANDLER(CreatePrincipal);
COFFER_ROUTE_HANDLER(ListPrincipals);
COFFER_ROUTE_HANDLER(GetPrincipal);
COFFER_ROUTE_HANDLER(DeletePrincipal);
COFFER_ROUTE_HANDLER(AddPrincipalSecret);
COFFER_ROUTE_HANDLER(RevokePrincipalSecret);
COFFER_ROUTE_HANDLER(CreateSubscription);
COFFER_ROUTE_HANDLER(ListSubscriptions);

// secret_routes.cc
COFFER_ROUTE_HANDLER(ListSecrets);
COFFER_ROUTE_HANDLER(ListDeletedSecrets);
COFFER_ROUTE_HANDLER(GetDeletedSecret);
COFFER_ROUTE_HANDLER(PurgeDeletedSecret);
COFFER_ROUTE_HANDLER(RecoverDeletedSecret);
COFFER_ROUTE_HANDLER(RestoreSecret);
COFFER_ROUTE_HANDLER(ListSecretVersions);
COFFER_ROUTE_HANDLER(BackupSecret);
COFFER_ROUTE_HANDLER(SetSecret);
COFFER_ROUTE_HANDLER(GetSecret);        // {version} absent or empty = latest
COFFER_ROUTE_HANDLER(UpdateSecret);
COFFER_ROUTE_HANDLER(DeleteSecret);

// certificate_routes.cc
COFFER_ROUTE_HANDLER(ListCertificates);
COFFER_ROUTE_HANDLER(ListDeletedCertificates);
COFFER_ROUTE_HANDLER(GetDeletedCertificate);
COFFER_ROUTE_HANDLER(PurgeDeletedCertificate);
COFFER_ROUTE_HANDLER(RecoverDeletedCertificate);
COFFER_ROUTE_HANDLER(ListCertificateVersions);
COFFER_ROUTE_HANDLER(CreateCertificate);
COFFER_ROUTE_HANDLER(ImportCertificate);
COFFER_ROUTE_HANDLER(MergeCertificate);
COFFER_ROUTE_HANDLER(GetCertificatePolicy);
COFFER_ROUTE_HANDLER(GetCertificateContacts);
COFFER_ROUTE_HANDLER(SetCertificateContacts);
COFFER_ROUTE_HANDLER(DeleteCertificateContacts);
COFFER_ROUTE_HANDLER(ListCertificateIssuers);
COFFER_ROUTE_HANDLER(GetCertificateIssuer);
COFFER_ROUTE_HANDLER(SetCertificateIssuer);
COFFER_ROUTE_HANDLER(UpdateCertificateIssuer);
COFFER_ROUTE_HANDLER(DeleteCertificateIssuer);
COFFER_ROUTE_HANDLER(UpdateCertificatePolicy);
COFFER_ROUTE_HANDLER(GetCertificateOperation);
COFFER_ROUTE_HANDLER(CancelCertificateOperation);
COFFER_ROUTE_HANDLER(DeleteCertificateOperation);
COFFER_ROUTE_HANDLER(GetCertificate);     // {version} absent or empty = latest
COFFER_ROUTE_HANDLER(UpdateCertificate);
COFFER_ROUTE_HANDLER(DeleteCertificate);
COFFER_ROUTE_HANDLER(BackupCertificate);
COFFER_ROUTE_HANDLER(RestoreCertificate);

// key_routes.cc
COFFER_ROUTE_HANDLER(ListKeys);
COFFER_ROUTE_HANDLER(ListDeletedKeys);
COFFER_ROUTE_HANDLER(GetDeletedKey);
COFFER_ROUTE_HANDLER(PurgeDeletedKey);
COFFER_ROUTE_HANDLER(RecoverDeletedKey);
COFFER_ROUTE_HANDLER(RestoreKey);
COFFER_ROUTE_HANDLER(ListKeyVersions);
COFFER_ROUTE_HANDLER(CreateKey);
COFFER_ROUTE_HANDLER(BackupKey);
COFFER_ROUTE_HANDLER(RotateKey);
COFFER_ROUTE_HANDLER(GetKeyRotationPolicy);
COFFER_ROUTE_HANDLER(SetKeyRotationPolicy);
COFFER_ROUTE_HANDLER(ImportKey);
COFFER_ROUTE_HANDLER(GetKey);
COFFER_ROUTE_HANDLER(UpdateKey);
COFFER_ROUTE_HANDLER(DeleteKey);

// key_operation_routes.cc: POST /keys/{name}/{version?}/<op>, POST /rng.
COFFER_ROUTE_HANDLER(KeyEncrypt);
COFFER_ROUTE_HANDLER(KeyDecrypt);
COFFER_ROUTE_HANDLER(KeyWrap);
COFFER_ROUTE_HANDLER(KeyUnwrap);
COFFER_ROUTE_HANDLER(KeySign);
COFFER_ROUTE_HANDLER(KeyVerify);
COFFER_ROUTE_HANDLER(RandomBytes);

// key_release_routes.cc: secure key release, key attestation.
COFFER_ROUTE_HANDLER(ReleaseKey);
COFFER_ROUTE_HANDLER(GetKeyAttestation);

// vault_backup_routes.cc: whole-vault backup and restore (long-running operations).
// An archive crosses HTTP whole (the HTTP layer buffers bodies): at most this many bytes, the
// PUT /restore body cap and the largest GET /backup/{jobId}/content answer.
constexpr size_t kMaxArchiveHttpBytes = size_t{256} * 1024 * 1024;
COFFER_ROUTE_HANDLER(StartVaultBackup);
COFFER_ROUTE_HANDLER(GetVaultBackupJob);
COFFER_ROUTE_HANDLER(GetVaultBackupContent);
COFFER_ROUTE_HANDLER(StartVaultRestore);
COFFER_ROUTE_HANDLER(GetVaultRestoreJob);

// portal_routes.cc: the portal's static files and its dev sign-in (CONTRACT.md "Portal").
COFFER_ROUTE_HANDLER(PortalFile);
COFFER_ROUTE_HANDLER(PortalDevToken);

// Shared helpers.
// The audience a client-credentials scope asks for: exactly one "<audience>/.default" of a
// known audience, optionally with the OIDC scopes openid, profile and offline_access (which
// grant nothing here); "" for anything else (CONTRACT.md "Identity and tokens").
std::string ScopeAudience(const App& app, std::string_view scope);
// maxresults: 1..25, default 25; 400 otherwise.
StatusOr<size_t> PageSize(const http::Request& req);
// $skiptoken, or "" when absent.
std::string SkipToken(const http::Request& req);
Status CheckDataApiVersion(const http::RequestHead& head, std::string* version);
Status CheckManagementApiVersion(const http::RequestHead& head);
// 400 for a subscription id that is not a GUID, 404 SubscriptionNotFound for one that is not
// the deployment's.
Status CheckSubscription(const App& app, std::string_view sub);
// Whether the caller may read the vault's management resource (lists show only those).
bool CanRead(const App& app, const RequestContext& ctx, const model::VaultRecord& v);
// 404 NotFound naming the method and path.
http::Response NoRoute(const http::RequestHead& req);
// The decoded "value" of a restore body; 400 when missing, empty or not base64url.
StatusOr<std::string> RestoreBlob(const http::Request& req);
// 204 with no body.
http::Response NoContent();

}  // namespace coffer::api
