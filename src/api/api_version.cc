// api-version checks for the data plane and the ARM-shaped management plane (DESIGN.md §2).
#include <regex>

#include "api/routes.h"

namespace coffer::api {
namespace {

Status Unsupported(std::string_view got, std::string_view latest) {
  if (got.empty()) {
    return InvalidArgumentError(
        "The api-version query parameter is missing. Add ?api-version=" + std::string(latest) +
            " to the request.",
        "BadParameter");
  }
  return InvalidArgumentError("The specified version (" + std::string(got.substr(0, 40)) +
                                  ") is not recognized. Consider using the latest supported "
                                  "version (" +
                                  std::string(latest) + ").",
                              "BadParameter");
}

}  // namespace

Status CheckDataApiVersion(const http::RequestHead& head, std::string* version) {
  auto v = head.Query("api-version");
  std::string got = v ? std::string(*v) : "";
  static const std::regex kPattern(R"(^(7\.[0-6]|2025-07-01|2026-04-01)(-preview(\.\d+)?)?$)");
  if (got.empty() || got.size() > 40 || !std::regex_match(got, kPattern)) {
    return Unsupported(got, "2025-07-01");
  }
  *version = got;
  return OkStatus();
}

Status CheckManagementApiVersion(const http::RequestHead& head) {
  auto v = head.Query("api-version");
  std::string got = v ? std::string(*v) : "";
  static const std::regex kPattern(R"(^(\d{4}-\d{2}-\d{2})(-preview)?$)");
  std::smatch m;
  if (got.size() <= 40 && std::regex_match(got, m, kPattern)) {
    std::string date = m[1];
    if (date >= "2019-09-01" && date <= "2026-02-01") return OkStatus();
  }
  return Unsupported(got, "2026-02-01");
}

}  // namespace coffer::api
