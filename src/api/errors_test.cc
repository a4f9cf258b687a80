#include "api/errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace coffer::api {
namespace {

using nlohmann::json;

json ErrorOf(const http::Response& r) {
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(body.is_discarded()) << r.body;
  EXPECT_TRUE(body.contains("error")) << r.body;
  return body.is_discarded() ? json::object() : body.value("error", json::object());
}

TEST(ErrorMapping, TableMapsEveryCanonicalCode) {
  struct Row {
    StatusCode code;
    int http_status;
    const char* azure_code;
  };
  const Row rows[] = {
      {StatusCode::kInvalidArgument, 400, "BadParameter"},
      {StatusCode::kOutOfRange, 400, "BadParameter"},
      {StatusCode::kFailedPrecondition, 400, "BadParameter"},
      {StatusCode::kUnauthenticated, 401, "Unauthorized"},
      {StatusCode::kPermissionDenied, 403, "Forbidden"},
      {StatusCode::kNotFound, 404, "NotFound"},
      {StatusCode::kAlreadyExists, 409, "Conflict"},
      {StatusCode::kAborted, 409, "Conflict"},
      {StatusCode::kResourceExhausted, 429, "Throttled"},
      {StatusCode::kUnimplemented, 501, "NotImplemented"},
      {StatusCode::kUnavailable, 503, "ServiceUnavailable"},
      {StatusCode::kDataLoss, 500, "InternalError"},
      {StatusCode::kInternal, 500, "InternalError"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(HttpStatusFor(row.code), row.http_status) << StatusCodeName(row.code);
    http::Response r = ErrorResponse(Status(row.code, "what went wrong"));
    EXPECT_EQ(r.status, row.http_status) << StatusCodeName(row.code);
    json error = ErrorOf(r);
    EXPECT_EQ(error.value("code", ""), row.azure_code) << StatusCodeName(row.code);
    EXPECT_FALSE(error.contains("innererror")) << StatusCodeName(row.code);
    EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/json; charset=utf-8");
  }
}

TEST(ErrorMapping, NotFoundReasonBecomesTheOuterCode) {
  for (const char* reason : {"SecretNotFound", "VaultNotFound", "KeyNotFound"}) {
    http::Response r =
        ErrorResponse(NotFoundError("A secret with (name/id) x was not found.", reason));
    EXPECT_EQ(r.status, 404);
    json error = ErrorOf(r);
    EXPECT_EQ(error.value("code", ""), reason);
    EXPECT_EQ(error.value("message", ""), "A secret with (name/id) x was not found.");
    EXPECT_FALSE(error.contains("innererror"));
  }
}

TEST(ErrorMapping, DeletedButRecoverableIsConflictWithInnerError) {
  http::Response r =
      ErrorResponse(AlreadyExistsError("Secret x is currently in a deleted but recoverable state.",
                                       "ObjectIsDeletedButRecoverable"));
  EXPECT_EQ(r.status, 409);
  json error = ErrorOf(r);
  EXPECT_EQ(error.value("code", ""), "Conflict");
  ASSERT_TRUE(error.contains("innererror"));
  EXPECT_EQ(error["innererror"].value("code", ""), "ObjectIsDeletedButRecoverable");
}

TEST(ErrorMapping, ForbiddenReasonBecomesInnerError) {
  http::Response r = ErrorResponse(PermissionDeniedError(
      "Operation get is not allowed on a disabled secret.", "SecretDisabled"));
  EXPECT_EQ(r.status, 403);
  json error = ErrorOf(r);
  EXPECT_EQ(error.value("code", ""), "Forbidden");
  EXPECT_EQ(error["innererror"].value("code", ""), "SecretDisabled");
}

TEST(ErrorMapping, BadParameterReasonIsNotRepeatedAsInnerError) {
  json plain = ErrorOf(ErrorResponse(InvalidArgumentError("bad", "BadParameter")));
  EXPECT_EQ(plain.value("code", ""), "BadParameter");
  EXPECT_FALSE(plain.contains("innererror"));
  json named = ErrorOf(ErrorResponse(InvalidArgumentError("bad name", "VaultNameNotValid")));
  EXPECT_EQ(named.value("code", ""), "VaultNameNotValid");
  EXPECT_FALSE(named.contains("innererror"));
}

TEST(ErrorMapping, ReasonNeverChangesTheHttpStatus) {
  EXPECT_EQ(ErrorResponse(InvalidArgumentError("m", "SecretNotFound")).status, 400);
  EXPECT_EQ(ErrorResponse(NotFoundError("m", "Conflict")).status, 404);
  EXPECT_EQ(ErrorResponse(InternalError("m", "ObjectIsDeletedButRecoverable")).status, 500);
}

TEST(ErrorMapping, InternalErrorsHideTheirMessage) {
  const std::string detail = "sqlite: disk I/O error at /var/lib/coffer/coffer.db page 42";
  for (const Status& s : {InternalError(detail), DataLossError(detail)}) {
    http::Response r = ErrorResponse(s);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("/var/lib"), std::string::npos) << r.body;
    EXPECT_FALSE(ErrorOf(r).value("message", "").empty());
  }
}

TEST(ErrorMapping, UnavailableKeepsItsActionableMessage) {
  http::Response r =
      ErrorResponse(UnavailableError("Coffer is sealed; run coffer operator unseal."));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorOf(r).value("message", ""), "Coffer is sealed; run coffer operator unseal.");
  // Storage trouble and a sealed server are retried after Retry-After (CONTRACT.md).
  ASSERT_TRUE(r.headers.Get("Retry-After").has_value());
  EXPECT_EQ(*r.headers.Get("Retry-After"), "1");
}

TEST(ErrorMapping, ThrottledAnswerHasRetryAfter) {
  http::Response r = ErrorResponse(ResourceExhaustedError("Too many requests."));
  EXPECT_EQ(r.status, 429);
  auto retry = r.headers.Get("Retry-After");
  ASSERT_TRUE(retry.has_value());
  ASSERT_FALSE(retry->empty());
  for (char c : *retry) EXPECT_TRUE(c >= '0' && c <= '9') << *retry;
  EXPECT_GE(std::stoi(std::string(*retry)), 1);
  EXPECT_FALSE(ErrorResponse(InvalidArgumentError("x")).headers.Get("Retry-After").has_value());
}

TEST(ErrorMapping, InvalidUtf8InMessageStillYieldsValidJson) {
  std::string message = "name \xff\xfe\xc3 is bad";
  http::Response r;
  ASSERT_NO_THROW(r = ErrorResponse(InvalidArgumentError(message, "BadParameter")));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find('\xff'), std::string::npos);
  EXPECT_NE(ErrorOf(r).value("message", "").find("is bad"), std::string::npos);
  ASSERT_NO_THROW(r = ErrorResponse(NotFoundError("x", "Bad\xffReason")));
  EXPECT_EQ(r.status, 404);
  ASSERT_NO_THROW(r = ProtocolErrorResponse(400, "bad \xff target"));
  EXPECT_FALSE(json::parse(r.body, nullptr, false).is_discarded());
}

TEST(ErrorMapping, MessagesWithQuotesBackslashesAndControlsRoundTrip) {
  const std::string message = "name \"a\\b\"\n\ttab \x01 \x7f é 🔑 end";
  http::Response r = ErrorResponse(AlreadyExistsError(message, "ObjectIsDeletedButRecoverable"));
  json error = ErrorOf(r);
  EXPECT_EQ(error.value("code", ""), "Conflict");
  EXPECT_EQ(error.value("message", ""), message);
  EXPECT_EQ(error["innererror"].value("code", ""), "ObjectIsDeletedButRecoverable");
  EXPECT_EQ(r.body.find('\n'), std::string::npos);  // one line, controls escaped
  EXPECT_EQ(r.body.find('\x01'), std::string::npos);
}

TEST(ErrorMapping, ProtocolErrorsUseTheirOwnCodesAndClose) {
  struct Row {
    int status;
    const char* code;
  };
  for (const Row& row :
       {Row{400, "BadParameter"}, Row{408, "RequestTimeout"}, Row{413, "RequestEntityTooLarge"},
        Row{414, "RequestUriTooLong"}, Row{431, "RequestHeaderFieldsTooLarge"},
        Row{503, "ServiceUnavailable"}}) {
    http::Response r = ProtocolErrorResponse(row.status, "too big");
    EXPECT_EQ(r.status, row.status);
    EXPECT_TRUE(r.close);
    EXPECT_EQ(ErrorOf(r).value("code", ""), row.code);
    EXPECT_EQ(ErrorOf(r).value("message", ""), "too big");
  }
}

}  // namespace
}  // namespace coffer::api
