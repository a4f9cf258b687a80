// Internal to the crypto module (never included by a public header): RAII owners for OpenSSL
// objects and the conversion of OpenSSL's thread-local error queue into a Status message.
//
// Thread-safety: the helpers touch only the calling thread's OpenSSL error queue.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace coffer::crypto::internal {

template <auto Fn>
struct FnDeleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};

// For buffers OpenSSL allocates for the caller (i2d_* output).
struct OpenSslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

using BioPtr = std::unique_ptr<BIO, FnDeleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, FnDeleter<BN_clear_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, FnDeleter<EVP_CIPHER_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, FnDeleter<ECDSA_SIG_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, FnDeleter<EVP_KDF_CTX_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, FnDeleter<EVP_MAC_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, FnDeleter<EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, FnDeleter<EVP_PKEY_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, FnDeleter<EVP_PKEY_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, FnDeleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, FnDeleter<OSSL_PARAM_free>>;
using X509Ptr = std::unique_ptr<X509, FnDeleter<X509_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, FnDeleter<X509_EXTENSION_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, FnDeleter<X509_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FnDeleter<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, FnDeleter<GENERAL_NAME_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, FnDeleter<ASN1_INTEGER_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, FnDeleter<ASN1_STRING_free>>;

// Drains this thread's OpenSSL error queue into "what: reason; reason".
inline std::string DrainOpenSslErrors(std::string_view what) {
  std::string msg(what);
  bool first = true;
  unsigned long err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return msg;
}

// An Internal status for a failure of OpenSSL itself (not of the caller's input).
inline Status OpenSslError(std::string_view what) {
  return InternalError(DrainOpenSslErrors(what));
}

inline const unsigned char* Uchars(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace coffer::crypto::internal
