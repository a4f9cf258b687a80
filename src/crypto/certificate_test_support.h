// Test support shared by the certificate test files: keys generated once per process (RSA
// generation is slow), a throwaway CA that signs leaves for a given key, OpenSSL-side parsing of
// what the code under test returns, and PEM/PFX builders that go around the code under test.
#pragma once

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include <map>
#include <string>
#include <vector>

#include "crypto/certificate_internal.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"

namespace coffer::crypto::testing {

using internal::PkeyPtr;
using internal::X509Ptr;

// "RSA-2048", "RSA-3072", "RSA-4096", "P-256", "P-384", "P-521": generated once, then shared.
inline const KeyMaterial& TestKey(const std::string& name) {
  static auto* keys = new std::map<std::string, KeyMaterial>();
  auto it = keys->find(name);
  if (it != keys->end()) return it->second;
  StatusOr<KeyMaterial> key = name.starts_with("RSA-")
                                  ? KeyMaterial::GenerateRsa(std::stoi(name.substr(4)))
                                  : KeyMaterial::GenerateEc(name);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return keys->emplace(name, std::move(key).value()).first->second;
}

inline PkeyPtr Pkey(const KeyMaterial& key) {
  auto pkey = internal::PkeyFromKeyMaterial(key);
  EXPECT_TRUE(pkey.ok()) << pkey.status().ToString();
  return std::move(pkey).value();
}

inline X509Ptr ParseDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_NE(cert, nullptr);
  return cert;
}

inline std::string Der(X509* cert) {
  auto der = internal::CertificateDer(cert);
  EXPECT_TRUE(der.ok());
  return der.ok() ? *der : std::string();
}

inline void ExpectBadParameter(const Status& status, const std::string& contains = "") {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_EQ(status.reason(), "BadParameter") << status.ToString();
  if (!contains.empty()) {
    EXPECT_NE(status.message().find(contains), std::string::npos) << status.ToString();
  }
}

// A certificate for `subject_key`'s public key, signed by `issuer_key` under `issuer` (the
// subject's own name when issuer is null: self-signed). CA certificates get CA:TRUE.
inline X509Ptr SignCert(EVP_PKEY* subject_key, const std::string& cn, EVP_PKEY* issuer_key,
                        X509* issuer, bool ca) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ca ? 1 : 2);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), subject_key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                           ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(cert.get(), bc, -1);
  X509_EXTENSION_free(bc);
  EXPECT_GT(X509_sign(cert.get(), issuer_key, EVP_sha256()), 0);
  return cert;
}

// A root CA and an intermediate, each with its own fresh P-256 key.
struct TestCa {
  PkeyPtr root_key, intermediate_key;
  X509Ptr root, intermediate;

  TestCa() {
    root_key.reset(EVP_EC_gen("P-256"));
    intermediate_key.reset(EVP_EC_gen("P-256"));
    root = SignCert(root_key.get(), "Test Root", root_key.get(), nullptr, true);
    intermediate =
        SignCert(intermediate_key.get(), "Test Intermediate", root_key.get(), root.get(), true);
  }
  // A leaf for `key` signed by the intermediate.
  X509Ptr Leaf(const KeyMaterial& key, const std::string& cn = "leaf.example") const {
    PkeyPtr pkey = Pkey(key);
    return SignCert(pkey.get(), cn, intermediate_key.get(), intermediate.get(), false);
  }
};

inline std::string Pem(X509* cert) {
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  return std::string(mem->data, mem->length);
}

// The key as PEM: "pkcs8" (PRIVATE KEY) or "traditional" (RSA/EC PRIVATE KEY).
inline std::string KeyPem(EVP_PKEY* key, bool traditional = false) {
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (traditional) {
    EXPECT_EQ(
        PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        1);
  } else {
    EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
              1);
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  return std::string(mem->data, mem->length);
}

// A PFX built by OpenSSL directly. nid_key / nid_cert as PKCS12_create (0 = default, -1 = none);
// mac_iter 0 = default; pass nullptr = no password.
inline std::string MakePfx(EVP_PKEY* key, X509* cert, const std::vector<X509*>& ca,
                           const char* pass, int nid_key = 0, int nid_cert = 0, int iter = 0,
                           int mac_iter = 0) {
  STACK_OF(X509)* stack = sk_X509_new_null();
  for (X509* c : ca) sk_X509_push(stack, c);
  PKCS12* p12 =
      PKCS12_create(pass, nullptr, key, cert, stack, nid_key, nid_cert, iter, mac_iter, 0);
  sk_X509_free(stack);
  EXPECT_NE(p12, nullptr) << internal::DrainOpenSslErrors("PKCS12_create");
  if (p12 == nullptr) return {};
  unsigned char* buf = nullptr;
  int len = i2d_PKCS12(p12, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  PKCS12_free(p12);
  return out;
}

}  // namespace coffer::crypto::testing
