// Strict reading of JSON request bodies: the body must be one JSON object; each field has one
// accepted type, and a wrong type is a 400 naming the field. Unknown fields are ignored, as
// Azure does. Dumping never throws (invalid UTF-8 cannot occur in parsed input, and is replaced
// elsewhere).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "model/object.h"

namespace coffer::api {

using Json = nlohmann::json;

std::string Dump(const Json& j);

// 400 for an empty body, malformed JSON or anything but an object.
StatusOr<Json> ParseObjectBody(std::string_view body);

// Each returns nullopt when the field is absent (or JSON null where noted), 400 on a wrong type.
StatusOr<std::optional<std::string>> OptString(const Json& obj, const char* field);
StatusOr<std::optional<bool>> OptBool(const Json& obj, const char* field);
StatusOr<std::optional<int64_t>> OptInt(const Json& obj, const char* field);
// An object of string values; null counts as absent.
StatusOr<std::optional<model::Tags>> OptTags(const Json& obj, const char* field);
// An object or null/absent.
StatusOr<const Json*> OptObject(const Json& obj, const char* field);

// Base64url bytes (padded or standard base64 accepted); nullopt when absent or null.
StatusOr<std::optional<std::string>> OptBase64Url(const Json& obj, const char* field);
// The same, decoded into SecretBytes; the JSON string is cleared. Empty when absent and not
// `required`; 400 when absent and required.
StatusOr<SecretBytes> SecretBase64Url(Json& obj, const char* field, bool required);

Status FieldTypeError(std::string_view field, std::string_view expected);

}  // namespace coffer::api
