// AttestationKeys: the token-signing keys of the attestation authorities Coffer trusts for
// secure key release (CONTRACT.md "Secure key release").
//
// An authority is trusted only if the operator lists it (`[release] authorities`), or, in dev
// mode, if it is an https URL on localhost, 127.0.0.1 or a *.localhost name. Its keys come from
// OpenID discovery, as Azure Key Vault reads a Microsoft Azure Attestation provider's:
//   GET <authority>/.well-known/openid-configuration → jwks_uri (same origin as the authority)
//   GET <jwks_uri> → {"keys": [{kid, kty, n/e | crv/x/y | x5c, use?, alg?}, ...]}
// Both over HTTPS through the injected HttpsGet (the composition root's outbound trust store
// and timeouts). Keys are cached per authority for keys_cache_seconds; a kid the cache lacks
// makes one refetch, at most every refresh_min_seconds; a failed fetch is remembered for
// failure_cache_seconds so that a dead authority costs one timeout, not one per request.
// Concurrent misses of one authority wait for a single fetch.
//
// Errors: PermissionDenied [KeyReleaseDenied] for an authority that is not allowed (before any
// network call); InvalidArgument [BadParameter] when the authority cannot be reached or its
// documents cannot be read, or it has no such key — always naming the authority and what to
// check, never 5xx (the authority is the caller's choice).
//
// Thread-safety: safe to call concurrently. Fetches run on the calling (worker) thread, bounded
// by HttpsGet's timeout.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "crypto/public_key.h"

namespace coffer::auth {

// One HTTPS GET: the body of a 200 answer. Unavailable (unreachable, TLS failure, timeout) or
// InvalidArgument (bad URL) otherwise; a non-200 answer is an error naming its status.
using HttpsGet = std::function<StatusOr<std::string>(const std::string& url)>;

// One signing key of an authority, with the JWK's `alg` when it names one (a token's header
// must then use exactly that algorithm).
struct AuthorityKey {
  crypto::PublicKey key;
  std::string alg;
};

struct AttestationOptions {
  std::vector<std::string> authorities;  // [release] authorities
  bool allow_localhost = false;          // dev mode
  int64_t keys_cache_seconds = 600;
  int64_t refresh_min_seconds = 30;
  int64_t failure_cache_seconds = 10;
  int64_t clock_skew_seconds = 60;     // for the tokens' exp and nbf
  size_t max_cached_authorities = 256;
};

class AttestationKeys {
 public:
  AttestationKeys(const Clock& real_clock, AttestationOptions options, HttpsGet get);

  const AttestationOptions& options() const { return options_; }

  // OK when Coffer may fetch keys from `authority`; PermissionDenied [KeyReleaseDenied] naming
  // the setting to change otherwise.
  Status CheckAllowed(std::string_view authority) const;

  // The signing key `kid` of an allowed `authority` ("" = its only key).
  StatusOr<AuthorityKey> Key(std::string_view authority, std::string_view kid);

 private:
  struct Entry {
    std::mutex fetch_mu;  // held while fetching: one fetch per authority at a time
    std::map<std::string, AuthorityKey> keys;  // by kid; guarded by fetch_mu
    UnixSeconds fetched = 0;                        // 0: never
    UnixSeconds failed = 0;
    Status failure;
    UnixSeconds last_used = 0;  // guarded by mu_
  };
  std::shared_ptr<Entry> EntryFor(const std::string& authority);
  // Fetches discovery and JWKS into `e` (fetch_mu held).
  Status Refresh(const std::string& authority, Entry& e, UnixSeconds now);
  StatusOr<std::string> GetJson(const std::string& authority, const std::string& url) const;

  const Clock& clock_;
  AttestationOptions options_;
  std::vector<std::string> allowed_;  // canonical
  HttpsGet get_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace coffer::auth
