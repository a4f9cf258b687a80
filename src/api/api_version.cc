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

// A repeated api-version (two values, whichever a proxy or the server would pick) is refused.
Status Repeated(const http::RequestHead& head) {
  int n = 0;
  for (const auto& [name, value] : head.query) n += name == "api-version";
  if (n > 1) {
    return InvalidArgumentError(
        "The api-version query parameter appears more than once; give it exactly once.",
        "BadParameter");
  }
  return OkStatus();
}

}  // namespace

namespace {

// "7.0"…"7.6", "2025-07-01", "2026-04-01", each optionally followed by "-preview" or
// "-preview.N". Hand-written (not std::regex): it runs on every data-plane request.
bool IsDataApiVersion(std::string_view v) {
  std::string_view base = v.substr(0, v.find('-', v.starts_with("20") ? 10 : 0));
  std::string_view rest = v.substr(base.size());
  bool base_ok = (base.size() == 3 && base[0] == '7' && base[1] == '.' && base[2] >= '0' &&
                  base[2] <= '6') ||
                 base == "2025-07-01" || base == "2026-04-01";
  if (!base_ok) return false;
  if (rest.empty()) return true;
  if (!rest.starts_with("-preview")) return false;
  rest.remove_prefix(8);
  if (rest.empty()) return true;
  if (rest.size() < 2 || rest[0] != '.') return false;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Status CheckDataApiVersion(const http::RequestHead& head, std::string* version) {
  RETURN_IF_ERROR(Repeated(head));
  auto v = head.Query("api-version");
  std::string got = v ? std::string(*v) : "";
  if (got.empty() || got.size() > 40 || !IsDataApiVersion(got)) {
    return Unsupported(got, "2025-07-01");
  }
  *version = got;
  return OkStatus();
}

Status CheckManagementApiVersion(const http::RequestHead& head) {
  RETURN_IF_ERROR(Repeated(head));
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
