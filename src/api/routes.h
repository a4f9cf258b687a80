// Route handlers, one file per resource family. Each takes the App (for options and services),
// the request context from OnHead and the request, and returns the response. They never throw.
// Thread-safety: called concurrently on worker threads.
#pragma once

#include "api/app.h"
#include "api/request_context.h"

namespace coffer::api {

http::Response HandleIdentity(const App& app, const RequestContext& ctx, http::Request& req);
http::Response HandleOperator(const App& app, const RequestContext& ctx, http::Request& req);
http::Response HandleManagement(const App& app, const RequestContext& ctx, http::Request& req);
http::Response HandleDev(const App& app, const RequestContext& ctx, http::Request& req);
// Data plane; `vault` already resolved and api-version checked.
http::Response HandleSecrets(const App& app, const RequestContext& ctx, http::Request& req,
                             const model::VaultRecord& vault, const std::string& api_version);
http::Response HandleKeys(const App& app, const RequestContext& ctx, http::Request& req,
                          const model::VaultRecord& vault, const std::string& api_version);
// POST /keys/{name}/{version}/{verb}; `verb` lower-cased: encrypt decrypt wrapkey unwrapkey
// sign verify (anything else → 404 NoRoute); `version` "" = latest.
http::Response HandleKeyOperation(const App& app, const RequestContext& ctx, http::Request& req,
                                  const model::VaultRecord& vault, const std::string& name,
                                  const std::string& version, const std::string& verb);
// POST /rng {"count": 1..128} → {"value": base64url random bytes}.
http::Response HandleRandomBytes(const http::Request& req);

// Shared helpers.
// maxresults: 1..25, default 25; 400 otherwise.
StatusOr<size_t> PageSize(const http::Request& req);
// $skiptoken, or "" when absent.
std::string SkipToken(const http::Request& req);
Status CheckDataApiVersion(const http::RequestHead& head, std::string* version);
Status CheckManagementApiVersion(const http::RequestHead& head);
http::Response NoRoute(const http::Request& req);

}  // namespace coffer::api
