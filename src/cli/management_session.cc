#include "cli/management_session.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/output_format.h"
#include "core/files.h"
#include "core/secret_bytes.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

constexpr int kMaxThrottleRetries = 5;
constexpr int kMaxRetryAfterSeconds = 60;

// The code of a refusal with this HTTP status: the inverse of the server's status table, as far
// as a client needs it.
StatusCode CodeOfHttpStatus(int status) {
  switch (status) {
    case 400:
    case 413:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return StatusCode::kAlreadyExists;
    case 429:
      return StatusCode::kResourceExhausted;
    case 503:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

// The Status of a refusal: the error envelope's message and code, the OAuth description, or,
// when the body says nothing, the HTTP status.
Status RefusalStatus(int status, const json& body) {
  std::string message = "the server answered HTTP " + std::to_string(status);
  std::string reason;
  if (body.is_object()) {
    auto error = body.find("error");
    if (error != body.end() && error->is_object()) {
      if (auto m = error->find("message"); m != error->end() && m->is_string()) {
        message = m->get<std::string>();
      }
      if (auto c = error->find("code"); c != error->end() && c->is_string()) {
        reason = c->get<std::string>();
      }
    } else if (auto d = body.find("error_description"); d != body.end() && d->is_string()) {
      message = d->get<std::string>();
    }
  }
  return Status(CodeOfHttpStatus(status), std::move(message), std::move(reason));
}

int RetryAfterSeconds(const http::ClientResponse& resp) {
  auto value = resp.headers.Get("Retry-After");
  int seconds = 1;
  if (value && !value->empty() &&
      std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    seconds = value->size() > 3 ? kMaxRetryAfterSeconds : std::stoi(std::string(*value));
  }
  return std::clamp(seconds, 1, kMaxRetryAfterSeconds);
}

}  // namespace

std::string WithApiVersion(const std::string& path, const char* version) {
  return path + (path.find('?') == std::string::npos ? "?" : "&") + "api-version=" + version;
}

StatusOr<ManagementSession> ManagementSession::Connect(const ClientContext& ctx,
                                                       Audience audience) {
  const EnvLookup env = ProcessEnvironment();
  ASSIGN_OR_RETURN(Credentials creds, ResolveCredentials(ctx, env, DefaultProfilePath(env)));
  return Connect(creds, audience);
}

StatusOr<ManagementSession> ManagementSession::Connect(const Credentials& creds,
                                                       Audience audience) {
  ManagementSession s;
  s.base_url_ = creds.base_url;
  s.ca_file_ = creds.ca_file;
  s.tenant_id_ = creds.tenant_id;
  s.dev_subscriptions_ = creds.subscriptions;

  http::ClientRequest req;
  req.method = "POST";
  req.url = creds.authority_host + "/" + http::PercentEncode(s.tenant_id_) + "/oauth2/v2.0/token";
  req.ca_file = s.ca_file_;
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  req.body = "grant_type=client_credentials&client_id=" + http::PercentEncode(creds.client_id) +
             "&client_secret=" + http::PercentEncode(creds.client_secret) + "&scope=" +
             http::PercentEncode(audience == Audience::kManagement
                                     ? "https://management.localhost/.default"
                                     : "https://vault.localhost/.default");
  auto resp = http::Fetch(req);
  SecureClear(req.body);
  if (!resp.ok()) return UnavailableError("cannot reach the server: " + resp.status().message());
  json token = json::parse(resp->body, nullptr, false);
  SecureClear(resp->body);
  if (resp->status != 200 || !token.is_object() || !token.contains("access_token") ||
      !token["access_token"].is_string()) {
    return UnauthenticatedError("the token endpoint refused the credentials of " + creds.source +
                                " (" + RefusalStatus(resp->status, token).message() + ")");
  }
  s.token_ = token["access_token"].get<std::string>();
  SecureClear(token["access_token"].get_ref<std::string&>());
  // Without dev-credentials.json's list, the subscriptions are those the server shows.
  if (s.dev_subscriptions_.empty() && audience == Audience::kManagement) {
    ASSIGN_OR_RETURN(s.dev_subscriptions_, s.AllSubscriptions());
  }
  return s;
}

ManagementSession::~ManagementSession() { SecureClear(token_); }

StatusOr<http::ClientResponse> ManagementSession::Exchange(http::ClientRequest& req) {
  req.url = req.url.starts_with("https://") ? req.url : base_url_ + req.url;
  req.ca_file = ca_file_;
  req.headers.Set("Authorization", "Bearer " + token_);
  StatusOr<http::ClientResponse> resp = UnavailableError("no request sent");
  for (int attempt = 0;; ++attempt) {
    resp = http::Fetch(req);
    if (!resp.ok()) {
      SecureClear(req.body);
      return UnavailableError("cannot reach the server: " + resp.status().message());
    }
    if (resp->status != 429 || attempt == kMaxThrottleRetries) break;
    std::this_thread::sleep_for(std::chrono::seconds(RetryAfterSeconds(*resp)));
  }
  SecureClear(req.body);
  if (resp->status >= 400) {
    json body = json::parse(resp->body, nullptr, false);
    SecureClear(resp->body);
    return RefusalStatus(resp->status, body.is_discarded() ? json() : body);
  }
  return resp;
}

StatusOr<ManagementSession::Answer> ManagementSession::Send(const std::string& method,
                                                            const std::string& path_and_query,
                                                            const std::optional<json>& body) {
  http::ClientRequest req;
  req.method = method;
  req.url = path_and_query;
  if (body) {
    req.headers.Set("Content-Type", "application/json");
    req.body = body->dump();
  }
  ASSIGN_OR_RETURN(http::ClientResponse resp, Exchange(req));
  Answer answer;
  answer.status = resp.status;
  answer.location = std::string(resp.headers.Get("Location").value_or(""));
  answer.body = resp.body.empty() ? json() : json::parse(resp.body, nullptr, false);
  SecureClear(resp.body);
  if (answer.body.is_discarded()) {
    return InternalError("the server's answer to " + method + " is not JSON (HTTP " +
                         std::to_string(resp.status) + ")");
  }
  return answer;
}

StatusOr<std::string> ManagementSession::SendBytes(const std::string& method,
                                                   const std::string& path_and_query,
                                                   std::string bytes,
                                                   std::chrono::seconds timeout) {
  http::ClientRequest req;
  req.method = method;
  req.url = path_and_query;
  req.timeout = timeout;
  if (!bytes.empty() || method == "PUT" || method == "POST") {
    req.headers.Set("Content-Type", "application/octet-stream");
    req.body = std::move(bytes);
  }
  ASSIGN_OR_RETURN(http::ClientResponse resp, Exchange(req));
  return std::move(resp.body);
}

StatusOr<json> ManagementSession::Request(const std::string& method,
                                          const std::string& path_and_query,
                                          const std::optional<json>& body) {
  ASSIGN_OR_RETURN(Answer answer, Send(method, path_and_query, body));
  return std::move(answer.body);
}

StatusOr<json> ManagementSession::ListAll(const std::string& path_and_query) {
  json all = json::array();
  std::string next = path_and_query;
  // A server that keeps answering with a nextLink is not followed forever.
  for (int page = 0; !next.empty() && page < 10000; ++page) {
    ASSIGN_OR_RETURN(json j, Request("GET", next));
    if (!j.is_object() || !j.contains("value") || !j["value"].is_array()) {
      return InternalError("the server's list answer has no value array");
    }
    for (json& item : j["value"]) all.push_back(std::move(item));
    auto link = j.find("nextLink");
    next = link != j.end() && link->is_string() ? link->get<std::string>() : "";
  }
  return all;
}

std::string ManagementSession::SubscriptionOr(const std::string& subscription) const {
  if (!subscription.empty() || dev_subscriptions_.empty()) return subscription;
  return dev_subscriptions_.front();
}

StatusOr<std::vector<std::string>> ManagementSession::AllSubscriptions() {
  std::vector<std::string> subs = dev_subscriptions_;
  ASSIGN_OR_RETURN(json listed,
                   ListAll(WithApiVersion("/subscriptions", kSubscriptionsApiVersion)));
  for (const json& s : listed) {
    if (!s.is_object() || !s.contains("subscriptionId") || !s["subscriptionId"].is_string()) {
      continue;
    }
    std::string id = s["subscriptionId"].get<std::string>();
    if (std::find(subs.begin(), subs.end(), id) == subs.end()) subs.push_back(std::move(id));
  }
  return subs;
}

std::string StringField(const json& j, const char* name) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int ReportError(const Status& status) {
  std::cerr << "ERROR: " << status.message() << std::endl;
  return 1;
}

int PrintJson(const json& j) {
  std::string text = FormatOutput(j, CurrentOutputFormat());
  std::cout << text << std::flush;
  SecureClear(text);
  return 0;
}

int PrintOrReport(const StatusOr<json>& result) {
  return result.ok() ? PrintJson(*result) : ReportError(result.status());
}

}  // namespace coffer::cli
