// Secrets API routes (AZURE_API.md §3): /secrets/... and /deletedsecrets/... on a vault host.
#include "api/errors.h"
#include "api/json_body.h"
#include "api/object_json.h"
#include "api/routes.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

using vault::SecretView;

constexpr size_t kDefaultPageSize = 25;

struct Writer {
  const RequestContext& ctx;
  const model::VaultRecord& vault;
  std::string Base() const { return ctx.host.Origin(); }

  Json Bundle(const SecretView& s, bool with_value) const {
    Json j;
    if (with_value) j["value"] = std::string(s.version.value.view());
    j["id"] = Base() + "/secrets/" + s.name + "/" + s.version.version;
    if (!s.version.content_type.empty()) j["contentType"] = s.version.content_type;
    j["attributes"] = AttributesJson(s.version.attributes, vault);
    j["tags"] = s.version.tags;
    if (s.version.managed) {
      j["managed"] = true;
      if (!s.version.key_id.empty()) {
        j["kid"] = Base() + "/keys/" + s.name + "/" + s.version.key_id;
      }
    }
    AddDeleted(j, s);
    return j;
  }

  Json Item(const SecretView& s, bool versioned) const {
    Json j;
    j["id"] = Base() + "/secrets/" + s.name + (versioned ? "/" + s.version.version : "");
    if (!s.version.content_type.empty()) j["contentType"] = s.version.content_type;
    j["attributes"] = AttributesJson(s.version.attributes, vault);
    j["tags"] = s.version.tags;
    if (s.version.managed) j["managed"] = true;
    AddDeleted(j, s);
    return j;
  }

  void AddDeleted(Json& j, const SecretView& s) const {
    AddDeletedJson(j, Base(), "deletedsecrets", s.name, s.deleted);
  }

  http::Response Page(const vault::SecretPage& page, bool versioned, const std::string& path,
                      const std::string& api_version, size_t max) const {
    Json items = Json::array();
    for (const auto& s : page.items) items.push_back(Item(s, versioned));
    return PageResponse(std::move(items), Base(), path, api_version, page.next_token, max);
  }
};

Status ReadAttributes(const Json& body, std::optional<bool>* enabled,
                      std::optional<std::optional<UnixSeconds>>* nbf,
                      std::optional<std::optional<UnixSeconds>>* exp) {
  ASSIGN_OR_RETURN(const Json* attrs, OptObject(body, "attributes"));
  if (attrs == nullptr) return OkStatus();
  ASSIGN_OR_RETURN(*enabled, OptBool(*attrs, "enabled"));
  for (auto [field, out] : {std::pair{"nbf", nbf}, std::pair{"exp", exp}}) {
    if (!attrs->contains(field)) continue;
    ASSIGN_OR_RETURN(std::optional<int64_t> v, OptInt(*attrs, field));
    *out = v;  // present; nullopt inside means cleared
  }
  return OkStatus();
}

StatusOr<vault::SecretSetParams> ParseSet(http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  vault::SecretSetParams p;
  auto value = body.find("value");
  if (value == body.end() || !value->is_string()) {
    return FieldTypeError("value", "a string (the secret value)");
  }
  p.value = SecretBytes(value->get_ref<const std::string&>());
  SecureClear(value->get_ref<std::string&>());
  ASSIGN_OR_RETURN(p.content_type, OptString(body, "contentType"));
  ASSIGN_OR_RETURN(p.tags, OptTags(body, "tags"));
  std::optional<std::optional<UnixSeconds>> nbf, exp;
  RETURN_IF_ERROR(ReadAttributes(body, &p.enabled, &nbf, &exp));
  if (nbf) p.not_before = *nbf;
  if (exp) p.expires = *exp;
  return p;
}

StatusOr<vault::SecretPatch> ParsePatch(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  vault::SecretPatch p;
  ASSIGN_OR_RETURN(p.content_type, OptString(body, "contentType"));
  ASSIGN_OR_RETURN(p.tags, OptTags(body, "tags"));
  RETURN_IF_ERROR(ReadAttributes(body, &p.enabled, &p.not_before, &p.expires));
  return p;
}

http::Response Respond(const StatusOr<SecretView>& r, const Writer& w, bool with_value) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(200, Dump(w.Bundle(*r, with_value)));
}

}  // namespace

StatusOr<std::string> RestoreBlob(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  ASSIGN_OR_RETURN(std::optional<std::string> value, OptString(body, "value"));
  if (!value) return FieldTypeError("value", "the base64url backup blob");
  // Backup blobs travel as base64url only (CONTRACT.md): standard base64's '+', '/' and '='
  // padding mean the value was re-encoded or is not a backup.
  if (value->find_first_of("+/=") != std::string::npos) {
    return InvalidArgumentError("Backup blob contains invalid or corrupt version.",
                                "BadParameter");
  }
  auto blob = DecodeBase64Url(*value);
  if (!blob || blob->empty()) {
    return InvalidArgumentError("Backup blob contains invalid or corrupt version.",
                                "BadParameter");
  }
  return std::move(*blob);
}

StatusOr<size_t> PageSize(const http::Request& req) {
  auto v = req.Query("maxresults");
  if (!v) return kDefaultPageSize;
  if (v->empty() || v->size() > 3) {
    return InvalidArgumentError("maxresults must be a whole number from 1 to 25.",
                                "BadParameter");
  }
  size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError("maxresults must be a whole number from 1 to 25.",
                                  "BadParameter");
    }
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n < 1 || n > 25) {
    return InvalidArgumentError("maxresults must be a whole number from 1 to 25.",
                                "BadParameter");
  }
  return n;
}

std::string SkipToken(const http::Request& req) {
  auto t = req.Query("$skiptoken");
  return t ? std::string(*t) : "";
}

namespace {

vault::SecretService& Secrets(const App& app) { return *app.services().secrets; }

http::Response ListPage(const App& app, const RequestContext& ctx, http::Request& req,
                        bool deleted) {
  auto max = PageSize(req);
  if (!max.ok()) return ErrorResponse(max.status());
  auto page = deleted ? Secrets(app).ListDeleted(*ctx.vault, *max, SkipToken(req))
                      : Secrets(app).List(*ctx.vault, *max, SkipToken(req));
  if (!page.ok()) return ErrorResponse(page.status());
  return Writer{ctx, *ctx.vault}.Page(*page, false, deleted ? "/deletedsecrets" : "/secrets",
                                      ctx.api_version, *max);
}

}  // namespace

COFFER_ROUTE_HANDLER(ListSecrets) { return ListPage(app, ctx, req, false); }
COFFER_ROUTE_HANDLER(ListDeletedSecrets) { return ListPage(app, ctx, req, true); }

COFFER_ROUTE_HANDLER(GetDeletedSecret) {
  return Respond(Secrets(app).GetDeleted(*ctx.vault, ctx.Param("name")), {ctx, *ctx.vault},
                 false);
}

COFFER_ROUTE_HANDLER(PurgeDeletedSecret) {
  Status st = Secrets(app).Purge(*ctx.vault, ctx.Param("name"));
  if (!st.ok()) return ErrorResponse(st);
  return NoContent();
}

COFFER_ROUTE_HANDLER(RecoverDeletedSecret) {
  return Respond(Secrets(app).Recover(*ctx.vault, ctx.Param("name")), {ctx, *ctx.vault}, false);
}

COFFER_ROUTE_HANDLER(RestoreSecret) {
  auto blob = RestoreBlob(req);
  if (!blob.ok()) return ErrorResponse(blob.status());
  return Respond(app.services().backups->RestoreSecret(*ctx.vault, *blob), {ctx, *ctx.vault},
                 true);
}

COFFER_ROUTE_HANDLER(ListSecretVersions) {
  auto max = PageSize(req);
  if (!max.ok()) return ErrorResponse(max.status());
  const std::string& name = ctx.Param("name");
  auto page = Secrets(app).ListVersions(*ctx.vault, name, *max, SkipToken(req));
  // Azure lists the versions of a name that never existed as an empty page (the SDKs' pagers
  // throw on a 404 here).
  if (page.status().code() == StatusCode::kNotFound) page = decltype(page)::value_type{};
  if (!page.ok()) return ErrorResponse(page.status());
  return Writer{ctx, *ctx.vault}.Page(*page, true, "/secrets/" + name + "/versions",
                                      ctx.api_version, *max);
}

COFFER_ROUTE_HANDLER(BackupSecret) {
  auto blob = app.services().backups->BackupSecret(*ctx.vault, ctx.Param("name"));
  if (!blob.ok()) return ErrorResponse(blob.status());
  return JsonResponse(200, Dump(Json{{"value", EncodeBase64Url(*blob)}}));
}

COFFER_ROUTE_HANDLER(SetSecret) {
  auto params = ParseSet(req);
  if (!params.ok()) return ErrorResponse(params.status());
  return Respond(Secrets(app).Set(*ctx.vault, ctx.Param("name"), std::move(*params)),
                 {ctx, *ctx.vault}, true);
}

COFFER_ROUTE_HANDLER(GetSecret) {
  return Respond(Secrets(app).Get(*ctx.vault, ctx.Param("name"), AsciiLower(ctx.Param("version"))),
                 {ctx, *ctx.vault}, true);
}

COFFER_ROUTE_HANDLER(UpdateSecret) {
  auto patch = ParsePatch(req);
  if (!patch.ok()) return ErrorResponse(patch.status());
  return Respond(Secrets(app).Update(*ctx.vault, ctx.Param("name"),
                                     AsciiLower(ctx.Param("version")), *patch),
                 {ctx, *ctx.vault}, false);
}

COFFER_ROUTE_HANDLER(DeleteSecret) {
  return Respond(Secrets(app).Delete(*ctx.vault, ctx.Param("name")), {ctx, *ctx.vault}, false);
}

}  // namespace coffer::api
