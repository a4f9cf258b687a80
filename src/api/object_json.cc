#include "api/object_json.h"

#include "api/errors.h"

namespace coffer::api {

Json AttributesJson(const model::Attributes& a, const model::VaultRecord& vault) {
  Json j = {{"enabled", a.enabled}, {"created", a.created}, {"updated", a.updated}};
  if (a.not_before) j["nbf"] = *a.not_before;
  if (a.expires) j["exp"] = *a.expires;
  j["recoveryLevel"] = vault.RecoveryLevel();
  j["recoverableDays"] = vault.retention_days;
  return j;
}

void AddDeletedJson(Json& j, std::string_view origin, std::string_view deleted_collection,
                    std::string_view name, const std::optional<model::DeletedInfo>& deleted) {
  if (!deleted) return;
  j["recoveryId"] = std::string(origin) + "/" + std::string(deleted_collection) + "/" +
                    std::string(name);
  j["deletedDate"] = deleted->deleted_date;
  j["scheduledPurgeDate"] = deleted->scheduled_purge_date;
}

http::Response PageResponse(Json items, std::string_view origin, std::string_view path,
                            std::string_view api_version, std::string_view next_token,
                            size_t max_results) {
  Json j = {{"value", std::move(items)}, {"nextLink", nullptr}};
  if (!next_token.empty()) {
    j["nextLink"] = std::string(origin) + std::string(path) +
                    "?api-version=" + http::PercentEncode(api_version) +
                    "&$skiptoken=" + http::PercentEncode(next_token) +
                    "&maxresults=" + std::to_string(max_results);
  }
  return JsonResponse(200, Dump(j));
}

}  // namespace coffer::api
