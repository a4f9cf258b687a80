#include "auth/attestation_verifier.h"

#include <nlohmann/json.hpp>

#include "core/encoding.h"

namespace coffer::auth {
namespace {

using Json = nlohmann::json;

Status Bad(std::string why) {
  return InvalidArgumentError("The attestation token (target) cannot be accepted: " + why + ".",
                              "BadParameter");
}

Status Denied(std::string why) {
  return PermissionDeniedError("The key release policy does not allow this release: " + why + ".",
                               "KeyReleaseDenied");
}

struct Parts {
  Json header;
  Json payload;
  std::string signature;
  std::string_view signing_input;
};

StatusOr<Parts> Split(std::string_view token) {
  if (token.size() > kMaxAttestationTokenBytes) return Bad("it is longer than 64 KB");
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return Bad("it is not a JWT (a JWS compact serialization of three base64url parts)");
  }
  std::string_view h64 = token.substr(0, d1), p64 = token.substr(d1 + 1, d2 - d1 - 1),
                   s64 = token.substr(d2 + 1);
  if (!IsStrictBase64Url(h64) || !IsStrictBase64Url(p64) || !IsStrictBase64Url(s64)) {
    return Bad("its parts are not base64url without padding, or it has no signature");
  }
  auto header = DecodeBase64Url(h64), payload = DecodeBase64Url(p64), sig = DecodeBase64Url(s64);
  if (!header || !payload || !sig) return Bad("a part is not base64url");
  Parts out;
  out.header = Json::parse(*header, nullptr, false);
  out.payload = Json::parse(*payload, nullptr, false);
  if (!out.header.is_object() || !out.payload.is_object()) {
    return Bad("its header or payload is not a JSON object");
  }
  out.signature = std::move(*sig);
  out.signing_input = token.substr(0, d2);
  return out;
}

std::string Text(const Json& obj, const char* field) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// A NumericDate claim: nullopt when absent, an error when not a number.
StatusOr<std::optional<int64_t>> Date(const Json& claims, const char* field) {
  auto it = claims.find(field);
  if (it == claims.end()) return std::optional<int64_t>();
  if (!it->is_number()) return Bad(std::string("its '") + field + "' claim is not a number");
  double v = it->get<double>();
  if (v < -1e15 || v > 1e15) return Bad(std::string("its '") + field + "' claim is out of range");
  return std::optional<int64_t>(static_cast<int64_t>(v));
}

const Json* Member(const Json& obj, const char* field) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(field);
  return it == obj.end() ? nullptr : &*it;
}

// Whether the claims carry `nonce` where attestation services put a caller's nonce.
bool CarriesNonce(const Json& claims, std::string_view nonce) {
  const Json* runtime = Member(claims, "x-ms-runtime");
  const Json* payload = runtime != nullptr ? Member(*runtime, "client-payload") : nullptr;
  for (const Json* holder : {&claims, runtime, payload}) {
    const Json* v = holder != nullptr ? Member(*holder, "nonce") : nullptr;
    if (v != nullptr && v->is_string() && v->get_ref<const std::string&>() == nonce) return true;
  }
  return false;
}

bool ListsAny(const Json& jwk, const char* field, std::initializer_list<std::string_view> ops) {
  const Json* list = Member(jwk, field);
  if (list == nullptr) return true;
  if (!list->is_array()) return false;
  for (const Json& op : *list) {
    for (std::string_view want : ops) {
      if (op.is_string() && op.get_ref<const std::string&>() == want) return true;
    }
  }
  return false;
}

// The key in x-ms-runtime.keys to wrap the released key to.
StatusOr<std::pair<crypto::PublicKey, std::string>> RuntimeKey(const Json& claims) {
  const Json* runtime = Member(claims, "x-ms-runtime");
  const Json* keys = runtime != nullptr ? Member(*runtime, "keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return Bad("it carries no key to wrap the released key to (x-ms-runtime.keys)");
  }
  std::string problem = "none is an RSA encryption key";
  for (const Json& jwk : *keys) {
    if (!jwk.is_object() || Text(jwk, "kty").rfind("RSA", 0) != 0) continue;
    std::string use = Text(jwk, "use");
    if ((!use.empty() && use != "enc") || !ListsAny(jwk, "key_ops", {"encrypt", "wrapKey"})) {
      continue;
    }
    crypto::JwkParts parts;
    parts.kty = "RSA";
    auto n = DecodeBase64Url(Text(jwk, "n"));
    auto e = DecodeBase64Url(Text(jwk, "e"));
    if (!n || !e || n->empty() || e->empty()) {
      problem = "an RSA key lacks base64url 'n' or 'e'";
      continue;
    }
    parts.n = std::move(*n);
    parts.e = std::move(*e);
    auto key = crypto::PublicKey::FromJwk(parts);
    if (!key.ok()) {
      problem = key.status().message();
      continue;
    }
    return std::pair{std::move(*key), Text(jwk, "kid")};
  }
  return Bad("x-ms-runtime.keys holds no key to wrap the released key to: " + problem);
}

}  // namespace

AttestationVerifier::AttestationVerifier(const Clock& real_clock, AttestationKeys& keys)
    : clock_(real_clock), keys_(keys) {}

StatusOr<VerifiedAttestation> AttestationVerifier::Verify(std::string_view token,
                                                          const ReleasePolicy& policy,
                                                          std::string_view nonce) {
  ASSIGN_OR_RETURN(Parts t, Split(token));
  const Json& claims = t.payload;
  std::string issuer = Text(claims, "iss");
  if (issuer.empty()) return Bad("it has no 'iss' (issuer) claim naming its authority");
  bool named = false;
  for (const ReleaseAuthority& a : policy.authorities) {
    named = named || CanonicalAuthority(a.authority) == CanonicalAuthority(issuer);
  }
  if (!named) {
    return Denied("the token was issued by '" + issuer.substr(0, 200) +
                  "', which is not an authority of the key's release policy");
  }
  RETURN_IF_ERROR(keys_.CheckAllowed(issuer));

  std::string alg = Text(t.header, "alg");
  if (t.header.contains("crit")) return Bad("it has critical header parameters (crit)");
  if (alg.empty() || EqualsIgnoreCase(alg, "none") || alg.rfind("HS", 0) == 0) {
    return Bad("its algorithm must be RS256/384/512, PS256/384/512 or ES256/384/512");
  }
  ASSIGN_OR_RETURN(AuthorityKey key, keys_.Key(issuer, Text(t.header, "kid")));
  if (!key.alg.empty() && key.alg != alg) {
    return Bad("it uses " + alg.substr(0, 16) + ", but its signing key is for " + key.alg);
  }
  auto verified = key.key.VerifyJws(alg, t.signing_input, t.signature);
  if (!verified.ok()) return Bad(verified.status().message());
  if (!*verified) return Bad("its signature does not verify with the authority's key");

  UnixSeconds now = clock_.Now();
  int64_t skew = keys_.options().clock_skew_seconds;
  ASSIGN_OR_RETURN(std::optional<int64_t> exp, Date(claims, "exp"));
  ASSIGN_OR_RETURN(std::optional<int64_t> nbf, Date(claims, "nbf"));
  if (!exp) return Bad("it has no 'exp' (expiry) claim");
  if (*exp <= now - skew) return Bad("it has expired; get a fresh attestation");
  if (nbf && *nbf > now + skew) return Bad("it is not valid yet (nbf is in the future)");

  RETURN_IF_ERROR(EvaluateReleasePolicy(policy, issuer, claims.dump()));

  if (!nonce.empty()) {
    if (nonce.size() > kMaxReleaseNonceBytes) return Bad("the request's nonce is too long");
    if (!CarriesNonce(claims, nonce)) {
      return Bad("it does not carry the request's nonce (claim nonce, x-ms-runtime.nonce or "
                 "x-ms-runtime.client-payload.nonce); attest again with that nonce");
    }
  }
  ASSIGN_OR_RETURN(auto runtime, RuntimeKey(claims));
  if (!nonce.empty()) RETURN_IF_ERROR(Consume(CanonicalAuthority(issuer), nonce, *exp + skew));
  return VerifiedAttestation{issuer, std::move(runtime.first), std::move(runtime.second)};
}

Status AttestationVerifier::Consume(const std::string& issuer, std::string_view nonce,
                                    UnixSeconds until) {
  std::string key = issuer + "\n" + std::string(nonce);
  UnixSeconds now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = nonces_.find(key);
  if (it != nonces_.end() && it->second >= now) {
    return Bad("its nonce was already used for a release; attest again with a fresh nonce");
  }
  if (it == nonces_.end() && nonces_.size() >= kMaxRememberedNonces) {
    std::erase_if(nonces_, [now](const auto& entry) { return entry.second < now; });
    if (nonces_.size() >= kMaxRememberedNonces) {
      return ResourceExhaustedError(
          "Too many releases with a nonce are remembered right now; retry in a minute.",
          "Throttled");
    }
  }
  nonces_[key] = until;
  return OkStatus();
}

}  // namespace coffer::auth
