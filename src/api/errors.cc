#include "api/errors.h"

#include <nlohmann/json.hpp>

#include "auth/audit_entry.h"
#include "core/log.h"

namespace coffer::api {
namespace {

struct Mapping {
  StatusCode code;
  int http_status;
  const char* azure_code;
};

constexpr Mapping kTable[] = {
    {StatusCode::kInvalidArgument, 400, "BadParameter"},
    {StatusCode::kOutOfRange, 400, "BadParameter"},
    {StatusCode::kUnauthenticated, 401, "Unauthorized"},
    {StatusCode::kPermissionDenied, 403, "Forbidden"},
    {StatusCode::kNotFound, 404, "NotFound"},
    {StatusCode::kAlreadyExists, 409, "Conflict"},
    {StatusCode::kAborted, 409, "Conflict"},
    {StatusCode::kFailedPrecondition, 400, "BadParameter"},
    {StatusCode::kResourceExhausted, 429, "Throttled"},
    {StatusCode::kUnimplemented, 501, "NotImplemented"},
    {StatusCode::kUnavailable, 503, "ServiceUnavailable"},
    {StatusCode::kDataLoss, 500, "InternalError"},
    {StatusCode::kInternal, 500, "InternalError"},
};

const Mapping& Find(StatusCode code) {
  for (const Mapping& m : kTable) {
    if (m.code == code) return m;
  }
  return kTable[std::size(kTable) - 1];
}

}  // namespace

int HttpStatusFor(StatusCode code) { return Find(code).http_status; }

http::Response JsonResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json; charset=utf-8");
  r.headers.Set("Cache-Control", "no-cache");
  r.body = std::move(body);
  return r;
}

http::Response ErrorResponse(const Status& status) {
  const Mapping& m = Find(status.code());
  std::string message = status.message();
  if (m.http_status >= 500 && status.code() != StatusCode::kUnavailable &&
      status.code() != StatusCode::kUnimplemented) {
    log::error("internal error: {}", status.ToString());
    message = "Coffer hit an internal error; the request was not applied. See the server log.";
  }
  std::string outer = m.azure_code;
  if (status.code() == StatusCode::kNotFound && !status.reason().empty()) outer = status.reason();
  if (status.code() == StatusCode::kInvalidArgument && !status.reason().empty() &&
      status.reason() != "BadParameter") {
    outer = status.reason();  // e.g. VaultNameNotValid, LocationNotAvailableForResourceType
  }
  if (status.code() == StatusCode::kPermissionDenied && status.reason() == "AuthorizationFailed") {
    outer = status.reason();  // ARM's 403 has no inner error
  }
  // Written by hand, not through a JSON document: a refusal (a 429 in a flood) should cost
  // almost nothing. AppendJsonString writes valid UTF-8 JSON whatever bytes a message holds.
  std::string body = R"({"error":{"code":)";
  auth::AppendJsonString(outer, &body);
  body += R"(,"message":)";
  auth::AppendJsonString(message, &body);
  if (!status.reason().empty() && status.reason() != outer) {
    body += R"(,"innererror":{"code":)";
    auth::AppendJsonString(status.reason(), &body);
    body += '}';
  }
  body += "}}";
  http::Response r = JsonResponse(m.http_status, std::move(body));
  // A client retries a 429 or a 503 only after Retry-After (CONTRACT.md "Overload and abuse":
  // storage trouble is 503 with Retry-After); callers that know better set their own.
  if (m.http_status == 429 || m.http_status == 503) r.headers.Set("Retry-After", "1");
  return r;
}

http::Response ArmErrorResponse(const Status& status) {
  http::Response r = ErrorResponse(status);
  if (status.reason().empty() || r.status >= 500) return r;
  nlohmann::json error = {{"code", status.reason()}, {"message", status.message()}};
  r.body = nlohmann::json{{"error", error}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
  return r;
}

http::Response ProtocolErrorResponse(int http_status, std::string_view message) {
  const char* code = "BadParameter";
  if (http_status == 408) code = "RequestTimeout";
  if (http_status == 413) code = "RequestEntityTooLarge";
  if (http_status == 414) code = "RequestUriTooLong";
  if (http_status == 431) code = "RequestHeaderFieldsTooLarge";
  if (http_status == 503) code = "ServiceUnavailable";  // the body budget stayed full
  nlohmann::json body = {{"error", {{"code", code}, {"message", std::string(message)}}}};
  http::Response r = JsonResponse(http_status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.close = true;
  return r;
}

}  // namespace coffer::api
