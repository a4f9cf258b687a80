// AttestationVerifier: decides whether the attestation token of a secure key release request
// (the `target` of POST /keys/{name}/release) lets a key with `policy` go, and to which key it
// must be wrapped. Checks, in order, each failure naming the rule:
//  1. the token is a JWS compact serialization of at most 64 KB whose payload is a JSON object
//     with a string `iss`; `iss` is one of the policy's authorities — else 403 [KeyReleaseDenied]
//     (no network call for an authority the policy does not name);
//  2. that authority is allowed (AttestationKeys::CheckAllowed) — else 403 [KeyReleaseDenied];
//  3. the header's `alg` is RS256/384/512, PS256/384/512 or ES256/384/512 (`none` and HS*
//     refused), no `crit`; `jku`, `jwk`, `x5u` and `x5c` are ignored: the key is the one the
//     authority publishes under the header's `kid`, and the signature verifies — else 400;
//  4. `exp` is present and not past, `nbf` (if any) not in the future, by the real clock with
//     the configured skew — else 400;
//  5. the policy holds for the claims (EvaluateReleasePolicy) — else 403 [KeyReleaseDenied];
//  6. when the request carries a nonce: the token carries the same value (claim `nonce`,
//     `x-ms-runtime.nonce` or `x-ms-runtime.client-payload.nonce`) and no earlier release
//     accepted that (authority, nonce) — else 400; it is remembered until the token expires;
//  7. `x-ms-runtime.keys` holds an RSA key for encryption (the first whose `use` is absent or
//     "enc" and whose `key_ops`, if any, include "encrypt" or "wrapKey") — else 400.
// Messages never echo the token or claim values.
//
// Nonces are remembered per node (in memory), like throttling counters.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/attestation_keys.h"
#include "auth/release_policy.h"
#include "core/clock.h"
#include "core/status.h"
#include "crypto/public_key.h"

namespace coffer::auth {

struct VerifiedAttestation {
  std::string issuer;
  crypto::PublicKey runtime_key;  // RSA: the released key is wrapped to it
  std::string runtime_kid;        // its `kid` ("" when it has none)
};

inline constexpr size_t kMaxAttestationTokenBytes = 64 * 1024;
inline constexpr size_t kMaxReleaseNonceBytes = 256;

class AttestationVerifier {
 public:
  AttestationVerifier(const Clock& real_clock, AttestationKeys& keys);

  // `nonce` "" = the request carries none.
  StatusOr<VerifiedAttestation> Verify(std::string_view token, const ReleasePolicy& policy,
                                       std::string_view nonce);

  static constexpr size_t kMaxRememberedNonces = 100'000;

 private:
  // Remembers (authority, nonce) until `until`; InvalidArgument if it is already remembered,
  // ResourceExhausted when too many unexpired nonces are remembered.
  Status Consume(const std::string& issuer, std::string_view nonce, UnixSeconds until);

  const Clock& clock_;
  AttestationKeys& keys_;
  std::mutex mu_;
  std::unordered_map<std::string, UnixSeconds> nonces_;  // "authority\nnonce" → forget after
};

}  // namespace coffer::auth
