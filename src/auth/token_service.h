// TokenService: issues and validates Coffer's access tokens — JWTs signed with ES256 by a P-256
// key that is created once and kept behind the barrier ("sys/token-key").
//
// Validation (CONTRACT.md "Identity and tokens"): at most 8 KB; exactly three strict base64url
// parts; header `alg` must be exactly "ES256" and `kid` must name our key (so `none` in any
// spelling, HMAC and foreign keys fail); `jwk`/`jku`/`x5u`/`x5c` are ignored; any `crit` is
// refused; the signature must verify; `iss` must be "<one of our origins>/<tenant>/v2.0"; `aud`
// must equal the audience the route expects; `exp`/`nbf` are checked against the real clock
// (never the dev clock). Every token names the client secret it was issued for (claim
// `coffer_skid`, the secret's key id), and every Validate — cached or not — asks the injected
// CredentialCheck whether (oid, key id) is still live, so a revoked secret or a deleted
// principal stops working on the next request. Validated tokens are cached until they expire.
// Every failure is Unauthenticated with a message that names the problem but never echoes the
// token.
//
// Thread-safety: safe to call concurrently; LoadOrCreateKey/Unload are called by the server
// when it unseals and seals. The CredentialCheck is called on I/O threads and must be fast
// and non-blocking (PrincipalRegistry::IsActive is).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/principals.h"
#include "barrier/barrier.h"
#include "core/clock.h"
#include "crypto/ec_key.h"

namespace coffer::auth {

// The private claim that carries the key id of the client secret a token was issued for.
inline constexpr char kSecretKeyIdClaim[] = "coffer_skid";

// Is the credential (principal object id, client secret key id) a token names still live?
using CredentialCheck = std::function<bool(std::string_view object_id, std::string_view key_id)>;

struct TokenOptions {
  std::string tenant_id;
  int64_t lifetime_seconds = 3600;
  int64_t clock_skew_seconds = 60;
};

struct Principal {
  std::string object_id;
  std::string client_id;
  std::string tenant_id;
  std::string audience;
  UnixSeconds expires = 0;
  std::string key_id;  // the client secret the token was issued for
};

struct IssuedToken {
  std::string access_token;
  int64_t expires_in = 0;
};

class TokenService {
 public:
  // `is_active` is asked on every Validate; an empty one makes every Validate fail.
  TokenService(barrier::Barrier& barrier, const Clock& real_clock, TokenOptions options,
               CredentialCheck is_active);

  Status LoadOrCreateKey();
  void Unload();

  // `issuer` is "<origin>/<tenant>/v2.0" for the origin the request arrived at.
  StatusOr<IssuedToken> Issue(const AuthenticatedClient& client, std::string_view issuer,
                              std::string_view audience);

  // `origin_ok` decides whether the origin part of `iss` is one of this server's.
  // Unauthenticated for every invalid token, including one whose secret was revoked or whose
  // principal was deleted since it was issued; Unavailable while no key is loaded.
  StatusOr<Principal> Validate(std::string_view token, std::string_view audience,
                               const std::function<bool(std::string_view origin)>& origin_ok);

  // {"keys":[{kty, crv, x, y, kid, use, alg}]}; Unavailable when no key is loaded.
  StatusOr<std::string> JwksJson() const;

  // `payload_json` as a JWS compact serialization signed with the token key, header
  // {"alg": "ES256", "kid": <the JWKS kid>, "typ": "JWT"} (a secure key release answer is
  // signed so). Unavailable when no key is loaded.
  StatusOr<std::string> SignJws(std::string_view payload_json) const;

 private:
  StatusOr<Principal> ValidateUncached(std::string_view token, std::string_view audience,
                                       const std::function<bool(std::string_view)>& origin_ok);

  barrier::Barrier& barrier_;
  const Clock& clock_;
  TokenOptions options_;
  CredentialCheck is_active_;
  mutable std::shared_mutex mu_;
  std::optional<crypto::EcSigningKey> key_;
  std::string kid_;

  std::mutex cache_mu_;
  std::unordered_map<std::string, Principal> cache_;  // key: audience + '\n' + token
};

}  // namespace coffer::auth
