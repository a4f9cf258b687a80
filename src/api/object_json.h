// JSON pieces shared by the object routes (secrets, keys, later certificates): attributes with
// the vault's recovery settings, the deleted-object fields, and list pages with their nextLink.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/json_body.h"
#include "http/message.h"
#include "model/object.h"
#include "model/vault_record.h"

namespace coffer::api {

// {enabled, created, updated, nbf?, exp?, recoveryLevel, recoverableDays}
Json AttributesJson(const model::Attributes& a, const model::VaultRecord& vault);

// Adds recoveryId ("<origin>/<deleted_collection>/<name>"), deletedDate and scheduledPurgeDate
// when `deleted` is set.
void AddDeletedJson(Json& j, std::string_view origin, std::string_view deleted_collection,
                    std::string_view name, const std::optional<model::DeletedInfo>& deleted);

// {"value": items, "nextLink": "<origin><path>?api-version=…&$skiptoken=…&maxresults=…" | null}
http::Response PageResponse(Json items, std::string_view origin, std::string_view path,
                            std::string_view api_version, std::string_view next_token,
                            size_t max_results);

}  // namespace coffer::api
