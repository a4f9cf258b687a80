// libFuzzer entry for the JSON request bodies: the input is a body as a client sends it. It goes
// through ParseObjectBody, then every body reader the route families share is applied to it:
// the typed field readers of json_body.h over the fields the routes read (secrets, keys,
// certificates, issuers, contacts, roles, vaults), the certificate policy reader
// (certificate_json.h) for create and update, the vault `accessPolicies` parser
// (vault_json.h), and the key release policy grammar (auth/release_policy.h) on the whole input
// and on `release_policy.data`. Every reader must answer OK or InvalidArgument (a 400); any
// other code, a crash or a sanitizer report is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/certificate_json.h"
#include "api/json_body.h"
#include "api/vault_json.h"
#include "auth/release_policy.h"

namespace {

using namespace coffer;
using namespace coffer::api;

constexpr const char* kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

// Field names the route families read from their bodies.
constexpr const char* kFields[] = {
    "value", "contentType", "tags", "attributes", "enabled", "nbf", "exp", "exportable",
    "recoverableDays", "kty", "key_size", "public_exponent", "crv", "key_ops", "key", "alg",
    "digest", "iv", "aad", "tag", "target", "nonce", "enc", "release_policy", "immutable",
    "data", "policy", "x5c", "pwd", "contacts", "email", "name", "phone", "provider",
    "credentials", "account_id", "org_details", "id", "properties", "roleDefinitionId",
    "principalId", "location", "tenantId", "sku", "accessPolicies", "storageAccountName",
    "token", "resourceUri", "lifetimeActions", "trigger", "action", "timeAfterCreate",
    "timeBeforeExpiry", "expiryTime", "hsm", "version", "base64EncodedCertificate",
};

void Check(const Status& status) {
  if (!status.ok() && status.code() != StatusCode::kInvalidArgument) std::abort();
}
template <typename T>
void Check(const StatusOr<T>& result) {
  Check(result.status());
}

// Objects the routes read fields from below the top level.
constexpr const char* kNested[] = {"attributes", "key", "release_policy", "policy",
                                   "properties", "credentials", "trigger", "action"};

void ReadFields(const Json& obj) {
  for (const char* field : kFields) {
    Check(OptString(obj, field));
    Check(OptBool(obj, field));
    Check(OptInt(obj, field));
    Check(OptTags(obj, field));
    Check(OptBase64Url(obj, field));
    Check(OptObject(obj, field));
  }
  // SecretBase64Url clears the field it decodes, so it gets a copy of just that field.
  for (const char* field : {"value", "k"}) {
    Json one = Json::object();
    if (auto it = obj.find(field); it != obj.end()) one[field] = *it;
    Check(SecretBase64Url(one, field, field[0] == 'k'));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  Check(auth::ParseReleasePolicy(body));
  auto parsed = ParseObjectBody(body);
  Check(parsed);
  if (!parsed.ok()) return 0;
  Json& obj = *parsed;
  (void)Dump(obj);
  ReadFields(obj);
  for (const char* field : kNested) {
    auto nested = OptObject(obj, field);
    if (nested.ok() && *nested != nullptr) ReadFields(**nested);
  }

  for (const Json* policy : {&obj, obj.contains("policy") ? &obj["policy"] : nullptr}) {
    if (policy == nullptr || !policy->is_object()) continue;
    for (bool creating : {true, false}) {
      model::CertificatePolicy out;
      Check(ReadCertificatePolicy(*policy, creating, &out));
    }
  }
  for (const Json* holder : {&obj, obj.contains("properties") ? &obj["properties"] : nullptr}) {
    if (holder == nullptr || !holder->is_object() || !holder->contains("accessPolicies")) continue;
    Check(ParseAccessPolicies((*holder)["accessPolicies"], kTenant));
  }
  if (auto rp = OptObject(obj, "release_policy"); rp.ok() && *rp != nullptr) {
    auto policy_data = OptBase64Url(**rp, "data");
    if (policy_data.ok() && *policy_data) Check(auth::ParseReleasePolicy(**policy_data));
  }
  return 0;
}
