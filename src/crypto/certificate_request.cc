#include "crypto/certificate_request.h"

#include <openssl/x509v3.h>

#include "core/encoding.h"
#include "crypto/certificate_internal.h"

namespace coffer::crypto {
namespace {

using X509ReqPtr = std::unique_ptr<X509_REQ, internal::FnDeleter<X509_REQ_free>>;
// The stack only borrows its extensions (the caller's X509ExtPtrs own them).
void FreeStackOnly(STACK_OF(X509_EXTENSION) * s) { sk_X509_EXTENSION_free(s); }
using ExtensionStackPtr =
    std::unique_ptr<STACK_OF(X509_EXTENSION), internal::FnDeleter<FreeStackOnly>>;

}  // namespace

StatusOr<CertificateRequest> CreateCertificateRequest(const X509Profile& profile,
                                                      const KeyMaterial& key) {
  ASSIGN_OR_RETURN(internal::PkeyPtr pkey, internal::PkeyFromKeyMaterial(key));
  ASSIGN_OR_RETURN(internal::X509NamePtr name, internal::ParseSubject(profile.subject));
  ASSIGN_OR_RETURN(std::vector<internal::X509ExtPtr> exts, internal::ProfileExtensions(profile));
  X509ReqPtr req(X509_REQ_new());
  ExtensionStackPtr stack(sk_X509_EXTENSION_new_null());
  if (req == nullptr || stack == nullptr)
    return internal::OpenSslError("X509_REQ allocation failed");
  for (auto& ext : exts) {
    if (sk_X509_EXTENSION_push(stack.get(), ext.get()) == 0) {
      return internal::OpenSslError("extension push failed");
    }
  }
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), pkey.get()) != 1 ||
      X509_REQ_add_extensions(req.get(), stack.get()) != 1) {
    return internal::OpenSslError("filling the certificate request failed");
  }
  if (X509_REQ_sign(req.get(), pkey.get(), internal::SignatureDigest(pkey.get())) <= 0) {
    return internal::OpenSslError("signing the certificate request failed");
  }
  unsigned char* buf = nullptr;
  int len = i2d_X509_REQ(req.get(), &buf);
  std::unique_ptr<unsigned char, internal::OpenSslFree> owned(buf);
  if (len <= 0) return internal::OpenSslError("DER encoding of the request failed");
  CertificateRequest out;
  out.der.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  out.base64 = EncodeBase64(out.der);
  return out;
}

}  // namespace coffer::crypto
