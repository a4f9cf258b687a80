// Error mapping: the one table from canonical Status codes to HTTP statuses and Azure error
// codes, and the Azure error envelope {"error":{"code","message","innererror"?}}.
//
// Rules: the HTTP status comes from Status::code() only. The envelope's outer code is the
// table's code, except for 404s, whose reason (SecretNotFound, VaultNotFound…) is the outer
// code as in Azure; for other statuses a reason different from the outer code becomes
// innererror.code (e.g. 409 Conflict / ObjectIsDeletedButRecoverable, 403 Forbidden /
// SecretDisabled). A kInternal status never exposes its message.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "core/status.h"
#include "http/message.h"

namespace coffer::api {

int HttpStatusFor(StatusCode code);

// JSON response with Azure's headers (content type, no-cache).
http::Response JsonResponse(int status, std::string body);
http::Response ErrorResponse(const Status& status);
// ARM's shape for the management plane's own resources (role assignments, principals,
// subscriptions): the status's reason, when it has one, is the outer code and there is no
// inner error ({"error":{"code":"RoleAssignmentExists","message":…}}).
http::Response ArmErrorResponse(const Status& status);
// For protocol-level failures the server reports (400, 408, 413, 414, 431).
http::Response ProtocolErrorResponse(int http_status, std::string_view message);

}  // namespace coffer::api
