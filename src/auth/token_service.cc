#include "auth/token_service.h"

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/primitives.h"

namespace coffer::auth {
namespace {

using nlohmann::json;

constexpr std::string_view kTokenKeyRecord = "sys/token-key";
constexpr size_t kMaxTokenBytes = 8192;
constexpr size_t kMaxCachedTokens = 10000;

Status Invalid(std::string why) {
  return UnauthenticatedError("The access token is not valid: " + why + ".", "Unauthorized");
}

std::optional<json> ParseJsonObject(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string RandomGuid() {
  std::string b = crypto::SystemRandom().Bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = EncodeHex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace

TokenService::TokenService(barrier::Barrier& barrier, const Clock& real_clock,
                           TokenOptions options, CredentialCheck is_active)
    : barrier_(barrier),
      clock_(real_clock),
      options_(std::move(options)),
      is_active_(std::move(is_active)) {}

Status TokenService::LoadOrCreateKey() {
  std::optional<crypto::EcSigningKey> key;
  // Read first (a node starting on a read-only pair only reads); create if absent, in a
  // create-if-absent transaction.
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    key.reset();
    ASSIGN_OR_RETURN(auto pem, t.Get(kTokenKeyRecord));
    if (pem) {
      ASSIGN_OR_RETURN(key, crypto::EcSigningKey::FromPrivatePem(*pem));
    }
    return OkStatus();
  }));
  if (!key) {
    RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(auto pem, t.Get(kTokenKeyRecord));
      if (pem) {
        ASSIGN_OR_RETURN(key, crypto::EcSigningKey::FromPrivatePem(*pem));
        return OkStatus();
      }
      ASSIGN_OR_RETURN(key, crypto::EcSigningKey::GenerateP256());
      ASSIGN_OR_RETURN(SecretBytes fresh, key->PrivatePem());
      return t.Put(kTokenKeyRecord, fresh);
    }));
  }
  // kid: RFC 7638 thumbprint of the public JWK.
  std::string thumb_input = R"({"crv":"P-256","kty":"EC","x":")" +
                            EncodeBase64Url(key->PublicX()) + R"(","y":")" +
                            EncodeBase64Url(key->PublicY()) + R"("})";
  std::unique_lock lock(mu_);
  kid_ = EncodeBase64Url(crypto::Sha256(thumb_input));
  key_ = std::move(key);
  return OkStatus();
}

void TokenService::Unload() {
  {
    std::unique_lock lock(mu_);
    key_.reset();
    kid_.clear();
  }
  std::lock_guard lock(cache_mu_);
  cache_.clear();
}

StatusOr<IssuedToken> TokenService::Issue(const AuthenticatedClient& client,
                                          std::string_view issuer, std::string_view audience) {
  const ServicePrincipal& principal = client.principal;
  if (client.key_id.empty()) return InternalError("a token must name the secret it is issued for");
  UnixSeconds now = clock_.Now();
  json payload = {{"aud", audience},
                  {"iss", issuer},
                  {"iat", now},
                  {"nbf", now},
                  {"exp", now + options_.lifetime_seconds},
                  {"sub", principal.object_id},
                  {"oid", principal.object_id},
                  {"tid", principal.tenant_id},
                  {"appid", principal.client_id},
                  {"azp", principal.client_id},
                  {"idtyp", "app"},
                  {kSecretKeyIdClaim, client.key_id},
                  {"jti", RandomGuid()},
                  {"ver", "2.0"}};
  ASSIGN_OR_RETURN(std::string token, SignJws(payload.dump()));
  return IssuedToken{std::move(token), options_.lifetime_seconds};
}

StatusOr<std::string> TokenService::SignJws(std::string_view payload_json) const {
  std::shared_lock lock(mu_);
  if (!key_) return UnavailableError("Coffer is sealed; nothing can be signed.");
  json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid_}};
  std::string signing_input =
      EncodeBase64Url(header.dump()) + "." + EncodeBase64Url(payload_json);
  ASSIGN_OR_RETURN(std::string sig, key_->SignEs256(signing_input));
  return signing_input + "." + EncodeBase64Url(sig);
}

StatusOr<Principal> TokenService::Validate(
    std::string_view token, std::string_view audience,
    const std::function<bool(std::string_view)>& origin_ok) {
  if (token.size() > kMaxTokenBytes) return Invalid("it is longer than 8 KB");
  std::string cache_key = std::string(audience) + "\n" + std::string(token);
  UnixSeconds now = clock_.Now();
  std::optional<Principal> cached;
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end()) {
      if (it->second.expires > now) {
        cached = it->second;
      } else {
        cache_.erase(it);
      }
    }
  }
  if (!cached) {
    ASSIGN_OR_RETURN(Principal p, ValidateUncached(token, audience, origin_ok));
    cached = std::move(p);
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
    cache_.emplace(cache_key, *cached);
  }
  // Asked on every call, cached or not: the cache remembers the signature check, never that
  // the credential is live.
  if (!is_active_ || !is_active_(cached->object_id, cached->key_id)) {
    std::lock_guard lock(cache_mu_);
    cache_.erase(cache_key);
    return Invalid(
        "the client secret it was issued for has been revoked, or its principal deleted; "
        "request a new token with a current secret");
  }
  return *cached;
}

StatusOr<Principal> TokenService::ValidateUncached(
    std::string_view token, std::string_view audience,
    const std::function<bool(std::string_view)>& origin_ok) {
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos ||
      token.find('.', d2 + 1) != std::string_view::npos) {
    return Invalid("it is not a JWS compact serialization of three parts");
  }
  std::string_view h64 = token.substr(0, d1);
  std::string_view p64 = token.substr(d1 + 1, d2 - d1 - 1);
  std::string_view s64 = token.substr(d2 + 1);
  if (!IsStrictBase64Url(h64) || !IsStrictBase64Url(p64)) {
    return Invalid("its header or payload is not base64url");
  }
  if (!IsStrictBase64Url(s64)) return Invalid("it has no valid signature");
  auto header_text = DecodeBase64Url(h64);
  auto payload_text = DecodeBase64Url(p64);
  auto sig = DecodeBase64Url(s64);
  if (!header_text || !payload_text || !sig) return Invalid("a part is not base64url");
  auto header = ParseJsonObject(*header_text);
  if (!header) return Invalid("its header is not a JSON object");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "ES256") {
    return Invalid("its algorithm is not ES256");
  }
  if (header->contains("crit")) return Invalid("it has critical header parameters");
  auto kid = header->find("kid");
  {
    std::shared_lock lock(mu_);
    if (!key_) return UnavailableError("Coffer is sealed; tokens cannot be validated.");
    if (kid == header->end() || !kid->is_string() || kid->get<std::string>() != kid_) {
      return Invalid("it was not signed by this server's key");
    }
    std::string_view signing_input = token.substr(0, d2);
    if (!key_->VerifyEs256(signing_input, *sig)) return Invalid("its signature does not verify");
  }
  auto payload = ParseJsonObject(*payload_text);
  if (!payload) return Invalid("its payload is not a JSON object");
  const json& p = *payload;
  auto str = [&](const char* name) -> std::optional<std::string> {
    auto it = p.find(name);
    if (it == p.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto num = [&](const char* name) -> std::optional<int64_t> {
    auto it = p.find(name);
    if (it == p.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
  };
  auto aud = str("aud");
  if (!aud || *aud != audience) return Invalid("it is for another audience");
  auto iss = str("iss");
  std::string suffix = "/" + options_.tenant_id + "/v2.0";
  if (!iss || iss->size() <= suffix.size() || !iss->ends_with(suffix) ||
      !origin_ok(std::string_view(*iss).substr(0, iss->size() - suffix.size()))) {
    return Invalid("it was issued by another authority");
  }
  auto exp = num("exp");
  auto nbf = num("nbf");
  UnixSeconds now = clock_.Now();
  if (!exp || *exp <= now - options_.clock_skew_seconds) return Invalid("it has expired");
  if (nbf && *nbf > now + options_.clock_skew_seconds) return Invalid("it is not valid yet");
  auto sub = str("sub");
  auto tid = str("tid");
  if (!sub || sub->empty() || !tid || *tid != options_.tenant_id) {
    return Invalid("it does not name a principal of this tenant");
  }
  auto key_id = str(kSecretKeyIdClaim);
  if (!key_id || key_id->empty()) {
    return Invalid("it does not name the client secret it was issued for; request a new token");
  }
  Principal out;
  out.object_id = *sub;
  out.key_id = *key_id;
  out.client_id = str("appid").value_or("");
  out.tenant_id = *tid;
  out.audience = *aud;
  out.expires = *exp;
  return out;
}

StatusOr<std::string> TokenService::JwksJson() const {
  std::shared_lock lock(mu_);
  if (!key_) return UnavailableError("Coffer is sealed.");
  json jwk = {{"kty", "EC"},
              {"crv", "P-256"},
              {"x", EncodeBase64Url(key_->PublicX())},
              {"y", EncodeBase64Url(key_->PublicY())},
              {"kid", kid_},
              {"use", "sig"},
              {"alg", "ES256"}};
  return json{{"keys", json::array({jwk})}}.dump();
}

}  // namespace coffer::auth
