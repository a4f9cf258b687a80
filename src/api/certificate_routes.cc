// Certificates API routes (AZURE_API.md §5, Part 2 §A2–A4, A6): /certificates/... and
// /deletedcertificates/... on a vault host. Status codes: create 202, merge 201, purge 204,
// everything else 200.
#include "api/certificate_json.h"
#include "api/errors.h"
#include "api/json_body.h"
#include "api/object_json.h"
#include "api/routes.h"
#include "core/encoding.h"
#include "crypto/certificate_info.h"
#include "vault/certificate_service.h"

namespace coffer::api {
namespace {

using model::CertificateOperationStatus;
using vault::CertificateView;

vault::CertificateService& Certs(const App& app) { return *app.services().certificates; }

struct Writer {
  const RequestContext& ctx;
  std::string Base() const { return ctx.host.Origin(); }
  const model::VaultRecord& Vault() const { return *ctx.vault; }

  Json Bundle(const CertificateView& c) const {
    Json j;
    const std::string& v = c.version.version;
    j["id"] = Base() + "/certificates/" + c.name + "/" + v;
    if (!c.version.cer.empty()) {
      j["kid"] = Base() + "/keys/" + c.name + "/" + v;
      j["sid"] = Base() + "/secrets/" + c.name + "/" + v;
      j["x5t"] = crypto::CertificateX5t(c.version.cer);
      j["cer"] = crypto::CertificateCer(c.version.cer);
    }
    j["attributes"] = AttributesJson(c.version.attributes, Vault());
    if (c.policy) {
      j["policy"] =
          CertificatePolicyJson(*c.policy, Base() + "/certificates/" + c.name + "/policy");
    }
    j["tags"] = c.version.tags;
    if (c.version.preserve_cert_order) j["preserveCertOrder"] = true;
    if (c.has_operation) j["pending"] = {{"id", Base() + "/certificates/" + c.name + "/pending"}};
    AddDeletedJson(j, Base(), "deletedcertificates", c.name, c.deleted);
    return j;
  }

  Json Item(const CertificateView& c, bool versioned) const {
    Json j;
    j["id"] = Base() + "/certificates/" + c.name + (versioned ? "/" + c.version.version : "");
    j["attributes"] = AttributesJson(c.version.attributes, Vault());
    j["tags"] = c.version.tags;
    if (!c.version.cer.empty()) j["x5t"] = crypto::CertificateX5t(c.version.cer);
    AddDeletedJson(j, Base(), "deletedcertificates", c.name, c.deleted);
    return j;
  }

  // `as_in_progress`: the create's own answer says inProgress (Azure's), the next GET the truth.
  Json Operation(const vault::CertificateOperationView& v, bool as_in_progress = false) const {
    const model::CertificateOperation& op = v.operation;
    CertificateOperationStatus status =
        as_in_progress ? CertificateOperationStatus::kInProgress : op.status;
    Json j;
    j["id"] = Base() + "/certificates/" + v.name + "/pending";
    j["issuer"] = {{"name", op.issuer_name}};
    if (!op.csr.empty()) j["csr"] = op.csr;
    j["cancellation_requested"] = op.cancellation_requested;
    j["status"] = std::string(model::CertificateOperationStatusName(status));
    if (status == CertificateOperationStatus::kInProgress) {
      j["status_details"] = op.issuer_name == "Unknown"
                                ? "Pending certificate created. Please Perform Merge to complete "
                                  "the request."
                                : "Pending certificate created. Certificate request is in "
                                  "progress. This may take some time based on the issuer "
                                  "provider. Please check again later.";
    }
    if (status == CertificateOperationStatus::kFailed) {
      j["error"] = {{"code", op.error_code}, {"message", op.error_message}};
    }
    if (status == CertificateOperationStatus::kCompleted) {
      j["target"] = Base() + "/certificates/" + v.name;
    }
    j["request_id"] = op.version;
    // The SDK reads the create's 202 as the pending certificate's first picture.
    if (v.preserve_cert_order) j["preserveCertOrder"] = true;
    return j;
  }

  http::Response Page(const vault::CertificatePage& page, bool versioned, const std::string& path,
                      size_t max) const {
    Json items = Json::array();
    for (const auto& c : page.items) items.push_back(Item(c, versioned));
    return PageResponse(std::move(items), Base(), path, ctx.api_version, page.next_token, max);
  }
};

http::Response Respond(const StatusOr<CertificateView>& r, const RequestContext& ctx,
                       int status = 200) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(status, Dump(Writer{ctx}.Bundle(*r)));
}

http::Response RespondOperation(const StatusOr<vault::CertificateOperationView>& r,
                                const RequestContext& ctx, int status = 200,
                                bool as_in_progress = false) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(status, Dump(Writer{ctx}.Operation(*r, as_in_progress)));
}

StatusOr<std::optional<bool>> ReadEnabled(const Json& body) {
  ASSIGN_OR_RETURN(const Json* attrs, OptObject(body, "attributes"));
  if (attrs == nullptr) return std::optional<bool>();
  return OptBool(*attrs, "enabled");
}

// What create and import both take for the new version: tags, attributes.enabled and
// preserveCertOrder.
template <typename Params>
Status ReadVersionOptions(const Json& body, Params& p) {
  ASSIGN_OR_RETURN(p.tags, OptTags(body, "tags"));
  ASSIGN_OR_RETURN(p.enabled, ReadEnabled(body));
  ASSIGN_OR_RETURN(auto preserve, OptBool(body, "preserveCertOrder"));
  p.preserve_cert_order = preserve.value_or(false);
  return OkStatus();
}

bool IncludePending(const http::Request& req) {
  auto v = req.Query("includePending");
  return v && EqualsIgnoreCase(*v, "true");
}

http::Response ListPage(const App& app, const RequestContext& ctx, http::Request& req,
                        bool deleted) {
  auto max = PageSize(req);
  if (!max.ok()) return ErrorResponse(max.status());
  auto page = deleted ? Certs(app).ListDeleted(*ctx.vault, *max, SkipToken(req))
                      : Certs(app).List(*ctx.vault, *max, SkipToken(req), IncludePending(req));
  if (!page.ok()) return ErrorResponse(page.status());
  return Writer{ctx}.Page(*page, false, deleted ? "/deletedcertificates" : "/certificates", *max);
}

StatusOr<vault::CertificateCreateParams> ParseCreate(const App& app, const RequestContext& ctx,
                                                     const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  vault::CertificateCreateParams p;
  ASSIGN_OR_RETURN(const Json* policy, OptObject(body, "policy"));
  if (policy != nullptr) {
    RETURN_IF_ERROR(ReadCertificatePolicy(*policy, true, &p.policy));
  } else {
    // A later create may omit the policy and reuse the stored one.
    auto stored = Certs(app).GetPolicy(*ctx.vault, ctx.Param("name"));
    if (!stored.ok()) {
      return InvalidArgumentError("The create request needs a 'policy' (the certificate has none).",
                                  "BadParameter");
    }
    p.policy = std::move(*stored);
  }
  RETURN_IF_ERROR(ReadVersionOptions(body, p));
  return p;
}

StatusOr<vault::CertificateImportParams> ParseImport(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  vault::CertificateImportParams p;
  ASSIGN_OR_RETURN(auto value, OptString(body, "value"));
  if (!value) return FieldTypeError("value", "a string (base64 PFX or PEM text)");
  p.value = std::move(*value);
  ASSIGN_OR_RETURN(auto pwd, OptString(body, "pwd"));
  if (pwd) {
    p.password = SecretBytes(*pwd);
    SecureClear(*pwd);
  }
  ASSIGN_OR_RETURN(const Json* policy, OptObject(body, "policy"));
  if (policy != nullptr) {
    model::CertificatePolicy parsed;
    RETURN_IF_ERROR(ReadCertificatePolicy(*policy, true, &parsed));
    p.policy = std::move(parsed);
  }
  RETURN_IF_ERROR(ReadVersionOptions(body, p));
  return p;
}

}  // namespace

COFFER_ROUTE_HANDLER(ListCertificates) { return ListPage(app, ctx, req, false); }
COFFER_ROUTE_HANDLER(ListDeletedCertificates) { return ListPage(app, ctx, req, true); }

COFFER_ROUTE_HANDLER(GetDeletedCertificate) {
  return Respond(Certs(app).GetDeleted(*ctx.vault, ctx.Param("name")), ctx);
}

COFFER_ROUTE_HANDLER(PurgeDeletedCertificate) {
  Status st = Certs(app).Purge(*ctx.vault, ctx.Param("name"));
  if (!st.ok()) return ErrorResponse(st);
  return NoContent();
}

COFFER_ROUTE_HANDLER(RecoverDeletedCertificate) {
  return Respond(Certs(app).Recover(*ctx.vault, ctx.Param("name")), ctx);
}

COFFER_ROUTE_HANDLER(ListCertificateVersions) {
  auto max = PageSize(req);
  if (!max.ok()) return ErrorResponse(max.status());
  const std::string& name = ctx.Param("name");
  auto page = Certs(app).ListVersions(*ctx.vault, name, *max, SkipToken(req));
  if (!page.ok()) return ErrorResponse(page.status());
  return Writer{ctx}.Page(*page, true, "/certificates/" + name + "/versions", *max);
}

COFFER_ROUTE_HANDLER(CreateCertificate) {
  auto params = ParseCreate(app, ctx, req);
  if (!params.ok()) return ErrorResponse(params.status());
  return RespondOperation(Certs(app).Create(*ctx.vault, ctx.Param("name"), std::move(*params)),
                          ctx, 202, /*as_in_progress=*/true);
}

COFFER_ROUTE_HANDLER(ImportCertificate) {
  auto params = ParseImport(req);
  if (!params.ok()) return ErrorResponse(params.status());
  return Respond(Certs(app).Import(*ctx.vault, ctx.Param("name"), std::move(*params)), ctx);
}

COFFER_ROUTE_HANDLER(MergeCertificate) {
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto x5c = body->find("x5c");
  std::vector<std::string> chain;
  bool valid = x5c != body->end() && x5c->is_array();
  if (valid) {
    for (const Json& entry : *x5c) {
      if (!entry.is_string()) valid = false;
      if (valid) chain.push_back(entry.get<std::string>());
    }
  }
  if (!valid) return ErrorResponse(FieldTypeError("x5c", "an array of base64 certificates"));
  auto tags = OptTags(*body, "tags");
  if (!tags.ok()) return ErrorResponse(tags.status());
  auto enabled = ReadEnabled(*body);
  if (!enabled.ok()) return ErrorResponse(enabled.status());
  return Respond(Certs(app).Merge(*ctx.vault, ctx.Param("name"), chain, *tags, *enabled), ctx,
                 201);
}

COFFER_ROUTE_HANDLER(GetCertificatePolicy) {
  const std::string& name = ctx.Param("name");
  auto policy = Certs(app).GetPolicy(*ctx.vault, name);
  if (!policy.ok()) return ErrorResponse(policy.status());
  return JsonResponse(
      200, Dump(CertificatePolicyJson(*policy, ctx.host.Origin() + "/certificates/" +
                                                   name + "/policy")));
}

COFFER_ROUTE_HANDLER(UpdateCertificatePolicy) {
  const std::string& name = ctx.Param("name");
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto policy = Certs(app).GetPolicy(*ctx.vault, name);
  if (!policy.ok()) return ErrorResponse(policy.status());
  Status read = ReadCertificatePolicy(*body, false, &*policy);
  if (!read.ok()) return ErrorResponse(read);
  auto stored = Certs(app).SetPolicy(*ctx.vault, name, std::move(*policy));
  if (!stored.ok()) return ErrorResponse(stored.status());
  return JsonResponse(200, Dump(CertificatePolicyJson(
                               *stored, ctx.host.Origin() + "/certificates/" + name + "/policy")));
}

COFFER_ROUTE_HANDLER(GetCertificateOperation) {
  return RespondOperation(Certs(app).GetOperation(*ctx.vault, ctx.Param("name")), ctx);
}

COFFER_ROUTE_HANDLER(CancelCertificateOperation) {
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto cancel = OptBool(*body, "cancellation_requested");
  if (!cancel.ok()) return ErrorResponse(cancel.status());
  if (!cancel->value_or(false)) {
    return RespondOperation(Certs(app).GetOperation(*ctx.vault, ctx.Param("name")), ctx);
  }
  return RespondOperation(Certs(app).CancelOperation(*ctx.vault, ctx.Param("name")), ctx);
}

COFFER_ROUTE_HANDLER(DeleteCertificateOperation) {
  return RespondOperation(Certs(app).DeleteOperation(*ctx.vault, ctx.Param("name")), ctx);
}

COFFER_ROUTE_HANDLER(GetCertificate) {
  return Respond(
      Certs(app).Get(*ctx.vault, ctx.Param("name"), AsciiLower(ctx.Param("version"))), ctx);
}

COFFER_ROUTE_HANDLER(UpdateCertificate) {
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  vault::CertificatePatch patch;
  auto tags = OptTags(*body, "tags");
  if (!tags.ok()) return ErrorResponse(tags.status());
  patch.tags = std::move(*tags);
  auto enabled = ReadEnabled(*body);
  if (!enabled.ok()) return ErrorResponse(enabled.status());
  patch.enabled = *enabled;
  return Respond(Certs(app).Update(*ctx.vault, ctx.Param("name"),
                                   AsciiLower(ctx.Param("version")), patch),
                 ctx);
}

COFFER_ROUTE_HANDLER(DeleteCertificate) {
  return Respond(Certs(app).Delete(*ctx.vault, ctx.Param("name")), ctx);
}

COFFER_ROUTE_HANDLER(BackupCertificate) {
  auto blob = app.services().backups->BackupCertificate(*ctx.vault, ctx.Param("name"));
  if (!blob.ok()) return ErrorResponse(blob.status());
  return JsonResponse(200, Dump(Json{{"value", EncodeBase64Url(*blob)}}));
}

COFFER_ROUTE_HANDLER(RestoreCertificate) {
  auto blob = RestoreBlob(req);
  if (!blob.ok()) return ErrorResponse(blob.status());
  return Respond(app.services().backups->RestoreCertificate(*ctx.vault, *blob), ctx);
}

}  // namespace coffer::api
