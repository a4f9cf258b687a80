#include "auth/release_policy.h"

#include <nlohmann/json.hpp>

#include "core/encoding.h"

namespace coffer::auth {
namespace {

using Json = nlohmann::json;

Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgumentError(
      "The key release policy is invalid: " + where + " " + what +
          " (see Azure's secure key release policy grammar, version 1.0.0).",
      "BadParameter");
}

// Exactly one of anyOf / allOf, a non-empty array. Sets *all_of and returns the array.
StatusOr<const Json*> Combinator(const Json& obj, const std::string& where, bool* all_of) {
  bool any = obj.contains("anyOf"), all = obj.contains("allOf");
  if (any == all) return Bad(where, "must have exactly one of 'anyOf' and 'allOf'");
  *all_of = all;
  const Json& arr = obj[all ? "allOf" : "anyOf"];
  if (!arr.is_array() || arr.empty()) {
    return Bad(where + "." + (all ? "allOf" : "anyOf"), "must be a non-empty array");
  }
  return &arr;
}

Status CheckKeys(const Json& obj, const std::string& where,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || key == a;
    if (!ok) return Bad(where, "has an unknown field '" + key.substr(0, 40) + "'");
  }
  return OkStatus();
}

StatusOr<ReleaseCondition> ParseCondition(const Json& j, const std::string& where, int depth) {
  if (depth > kMaxReleasePolicyDepth) return Bad(where, "nests too deeply");
  if (!j.is_object()) return Bad(where, "must be an object");
  ReleaseCondition c;
  if (j.contains("claim")) {
    RETURN_IF_ERROR(CheckKeys(j, where, {"claim", "equals"}));
    if (!j["claim"].is_string() || j["claim"].get_ref<const std::string&>().empty()) {
      return Bad(where + ".claim", "must be a non-empty string");
    }
    if (!j.contains("equals")) return Bad(where, "must have 'equals'");
    const Json& eq = j["equals"];
    if (!eq.is_string() && !eq.is_boolean() && !eq.is_number()) {
      return Bad(where + ".equals", "must be a string, a boolean or a number");
    }
    c.kind = ReleaseCondition::Kind::kClaim;
    c.claim = j["claim"].get<std::string>();
    c.equals_json = eq.dump();
    return c;
  }
  RETURN_IF_ERROR(CheckKeys(j, where, {"anyOf", "allOf"}));
  bool all = false;
  ASSIGN_OR_RETURN(const Json* arr, Combinator(j, where, &all));
  c.kind = all ? ReleaseCondition::Kind::kAllOf : ReleaseCondition::Kind::kAnyOf;
  for (size_t i = 0; i < arr->size(); ++i) {
    ASSIGN_OR_RETURN(ReleaseCondition child,
                     ParseCondition((*arr)[i],
                                    where + (all ? ".allOf[" : ".anyOf[") + std::to_string(i) + "]",
                                    depth + 1));
    c.children.push_back(std::move(child));
  }
  return c;
}

const Json* Lookup(const Json& claims, const std::string& name) {
  if (auto it = claims.find(name); it != claims.end()) return &*it;
  const Json* at = &claims;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    std::string part = name.substr(start, dot == std::string::npos ? std::string::npos
                                                                    : dot - start);
    if (!at->is_object()) return nullptr;
    auto it = at->find(part);
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
  return nullptr;
}

// Azure compares a claim with `equals` by value: JSON-equal, or a string against a boolean or a
// number by its text ("true" equals true; the SDK's own release tests rely on it).
bool ClaimEquals(const Json& actual, const Json& expected) {
  if (actual == expected) return true;
  const Json* text = actual.is_string() ? &actual : expected.is_string() ? &expected : nullptr;
  const Json* other = text == &actual ? &expected : &actual;
  if (text == nullptr) return false;
  const std::string& s = text->get_ref<const std::string&>();
  if (other->is_boolean()) return EqualsIgnoreCase(s, other->get<bool>() ? "true" : "false");
  if (other->is_number()) return s == other->dump();
  return false;
}

// True if the condition holds; on false, *why names the first claim that did not match.
bool Holds(const ReleaseCondition& c, const Json& claims, std::string* why) {
  switch (c.kind) {
    case ReleaseCondition::Kind::kClaim: {
      const Json* v = Lookup(claims, c.claim);
      if (v != nullptr && ClaimEquals(*v, Json::parse(c.equals_json))) return true;
      if (why->empty()) {
        *why = v == nullptr ? "claim '" + c.claim + "' is missing from the attestation token"
                            : "claim '" + c.claim + "' does not have the value the policy requires";
      }
      return false;
    }
    case ReleaseCondition::Kind::kAnyOf:
      for (const auto& child : c.children) {
        if (Holds(child, claims, why)) return true;
      }
      return false;
    case ReleaseCondition::Kind::kAllOf:
      for (const auto& child : c.children) {
        if (!Holds(child, claims, why)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace

StatusOr<ReleasePolicy> ParseReleasePolicy(std::string_view text) {
  if (text.size() > kMaxReleasePolicyBytes) {
    return Bad("the document", "is larger than 16 KB");
  }
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("the document", "is not a JSON object");
  RETURN_IF_ERROR(CheckKeys(j, "the policy", {"version", "anyOf", "allOf"}));
  ReleasePolicy p;
  if (!j.contains("version") || !j["version"].is_string()) {
    return Bad("'version'", "must be the string \"1.0.0\"");
  }
  p.version = j["version"].get<std::string>();
  if (p.version != "1.0.0" && p.version != "1.0") {
    return Bad("'version' " + p.version.substr(0, 16), "is not supported; use \"1.0.0\"");
  }
  ASSIGN_OR_RETURN(const Json* arr, Combinator(j, "the policy", &p.all_of));
  for (size_t i = 0; i < arr->size(); ++i) {
    const Json& item = (*arr)[i];
    std::string where = std::string(p.all_of ? "allOf[" : "anyOf[") + std::to_string(i) + "]";
    if (!item.is_object()) return Bad(where, "must be an object");
    RETURN_IF_ERROR(CheckKeys(item, where, {"authority", "anyOf", "allOf"}));
    if (!item.contains("authority") || !item["authority"].is_string()) {
      return Bad(where + ".authority", "must be the https URL of the attestation authority");
    }
    ReleaseAuthority a;
    a.authority = item["authority"].get<std::string>();
    if (!a.authority.starts_with("https://") || a.authority.size() <= 8 ||
        a.authority.size() > 2048) {
      return Bad(where + ".authority", "must be an https URL");
    }
    ASSIGN_OR_RETURN(const Json* conditions, Combinator(item, where, &a.all_of));
    for (size_t k = 0; k < conditions->size(); ++k) {
      ASSIGN_OR_RETURN(ReleaseCondition c,
                       ParseCondition((*conditions)[k],
                                      where + (a.all_of ? ".allOf[" : ".anyOf[") +
                                          std::to_string(k) + "]",
                                      2));
      a.conditions.push_back(std::move(c));
    }
    p.authorities.push_back(std::move(a));
  }
  return p;
}

Status EvaluateReleasePolicy(const ReleasePolicy& policy, std::string_view issuer,
                             std::string_view claims_json) {
  Json claims = Json::parse(claims_json, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) {
    return PermissionDeniedError("The attestation token's claims are not a JSON object.",
                                 "KeyReleaseDenied");
  }
  std::string iss = CanonicalAuthority(issuer);
  std::string why;
  bool matched_authority = false;
  size_t passed = 0;
  for (const ReleaseAuthority& a : policy.authorities) {
    bool ok = false;
    if (CanonicalAuthority(a.authority) == iss) {
      matched_authority = true;
      ReleaseCondition all{a.all_of ? ReleaseCondition::Kind::kAllOf
                                    : ReleaseCondition::Kind::kAnyOf,
                           "", "", a.conditions};
      ok = Holds(all, claims, &why);
    } else if (why.empty()) {
      why = "the token was issued by '" + std::string(issuer.substr(0, 200)) +
            "', not by the policy's authority '" + a.authority + "'";
    }
    if (ok) ++passed;
    if (ok && !policy.all_of) return OkStatus();
    if (!ok && policy.all_of) break;
  }
  if (policy.all_of && passed == policy.authorities.size()) return OkStatus();
  if (!matched_authority) {
    why = "the token was issued by '" + std::string(issuer.substr(0, 200)) +
          "', which is not an authority of the key's release policy";
  }
  return PermissionDeniedError("The key release policy does not allow this release: " + why + ".",
                               "KeyReleaseDenied");
}

std::vector<std::string> ReleasePolicyAuthorities(const ReleasePolicy& policy) {
  std::vector<std::string> out;
  for (const auto& a : policy.authorities) out.push_back(a.authority);
  return out;
}

std::string CanonicalAuthority(std::string_view a) {
  while (a.ends_with('/')) a.remove_suffix(1);
  // Scheme and host compare without case; the path as given.
  size_t host_end = a.find('/', a.find("://") == std::string_view::npos ? 0 : a.find("://") + 3);
  std::string out = AsciiLower(a.substr(0, host_end));
  if (host_end != std::string_view::npos) out += a.substr(host_end);
  return out;
}

}  // namespace coffer::auth
