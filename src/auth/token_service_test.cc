#include "auth/token_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace coffer::auth {
namespace {

using nlohmann::json;

constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kOrigin = "https://localhost:8443";
constexpr std::string_view kDataAudience = "https://vault.localhost";
constexpr std::string_view kManagementAudience = "https://management.localhost";
constexpr int64_t kLifetime = 3600;
constexpr int64_t kSkew = 60;

std::string Issuer(std::string_view origin = kOrigin, std::string_view tenant = kTenant) {
  return std::string(origin) + "/" + std::string(tenant) + "/v2.0";
}

bool OurOrigin(std::string_view origin) { return origin == kOrigin; }

struct Parts {
  std::string header64, payload64, signature64;
};

Parts Split(const std::string& token) {
  size_t d1 = token.find('.');
  size_t d2 = token.find('.', d1 + 1);
  return {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
}

json DecodePart(const std::string& part64) {
  auto text = DecodeBase64Url(part64);
  EXPECT_TRUE(text.has_value());
  return json::parse(text.value_or("{}"));
}

// Builds a compact JWS over exactly `header64.payload64`, signed with `key`.
std::string SignRaw(const crypto::EcSigningKey& key, const std::string& header64,
                    const std::string& payload64) {
  std::string input = header64 + "." + payload64;
  auto sig = key.SignEs256(input);
  EXPECT_TRUE(sig.ok()) << sig.status().ToString();
  return input + "." + EncodeBase64Url(sig.ok() ? *sig : std::string());
}

std::string Sign(const crypto::EcSigningKey& key, const json& header, const json& payload) {
  return SignRaw(key, EncodeBase64Url(header.dump()), EncodeBase64Url(payload.dump()));
}

// A token made of the given header and payload with an HS256 MAC under `mac_key`.
std::string MacHs256(std::string_view mac_key, const json& header, const json& payload) {
  std::string input = EncodeBase64Url(header.dump()) + "." + EncodeBase64Url(payload.dump());
  return input + "." + EncodeBase64Url(crypto::HmacSha256(mac_key, input));
}

class TokenServiceTest : public ::testing::Test {
 protected:
  TokenServiceTest()
      : barrier_(storage_, crypto::SystemRandom()),
        tokens_(barrier_, clock_, TokenOptions{std::string(kTenant), kLifetime, kSkew},
                [this](std::string_view object_id, std::string_view key_id) {
                  ++credential_checks_;
                  return live_.contains({std::string(object_id), std::string(key_id)});
                }) {}

  void SetUp() override {
    auto unseal = barrier_.Initialize();
    ASSERT_TRUE(unseal.ok()) << unseal.status().ToString();
    ASSERT_TRUE(tokens_.LoadOrCreateKey().ok());
    client_.principal.client_id = "0a1b2c3d-0000-4000-8000-000000000001";
    client_.principal.object_id = "0a1b2c3d-0000-4000-8000-0000000000aa";
    client_.principal.tenant_id = std::string(kTenant);
    client_.principal.display_name = "test client";
    client_.key_id = "5e1f0c2a-7d3b-4c8e-9f60-1a2b3c4d5e6f";
    live_.insert({client_.principal.object_id, client_.key_id});
    std::string fresh = IssueFor(kDataAudience);
    kid_ = DecodePart(Split(fresh).header64).at("kid").get<std::string>();
    server_key_ = LoadServerKey();
    ASSERT_TRUE(server_key_.has_value());
  }

  std::string IssueFor(std::string_view audience, const std::string& issuer = Issuer()) {
    auto issued = tokens_.Issue(client_, issuer, audience);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued->access_token : std::string();
  }

  StatusOr<Principal> Validate(std::string_view token, std::string_view audience = kDataAudience) {
    return tokens_.Validate(token, audience, OurOrigin);
  }

  // The server's signing key, read the way the service stores it: through the barrier.
  std::optional<crypto::EcSigningKey> LoadServerKey() {
    std::optional<crypto::EcSigningKey> key;
    Status s = barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(auto pem, t.Get("sys/token-key"));
      if (!pem) return NotFoundError("no token key record");
      ASSIGN_OR_RETURN(key, crypto::EcSigningKey::FromPrivatePem(*pem));
      return OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return key;
  }

  json Header() const { return {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid_}}; }

  json Claims() const {
    UnixSeconds now = clock_.Now();
    return {{"aud", kDataAudience},
            {"iss", Issuer()},
            {"iat", now},
            {"nbf", now},
            {"exp", now + kLifetime},
            {"sub", client_.principal.object_id},
            {"oid", client_.principal.object_id},
            {"tid", kTenant},
            {"appid", client_.principal.client_id},
            {kSecretKeyIdClaim, client_.key_id}};
  }

  // Asserts `token` is refused as Unauthenticated without echoing it.
  void ExpectRejected(const std::string& token, std::string_view audience = kDataAudience) {
    auto result = Validate(token, audience);
    ASSERT_FALSE(result.ok()) << "token was accepted: " << token.substr(0, 200);
    EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated) << result.status().ToString();
    if (token.size() >= 16) {
      EXPECT_EQ(result.status().message().find(token), std::string::npos);
    }
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  std::set<std::pair<std::string, std::string>> live_;  // (object id, key id) still valid
  int credential_checks_ = 0;
  TokenService tokens_;
  AuthenticatedClient client_;
  std::string kid_;
  std::optional<crypto::EcSigningKey> server_key_;
};

TEST_F(TokenServiceTest, FreshTokenValidatesToItsPrincipal) {
  std::string token = IssueFor(kDataAudience);
  auto p = Validate(token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->object_id, client_.principal.object_id);
  EXPECT_EQ(p->client_id, client_.principal.client_id);
  EXPECT_EQ(p->tenant_id, kTenant);
  EXPECT_EQ(p->audience, kDataAudience);
  EXPECT_EQ(p->expires, clock_.Now() + kLifetime);
  EXPECT_EQ(p->key_id, client_.key_id);
}

TEST_F(TokenServiceTest, IssuedTokenIsEs256WithOurKidAndStandardClaims) {
  Parts parts = Split(IssueFor(kDataAudience));
  json header = DecodePart(parts.header64);
  json claims = DecodePart(parts.payload64);
  EXPECT_EQ(header.at("alg"), "ES256");
  EXPECT_EQ(header.at("kid"), kid_);
  EXPECT_EQ(claims.at("iss"), Issuer());
  EXPECT_EQ(claims.at("aud"), kDataAudience);
  EXPECT_EQ(claims.at("exp").get<int64_t>() - claims.at("nbf").get<int64_t>(), kLifetime);
  auto jwks = tokens_.JwksJson();
  ASSERT_TRUE(jwks.ok());
  json key = json::parse(*jwks).at("keys").at(0);
  EXPECT_EQ(key.at("kid"), kid_);
  EXPECT_EQ(key.at("x"), EncodeBase64Url(server_key_->PublicX()));
}

TEST_F(TokenServiceTest, CachedValidationReturnsTheSamePrincipal) {
  std::string token = IssueFor(kDataAudience);
  auto first = Validate(token);
  auto second = Validate(token);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->object_id, second->object_id);
  EXPECT_EQ(first->client_id, second->client_id);
  EXPECT_EQ(first->tenant_id, second->tenant_id);
  EXPECT_EQ(first->audience, second->audience);
  EXPECT_EQ(first->expires, second->expires);
  EXPECT_EQ(first->key_id, second->key_id);
}

TEST_F(TokenServiceTest, TokenStillValidAfterKeyReload) {
  std::string token = IssueFor(kDataAudience);
  tokens_.Unload();
  ASSERT_TRUE(tokens_.LoadOrCreateKey().ok());
  EXPECT_TRUE(Validate(token).ok());
}

TEST_F(TokenServiceTest, UnloadedServiceIsUnavailableNotUnauthenticated) {
  std::string token = IssueFor(kDataAudience);
  ASSERT_TRUE(Validate(token).ok());
  tokens_.Unload();
  EXPECT_EQ(Validate(token).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(tokens_.Issue(client_, Issuer(), kDataAudience).status().code(),
            StatusCode::kUnavailable);
}

TEST_F(TokenServiceTest, RejectsMalformedTokens) {
  std::string token = IssueFor(kDataAudience);
  Parts p = Split(token);
  ExpectRejected("");
  ExpectRejected("garbage");
  ExpectRejected("not a token at all, just some words");
  ExpectRejected("a.b.c");
  ExpectRejected("..");
  ExpectRejected(p.header64 + "." + p.payload64);           // two parts
  ExpectRejected(token + "." + p.signature64);              // four parts
  ExpectRejected(token + ".");                              // four, last empty
  ExpectRejected(p.header64 + "." + p.payload64 + ".");     // empty signature
  ExpectRejected("." + p.payload64 + "." + p.signature64);  // empty header
  ExpectRejected(p.header64 + ".." + p.signature64);        // empty payload
  ExpectRejected(EncodeBase64Url("[1,2]") + "." + p.payload64 + "." + p.signature64);
  ExpectRejected(" " + token);
  ExpectRejected(token + "\n");
}

TEST_F(TokenServiceTest, RejectsSignatureWithAnyOneByteFlipped) {
  std::string token = IssueFor(kDataAudience);
  Parts p = Split(token);
  std::string sig = *DecodeBase64Url(p.signature64);
  ASSERT_EQ(sig.size(), 64u);
  for (size_t i : {size_t{0}, size_t{17}, size_t{31}, size_t{32}, size_t{63}}) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    ExpectRejected(p.header64 + "." + p.payload64 + "." + EncodeBase64Url(bad));
  }
  ExpectRejected(p.header64 + "." + p.payload64 + "." + EncodeBase64Url(sig.substr(0, 63)));
  ExpectRejected(p.header64 + "." + p.payload64 + "." + EncodeBase64Url(sig + "x"));
}

TEST_F(TokenServiceTest, RejectsPayloadAlteredAfterSigning) {
  std::string token = IssueFor(kDataAudience);
  Parts p = Split(token);
  json original = DecodePart(p.payload64);
  std::vector<json> altered;
  altered.push_back(original);
  altered.back()["exp"] = original.at("exp").get<int64_t>() + 86400 * 365;
  altered.push_back(original);
  altered.back()["aud"] = kManagementAudience;
  altered.push_back(original);
  altered.back()["sub"] = "ffffffff-0000-4000-8000-000000000000";
  altered.back()["oid"] = "ffffffff-0000-4000-8000-000000000000";
  for (const json& claims : altered) {
    std::string forged = p.header64 + "." + EncodeBase64Url(claims.dump()) + "." + p.signature64;
    ExpectRejected(forged, claims.at("aud").get<std::string>());
  }
}

TEST_F(TokenServiceTest, RejectsAlgNoneInAnySpelling) {
  std::string real_sig = Split(IssueFor(kDataAudience)).signature64;
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    json header = Header();
    header["alg"] = alg;
    std::string unsigned_token =
        EncodeBase64Url(header.dump()) + "." + EncodeBase64Url(Claims().dump()) + ".";
    ExpectRejected(unsigned_token);
    ExpectRejected(unsigned_token + real_sig);
    ExpectRejected(unsigned_token + EncodeBase64Url("signature"));
    // Even with a signature that really verifies over this input under our key.
    ExpectRejected(Sign(*server_key_, header, Claims()));
  }
}

TEST_F(TokenServiceTest, RejectsHmacKeyedWithOurPublicKey) {
  json header = Header();
  header["alg"] = "HS256";
  auto jwks = tokens_.JwksJson();
  ASSERT_TRUE(jwks.ok());
  json jwk = json::parse(*jwks).at("keys").at(0);
  std::string xy = server_key_->PublicX() + server_key_->PublicY();
  for (const std::string& mac_key :
       {jwk.dump(), *jwks, xy, std::string("\x04") + xy, EncodeBase64Url(xy)}) {
    ExpectRejected(MacHs256(mac_key, header, Claims()));
  }
  for (const char* alg : {"HS384", "HS512", "hs256"}) {
    header["alg"] = alg;
    ExpectRejected(MacHs256(jwk.dump(), header, Claims()));
  }
}

TEST_F(TokenServiceTest, RejectsOtherAlgorithmsAndMissingAlg) {
  for (const json& alg : {json("ES384"), json("RS256"), json("PS256"), json("es256"),
                          json("ES256 "), json(nullptr), json(1), json::array({"ES256"})}) {
    json header = Header();
    header["alg"] = alg;
    ExpectRejected(Sign(*server_key_, header, Claims()));
  }
  json header = Header();
  header.erase("alg");
  ExpectRejected(Sign(*server_key_, header, Claims()));
}

TEST_F(TokenServiceTest, RejectsForeignKeyClaimingOurKid) {
  auto foreign = crypto::EcSigningKey::GenerateP256();
  ASSERT_TRUE(foreign.ok());
  ExpectRejected(Sign(*foreign, Header(), Claims()));
}

TEST_F(TokenServiceTest, RejectsMissingOrOtherKid) {
  json header = Header();
  header["kid"] = "someone-elses-key";
  ExpectRejected(Sign(*server_key_, header, Claims()));
  header.erase("kid");
  ExpectRejected(Sign(*server_key_, header, Claims()));
}

TEST_F(TokenServiceTest, IgnoresEmbeddedKeyHeadersAndVerifiesWithOurKey) {
  auto foreign = crypto::EcSigningKey::GenerateP256();
  ASSERT_TRUE(foreign.ok());
  json header = Header();
  header["jwk"] = {{"kty", "EC"},
                   {"crv", "P-256"},
                   {"x", EncodeBase64Url(foreign->PublicX())},
                   {"y", EncodeBase64Url(foreign->PublicY())},
                   {"kid", kid_}};
  header["jku"] = "https://attacker.example/jwks.json";
  header["x5u"] = "https://attacker.example/cert.pem";
  header["x5c"] = json::array({"MIIBszCCAVmgAwIBAgIUAttacker"});
  // Signed with our key: the extra headers do not get in the way.
  auto ours = Validate(Sign(*server_key_, header, Claims()));
  EXPECT_TRUE(ours.ok()) << ours.status().ToString();
  // Signed with the key the header embeds: the embedded key is not trusted.
  ExpectRejected(Sign(*foreign, header, Claims()));
}

TEST_F(TokenServiceTest, RejectsAnyCritHeader) {
  for (const json& crit :
       {json::array({"exp"}), json::array({"b64"}), json::array(), json("exp"), json(nullptr)}) {
    json header = Header();
    header["crit"] = crit;
    header["exp"] = clock_.Now() + 10;
    header["b64"] = true;
    ExpectRejected(Sign(*server_key_, header, Claims()));
  }
}

TEST_F(TokenServiceTest, RejectsPaddedBase64Parts) {
  // A header whose base64url needs padding, so the padded form differs.
  json header = Header();
  std::string padded_header;
  for (int i = 0; i < 3 && padded_header.find('=') == std::string::npos; ++i) {
    header["typ"] = std::string("JWT") + std::string(i, ' ');
    padded_header = EncodeBase64(header.dump());
  }
  ASSERT_NE(padded_header.find('='), std::string::npos);
  std::string payload64 = EncodeBase64Url(Claims().dump());
  // Sanity: the same header unpadded, same alphabet, is accepted.
  std::string header64 = EncodeBase64Url(header.dump());
  ExpectRejected(SignRaw(*server_key_, padded_header, payload64));
  std::string padded_url = header64 + std::string((4 - header64.size() % 4) % 4, '=');
  ExpectRejected(SignRaw(*server_key_, padded_url, payload64));
  ASSERT_TRUE(Validate(SignRaw(*server_key_, header64, payload64)).ok());

  // Padded signature (64 bytes always needs "==").
  Parts p = Split(IssueFor(kDataAudience));
  ExpectRejected(p.header64 + "." + p.payload64 + "." + p.signature64 + "==");
}

TEST_F(TokenServiceTest, RejectsStandardAlphabetBase64Parts) {
  // Find claims whose standard base64 contains '+' or '/'.
  json claims = Claims();
  std::string std_payload;
  for (int i = 0; i < 64 && std_payload.find_first_of("+/") == std::string::npos; ++i) {
    claims["x"] = std::string(static_cast<size_t>(i % 3), 'a') +
                  "?"
                  "?>>?"
                  "?~~";
    std_payload = EncodeBase64(claims.dump());
    while (!std_payload.empty() && std_payload.back() == '=') std_payload.pop_back();
  }
  ASSERT_NE(std_payload.find_first_of("+/"), std::string::npos);
  std::string header64 = EncodeBase64Url(Header().dump());
  ExpectRejected(SignRaw(*server_key_, header64, std_payload));
  ASSERT_TRUE(Validate(SignRaw(*server_key_, header64, EncodeBase64Url(claims.dump()))).ok());

  // Signature in the standard alphabet: retry until the 64 bytes encode with '+' or '/'.
  for (int attempt = 0; attempt < 100; ++attempt) {
    Parts p = Split(IssueFor(kDataAudience));
    std::string sig = *DecodeBase64Url(p.signature64);
    std::string std_sig = EncodeBase64(sig);
    while (!std_sig.empty() && std_sig.back() == '=') std_sig.pop_back();
    if (std_sig.find_first_of("+/") == std::string::npos) continue;
    ExpectRejected(p.header64 + "." + p.payload64 + "." + std_sig);
    return;
  }
  FAIL() << "no signature encoded with '+' or '/' in 100 attempts";
}

TEST_F(TokenServiceTest, RejectsTokensOver8KiB) {
  json claims = Claims();
  claims["pad"] = std::string(5500, 'p');
  std::string large = Sign(*server_key_, Header(), claims);
  ASSERT_LT(large.size(), 8192u);
  EXPECT_TRUE(Validate(large).ok());
  std::string over = large;
  for (size_t n = 5500; over.size() <= 8192; ++n) {
    claims["pad"] = std::string(n, 'p');
    over = Sign(*server_key_, Header(), claims);
  }
  ASSERT_GT(over.size(), 8192u);
  ASSERT_LT(over.size(), 8200u);
  ExpectRejected(over);
  ExpectRejected(std::string(1 << 20, 'a'));
}

TEST_F(TokenServiceTest, RejectsExpiredTokenAfterSkew) {
  std::string token = IssueFor(kDataAudience);
  ASSERT_TRUE(Validate(token).ok());  // now cached
  clock_.Advance(kLifetime - 1);
  EXPECT_TRUE(Validate(token).ok());
  clock_.Advance(1 + kSkew + 1);
  ExpectRejected(token);
}

TEST_F(TokenServiceTest, RejectsExpiredTokenNeverSeenBefore) {
  std::string token = IssueFor(kDataAudience);
  clock_.Advance(kLifetime + kSkew + 1);
  ExpectRejected(token);
}

TEST_F(TokenServiceTest, RejectsMissingOrNonIntegerExp) {
  json claims = Claims();
  claims.erase("exp");
  ExpectRejected(Sign(*server_key_, Header(), claims));
  claims["exp"] = std::to_string(clock_.Now() + 100);
  ExpectRejected(Sign(*server_key_, Header(), claims));
}

TEST_F(TokenServiceTest, RejectsNotBeforeInTheFuture) {
  json claims = Claims();
  claims["nbf"] = clock_.Now() + kSkew + 600;
  ExpectRejected(Sign(*server_key_, Header(), claims));
  claims["nbf"] = clock_.Now() + kSkew - 1;  // within skew is fine
  EXPECT_TRUE(Validate(Sign(*server_key_, Header(), claims)).ok());
}

TEST_F(TokenServiceTest, RejectsIssuerWithForeignOrigin) {
  ExpectRejected(IssueFor(kDataAudience, Issuer("https://evil.example")));
  ExpectRejected(IssueFor(kDataAudience, Issuer("https://localhost:9443")));
  ExpectRejected(IssueFor(kDataAudience, "/" + std::string(kTenant) + "/v2.0"));
  json claims = Claims();
  claims.erase("iss");
  ExpectRejected(Sign(*server_key_, Header(), claims));
  // The same token is accepted when the predicate says the origin is ours.
  std::string other = IssueFor(kDataAudience, Issuer("https://127.0.0.1:8443"));
  auto ok = tokens_.Validate(other, kDataAudience, [](std::string_view origin) {
    return origin == "https://127.0.0.1:8443";
  });
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(TokenServiceTest, RejectsOtherTenantInIssuerOrTid) {
  ExpectRejected(IssueFor(kDataAudience, Issuer(kOrigin, "00000000-1111-2222-3333-444444444444")));
  ExpectRejected(IssueFor(kDataAudience, Issuer(kOrigin, "common")));
  json claims = Claims();
  claims["tid"] = "00000000-1111-2222-3333-444444444444";
  ExpectRejected(Sign(*server_key_, Header(), claims));
}

TEST_F(TokenServiceTest, AudiencesAreNotInterchangeable) {
  std::string management = IssueFor(kManagementAudience);
  ASSERT_TRUE(Validate(management, kManagementAudience).ok());  // cached for management
  ExpectRejected(management, kDataAudience);
  std::string data = IssueFor(kDataAudience);
  ASSERT_TRUE(Validate(data, kDataAudience).ok());
  ExpectRejected(data, kManagementAudience);
  json claims = Claims();
  claims["aud"] = json::array({kDataAudience});
  ExpectRejected(Sign(*server_key_, Header(), claims));
}

TEST_F(TokenServiceTest, RejectsTokenWithoutSubject) {
  json claims = Claims();
  claims.erase("sub");
  ExpectRejected(Sign(*server_key_, Header(), claims));
  claims["sub"] = "";
  ExpectRejected(Sign(*server_key_, Header(), claims));
}

// ---- Revocation: every Validate asks whether the token's credential is still live. ----

TEST_F(TokenServiceTest, IssuedTokenNamesTheSecretItWasIssuedFor) {
  json claims = DecodePart(Split(IssueFor(kDataAudience)).payload64);
  EXPECT_EQ(claims.at(kSecretKeyIdClaim), client_.key_id);
  EXPECT_EQ(claims.at("oid"), client_.principal.object_id);
}

TEST_F(TokenServiceTest, IssueRefusesAClientWithoutKeyId) {
  AuthenticatedClient no_key = client_;
  no_key.key_id.clear();
  EXPECT_EQ(tokens_.Issue(no_key, Issuer(), kDataAudience).status().code(),
            StatusCode::kInternal);
}

TEST_F(TokenServiceTest, RejectsTokenWithoutSecretKeyId) {
  json claims = Claims();
  claims.erase(kSecretKeyIdClaim);
  ExpectRejected(Sign(*server_key_, Header(), claims));
  claims[kSecretKeyIdClaim] = "";
  ExpectRejected(Sign(*server_key_, Header(), claims));
  claims[kSecretKeyIdClaim] = 42;
  ExpectRejected(Sign(*server_key_, Header(), claims));
}

TEST_F(TokenServiceTest, EveryValidateAsksTheCredentialCheckCachedOrNot) {
  std::string token = IssueFor(kDataAudience);
  credential_checks_ = 0;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Validate(token).ok());
  EXPECT_EQ(credential_checks_, 3);
}

TEST_F(TokenServiceTest, RevokedCredentialFailsOnTheNextValidateOfACachedToken) {
  std::string token = IssueFor(kDataAudience);
  ASSERT_TRUE(Validate(token).ok());
  ASSERT_TRUE(Validate(token).ok());  // served from the cache
  live_.clear();
  auto revoked = Validate(token);
  ASSERT_EQ(revoked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos)
      << revoked.status().message();
  EXPECT_EQ(revoked.status().message().find(token), std::string::npos);
  EXPECT_EQ(Validate(token).status().code(), StatusCode::kUnauthenticated);  // and stays so
}

TEST_F(TokenServiceTest, TokenOfAnotherSecretOfTheSamePrincipalStaysValid) {
  AuthenticatedClient other = client_;
  other.key_id = "0f0e0d0c-0b0a-4908-8706-050403020100";
  live_.insert({other.principal.object_id, other.key_id});
  auto issued = tokens_.Issue(other, Issuer(), kDataAudience);
  ASSERT_TRUE(issued.ok());
  std::string first = IssueFor(kDataAudience);
  ASSERT_TRUE(Validate(first).ok());
  ASSERT_TRUE(Validate(issued->access_token).ok());
  live_.erase({client_.principal.object_id, client_.key_id});
  EXPECT_EQ(Validate(first).status().code(), StatusCode::kUnauthenticated);
  auto still = Validate(issued->access_token);
  ASSERT_TRUE(still.ok()) << still.status().ToString();
  EXPECT_EQ(still->key_id, other.key_id);
}

TEST_F(TokenServiceTest, WithoutACredentialCheckEveryTokenIsRefused) {
  TokenService unchecked(barrier_, clock_, TokenOptions{std::string(kTenant), kLifetime, kSkew},
                         CredentialCheck());
  ASSERT_TRUE(unchecked.LoadOrCreateKey().ok());
  auto issued = unchecked.Issue(client_, Issuer(), kDataAudience);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(unchecked.Validate(issued->access_token, kDataAudience, OurOrigin).status().code(),
            StatusCode::kUnauthenticated);
}

// The same, end to end with the real PrincipalRegistry as the check.
class TokenRevocationTest : public TokenServiceTest {
 protected:
  TokenRevocationTest()
      : principals_(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant)),
        checked_(barrier_, clock_, TokenOptions{std::string(kTenant), kLifetime, kSkew},
                 [this](std::string_view object_id, std::string_view key_id) {
                   return principals_.IsActive(object_id, key_id);
                 }) {}

  void SetUp() override {
    TokenServiceTest::SetUp();
    ASSERT_TRUE(principals_.Load().ok());
    ASSERT_TRUE(checked_.LoadOrCreateKey().ok());
  }

  // Authenticates with `secret` and returns a token for it.
  std::string TokenFor(const std::string& client_id, const SecretBytes& secret) {
    auto client = principals_.Authenticate(kTenant, client_id, secret.view());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return "";
    auto issued = checked_.Issue(*client, Issuer(), kManagementAudience);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued->access_token : "";
  }

  StatusOr<Principal> Check(const std::string& token) {
    return checked_.Validate(token, kManagementAudience, OurOrigin);
  }

  PrincipalRegistry principals_;
  TokenService checked_;
};

TEST_F(TokenRevocationTest, RevokingASecretStopsItsCachedTokenOnTheNextRequest) {
  auto created = principals_.Create("build-agent");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto second = principals_.AddSecret(created->principal.object_id);
  ASSERT_TRUE(second.ok());
  std::string first_token = TokenFor(created->principal.client_id, created->client_secret);
  std::string second_token = TokenFor(created->principal.client_id, second->client_secret);
  auto p = Check(first_token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->key_id, created->key_id);
  ASSERT_TRUE(Check(second_token).ok());

  ASSERT_TRUE(principals_.RevokeSecret(created->principal.object_id, created->key_id).ok());
  auto revoked = Check(first_token);
  ASSERT_EQ(revoked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos);
  EXPECT_TRUE(Check(second_token).ok());
}

TEST_F(TokenRevocationTest, DeletingAPrincipalStopsItsCachedTokensOnTheNextRequest) {
  auto created = principals_.Create("short-lived");
  ASSERT_TRUE(created.ok());
  std::string token = TokenFor(created->principal.client_id, created->client_secret);
  ASSERT_TRUE(Check(token).ok());
  ASSERT_TRUE(principals_.Delete(created->principal.object_id).ok());
  auto deleted = Check(token);
  ASSERT_EQ(deleted.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(deleted.status().message().find("revoked"), std::string::npos);
}

TEST_F(TokenRevocationTest, RevocationSurvivesARestartOfTheRegistry) {
  auto created = principals_.Create("restarted");
  ASSERT_TRUE(created.ok());
  std::string token = TokenFor(created->principal.client_id, created->client_secret);
  ASSERT_TRUE(principals_.RevokeSecret(created->principal.object_id, created->key_id).ok());
  PrincipalRegistry reloaded(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_FALSE(reloaded.IsActive(created->principal.object_id, created->key_id));
  EXPECT_EQ(Check(token).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace coffer::auth
