#include "cli/key_args.h"

#include "cli/certificate_args.h"
#include "core/encoding.h"

namespace coffer::cli {

using nlohmann::json;

StatusOr<json> ReleasePolicy(const std::string& text, bool immutable) {
  ASSIGN_OR_RETURN(json policy, ReadJsonArgument("--policy", text));
  json out = {{"contentType", "application/json; charset=utf-8"},
              {"data", EncodeBase64Url(policy.dump())}};
  if (immutable) out["immutable"] = true;
  return out;
}

StatusOr<json> KeyCreateBody(const KeyCreateOptions& options) {
  json body = {{"kty", options.kty}};
  if (options.size != 0) body["key_size"] = options.size;
  if (!options.curve.empty()) body["crv"] = options.curve;
  if (!options.ops.empty()) body["key_ops"] = options.ops;
  json attributes = json::object();
  if (options.disabled) attributes["enabled"] = false;
  if (options.exportable) attributes["exportable"] = true;
  if (!attributes.empty()) body["attributes"] = std::move(attributes);
  if (!options.policy.empty()) {
    ASSIGN_OR_RETURN(body["release_policy"], ReleasePolicy(options.policy, options.immutable));
  }
  return body;
}

StatusOr<std::string> DecodeBase64Argument(const std::string& option, const std::string& text) {
  if (auto bytes = DecodeBase64Url(text)) return *bytes;
  if (auto bytes = DecodeBase64(text)) return *bytes;
  return InvalidArgumentError(option + ": not base64 or base64url");
}

}  // namespace coffer::cli
