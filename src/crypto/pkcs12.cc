#include "crypto/pkcs12.h"

#include <openssl/pkcs12.h>

#include <string>
#include <utility>
#include <vector>

#include "crypto/certificate_internal.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::BadParameter;
using internal::PkeyPtr;
using internal::X509Ptr;

using Pkcs12Ptr = std::unique_ptr<PKCS12, internal::FnDeleter<PKCS12_free>>;
using Pkcs8Ptr =
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, internal::FnDeleter<PKCS8_PRIV_KEY_INFO_free>>;
using Pbe2ParamPtr = std::unique_ptr<PBE2PARAM, internal::FnDeleter<PBE2PARAM_free>>;
using Pbkdf2ParamPtr = std::unique_ptr<PBKDF2PARAM, internal::FnDeleter<PBKDF2PARAM_free>>;
using PbeParamPtr = std::unique_ptr<PBEPARAM, internal::FnDeleter<PBEPARAM_free>>;

// The stack only borrows its certificates.
void FreeX509StackOnly(STACK_OF(X509) * s) { sk_X509_free(s); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), internal::FnDeleter<FreeX509StackOnly>>;
void FreeAuthsafes(STACK_OF(PKCS7) * s) { sk_PKCS7_pop_free(s, PKCS7_free); }
void FreeBags(STACK_OF(PKCS12_SAFEBAG) * s) { sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free); }
using AuthsafesPtr = std::unique_ptr<STACK_OF(PKCS7), internal::FnDeleter<FreeAuthsafes>>;
using BagsPtr = std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), internal::FnDeleter<FreeBags>>;

constexpr int kMaxAuthsafes = 16;
constexpr int kMaxBags = 64;
constexpr int kMaxNesting = 3;
constexpr int kExportIterations = 2048;
constexpr size_t kMaxPasswordBytes = 1024;

// A candidate password: nullptr/0 is PKCS#12's "no password".
struct Password {
  const char* data = nullptr;
  int len = 0;
};

// What one parse pass collects, and the key-derivation work it may still spend.
struct ParseState {
  Password password;
  int64_t budget = kMaxPkcs12IterationBudget;
  int bags = 0;
  bool decryption_failed = false;  // without a MAC: likely the wrong password, try the next
  std::vector<PkeyPtr> keys;
  std::vector<X509Ptr> certs;
};

Status Unreadable() {
  return BadParameter(
      "the value is not a readable PKCS#12 (PFX) file; give the base64 of a .pfx "
      "or the PEM text of a private key and its certificate");
}

// Charges `iter` key-derivation iterations to the budget, refusing before any are run.
Status ChargeIterations(const ASN1_INTEGER* iter, ParseState& state) {
  int64_t count = 1;  // an absent MacData iteration count means 1
  if (iter != nullptr && ASN1_INTEGER_get_int64(&count, iter) != 1) {
    ERR_clear_error();
    return Unreadable();
  }
  if (count < 1) return Unreadable();
  if (count > kMaxPkcs12Iterations) {
    return BadParameter("the PFX asks for " + std::to_string(count) +
                        " key-derivation iterations; at most 2000000 are accepted. Re-export it "
                        "with a lower iteration count");
  }
  if (count > state.budget) {
    return BadParameter(
        "the PFX asks for more than 4000000 key-derivation iterations in total; "
        "re-export it with a lower iteration count");
  }
  state.budget -= count;
  return OkStatus();
}

// Reads the iteration count of a password-based encryption algorithm and charges it.
Status ChargePbe(const X509_ALGOR* alg, ParseState& state) {
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  if (ptype != V_ASN1_SEQUENCE || alg->parameter == nullptr) return Unreadable();
  if (OBJ_obj2nid(obj) == NID_pbes2) {
    Pbe2ParamPtr pbe2(static_cast<PBE2PARAM*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)));
    if (pbe2 == nullptr || pbe2->keyfunc == nullptr) {
      ERR_clear_error();
      return Unreadable();
    }
    if (OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2 ||
        pbe2->keyfunc->parameter == nullptr || pbe2->keyfunc->parameter->type != V_ASN1_SEQUENCE) {
      return BadParameter(
          "the PFX uses a key derivation other than PBKDF2, which is not "
          "supported; re-export it with PBKDF2 (the default of Windows and "
          "OpenSSL)");
    }
    Pbkdf2ParamPtr kdf(static_cast<PBKDF2PARAM*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
    if (kdf == nullptr) {
      ERR_clear_error();
      return Unreadable();
    }
    return ChargeIterations(kdf->iter, state);
  }
  PbeParamPtr pbe(
      static_cast<PBEPARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter)));
  if (pbe == nullptr) {
    ERR_clear_error();
    return BadParameter("the PFX is encrypted with an unsupported algorithm");
  }
  return ChargeIterations(pbe->iter, state);
}

Status DecryptFailed(bool has_mac, ParseState& state) {
  ERR_clear_error();
  state.decryption_failed = true;
  // With a verified MAC the password is right, so a decryption failure means an algorithm we
  // cannot run or a damaged file; without a MAC it is most likely the password.
  if (!has_mac) return BadParameter(kPkcs12WrongPasswordMessage);
  return BadParameter(
      "a part of the PFX could not be decrypted: it is damaged or uses an "
      "encryption this server does not support");
}

Status ReadBags(const STACK_OF(PKCS12_SAFEBAG) * bags, ParseState& state, bool has_mac, int depth);

Status ReadKey(PKCS8_PRIV_KEY_INFO* p8, ParseState& state) {
  PkeyPtr key(EVP_PKCS82PKEY(p8));
  if (key == nullptr) {
    ERR_clear_error();
    return BadParameter("the private key in the PFX is not a readable RSA or EC key");
  }
  state.keys.push_back(std::move(key));
  return OkStatus();
}

Status ReadBag(const PKCS12_SAFEBAG* bag, ParseState& state, bool has_mac, int depth) {
  if (++state.bags > kMaxBags) return BadParameter("the PFX holds more than 64 items");
  switch (PKCS12_SAFEBAG_get_nid(bag)) {
    case NID_keyBag: {
      const PKCS8_PRIV_KEY_INFO* p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
      if (p8 == nullptr) return Unreadable();
      return ReadKey(const_cast<PKCS8_PRIV_KEY_INFO*>(p8), state);
    }
    case NID_pkcs8ShroudedKeyBag: {
      const X509_SIG* sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
      if (sig == nullptr) return Unreadable();
      const X509_ALGOR* alg = nullptr;
      X509_SIG_get0(sig, &alg, nullptr);
      RETURN_IF_ERROR(ChargePbe(alg, state));
      Pkcs8Ptr p8(PKCS12_decrypt_skey(bag, state.password.data, state.password.len));
      if (p8 == nullptr) return DecryptFailed(has_mac, state);
      return ReadKey(p8.get(), state);
    }
    case NID_certBag: {
      if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate) return OkStatus();
      X509Ptr cert(PKCS12_SAFEBAG_get1_cert(bag));
      if (cert == nullptr) {
        ERR_clear_error();
        return BadParameter("a certificate in the PFX is not a readable X.509 certificate");
      }
      state.certs.push_back(std::move(cert));
      return OkStatus();
    }
    case NID_safeContentsBag:
      if (depth >= kMaxNesting) return BadParameter("the PFX nests its contents too deeply");
      return ReadBags(PKCS12_SAFEBAG_get0_safes(bag), state, has_mac, depth + 1);
    default:
      return OkStatus();  // CRLs and secret bags are not part of a certificate import
  }
}

Status ReadBags(const STACK_OF(PKCS12_SAFEBAG) * bags, ParseState& state, bool has_mac, int depth) {
  if (bags == nullptr) return Unreadable();
  for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); ++i) {
    RETURN_IF_ERROR(ReadBag(sk_PKCS12_SAFEBAG_value(bags, i), state, has_mac, depth));
  }
  return OkStatus();
}

Status ReadAuthsafes(PKCS12* p12, ParseState& state, bool has_mac) {
  AuthsafesPtr safes(PKCS12_unpack_authsafes(p12));
  if (safes == nullptr) {
    ERR_clear_error();
    return Unreadable();
  }
  if (sk_PKCS7_num(safes.get()) > kMaxAuthsafes) return BadParameter("the PFX has too many parts");
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
    BagsPtr bags;
    switch (OBJ_obj2nid(p7->type)) {
      case NID_pkcs7_data:
        bags.reset(PKCS12_unpack_p7data(p7));
        if (bags == nullptr) {
          ERR_clear_error();
          return Unreadable();
        }
        break;
      case NID_pkcs7_encrypted:
        if (p7->d.encrypted == nullptr || p7->d.encrypted->enc_data == nullptr ||
            p7->d.encrypted->enc_data->algorithm == nullptr) {
          return Unreadable();
        }
        RETURN_IF_ERROR(ChargePbe(p7->d.encrypted->enc_data->algorithm, state));
        bags.reset(PKCS12_unpack_p7encdata(p7, state.password.data, state.password.len));
        if (bags == nullptr) return DecryptFailed(has_mac, state);
        break;
      default:
        return BadParameter("the PFX uses public-key encrypted parts, which are not supported");
    }
    RETURN_IF_ERROR(ReadBags(bags.get(), state, has_mac, 0));
  }
  return OkStatus();
}

StatusOr<ImportedCertificate> Assemble(ParseState& state) {
  if (state.keys.size() != 1) return BadParameter(kNoPrivateKeyMessage);
  if (state.certs.empty()) {
    return BadParameter("the PFX holds a private key but no certificate");
  }
  ASSIGN_OR_RETURN(KeyMaterial key, internal::KeyMaterialFromPkey(state.keys[0].get()));
  auto chain = internal::LeafFirst(state.certs, state.keys[0].get());
  if (!chain.ok()) {
    return BadParameter("the private key in the PFX does not match its certificate");
  }
  return ImportedCertificate{std::move(key), std::move(*chain)};
}

}  // namespace

StatusOr<ImportedCertificate> ImportPkcs12(std::string_view pfx,
                                           const std::optional<SecretBytes>& password) {
  if (pfx.size() > kMaxCertificateInputBytes) {
    return BadParameter("the PFX is larger than 256 KB");
  }
  if (password.has_value() && password->size() > kMaxPasswordBytes) {
    return BadParameter("the PFX password is longer than 1024 bytes");
  }
  if (password.has_value() && password->view().find('\0') != std::string_view::npos) {
    return BadParameter("the PFX password contains a NUL character");
  }
  internal::LoadLegacyProviders();
  const unsigned char* p = internal::Uchars(pfx);
  Pkcs12Ptr p12(pfx.empty() ? nullptr : d2i_PKCS12(nullptr, &p, static_cast<long>(pfx.size())));
  if (p12 == nullptr || p != internal::Uchars(pfx) + pfx.size()) {
    ERR_clear_error();
    return Unreadable();
  }
  std::vector<Password> candidates;
  if (password.has_value() && !password->empty()) {
    candidates.push_back({password->view().data(), static_cast<int>(password->size())});
  } else if (password.has_value()) {
    candidates = {{"", 0}, {nullptr, 0}};
  } else {
    candidates = {{nullptr, 0}, {"", 0}};
  }
  ParseState state;
  bool has_mac = PKCS12_mac_present(p12.get()) == 1;
  if (has_mac) {
    const ASN1_INTEGER* iter = nullptr;
    PKCS12_get0_mac(nullptr, nullptr, nullptr, &iter, p12.get());
    bool verified = false;
    for (const Password& candidate : candidates) {
      RETURN_IF_ERROR(ChargeIterations(iter, state));
      if (PKCS12_verify_mac(p12.get(), candidate.data, candidate.len) == 1) {
        state.password = candidate;
        verified = true;
        break;
      }
    }
    ERR_clear_error();
    if (!verified) return BadParameter(kPkcs12WrongPasswordMessage);
    RETURN_IF_ERROR(ReadAuthsafes(p12.get(), state, true));
    return Assemble(state);
  }
  // No MAC: only decryption tells a right password from a wrong one.
  Status last = OkStatus();
  for (const Password& candidate : candidates) {
    ParseState attempt;
    attempt.password = candidate;
    attempt.budget = state.budget;
    last = ReadAuthsafes(p12.get(), attempt, false);
    state.budget = attempt.budget;
    if (last.ok()) return Assemble(attempt);
    if (!attempt.decryption_failed) return last;
  }
  return last;
}

StatusOr<SecretBytes> ExportPkcs12(const KeyMaterial& key, const CertificateChain& chain) {
  ASSIGN_OR_RETURN(PkeyPtr pkey, internal::PkeyFromKeyMaterial(key));
  ASSIGN_OR_RETURN(X509Ptr leaf, internal::ParseCertificateDer(chain.leaf_der, "the certificate"));
  if (!internal::CertificateMatchesKey(leaf.get(), pkey.get())) {
    return BadParameter("the certificate does not match the key");
  }
  std::vector<X509Ptr> owned;
  X509StackPtr ca(sk_X509_new_null());
  if (ca == nullptr) return internal::OpenSslError("X509 stack allocation failed");
  for (size_t i = 0; i < chain.chain_der.size(); ++i) {
    ASSIGN_OR_RETURN(X509Ptr cert,
                     internal::ParseCertificateDer(chain.chain_der[i],
                                                   "chain certificate " + std::to_string(i)));
    if (sk_X509_push(ca.get(), cert.get()) == 0) return internal::OpenSslError("X509 push failed");
    owned.push_back(std::move(cert));
  }
  Pkcs12Ptr p12(PKCS12_create(
      "", nullptr, pkey.get(), leaf.get(), ca.get(), NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
      NID_pbe_WithSHA1And3_Key_TripleDES_CBC, kExportIterations, kExportIterations, 0));
  if (p12 == nullptr) return internal::OpenSslError("building the PFX failed");
  // PKCS12_create's MAC digest is SHA-1 unless told otherwise; set it explicitly so a changed
  // OpenSSL default cannot silently change what clients must support.
  if (PKCS12_set_mac(p12.get(), "", 0, nullptr, 0, kExportIterations, EVP_sha1()) != 1) {
    return internal::OpenSslError("setting the PFX MAC failed");
  }
  internal::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr || i2d_PKCS12_bio(bio.get(), p12.get()) != 1) {
    return internal::OpenSslError("encoding the PFX failed");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem == nullptr || mem->length == 0) return InternalError("PFX BIO has no data");
  SecretBytes out(reinterpret_cast<const uint8_t*>(mem->data), mem->length);
  OPENSSL_cleanse(mem->data, mem->max);
  return out;
}

}  // namespace coffer::crypto
