#include "api/json_body.h"

#include <limits>

#include "core/encoding.h"

namespace coffer::api {

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status FieldTypeError(std::string_view field, std::string_view expected) {
  return InvalidArgumentError("The field '" + std::string(field) + "' must be " +
                                  std::string(expected) + ".",
                              "BadParameter");
}

StatusOr<Json> ParseObjectBody(std::string_view body) {
  if (body.empty()) {
    return InvalidArgumentError(
        "The request body is empty; this operation needs a JSON object body.", "BadParameter");
  }
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return InvalidArgumentError("The request body is not valid JSON.", "BadParameter");
  }
  if (!j.is_object()) {
    return InvalidArgumentError("The request body must be a JSON object.", "BadParameter");
  }
  return j;
}

StatusOr<std::optional<std::string>> OptString(const Json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return FieldTypeError(field, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

StatusOr<std::optional<bool>> OptBool(const Json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return FieldTypeError(field, "true or false");
  return std::optional<bool>(it->get<bool>());
}

StatusOr<std::optional<int64_t>> OptInt(const Json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  // An unsigned value above INT64_MAX would wrap to a negative time.
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return FieldTypeError(field, "an integer (Unix seconds) that fits in 64 bits");
  }
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (d >= -9.2e18 && d <= 9.2e18) return std::optional<int64_t>(static_cast<int64_t>(d));
  }
  return FieldTypeError(field, "an integer (Unix seconds)");
}

StatusOr<std::optional<model::Tags>> OptTags(const Json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<model::Tags>();
  if (!it->is_object()) return FieldTypeError(field, "an object of string values");
  model::Tags tags;
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) return FieldTypeError(field, "an object of string values");
    tags[k] = v.get<std::string>();
  }
  return std::optional<model::Tags>(std::move(tags));
}

StatusOr<const Json*> OptObject(const Json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return static_cast<const Json*>(nullptr);
  if (!it->is_object()) return FieldTypeError(field, "an object");
  return &*it;
}

StatusOr<std::optional<std::string>> OptBase64Url(const Json& obj, const char* field) {
  ASSIGN_OR_RETURN(auto text, OptString(obj, field));
  if (!text) return std::optional<std::string>();
  auto bytes = DecodeBase64Url(*text);
  if (!bytes) return FieldTypeError(field, "base64url-encoded bytes");
  return std::optional<std::string>(std::move(*bytes));
}

StatusOr<SecretBytes> SecretBase64Url(Json& obj, const char* field, bool required) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    if (required) return FieldTypeError(field, "base64url-encoded bytes");
    return SecretBytes();
  }
  if (!it->is_string()) return FieldTypeError(field, "base64url-encoded bytes");
  auto bytes = DecodeBase64UrlSecret(it->get_ref<const std::string&>());
  SecureClear(it->get_ref<std::string&>());
  if (!bytes) return FieldTypeError(field, "base64url-encoded bytes");
  return std::move(*bytes);
}

}  // namespace coffer::api
