// Secure key release over HTTPS in-process: a test attestation authority serves its OpenID
// discovery document and JWKS over real HTTPS (port 0, certificate from the test CA), tokens are
// signed in the test, and POST /keys/{name}[/{version}]/release answers Azure's JWS whose
// key_hsm opens with the runtime private key to the very key — or a 4xx naming the failed rule.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"
#include "auth/attestation_test_support.h"
#include "core/encoding.h"
#include "crypto/ec_key.h"
#include "crypto/key_release.h"

namespace coffer::api::testing {
namespace {

using nlohmann::json;
using auth::testing::TestAuthority;

constexpr const char* kAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
constexpr const char* kCryptoUser = "12338af0-0e69-4776-bea7-57ae8d297424";
constexpr const char* kReleaseUser = "08bbd89e-9f13-488c-ac41-acfcb10c90ab";
constexpr const char* kV = "?api-version=7.5";

// The attestation authority: serves whatever pages it is given, over HTTPS.
class AuthorityServer : public http::Handler {
 public:
  http::HeadDecision OnHead(const http::RequestHead&) override { return {}; }
  http::Response Handle(http::Request& request) override {
    ++requests;
    std::lock_guard lock(mu);
    http::Response r;
    auto it = pages.find(request.path);
    r.status = it == pages.end() ? 404 : 200;
    if (it != pages.end()) r.body = it->second;
    return r;
  }
  http::Response ErrorResponse(int status, std::string_view) override {
    http::Response r;
    r.status = status;
    return r;
  }
  std::mutex mu;
  std::map<std::string, std::string> pages;
  std::atomic<int> requests{0};
};

class AppKeyReleaseTest : public AppTest {
 protected:
  AppKeyReleaseTest() {
    Caller admin = NewCaller("release-admin");
    Assign(admin.object_id, kAdministrator, VaultScope());
    token_ = admin.data_token;
    http::ServerOptions options;
    options.port = 0;
    options.cert_chain_pem = pki().cert_pem;
    options.private_key_pem = pki().key_pem;
    options.io_threads = 1;
    options.worker_threads = 2;
    auto server = http::Server::Start(options, authority_server_);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (server.ok()) server_ = std::move(*server);
    base_ = "https://localhost:" + std::to_string(server_ ? server_->port() : 0);
    authority_server_.pages["/.well-known/openid-configuration"] = TestAuthority::Discovery(base_);
    authority_server_.pages["/certs"] = Authority().Jwks();
  }
  ~AppKeyReleaseTest() override {
    if (server_) server_->Stop();
  }

  static const TestAuthority& Authority() {
    static const TestAuthority a;
    return a;
  }
  static const crypto::KeyMaterial& Runtime() {
    static const crypto::KeyMaterial k = *crypto::KeyMaterial::GenerateRsa(2048);
    return k;
  }

  http::ClientResponse Do(const std::string& method, const std::string& path,
                          const std::string& body = "", const std::string& token = "") {
    return Call(method, VaultHost(), path + kV, token.empty() ? token_ : token, body);
  }
  static json J(const http::ClientResponse& r) { return json::parse(r.body); }

  // An exportable key whose policy trusts `authority` (default: the test server) for sdk-test.
  json CreateExportable(const std::string& name, std::string authority = "",
                        const std::string& kty = "RSA") {
    if (authority.empty()) authority = base_;
    json body = {{"kty", kty},
                 {"attributes", {{"exportable", true}}},
                 {"release_policy", {{"data", EncodeBase64Url(TestAuthority::Policy(authority))}}}};
    auto r = Do("POST", "/keys/" + name + "/create", body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return J(r);
  }

  json Claims() const { return TestAuthority::Claims(base_, Runtime(), real_clock_.Now()); }
  std::string Token() const { return Authority().Sign(Claims()); }

  http::ClientResponse Release(const std::string& path, const json& body) {
    return Do("POST", path, body.dump());
  }

  static void ExpectError(const http::ClientResponse& r, int status, std::string_view code,
                          std::string_view words) {
    EXPECT_EQ(r.status, status) << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["error"]["code"], code) << r.body;
    EXPECT_NE(j["error"]["message"].get<std::string>().find(words), std::string::npos) << r.body;
  }

  // The JWS of a release answer, checked against Coffer's discovery JWKS; returns its payload.
  json VerifiedPayload(const http::ClientResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    std::string jws = J(r)["value"];
    size_t d1 = jws.find('.'), d2 = jws.rfind('.');
    json header = json::parse(*DecodeBase64Url(jws.substr(0, d1)));
    EXPECT_EQ(header["alg"], "ES256");
    auto jwks = Call("GET", "127.0.0.1", "/" + tenant() + "/discovery/v2.0/keys", "");
    json key = J(jwks)["keys"][0];
    EXPECT_EQ(header["kid"], key["kid"]);
    std::string x = *DecodeBase64Url(key["x"].get<std::string>());
    std::string y = *DecodeBase64Url(key["y"].get<std::string>());
    auto signer = crypto::EcSigningKey::FromPublicP256(x, y);
    EXPECT_TRUE(signer->VerifyEs256(jws.substr(0, d2), *DecodeBase64Url(jws.substr(d2 + 1))));
    return json::parse(*DecodeBase64Url(jws.substr(d1 + 1, d2 - d1 - 1)));
  }

  // The released key material, opened with the runtime private key.
  // `type`: the KeyMaterial serialisation's type byte (1 RSA, 2 EC).
  static crypto::KeyMaterial Opened(const json& released_key, const std::string& enc,
                                    char type = 1) {
    json key_hsm = json::parse(*DecodeBase64Url(released_key["key_hsm"].get<std::string>()));
    EXPECT_EQ(key_hsm["schema_version"], "1.0");
    EXPECT_EQ(key_hsm["header"]["alg"], "dir");
    EXPECT_EQ(key_hsm["header"]["enc"], enc);
    EXPECT_EQ(key_hsm["header"]["kid"], "runtime-key");
    auto bytes = crypto::UnwrapReleasedKey(
        Runtime(), enc, *DecodeBase64Url(key_hsm["ciphertext"].get<std::string>()));
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    std::string serialized = std::string(1, '\x01') + type + std::string(bytes->view());
    auto material = crypto::KeyMaterial::Deserialize(serialized);
    EXPECT_TRUE(material.ok()) << material.status().ToString();
    return std::move(material).value();
  }

  std::string token_;
  std::string base_;
  AuthorityServer authority_server_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(AppKeyReleaseTest, ReleaseAnswersAzuresJwsWithTheKeyWrappedToTheRuntimeKey) {
  json created = CreateExportable("skr");
  std::string kid = created["key"]["kid"];
  std::string version = kid.substr(kid.rfind('/') + 1);

  json payload = VerifiedPayload(Release("/keys/skr/release", {{"target", Token()}}));
  EXPECT_EQ(payload["request"]["enc"], "CKM_RSA_AES_KEY_WRAP");
  EXPECT_EQ(payload["request"]["api-version"], "7.5");
  EXPECT_EQ(payload["request"]["kid"], kid.substr(0, kid.rfind('/')));  // as requested
  json released = payload["response"]["key"];
  EXPECT_EQ(released["key"]["kid"], kid);
  EXPECT_EQ(released["attributes"]["exportable"], true);
  EXPECT_EQ(released["release_policy"]["data"], created["release_policy"]["data"]);
  EXPECT_FALSE(released["key"].contains("d"));
  crypto::KeyMaterial opened = Opened(released["key"], "CKM_RSA_AES_KEY_WRAP");
  EXPECT_EQ(EncodeBase64Url(opened.PublicJwk().n), created["key"]["n"]);

  // A version, and the other algorithms.
  for (std::string enc : {"RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384"}) {
    json p = VerifiedPayload(
        Release("/keys/skr/" + version + "/release", {{"target", Token()}, {"enc", enc}}));
    EXPECT_EQ(p["request"]["kid"], kid);  // the versioned id, as requested
    EXPECT_EQ(EncodeBase64Url(Opened(p["response"]["key"]["key"], enc).PublicJwk().n),
              created["key"]["n"]);
  }
  // The SDK's "latest" form, and an EC key.
  EXPECT_EQ(Release("/keys/skr//release", {{"target", Token()}}).status, 200);
  json ec = CreateExportable("skr-ec", "", "EC");
  json p = VerifiedPayload(Release("/keys/skr-ec/release", {{"target", Token()}}));
  crypto::KeyMaterial ec_opened = Opened(p["response"]["key"]["key"], "CKM_RSA_AES_KEY_WRAP", 2);
  EXPECT_EQ(EncodeBase64Url(ec_opened.PublicJwk().x), ec["key"]["x"]);
}

TEST_F(AppKeyReleaseTest, BadSignatureWrongIssuerAndExpiredTokensAre4xx) {
  CreateExportable("k");
  TestAuthority impostor;  // same kid, another key
  ExpectError(Release("/keys/k/release", {{"target", impostor.Sign(Claims())}}), 400,
              "BadParameter", "signature does not verify");
  json claims = Claims();
  claims["iss"] = "https://localhost:1";
  ExpectError(Release("/keys/k/release", {{"target", Authority().Sign(claims)}}), 403,
              "Forbidden", "not an authority of the key's release policy");
  claims = Claims();
  claims["exp"] = real_clock_.Now() - 3600;
  ExpectError(Release("/keys/k/release", {{"target", Authority().Sign(claims)}}), 400,
              "BadParameter", "expired");
  ExpectError(Release("/keys/k/release", {{"target", "not-a-jwt"}}), 400, "BadParameter",
              "not a JWT");
  ExpectError(Release("/keys/k/release", json::object()), 400, "BadParameter", "target");
}

TEST_F(AppKeyReleaseTest, UnsatisfiedPolicyIsForbidden) {
  CreateExportable("k");
  json claims = Claims();
  claims["sdk-test"] = false;
  auto r = Release("/keys/k/release", {{"target", Authority().Sign(claims)}});
  ExpectError(r, 403, "Forbidden", "claim 'sdk-test'");
  EXPECT_EQ(J(r)["error"]["innererror"]["code"], "KeyReleaseDenied");
}

TEST_F(AppKeyReleaseTest, AuthorityNotAllowedIsForbiddenWithoutAnyFetch) {
  CreateExportable("k", "https://attest.example.com");
  json claims = Claims();
  claims["iss"] = "https://attest.example.com";
  ExpectError(Release("/keys/k/release", {{"target", Authority().Sign(claims)}}), 403,
              "Forbidden", "[release] authorities");
  EXPECT_EQ(authority_server_.requests.load(), 0);
}

TEST_F(AppKeyReleaseTest, UnreachableAuthorityIsABadRequestNotAServerError) {
  CreateExportable("k");
  server_->Stop();
  ExpectError(Release("/keys/k/release", {{"target", Token()}}), 400, "BadParameter",
              "could not be used to verify");
}

TEST_F(AppKeyReleaseTest, ANonceIsBoundToTheTokenAndCannotBeReplayed) {
  CreateExportable("k");
  json claims = Claims();
  claims["x-ms-runtime"]["client-payload"] = {{"nonce", "fresh-1"}};
  std::string token = Authority().Sign(claims);
  ASSERT_EQ(Release("/keys/k/release", {{"target", token}, {"nonce", "fresh-1"}}).status, 200);
  ExpectError(Release("/keys/k/release", {{"target", token}, {"nonce", "fresh-1"}}), 400,
              "BadParameter", "already used");
  ExpectError(Release("/keys/k/release", {{"target", token}, {"nonce", "other"}}), 400,
              "BadParameter", "nonce");
}

TEST_F(AppKeyReleaseTest, NonExportableKeyAndUnknownAlgorithmAreBadRequests) {
  ASSERT_EQ(Do("POST", "/keys/plain/create", R"({"kty":"RSA"})").status, 200);
  ExpectError(Release("/keys/plain/release", {{"target", Token()}}), 400, "BadParameter",
              "not exportable");
  CreateExportable("k");
  ExpectError(Release("/keys/k/release", {{"target", Token()}, {"enc", "RSA-OAEP"}}), 400,
              "BadParameter", "RSA_AES_KEY_WRAP_256");
  ExpectError(Release("/keys/missing/release", {{"target", Token()}}), 404, "KeyNotFound", "");
  EXPECT_EQ(authority_server_.requests.load(), 0);
}

TEST_F(AppKeyReleaseTest, ReleaseNeedsTheReleaseDataAction) {
  CreateExportable("k");
  Caller user = NewCaller("crypto-user");
  Assign(user.object_id, kCryptoUser, VaultScope());
  EXPECT_EQ(Do("POST", "/keys/k/release", json{{"target", Token()}}.dump(), user.data_token).status,
            403);
  Caller releaser = NewCaller("release-user");
  Assign(releaser.object_id, kReleaseUser, VaultScope());
  EXPECT_EQ(
      Do("POST", "/keys/k/release", json{{"target", Token()}}.dump(), releaser.data_token).status,
      200);
}

TEST_F(AppKeyReleaseTest, AttestationOfASoftwareKeyIsABadRequest) {
  json created = CreateExportable("k");
  std::string kid = created["key"]["kid"];
  ExpectError(Do("GET", "/keys/k/attestation"), 400, "BadParameter", "software");
  ExpectError(Do("GET", "/keys/k/" + kid.substr(kid.rfind('/') + 1) + "/attestation"), 400,
              "BadParameter", "software");
  EXPECT_EQ(Do("GET", "/keys/none/attestation").status, 404);
}

}  // namespace
}  // namespace coffer::api::testing
