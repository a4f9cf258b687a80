#include "auth/attestation_keys.h"

#include <nlohmann/json.hpp>

#include "auth/release_policy.h"
#include "core/encoding.h"

namespace coffer::auth {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxKeysPerAuthority = 64;

Status Denied(std::string message) {
  return PermissionDeniedError(std::move(message), "KeyReleaseDenied");
}

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

// "https://host[:port]" of an https URL (lower case), or "" when it is not one: no user
// information, no empty host.
std::string HttpsOrigin(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() <= kScheme.size() || !EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    return "";
  }
  std::string_view rest = url.substr(kScheme.size());
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return "";
  return AsciiLower(std::string(kScheme) + std::string(authority));
}

// The host of an https origin, without port or IPv6 brackets.
std::string OriginHost(std::string_view origin) {
  std::string_view hostport = origin.substr(std::string_view("https://").size());
  if (hostport.starts_with('[')) return std::string(hostport.substr(0, hostport.find(']') + 1));
  return std::string(hostport.substr(0, hostport.rfind(':')));
}

bool IsLocalhostOrigin(std::string_view origin) {
  std::string host = OriginHost(origin);
  return host == "localhost" || host == "127.0.0.1" || host.ends_with(".localhost");
}

// One JWKS entry as a key, or an error saying why it cannot be used.
StatusOr<AuthorityKey> ParseJwk(const Json& jwk) {
  if (!jwk.is_object()) return Bad("a key is not a JSON object");
  auto text = [&](const char* field) -> std::string {
    auto it = jwk.find(field);
    return it != jwk.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (!text("use").empty() && text("use") != "sig") return Bad("the key is not for signatures");
  auto x5c = jwk.find("x5c");
  if (x5c != jwk.end() && x5c->is_array() && !x5c->empty() && (*x5c)[0].is_string()) {
    auto der = DecodeBase64((*x5c)[0].get<std::string>());
    if (!der) return Bad("x5c[0] is not base64");
    ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromCertificateDer(*der));
    return AuthorityKey{std::move(key), text("alg")};
  }
  crypto::JwkParts parts;
  parts.kty = text("kty");
  parts.crv = text("crv");
  for (auto [field, target] : {std::pair{"n", &parts.n}, std::pair{"e", &parts.e},
                               std::pair{"x", &parts.x}, std::pair{"y", &parts.y}}) {
    if (text(field).empty()) continue;
    auto bytes = DecodeBase64Url(text(field));
    if (!bytes) return Bad(std::string("'") + field + "' is not base64url");
    *target = std::move(*bytes);
  }
  ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromJwk(parts));
  return AuthorityKey{std::move(key), text("alg")};
}

}  // namespace

AttestationKeys::AttestationKeys(const Clock& real_clock, AttestationOptions options,
                                 HttpsGet get)
    : clock_(real_clock), options_(std::move(options)), get_(std::move(get)) {
  for (const std::string& a : options_.authorities) allowed_.push_back(CanonicalAuthority(a));
}

Status AttestationKeys::CheckAllowed(std::string_view authority) const {
  std::string canon = CanonicalAuthority(authority);
  std::string origin = HttpsOrigin(canon);
  if (origin.empty() || canon.find_first_of("?#") != std::string::npos) {
    return Denied("The attestation authority '" + std::string(authority.substr(0, 200)) +
                  "' is not an https URL, so Coffer will not fetch its keys.");
  }
  for (const std::string& a : allowed_) {
    if (a == canon) return OkStatus();
  }
  if (options_.allow_localhost && IsLocalhostOrigin(origin)) return OkStatus();
  return Denied("Coffer does not trust the attestation authority '" + canon +
                "': an operator must add it to [release] authorities in coffer.toml" +
                (options_.allow_localhost ? "" : " (dev mode also allows https://localhost, "
                                                  "127.0.0.1 and *.localhost authorities)") +
                ".");
}

std::shared_ptr<AttestationKeys::Entry> AttestationKeys::EntryFor(const std::string& authority) {
  std::lock_guard lock(mu_);
  UnixSeconds now = clock_.Now();
  auto it = entries_.find(authority);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_cached_authorities) {
      auto oldest = entries_.begin();
      for (auto e = entries_.begin(); e != entries_.end(); ++e) {
        if (e->second->last_used < oldest->second->last_used) oldest = e;
      }
      entries_.erase(oldest);
    }
    it = entries_.emplace(authority, std::make_shared<Entry>()).first;
  }
  it->second->last_used = now;
  return it->second;
}

StatusOr<std::string> AttestationKeys::GetJson(const std::string& authority,
                                               const std::string& url) const {
  auto body = get_(url);
  if (!body.ok()) {
    return Bad("The attestation authority '" + authority + "' could not be used to verify the " +
               "token: GET " + url + " failed: " + body.status().message() +
               ". Check that Coffer can reach it over HTTPS and trusts its certificate (the "
               "system CAs; in dev mode also COFFER_EXTRA_CA_CERTS).");
  }
  return std::move(*body);
}

Status AttestationKeys::Refresh(const std::string& authority, Entry& e, UnixSeconds now) {
  std::string discovery_url = authority + "/.well-known/openid-configuration";
  ASSIGN_OR_RETURN(std::string discovery_text, GetJson(authority, discovery_url));
  Json discovery = Json::parse(discovery_text, nullptr, false);
  auto uri = discovery.is_object() ? discovery.find("jwks_uri") : discovery.end();
  if (!discovery.is_object() || uri == discovery.end() || !uri->is_string()) {
    return Bad("The attestation authority '" + authority + "' has no OpenID discovery document " +
               "with a jwks_uri at " + discovery_url + ".");
  }
  std::string jwks_uri = uri->get<std::string>();
  if (HttpsOrigin(jwks_uri).empty() || HttpsOrigin(jwks_uri) != HttpsOrigin(authority)) {
    return Bad("The attestation authority '" + authority + "' names its keys at '" +
               jwks_uri.substr(0, 200) + "', which is not an https URL of the same origin; " +
               "Coffer fetches keys only from the authority itself.");
  }
  ASSIGN_OR_RETURN(std::string jwks_text, GetJson(authority, jwks_uri));
  Json jwks = Json::parse(jwks_text, nullptr, false);
  auto list = jwks.is_object() ? jwks.find("keys") : jwks.end();
  if (!jwks.is_object() || list == jwks.end() || !list->is_array()) {
    return Bad("The attestation authority's key set at " + jwks_uri +
               " is not a JSON Web Key Set ({\"keys\": [...]}).");
  }
  std::map<std::string, AuthorityKey> keys;
  std::string last_problem = "it is empty";
  for (const Json& item : *list) {
    if (keys.size() >= kMaxKeysPerAuthority) break;
    auto key = ParseJwk(item);
    if (!key.ok()) {
      last_problem = key.status().message();
      continue;
    }
    auto kid = item.find("kid");
    keys.emplace(kid != item.end() && kid->is_string() ? kid->get<std::string>() : "",
                 std::move(*key));
  }
  if (keys.empty()) {
    return Bad("The attestation authority's key set at " + jwks_uri +
               " has no usable signing key: " + last_problem + ".");
  }
  e.keys = std::move(keys);
  e.fetched = now;
  e.failed = 0;
  return OkStatus();
}

StatusOr<AuthorityKey> AttestationKeys::Key(std::string_view authority, std::string_view kid) {
  RETURN_IF_ERROR(CheckAllowed(authority));
  std::string canon = CanonicalAuthority(authority);
  std::shared_ptr<Entry> e = EntryFor(canon);
  std::lock_guard lock(e->fetch_mu);
  UnixSeconds now = clock_.Now();
  auto find = [&]() -> const AuthorityKey* {
    if (kid.empty()) return e->keys.size() == 1 ? &e->keys.begin()->second : nullptr;
    auto it = e->keys.find(std::string(kid));
    return it == e->keys.end() ? nullptr : &it->second;
  };
  bool fresh = e->fetched != 0 && now - e->fetched < options_.keys_cache_seconds;
  if (fresh && find() != nullptr) return *find();
  bool may_refresh = !fresh || now - e->fetched >= options_.refresh_min_seconds;
  if (may_refresh) {
    if (e->failed != 0 && now - e->failed < options_.failure_cache_seconds) return e->failure;
    Status s = Refresh(canon, *e, now);
    if (!s.ok()) {
      e->failed = now;
      e->failure = s;
      e->keys.clear();
      e->fetched = 0;
      return s;
    }
  }
  if (const AuthorityKey* k = find()) return *k;
  if (kid.empty()) {
    return Bad("The attestation token names no signing key (kid), and the authority '" + canon +
               "' has more than one.");
  }
  return Bad("The attestation token was signed with key '" + std::string(kid.substr(0, 100)) +
             "', which the authority '" + canon + "' does not publish in its key set.");
}

}  // namespace coffer::auth
