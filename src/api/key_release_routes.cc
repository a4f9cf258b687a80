// Secure key release (CONTRACT.md "Secure key release", AZURE_API.md §4.1):
//   POST /keys/{name}[/{version}]/release  {target, nonce?, enc?} → {"value": "<JWS>"}
//   GET  /keys/{name}[/{version}]/attestation → 400: Coffer's keys are software keys.
// The release runs on a worker thread: verifying the attestation may fetch the authority's
// keys over HTTPS (bounded by [release] timeout_seconds, cached; docs/decisions.md).
//
// The answer is a JWS signed with the deployment's token key (ES256, its kid in the discovery
// JWKS) whose payload is Azure's: {"request": {"api-version", "enc", "kid", "nonce"?},
// "response": {"key": <KeyBundle whose key.key_hsm is base64url of {"schema_version": "1.0",
// "header": {"kid": <runtime key kid>, "alg": "dir", "enc": <enc>}, "ciphertext": <base64url>}>}}.
#include "api/errors.h"
#include "api/json_body.h"
#include "api/key_json.h"
#include "api/routes.h"
#include "auth/release_policy.h"
#include "core/encoding.h"
#include "crypto/key_release.h"

namespace coffer::api {
namespace {

struct ReleaseRequest {
  std::string target;
  std::string nonce;
  std::string enc;
};

StatusOr<ReleaseRequest> ParseRelease(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  ReleaseRequest r;
  ASSIGN_OR_RETURN(auto target, OptString(body, "target"));
  if (!target || target->empty()) {
    return FieldTypeError("target", "the attestation token (a JWT) of the environment to release "
                                    "the key to");
  }
  r.target = std::move(*target);
  ASSIGN_OR_RETURN(auto nonce, OptString(body, "nonce"));
  r.nonce = nonce.value_or("");
  ASSIGN_OR_RETURN(auto enc, OptString(body, "enc"));
  r.enc = enc.value_or(std::string(crypto::kDefaultKeyReleaseAlgorithm));
  if (!crypto::IsKeyReleaseAlgorithm(r.enc)) {
    return InvalidArgumentError("enc '" + r.enc.substr(0, 40) +
                                    "' is not a key release algorithm; use CKM_RSA_AES_KEY_WRAP, "
                                    "RSA_AES_KEY_WRAP_256 or RSA_AES_KEY_WRAP_384.",
                                "BadParameter");
  }
  return r;
}

StatusOr<std::string> Release(const App& app, const RequestContext& ctx, http::Request& req) {
  auth::AttestationVerifier* verifier = app.services().attestation;
  if (verifier == nullptr) {
    return FailedPreconditionError("Secure key release is not available on this server.",
                                   "BadParameter");
  }
  ASSIGN_OR_RETURN(ReleaseRequest r, ParseRelease(req));
  vault::KeyService& keys = *app.services().keys;
  const model::VaultRecord& vault = *ctx.vault;
  const std::string& name = ctx.Param("name");
  std::string version = AsciiLower(ctx.Param("version"));
  ASSIGN_OR_RETURN(vault::KeyView candidate, keys.ReleaseCandidate(vault, name, version));
  const model::KeyReleasePolicy& stored = *candidate.version.release_policy;
  ASSIGN_OR_RETURN(auth::ReleasePolicy policy, auth::ParseReleasePolicy(stored.data));
  ASSIGN_OR_RETURN(auth::VerifiedAttestation attested,
                   verifier->Verify(r.target, policy, r.nonce));
  ASSIGN_OR_RETURN(vault::ReleasedKey released,
                   keys.Release(vault, name, candidate.version.version, stored,
                                attested.runtime_key, r.enc));

  std::string origin = ctx.host.Origin();
  Json header = {{"alg", "dir"}, {"enc", r.enc}};
  if (!attested.runtime_kid.empty()) header["kid"] = attested.runtime_kid;
  Json key_hsm = {{"schema_version", "1.0"},
                  {"header", header},
                  {"ciphertext", EncodeBase64Url(released.wrapped)}};
  Json bundle = KeyBundleJson(origin, vault, released.view);
  bundle["key"]["key_hsm"] = EncodeBase64Url(Dump(key_hsm));
  Json request = {{"api-version", ctx.api_version},
                  {"enc", r.enc},
                  {"kid", origin + "/keys/" + released.view.name +
                              (version.empty() ? "" : "/" + released.view.version.version)}};
  if (!r.nonce.empty()) request["nonce"] = r.nonce;
  Json payload = {{"request", request}, {"response", {{"key", bundle}}}};
  return app.services().tokens->SignJws(Dump(payload));
}

}  // namespace

COFFER_ROUTE_HANDLER(ReleaseKey) {
  auto jws = Release(app, ctx, req);
  if (!jws.ok()) return ErrorResponse(jws.status());
  return JsonResponse(200, Dump(Json{{"value", *jws}}));
}

COFFER_ROUTE_HANDLER(GetKeyAttestation) {
  auto key = app.services().keys->Get(*ctx.vault, ctx.Param("name"),
                                      AsciiLower(ctx.Param("version")));
  if (!key.ok()) return ErrorResponse(key.status());
  return ErrorResponse(InvalidArgumentError(
      "Key '" + key->name + "' has no attestation: key attestation exists only for keys " +
          "generated inside a hardware security module, and Coffer keeps every key in " +
          "software (kty " + key->version.kty + " included).",
      "BadParameter"));
}

}  // namespace coffer::api
