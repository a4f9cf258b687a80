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

// Shared helpers.
Status CheckDataApiVersion(const http::RequestHead& head, std::string* version);
Status CheckManagementApiVersion(const http::RequestHead& head);
http::Response NoRoute(const http::Request& req);

}  // namespace coffer::api
