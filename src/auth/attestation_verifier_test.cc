// AttestationVerifier and AttestationKeys with an in-memory HTTPS stand-in: which rule refuses
// which token (status code and reason), the allow-list before any fetch, nonce replay, and the
// key cache (one fetch per authority, a refetch for an unknown kid, failures remembered).
// The same checks over real HTTPS: src/api/app_key_release_test.cc.
#include "auth/attestation_verifier.h"

#include <gtest/gtest.h>

#include <map>

#include "auth/attestation_test_support.h"

namespace coffer::auth {
namespace {

using nlohmann::json;
using testing::TestAuthority;

constexpr char kAuthority[] = "https://attest.localhost:4443";

class AttestationVerifierTest : public ::testing::Test {
 protected:
  AttestationVerifierTest() { Serve(authority_); }

  void Serve(const TestAuthority& a) {
    pages_[std::string(kAuthority) + "/.well-known/openid-configuration"] =
        TestAuthority::Discovery(kAuthority);
    pages_[std::string(kAuthority) + "/certs"] = a.Jwks();
  }

  AttestationKeys& Keys(AttestationOptions options = {}) {
    if (options.authorities.empty()) options.authorities = {kAuthority};
    keys_ = std::make_unique<AttestationKeys>(clock_, options, [this](const std::string& url) {
      ++fetches_;
      if (down_) return StatusOr<std::string>(UnavailableError("connection refused"));
      auto it = pages_.find(url);
      if (it == pages_.end()) return StatusOr<std::string>(NotFoundError("HTTP 404"));
      return StatusOr<std::string>(it->second);
    });
    verifier_ = std::make_unique<AttestationVerifier>(clock_, *keys_);
    return *keys_;
  }

  StatusOr<VerifiedAttestation> Verify(const std::string& token, std::string_view nonce = "",
                                       const std::string& policy_text = "") {
    if (!verifier_) Keys();
    auto policy = ParseReleasePolicy(policy_text.empty() ? TestAuthority::Policy(kAuthority)
                                                         : policy_text);
    EXPECT_TRUE(policy.ok()) << policy.status().ToString();
    return verifier_->Verify(token, *policy, nonce);
  }

  json Claims() const { return TestAuthority::Claims(kAuthority, runtime_, clock_.Now()); }

  static void ExpectRefused(const StatusOr<VerifiedAttestation>& r, StatusCode code,
                            std::string_view reason, std::string_view words) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_EQ(r.status().reason(), reason);
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  }

  // RSA key generation dominates the run time: one authority and one runtime key for all tests.
  static const TestAuthority& SharedAuthority() {
    static const TestAuthority a;
    return a;
  }
  static const crypto::KeyMaterial& SharedRuntime() {
    static const crypto::KeyMaterial k = *crypto::KeyMaterial::GenerateRsa(2048);
    return k;
  }

  ManualClock clock_{1'750'000'000};
  const TestAuthority& authority_ = SharedAuthority();
  const crypto::KeyMaterial& runtime_ = SharedRuntime();
  std::map<std::string, std::string> pages_;
  int fetches_ = 0;
  bool down_ = false;
  std::unique_ptr<AttestationKeys> keys_;
  std::unique_ptr<AttestationVerifier> verifier_;
};

TEST_F(AttestationVerifierTest, GoodTokenYieldsTheRuntimeKeyToWrapTo) {
  auto r = Verify(authority_.Sign(Claims()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->issuer, kAuthority);
  EXPECT_EQ(r->runtime_kid, "runtime-key");
  EXPECT_EQ(r->runtime_key.bits(), 2048);
  // A trailing slash on the policy's authority names the same authority.
  EXPECT_TRUE(Verify(authority_.Sign(Claims()), "",
                     TestAuthority::Policy(std::string(kAuthority) + "/"))
                  .ok());
}

TEST_F(AttestationVerifierTest, Es256AuthorityAndTheStringTrueOfTheSdkTestsAreAccepted) {
  TestAuthority ec("ES256");
  Serve(ec);
  EXPECT_TRUE(Verify(ec.Sign(Claims()), "", TestAuthority::Policy(kAuthority, "sdk-test", "true"))
                  .ok());
}

TEST_F(AttestationVerifierTest, SignatureByAnotherKeyUnderTheSameKidIsRefused) {
  TestAuthority impostor;  // same kid, other key
  ExpectRefused(Verify(impostor.Sign(Claims())), StatusCode::kInvalidArgument, "BadParameter",
                "signature does not verify");
  TestAuthority other_kid("RS256", "rotated-away");
  ExpectRefused(Verify(other_kid.Sign(Claims())), StatusCode::kInvalidArgument, "BadParameter",
                "does not publish");
}

TEST_F(AttestationVerifierTest, TokenOfAnotherIssuerIsRefusedBeforeAnyFetch) {
  json claims = Claims();
  claims["iss"] = "https://other.localhost";
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kPermissionDenied,
                "KeyReleaseDenied", "not an authority of the key's release policy");
  claims.erase("iss");
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kInvalidArgument, "BadParameter",
                "'iss'");
  EXPECT_EQ(fetches_, 0);
}

TEST_F(AttestationVerifierTest, ExpiredNotYetValidAndDatelessTokensAreRefused) {
  json claims = Claims();
  claims["exp"] = clock_.Now() - 61;
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kInvalidArgument, "BadParameter",
                "expired");
  claims = Claims();
  claims["nbf"] = clock_.Now() + 120;
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kInvalidArgument, "BadParameter",
                "not valid yet");
  claims.erase("nbf");
  claims.erase("exp");
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kInvalidArgument, "BadParameter",
                "'exp'");
  claims = Claims();
  claims["exp"] = clock_.Now() - 30;  // within the skew
  EXPECT_TRUE(Verify(authority_.Sign(claims)).ok());
}

TEST_F(AttestationVerifierTest, UnsatisfiedPolicyIsForbiddenAndNamesTheClaim) {
  json claims = Claims();
  claims["sdk-test"] = false;
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kPermissionDenied,
                "KeyReleaseDenied", "claim 'sdk-test'");
  auto r = Verify(authority_.Sign(Claims()), "",
                  TestAuthority::Policy(kAuthority, "x-ms-attestation-type", "sgx"));
  ExpectRefused(r, StatusCode::kPermissionDenied, "KeyReleaseDenied", "x-ms-attestation-type");
  EXPECT_EQ(r.status().message().find("sevsnpvm"), std::string::npos);  // no claim values
}

TEST_F(AttestationVerifierTest, AuthorityOutsideTheAllowListIsForbiddenWithoutFetching) {
  Keys({.authorities = {"https://attest.example.com"}});
  ExpectRefused(Verify(authority_.Sign(Claims())), StatusCode::kPermissionDenied,
                "KeyReleaseDenied", "[release] authorities");
  EXPECT_EQ(fetches_, 0);
  Keys({.authorities = {"https://attest.example.com"}, .allow_localhost = true});
  EXPECT_TRUE(Verify(authority_.Sign(Claims())).ok());
  Keys({.authorities = {"https://attest.example.com"}, .allow_localhost = true});
  EXPECT_EQ(keys_->CheckAllowed("http://attest.localhost").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(keys_->CheckAllowed("https://localhost.example.com").code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(keys_->CheckAllowed("https://127.0.0.1:9/").ok());
  EXPECT_TRUE(keys_->CheckAllowed("https://Attest.Example.com/").ok());
}

TEST_F(AttestationVerifierTest, NonceMustBeInTheTokenAndWorksOnce) {
  json claims = Claims();
  claims["x-ms-runtime"]["client-payload"] = {{"nonce", "n-1"}};
  std::string token = authority_.Sign(claims);
  ExpectRefused(Verify(token, "n-2"), StatusCode::kInvalidArgument, "BadParameter",
                "does not carry the request's nonce");
  ASSERT_TRUE(Verify(token, "n-1").ok());
  ExpectRefused(Verify(token, "n-1"), StatusCode::kInvalidArgument, "BadParameter",
                "already used");
  EXPECT_TRUE(Verify(token).ok());  // without a nonce a token may be used until it expires
  claims = Claims();
  claims["nonce"] = "n-3";
  EXPECT_TRUE(Verify(authority_.Sign(claims), "n-3").ok());
}

TEST_F(AttestationVerifierTest, UnsignedHmacCriticalAndMalformedTokensAreRefused) {
  std::string good = authority_.Sign(Claims());
  std::string body = good.substr(good.find('.'), good.rfind('.') - good.find('.'));
  for (const char* alg : {"none", "NONE", "HS256"}) {
    std::string header = EncodeBase64Url(json{{"alg", alg}, {"kid", authority_.kid()}}.dump());
    ExpectRefused(Verify(header + body + ".c2ln"), StatusCode::kInvalidArgument, "BadParameter",
                  "algorithm");
  }
  ExpectRefused(Verify(authority_.Sign(Claims(), {{"crit", {"exp"}}})),
                StatusCode::kInvalidArgument, "BadParameter", "crit");
  ExpectRefused(Verify(authority_.Sign(Claims(), {{"alg", "PS256"}})),
                StatusCode::kInvalidArgument, "BadParameter", "signing key is for RS256");
  for (std::string bad : {std::string("a.b"), good + ".x", good.substr(0, good.rfind('.') + 1),
                          std::string(70000, 'a')}) {
    ExpectRefused(Verify(bad), StatusCode::kInvalidArgument, "BadParameter", "");
  }
}

TEST_F(AttestationVerifierTest, TokenWithoutAnRsaEncryptionKeyIsRefused) {
  json claims = Claims();
  claims["x-ms-runtime"]["keys"][0]["key_ops"] = {"sign"};
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kInvalidArgument, "BadParameter",
                "x-ms-runtime.keys");
  claims.erase("x-ms-runtime");
  ExpectRefused(Verify(authority_.Sign(claims)), StatusCode::kInvalidArgument, "BadParameter",
                "x-ms-runtime.keys");
}

TEST_F(AttestationVerifierTest, KeysAreCachedRefetchedForAnUnknownKidAndFailuresRemembered) {
  Keys();
  ASSERT_TRUE(Verify(authority_.Sign(Claims())).ok());
  ASSERT_TRUE(Verify(authority_.Sign(Claims())).ok());
  EXPECT_EQ(fetches_, 2);  // discovery + JWKS, once
  TestAuthority rotated("RS256", "next-key");
  Serve(rotated);
  EXPECT_FALSE(Verify(rotated.Sign(Claims())).ok());  // within refresh_min_seconds
  EXPECT_EQ(fetches_, 2);
  clock_.Advance(31);
  EXPECT_TRUE(Verify(rotated.Sign(Claims())).ok());
  EXPECT_EQ(fetches_, 4);

  clock_.Advance(601);
  down_ = true;
  ExpectRefused(Verify(rotated.Sign(Claims())), StatusCode::kInvalidArgument, "BadParameter",
                "could not be used");
  ExpectRefused(Verify(rotated.Sign(Claims())), StatusCode::kInvalidArgument, "BadParameter",
                "connection refused");
  EXPECT_EQ(fetches_, 5);  // the failure is remembered
  down_ = false;
  clock_.Advance(11);
  EXPECT_TRUE(Verify(rotated.Sign(Claims())).ok());
}

TEST_F(AttestationVerifierTest, KeysAreFetchedOnlyFromTheAuthoritysOwnOrigin) {
  pages_[std::string(kAuthority) + "/.well-known/openid-configuration"] =
      json{{"jwks_uri", "https://evil.localhost/certs"}}.dump();
  ExpectRefused(Verify(authority_.Sign(Claims())), StatusCode::kInvalidArgument, "BadParameter",
                "same origin");
  clock_.Advance(11);
  pages_[std::string(kAuthority) + "/.well-known/openid-configuration"] = "not json";
  ExpectRefused(Verify(authority_.Sign(Claims())), StatusCode::kInvalidArgument, "BadParameter",
                "jwks_uri");
}

}  // namespace
}  // namespace coffer::auth
