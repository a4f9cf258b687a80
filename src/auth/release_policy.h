// ReleasePolicy: Azure Key Vault's secure key release policy (the `release_policy.data` of an
// exportable key, `contentType: application/json; charset=utf-8`), parsed, validated and
// evaluated against the claims of an attestation token.
//
// Grammar (Azure's "secure key release policy grammar", version 1.0.0):
//   policy    = {"version": "1.0.0", ("anyOf" | "allOf"): [authority, …]}
//   authority = {"authority": "https://…", ("anyOf" | "allOf"): [condition, …]}
//   condition = {"claim": "<name or dotted.path>", "equals": <string | bool | number>}
//             | {("anyOf" | "allOf"): [condition, …]}
// Every array is non-empty; unknown fields, other types and nesting deeper than kMaxDepth are
// refused. An authority's conditions are evaluated only for a token issued by that authority
// (its `iss`, compared without a trailing slash and without ASCII case in the host).
//
// Thread-safety: immutable values; functions are pure.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace coffer::auth {

struct ReleaseCondition {
  enum class Kind { kClaim, kAnyOf, kAllOf };
  Kind kind = Kind::kClaim;
  std::string claim;             // kClaim: a claim name, or a dotted path into nested objects
  std::string equals_json;       // kClaim: the expected value, as compact JSON
  std::vector<ReleaseCondition> children;  // kAnyOf / kAllOf
};

struct ReleaseAuthority {
  std::string authority;  // https URL, as given
  bool all_of = false;    // the conditions' combinator
  std::vector<ReleaseCondition> conditions;
};

struct ReleasePolicy {
  std::string version;
  bool all_of = false;  // the authorities' combinator
  std::vector<ReleaseAuthority> authorities;
};

inline constexpr int kMaxReleasePolicyDepth = 8;
inline constexpr size_t kMaxReleasePolicyBytes = 16 * 1024;

// Parses and validates the policy document. InvalidArgument ("BadParameter") with a message
// that names the offending field otherwise.
StatusOr<ReleasePolicy> ParseReleasePolicy(std::string_view json);

// Evaluates the policy for a verified token: `issuer` is its `iss`, `claims_json` its payload.
// OK when it is allowed; PermissionDenied naming the rule that failed otherwise (never the
// claims' values). The caller must have verified the token's signature, exp and nbf.
Status EvaluateReleasePolicy(const ReleasePolicy& policy, std::string_view issuer,
                             std::string_view claims_json);

// The authorities a policy names (for the allow-list check before any network call).
std::vector<std::string> ReleasePolicyAuthorities(const ReleasePolicy& policy);

// An authority URL as authorities are compared: without trailing slashes, scheme and host in
// lower case, the path as given ("https://Attest.Example/" → "https://attest.example").
std::string CanonicalAuthority(std::string_view authority);

}  // namespace coffer::auth
