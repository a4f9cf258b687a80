// JSON of certificate policies (AZURE_API.md §5.2, Part 2 §A3): snake_case wire names, the
// request forms the SDK sends (`{"key_props":{},"secret_props":{},"x509_props":{"subject":…,
// "sans":{}},"issuer":{"name":"Self"},"attributes":{}}`), Azure's defaults, and PATCH as a
// field-wise merge over the stored policy.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "api/json_body.h"
#include "model/certificate_policy.h"

namespace coffer::api {

// Reads a policy object over `policy` (a default-constructed policy for create, the stored one
// for PATCH): only the fields present change. `lifetime_actions` absent on create → Azure's
// default for the issuer (`creating`). The result is completed and validated
// (model::CompleteAndValidatePolicy). InvalidArgument naming the field on a wrong type or
// value.
Status ReadCertificatePolicy(const Json& json, bool creating, model::CertificatePolicy* policy);

// The policy as Azure returns it; `id` is "https://<vault host>/certificates/<name>/policy".
Json CertificatePolicyJson(const model::CertificatePolicy& policy, const std::string& id);

}  // namespace coffer::api
