// Keys API routes (AZURE_API.md §4): /keys/..., /deletedkeys/... and /rng on a vault host.
// Empty version segments mean "latest" (/keys/n/, /keys/n//sign). JWK parts and crypto values
// are base64url without padding on output; padded or standard base64 is accepted on input.
#include <algorithm>

#include "api/errors.h"
#include "api/json_body.h"
#include "api/key_json.h"
#include "api/object_json.h"
#include "api/routes.h"
#include "auth/release_policy.h"
#include "core/encoding.h"

namespace coffer::api {
namespace {

using vault::KeyView;

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

struct Writer {
  const RequestContext& ctx;
  const model::VaultRecord& vault;
  std::string Base() const { return ctx.host.Origin(); }

  Json Bundle(const KeyView& k) const { return KeyBundleJson(Base(), vault, k); }

  Json Item(const KeyView& k, bool versioned) const {
    Json j;
    j["kid"] = Base() + "/keys/" + k.name + (versioned ? "/" + k.version.version : "");
    j["attributes"] = KeyAttributesJson(k.version, vault);
    j["tags"] = k.version.tags;
    if (k.version.managed) j["managed"] = true;
    AddDeleted(j, k);
    return j;
  }

  void AddDeleted(Json& j, const KeyView& k) const {
    AddDeletedJson(j, Base(), "deletedkeys", k.name, k.deleted);
  }

  http::Response Page(const vault::KeyPage& page, bool versioned, const std::string& path,
                      const std::string& api_version, size_t max) const {
    Json items = Json::array();
    for (const auto& k : page.items) items.push_back(Item(k, versioned));
    return PageResponse(std::move(items), Base(), path, api_version, page.next_token, max);
  }

  Json Policy(const vault::RotationPolicyView& v) const {
    Json j;
    j["id"] = Base() + "/keys/" + v.name + "/rotationpolicy";
    Json actions = Json::array();
    Json attributes = Json::object();
    if (v.policy) {
      for (const auto& a : v.policy->lifetime_actions) {
        const char* trigger = a.trigger == model::LifetimeTrigger::kTimeAfterCreate
                                  ? "timeAfterCreate"
                                  : "timeBeforeExpiry";
        const char* type = a.action == model::LifetimeActionType::kRotate ? "Rotate" : "Notify";
        actions.push_back({{"trigger", {{trigger, a.duration}}}, {"action", {{"type", type}}}});
      }
      if (!v.policy->expiry_time.empty()) attributes["expiryTime"] = v.policy->expiry_time;
      attributes["created"] = v.policy->created;
      attributes["updated"] = v.policy->updated;
    }
    j["lifetimeActions"] = actions;
    j["attributes"] = attributes;
    return j;
  }
};

// An integer field (no fraction); nullopt when absent or null.
StatusOr<std::optional<int64_t>> OptWholeNumber(const Json& obj, const char* field,
                                                std::string_view expected) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > (uint64_t{1} << 62))) {
    return FieldTypeError(field, expected);
  }
  return std::optional<int64_t>(it->get<int64_t>());
}

StatusOr<std::optional<std::vector<std::string>>> OptStringArray(const Json& obj,
                                                                 const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return FieldTypeError(field, "an array of strings");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return FieldTypeError(field, "an array of strings");
    out.push_back(v.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

// `release_policy` {contentType?, data (base64url of the policy JSON), immutable?}: the document
// must follow Azure's release policy grammar (auth/release_policy.h); 400 naming the problem.
StatusOr<std::optional<model::KeyReleasePolicy>> ReadReleasePolicy(const Json& body) {
  ASSIGN_OR_RETURN(const Json* rp, OptObject(body, "release_policy"));
  if (rp == nullptr) return std::optional<model::KeyReleasePolicy>();
  model::KeyReleasePolicy out;
  ASSIGN_OR_RETURN(auto content_type, OptString(*rp, "contentType"));
  if (content_type) {
    if (!content_type->starts_with("application/json")) {
      return Bad("release_policy.contentType must be application/json; charset=utf-8.");
    }
    out.content_type = *content_type;
  }
  ASSIGN_OR_RETURN(auto data, OptBase64Url(*rp, "data"));
  if (!data || data->empty()) {
    return FieldTypeError("release_policy.data", "the base64url-encoded policy document");
  }
  ASSIGN_OR_RETURN(auto immutable, OptBool(*rp, "immutable"));
  out.immutable = immutable.value_or(false);
  ASSIGN_OR_RETURN(auth::ReleasePolicy parsed, auth::ParseReleasePolicy(*data));
  (void)parsed;
  out.data = std::move(*data);
  return std::optional<model::KeyReleasePolicy>(std::move(out));
}

struct Attrs {
  std::optional<bool> enabled;
  std::optional<std::optional<UnixSeconds>> nbf, exp;
  std::optional<bool> exportable;
};

StatusOr<Attrs> ReadAttrs(const Json& body) {
  Attrs a;
  ASSIGN_OR_RETURN(const Json* attrs, OptObject(body, "attributes"));
  if (attrs == nullptr) return a;
  ASSIGN_OR_RETURN(a.enabled, OptBool(*attrs, "enabled"));
  ASSIGN_OR_RETURN(a.exportable, OptBool(*attrs, "exportable"));
  for (auto [field, out] : {std::pair{"nbf", &a.nbf}, std::pair{"exp", &a.exp}}) {
    if (!attrs->contains(field)) continue;
    ASSIGN_OR_RETURN(std::optional<int64_t> v, OptInt(*attrs, field));
    *out = v;
  }
  return a;
}

StatusOr<vault::KeyCreateParams> ParseCreate(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  vault::KeyCreateParams p;
  ASSIGN_OR_RETURN(auto kty, OptString(body, "kty"));
  if (!kty) return FieldTypeError("kty", "a key type string (RSA, EC, oct, or their -HSM forms)");
  p.kty = *kty;
  ASSIGN_OR_RETURN(auto size, OptWholeNumber(body, "key_size", "an integer number of bits"));
  if (size) {
    if (*size <= 0 || *size > 16384) return Bad("key_size " + std::to_string(*size) + " is not supported.");
    p.key_size = static_cast<int>(*size);
  }
  ASSIGN_OR_RETURN(auto e, OptWholeNumber(body, "public_exponent", "a positive odd integer"));
  if (e) {
    if (*e < 3 || *e % 2 == 0) return Bad("public_exponent must be an odd integer of at least 3.");
    p.public_exponent = static_cast<uint64_t>(*e);
  }
  ASSIGN_OR_RETURN(p.crv, OptString(body, "crv"));
  ASSIGN_OR_RETURN(p.key_ops, OptStringArray(body, "key_ops"));
  ASSIGN_OR_RETURN(p.tags, OptTags(body, "tags"));
  ASSIGN_OR_RETURN(Attrs a, ReadAttrs(body));
  p.enabled = a.enabled;
  p.exportable = a.exportable;
  if (a.nbf) p.not_before = *a.nbf;
  if (a.exp) p.expires = *a.exp;
  ASSIGN_OR_RETURN(p.release_policy, ReadReleasePolicy(body));
  return p;
}

StatusOr<vault::KeyImportParams> ParseImport(http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  auto key = body.find("key");
  if (key == body.end() || !key->is_object()) {
    return FieldTypeError("key", "a JSON Web Key object with the private key parts");
  }
  vault::KeyImportParams p;
  crypto::JwkParts& jwk = p.jwk;
  ASSIGN_OR_RETURN(auto kty, OptString(*key, "kty"));
  if (!kty) return FieldTypeError("key.kty", "a key type string (RSA, EC or oct)");
  jwk.kty = *kty;
  ASSIGN_OR_RETURN(p.key_ops, OptStringArray(*key, "key_ops"));
  ASSIGN_OR_RETURN(auto crv, OptString(*key, "crv"));
  jwk.crv = crv.value_or("");
  for (auto [field, out] : {std::pair{"n", &jwk.n}, std::pair{"e", &jwk.e},
                            std::pair{"x", &jwk.x}, std::pair{"y", &jwk.y}}) {
    ASSIGN_OR_RETURN(auto bytes, OptBase64Url(*key, field));
    if (bytes) *out = std::move(*bytes);
  }
  for (auto [field, out] : {std::pair{"d", &jwk.d}, std::pair{"p", &jwk.p},
                            std::pair{"q", &jwk.q}, std::pair{"dp", &jwk.dp},
                            std::pair{"dq", &jwk.dq}, std::pair{"qi", &jwk.qi},
                            std::pair{"k", &jwk.k}}) {
    ASSIGN_OR_RETURN(*out, SecretBase64Url(*key, field, false));
  }
  ASSIGN_OR_RETURN(auto hsm, OptBool(body, "Hsm"));
  p.hsm = hsm.value_or(false);
  ASSIGN_OR_RETURN(p.tags, OptTags(body, "tags"));
  ASSIGN_OR_RETURN(Attrs a, ReadAttrs(body));
  p.enabled = a.enabled;
  p.exportable = a.exportable;
  if (a.nbf) p.not_before = *a.nbf;
  if (a.exp) p.expires = *a.exp;
  ASSIGN_OR_RETURN(p.release_policy, ReadReleasePolicy(body));
  return p;
}

StatusOr<vault::KeyPatch> ParsePatch(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  vault::KeyPatch p;
  ASSIGN_OR_RETURN(p.release_policy, ReadReleasePolicy(body));
  ASSIGN_OR_RETURN(p.key_ops, OptStringArray(body, "key_ops"));
  ASSIGN_OR_RETURN(p.tags, OptTags(body, "tags"));
  ASSIGN_OR_RETURN(Attrs a, ReadAttrs(body));
  p.enabled = a.enabled;
  p.not_before = a.nbf;
  p.expires = a.exp;
  return p;
}

StatusOr<vault::RotationPolicyParams> ParsePolicy(const http::Request& req) {
  ASSIGN_OR_RETURN(Json body, ParseObjectBody(req.body));
  vault::RotationPolicyParams p;
  auto actions = body.find("lifetimeActions");
  if (actions != body.end() && !actions->is_null()) {
    if (!actions->is_array()) return FieldTypeError("lifetimeActions", "an array");
    for (const Json& item : *actions) {
      if (!item.is_object()) return FieldTypeError("lifetimeActions[]", "an object");
      ASSIGN_OR_RETURN(const Json* trigger, OptObject(item, "trigger"));
      ASSIGN_OR_RETURN(const Json* action, OptObject(item, "action"));
      if (trigger == nullptr || action == nullptr) {
        return Bad("Each lifetime action needs a trigger and an action.");
      }
      ASSIGN_OR_RETURN(auto after, OptString(*trigger, "timeAfterCreate"));
      ASSIGN_OR_RETURN(auto before, OptString(*trigger, "timeBeforeExpiry"));
      if (after.has_value() == before.has_value()) {
        return Bad("A lifetime action trigger needs exactly one of timeAfterCreate and "
                   "timeBeforeExpiry.");
      }
      ASSIGN_OR_RETURN(auto type, OptString(*action, "type"));
      model::LifetimeAction a;
      if (type && EqualsIgnoreCase(*type, "rotate")) {
        a.action = model::LifetimeActionType::kRotate;
      } else if (type && EqualsIgnoreCase(*type, "notify")) {
        a.action = model::LifetimeActionType::kNotify;
      } else {
        return Bad("A lifetime action's type must be Rotate or Notify.");
      }
      a.trigger = after ? model::LifetimeTrigger::kTimeAfterCreate
                        : model::LifetimeTrigger::kTimeBeforeExpiry;
      a.duration = after ? *after : *before;
      p.lifetime_actions.push_back(std::move(a));
    }
  }
  ASSIGN_OR_RETURN(const Json* attrs, OptObject(body, "attributes"));
  if (attrs != nullptr) {
    ASSIGN_OR_RETURN(auto expiry, OptString(*attrs, "expiryTime"));
    p.expiry_time = expiry.value_or("");
  }
  return p;
}

http::Response Respond(const StatusOr<KeyView>& r, const Writer& w) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(200, Dump(w.Bundle(*r)));
}

vault::KeyService& Keys(const App& app) { return *app.services().keys; }

http::Response ListPage(const App& app, const RequestContext& ctx, http::Request& req,
                        bool deleted) {
  auto max = PageSize(req);
  if (!max.ok()) return ErrorResponse(max.status());
  auto page = deleted ? Keys(app).ListDeleted(*ctx.vault, *max, SkipToken(req))
                      : Keys(app).List(*ctx.vault, *max, SkipToken(req));
  if (!page.ok()) return ErrorResponse(page.status());
  return Writer{ctx, *ctx.vault}.Page(*page, false, deleted ? "/deletedkeys" : "/keys",
                                      ctx.api_version, *max);
}

}  // namespace

COFFER_ROUTE_HANDLER(ListKeys) { return ListPage(app, ctx, req, false); }
COFFER_ROUTE_HANDLER(ListDeletedKeys) { return ListPage(app, ctx, req, true); }

COFFER_ROUTE_HANDLER(GetDeletedKey) {
  return Respond(Keys(app).GetDeleted(*ctx.vault, ctx.Param("name")), {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(PurgeDeletedKey) {
  Status st = Keys(app).Purge(*ctx.vault, ctx.Param("name"));
  if (!st.ok()) return ErrorResponse(st);
  return NoContent();
}

COFFER_ROUTE_HANDLER(RecoverDeletedKey) {
  return Respond(Keys(app).Recover(*ctx.vault, ctx.Param("name")), {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(RestoreKey) {
  auto blob = RestoreBlob(req);
  if (!blob.ok()) return ErrorResponse(blob.status());
  return Respond(app.services().backups->RestoreKey(*ctx.vault, *blob), {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(ListKeyVersions) {
  auto max = PageSize(req);
  if (!max.ok()) return ErrorResponse(max.status());
  const std::string& name = ctx.Param("name");
  auto page = Keys(app).ListVersions(*ctx.vault, name, *max, SkipToken(req));
  // Azure lists the versions of a name that never existed as an empty page (the SDKs' pagers
  // throw on a 404 here).
  if (page.status().code() == StatusCode::kNotFound) page = decltype(page)::value_type{};
  if (!page.ok()) return ErrorResponse(page.status());
  return Writer{ctx, *ctx.vault}.Page(*page, true, "/keys/" + name + "/versions",
                                      ctx.api_version, *max);
}

COFFER_ROUTE_HANDLER(CreateKey) {
  auto params = ParseCreate(req);
  if (!params.ok()) return ErrorResponse(params.status());
  return Respond(Keys(app).Create(*ctx.vault, ctx.Param("name"), *params), {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(BackupKey) {
  auto blob = app.services().backups->BackupKey(*ctx.vault, ctx.Param("name"));
  if (!blob.ok()) return ErrorResponse(blob.status());
  return JsonResponse(200, Dump(Json{{"value", EncodeBase64Url(*blob)}}));
}

COFFER_ROUTE_HANDLER(RotateKey) {
  return Respond(Keys(app).Rotate(*ctx.vault, ctx.Param("name")), {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(GetKeyRotationPolicy) {
  auto policy = Keys(app).GetRotationPolicy(*ctx.vault, ctx.Param("name"));
  if (!policy.ok()) return ErrorResponse(policy.status());
  return JsonResponse(200, Dump(Writer{ctx, *ctx.vault}.Policy(*policy)));
}

COFFER_ROUTE_HANDLER(SetKeyRotationPolicy) {
  auto params = ParsePolicy(req);
  if (!params.ok()) return ErrorResponse(params.status());
  auto policy = Keys(app).SetRotationPolicy(*ctx.vault, ctx.Param("name"), *params);
  if (!policy.ok()) return ErrorResponse(policy.status());
  return JsonResponse(200, Dump(Writer{ctx, *ctx.vault}.Policy(*policy)));
}

COFFER_ROUTE_HANDLER(ImportKey) {
  auto params = ParseImport(req);
  if (!params.ok()) return ErrorResponse(params.status());
  return Respond(Keys(app).Import(*ctx.vault, ctx.Param("name"), *params), {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(GetKey) {
  return Respond(Keys(app).Get(*ctx.vault, ctx.Param("name"), AsciiLower(ctx.Param("version"))),
                 {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(UpdateKey) {
  auto patch = ParsePatch(req);
  if (!patch.ok()) return ErrorResponse(patch.status());
  return Respond(Keys(app).Update(*ctx.vault, ctx.Param("name"),
                                  AsciiLower(ctx.Param("version")), *patch),
                 {ctx, *ctx.vault});
}

COFFER_ROUTE_HANDLER(DeleteKey) {
  return Respond(Keys(app).Delete(*ctx.vault, ctx.Param("name")), {ctx, *ctx.vault});
}

}  // namespace coffer::api
