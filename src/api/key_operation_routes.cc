// Keys API cryptographic operations (AZURE_API.md §4.1, §4.4): POST
// /keys/{name}/{version}/{encrypt|decrypt|wrapkey|unwrapkey|sign|verify} (empty version = latest)
// and POST /rng. Values are base64url (padded or standard base64 accepted on input). The
// service enforces key_ops, enabled and nbf/exp; this file only parses and shapes JSON.
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "core/encoding.h"
#include "crypto/primitives.h"

namespace coffer::api {
namespace {

// `verb`: encrypt decrypt wrapkey unwrapkey sign verify.
http::Response KeyOperation(const App& app, const RequestContext& ctx, http::Request& req,
                            std::string_view verb) {
  const model::VaultRecord& vault = *ctx.vault;
  const std::string& name = ctx.Param("name");
  std::string version = AsciiLower(ctx.Param("version"));
  vault::KeyService& keys = *app.services().keys;
  auto parsed = ParseObjectBody(req.body);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  Json& body = *parsed;
  auto alg = OptString(body, "alg");
  if (!alg.ok()) return ErrorResponse(alg.status());
  if (!*alg) return ErrorResponse(FieldTypeError("alg", "an algorithm name string"));
  std::optional<std::string> iv, aad, tag;
  for (auto [field, out] : {std::pair{"iv", &iv}, std::pair{"aad", &aad}, std::pair{"tag", &tag}}) {
    auto bytes = OptBase64Url(body, field);
    if (!bytes.ok()) return ErrorResponse(bytes.status());
    *out = std::move(*bytes);
  }
  auto value = SecretBase64Url(body, "value", true);
  if (!value.ok()) return ErrorResponse(value.status());

  StatusOr<vault::KeyOperationResult> r = InternalError("unreachable");
  if (verb == "encrypt") {
    r = keys.Encrypt(vault, name, version, **alg, *value, iv.value_or(""), aad.value_or(""));
  } else if (verb == "decrypt") {
    r = keys.Decrypt(vault, name, version, **alg, value->view(), iv.value_or(""),
                     aad.value_or(""), tag.value_or(""));
  } else if (verb == "wrapkey") {
    r = keys.WrapKey(vault, name, version, **alg, *value);
  } else if (verb == "unwrapkey") {
    r = keys.UnwrapKey(vault, name, version, **alg, value->view());
  } else if (verb == "sign") {
    r = keys.Sign(vault, name, version, **alg, value->view());
  } else {  // verify
    auto digest = OptBase64Url(body, "digest");
    if (!digest.ok()) return ErrorResponse(digest.status());
    if (!*digest) return ErrorResponse(FieldTypeError("digest", "base64url-encoded bytes"));
    r = keys.Verify(vault, name, version, **alg, **digest, value->view());
  }
  if (!r.ok()) return ErrorResponse(r.status());
  if (verb == "verify") return JsonResponse(200, Dump(Json{{"value", r->verified}}));
  Json out = {{"kid", ctx.host.Origin() + "/keys/" + r->name + "/" + r->version}, {"value", EncodeBase64Url(r->value.view())}};
  if (verb == "encrypt") {
    if (!r->iv.empty()) out["iv"] = EncodeBase64Url(r->iv);
    if (!r->tag.empty()) out["tag"] = EncodeBase64Url(r->tag);
    if (aad && !aad->empty()) out["aad"] = EncodeBase64Url(*aad);
  }
  std::string dumped = Dump(out);
  if (verb == "decrypt" || verb == "unwrapkey") {
    std::string& v = out["value"].get_ref<std::string&>();
    SecureClear(v);
  }
  return JsonResponse(200, std::move(dumped));
}

}  // namespace

COFFER_ROUTE_HANDLER(KeyEncrypt) { return KeyOperation(app, ctx, req, "encrypt"); }
COFFER_ROUTE_HANDLER(KeyDecrypt) { return KeyOperation(app, ctx, req, "decrypt"); }
COFFER_ROUTE_HANDLER(KeyWrap) { return KeyOperation(app, ctx, req, "wrapkey"); }
COFFER_ROUTE_HANDLER(KeyUnwrap) { return KeyOperation(app, ctx, req, "unwrapkey"); }
COFFER_ROUTE_HANDLER(KeySign) { return KeyOperation(app, ctx, req, "sign"); }
COFFER_ROUTE_HANDLER(KeyVerify) { return KeyOperation(app, ctx, req, "verify"); }

COFFER_ROUTE_HANDLER(RandomBytes) {
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto count = body->find("count");
  if (count == body->end() || !count->is_number_integer() ||
      (count->is_number_unsigned() && count->get<uint64_t>() > 128) ||
      count->get<int64_t>() < 1 || count->get<int64_t>() > 128) {
    return ErrorResponse(InvalidArgumentError("count must be a whole number from 1 to 128.", "BadParameter"));
  }
  std::string bytes = crypto::SystemRandom().Bytes(static_cast<size_t>(count->get<int64_t>()));
  return JsonResponse(200, Dump(Json{{"value", EncodeBase64Url(bytes)}}));
}

}  // namespace coffer::api
