// Test support for secure key release: a stand-in attestation authority (its signing key, its
// OpenID discovery document and JWKS, tokens it signs) and a runtime key pair to release keys
// to. Header-only; used by the auth unit tests and the API tests.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/encoding.h"
#include "crypto/key_material.h"
#include "crypto/primitives.h"

namespace coffer::auth::testing {

class TestAuthority {
 public:
  // `alg` "RS256" (RSA-2048 key) or "ES256" (P-256 key).
  explicit TestAuthority(std::string alg = "RS256", std::string kid = "test-signing-key")
      : alg_(std::move(alg)),
        kid_(std::move(kid)),
        key_(Make(alg_ == "ES256" ? crypto::KeyMaterial::GenerateEc("P-256")
                                  : crypto::KeyMaterial::GenerateRsa(2048))) {}

  const std::string& kid() const { return kid_; }

  // {"issuer", "jwks_uri"} for an authority at `base` (https://host:port), keys at /certs.
  static std::string Discovery(const std::string& base) {
    return nlohmann::json{{"issuer", base}, {"jwks_uri", base + "/certs"}}.dump();
  }

  nlohmann::json Jwk() const {
    crypto::JwkParts p = key_.PublicJwk();
    nlohmann::json j = {{"kid", kid_}, {"use", "sig"}, {"alg", alg_}};
    if (!p.n.empty()) {
      j["kty"] = "RSA";
      j["n"] = EncodeBase64Url(p.n);
      j["e"] = EncodeBase64Url(p.e);
    } else {
      j["kty"] = "EC";
      j["crv"] = p.crv;
      j["x"] = EncodeBase64Url(p.x);
      j["y"] = EncodeBase64Url(p.y);
    }
    return j;
  }
  std::string Jwks() const { return nlohmann::json{{"keys", {Jwk()}}}.dump(); }

  // A token with `claims`; header {alg, typ, kid} plus `extra_header` members.
  std::string Sign(const nlohmann::json& claims,
                   const nlohmann::json& extra_header = nlohmann::json::object()) const {
    nlohmann::json header = {{"alg", alg_}, {"typ", "JWT"}, {"kid", kid_}};
    header.update(extra_header);
    std::string input = EncodeBase64Url(header.dump()) + "." + EncodeBase64Url(claims.dump());
    auto sig = key_.Sign(alg_, crypto::Sha256(input));
    EXPECT_TRUE(sig.ok()) << sig.status().ToString();
    return input + "." + EncodeBase64Url(sig.ok() ? *sig : "");
  }

  // Claims of a good token from `issuer` for a runtime key, valid around `now`.
  static nlohmann::json Claims(const std::string& issuer, const crypto::KeyMaterial& runtime,
                               int64_t now) {
    crypto::JwkParts p = runtime.PublicJwk();
    nlohmann::json key = {{"kty", "RSA"},
                          {"kid", "runtime-key"},
                          {"use", "enc"},
                          {"key_ops", {"encrypt"}},
                          {"n", EncodeBase64Url(p.n)},
                          {"e", EncodeBase64Url(p.e)}};
    return {{"iss", issuer},     {"iat", now},          {"nbf", now},
            {"exp", now + 600},  {"sdk-test", true},    {"x-ms-attestation-type", "sevsnpvm"},
            {"x-ms-runtime", {{"keys", {key}}}}};
  }

  // A release policy document: `claim` must equal `value` for tokens of `authority`.
  static std::string Policy(const std::string& authority, const std::string& claim = "sdk-test",
                            const nlohmann::json& value = true) {
    return nlohmann::json{
        {"version", "1.0.0"},
        {"anyOf", {{{"authority", authority}, {"allOf", {{{"claim", claim}, {"equals", value}}}}}}}}
        .dump();
  }

 private:
  static crypto::KeyMaterial Make(StatusOr<crypto::KeyMaterial> k) {
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return std::move(k).value();
  }
  std::string alg_;
  std::string kid_;
  crypto::KeyMaterial key_;
};

}  // namespace coffer::auth::testing
