// Certificate issuers (AZURE_API.md §5.1, Part 2 §A3): GET /certificates/issuers (list items
// {id, provider}), and GET/PUT/PATCH/DELETE /certificates/issuers/{issuer}, all 200 with the
// IssuerBundle; the password is never returned; an unknown issuer → 404
// CertificateIssuerNotFound "Issuer not found"; PATCH {} changes nothing.
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"

namespace coffer::api {
namespace {

std::string IssuerId(const RequestContext& ctx, const std::string& name) {
  return ctx.host.Origin() + "/certificates/issuers/" + name;
}

Json IssuerJson(const RequestContext& ctx, const model::CertificateIssuer& i) {
  Json admins = Json::array();
  for (const model::IssuerAdmin& a : i.admins) {
    admins.push_back({{"first_name", a.first_name},
                      {"last_name", a.last_name},
                      {"email", a.email},
                      {"phone", a.phone}});
  }
  Json org = {{"zip", 0}, {"admin_details", admins}};
  if (!i.org_id.empty()) org["id"] = i.org_id;
  Json j = {{"id", IssuerId(ctx, i.name)},
            {"provider", i.provider},
            {"org_details", org},
            {"attributes", {{"enabled", i.enabled}, {"created", i.created}, {"updated", i.updated}}}};
  if (!i.account_id.empty()) j["credentials"] = {{"account_id", i.account_id}};
  return j;
}

http::Response Respond(const RequestContext& ctx, const StatusOr<model::CertificateIssuer>& r) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(200, Dump(IssuerJson(ctx, *r)));
}

// Applies the fields a PUT or PATCH body has to `i`; the others stay.
Status ReadIssuer(const Json& body, model::CertificateIssuer& i) {
  ASSIGN_OR_RETURN(auto provider, OptString(body, "provider"));
  if (provider) i.provider = *provider;
  ASSIGN_OR_RETURN(const Json* creds, OptObject(body, "credentials"));
  if (creds != nullptr) {
    ASSIGN_OR_RETURN(auto account, OptString(*creds, "account_id"));
    if (account) i.account_id = *account;
    ASSIGN_OR_RETURN(auto pwd, OptString(*creds, "pwd"));
    if (pwd) i.password = SecretBytes(*pwd);
  }
  ASSIGN_OR_RETURN(const Json* org, OptObject(body, "org_details"));
  if (org != nullptr) {
    ASSIGN_OR_RETURN(auto id, OptString(*org, "id"));
    if (id) i.org_id = *id;
    auto admins = org->find("admin_details");
    if (admins != org->end() && !admins->is_null()) {
      if (!admins->is_array()) return FieldTypeError("org_details.admin_details", "an array");
      i.admins.clear();
      for (const Json& a : *admins) {
        if (!a.is_object()) return FieldTypeError("org_details.admin_details[]", "an object");
        model::IssuerAdmin admin;
        for (auto [field, out] : {std::pair{"first_name", &admin.first_name},
                                  std::pair{"last_name", &admin.last_name},
                                  std::pair{"email", &admin.email},
                                  std::pair{"phone", &admin.phone}}) {
          ASSIGN_OR_RETURN(auto v, OptString(a, field));
          *out = v.value_or("");
        }
        i.admins.push_back(std::move(admin));
      }
    }
  }
  ASSIGN_OR_RETURN(const Json* attrs, OptObject(body, "attributes"));
  if (attrs != nullptr) {
    ASSIGN_OR_RETURN(auto enabled, OptBool(*attrs, "enabled"));
    if (enabled) i.enabled = *enabled;
  }
  return OkStatus();
}

}  // namespace

COFFER_ROUTE_HANDLER(ListCertificateIssuers) {
  auto list = app.services().certificates->ListIssuers(*ctx.vault);
  if (!list.ok()) return ErrorResponse(list.status());
  Json items = Json::array();
  for (const auto& i : *list) {
    items.push_back({{"id", IssuerId(ctx, i.name)}, {"provider", i.provider}});
  }
  return JsonResponse(200, Dump(Json{{"value", items}, {"nextLink", nullptr}}));
}

COFFER_ROUTE_HANDLER(GetCertificateIssuer) {
  return Respond(ctx, app.services().certificates->GetIssuer(*ctx.vault, ctx.Param("issuer")));
}

COFFER_ROUTE_HANDLER(SetCertificateIssuer) {
  auto body = ParseObjectBody(req.body);
  SecureClear(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  model::CertificateIssuer issuer;
  issuer.name = ctx.Param("issuer");
  if (Status s = ReadIssuer(*body, issuer); !s.ok()) return ErrorResponse(s);
  return Respond(ctx, app.services().certificates->SetIssuer(*ctx.vault, std::move(issuer)));
}

COFFER_ROUTE_HANDLER(UpdateCertificateIssuer) {
  auto body = ParseObjectBody(req.body);
  SecureClear(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  return Respond(ctx, app.services().certificates->UpdateIssuer(
                          *ctx.vault, ctx.Param("issuer"),
                          [&](model::CertificateIssuer& i) { return ReadIssuer(*body, i); }));
}

COFFER_ROUTE_HANDLER(DeleteCertificateIssuer) {
  return Respond(ctx,
                 app.services().certificates->DeleteIssuer(*ctx.vault, ctx.Param("issuer")));
}

}  // namespace coffer::api
