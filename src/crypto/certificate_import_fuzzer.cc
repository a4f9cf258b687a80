// libFuzzer entry for the certificate parsers an untrusted caller reaches: ImportPkcs12 (pkcs12.h),
// ImportPemBundle (certificate_pem.h), DecodeX5cEntry / MergeCertificateChain
// (certificate_merge.h), InspectCertificate (certificate_info.h) and the subject string parser
// (certificate_internal.h), and self-signed issuance from a fuzzed policy (subject, SANs, key
// usages, EKUs, validity: the caller's JSON). Each input first picks a target, then either feeds it
// fuzz bytes or a valid file built once at start-up after fuzz edits (bytes flipped, overwritten,
// cut, inserted, or spliced in from another valid file), which reaches the deep paths — MAC
// verification, decryption of each PFX part, key and certificate matching — that random bytes
// rarely pass. The export round trip runs on every 16th successful import. The start-up PFX files
// use iteration count 1 so an execution stays cheap; a mutated count is still bounded by the
// importer's own cap.
//
// A bug (abort) is, besides a crash or sanitizer report:
//   - an import or merge failing with anything but InvalidArgument (Internal means OpenSSL
//     failed, never "the input is bad");
//   - an import succeeding with a leaf that does not hold the imported key's public key, or whose
//     PEM/PFX export does not import again to the same leaf;
//   - a subject that parses, prints, and then does not parse back to the same name;
//   - an issued certificate that does not read back with the policy's SANs and EKUs.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/certificate_info.h"
#include "crypto/certificate_internal.h"
#include "crypto/certificate_issue.h"
#include "crypto/certificate_merge.h"
#include "crypto/certificate_pem.h"
#include "crypto/pkcs12.h"

namespace coffer::crypto {
namespace {

[[noreturn]] void Fail(const char* what, const Status& status) {
  std::fprintf(stderr, "certificate_import_fuzzer: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

void ExpectInvalidArgument(const char* what, const Status& status) {
  if (!status.ok() && status.code() != StatusCode::kInvalidArgument) Fail(what, status);
}

// mac_iter -1: no MAC, so edits inside the encrypted parts reach decryption and bag parsing
// instead of stopping at the integrity check.
std::string Pfx(EVP_PKEY* key, X509* cert, X509* ca, const char* pass, int nid, int mac_iter) {
  STACK_OF(X509)* stack = sk_X509_new_null();
  if (ca != nullptr) sk_X509_push(stack, ca);
  PKCS12* p12 = PKCS12_create(pass, nullptr, key, cert, stack, nid, nid, 1, mac_iter, 0);
  sk_X509_free(stack);
  if (p12 == nullptr) Fail("PKCS12_create", OkStatus());
  unsigned char* buf = nullptr;
  int len = i2d_PKCS12(p12, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  PKCS12_free(p12);
  return out;
}

// The key (PKCS#8, or traditional RSA/EC PRIVATE KEY) and the certificate, plus `ca` if given.
std::string PemOf(EVP_PKEY* key, X509* cert, X509* ca, bool traditional) {
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  PEM_write_bio_X509(bio.get(), cert);
  if (ca != nullptr) PEM_write_bio_X509(bio.get(), ca);
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  return std::string(mem->data, mem->length);
}

// Valid inputs made once; the keys are the ones their certificates hold.
struct Corpus {
  std::vector<KeyMaterial> keys;
  std::vector<std::string> pfx;  // password "pw"
  std::vector<std::string> pem;
  std::vector<std::string> certs;  // DER
  static constexpr std::string_view kSubjects[] = {"CN=a, O=b, OU=c, L=d, ST=e, C=US, E=x@y.z",
                                                   "CN=a\\, b+OU=\"q, r\"", "DC=com;DC=x",
                                                   "CN=\\41"};
};

Corpus& TheCorpus() {
  static Corpus* corpus = [] {
    auto* c = new Corpus();
    internal::LoadLegacyProviders();
    for (const char* name : {"RSA", "P-256", "P-384"}) {
      auto key = std::string(name) == "RSA" ? KeyMaterial::GenerateRsa(2048)
                                            : KeyMaterial::GenerateEc(name);
      if (!key.ok()) Fail("key generation", key.status());
      X509Profile profile;
      profile.subject = "CN=fuzz.example, O=Fuzz";
      profile.sans.dns_names = {"fuzz.example"};
      profile.sans.upns = {"u@fuzz.example"};
      profile.sans.ip_addresses = {"10.1.2.3"};
      profile.key_usage = {"digitalSignature"};
      profile.ekus = {"1.3.6.1.5.5.7.3.1"};
      auto der = IssueSelfSignedCertificate(profile, *key, 1735689600);
      if (!der.ok()) Fail("issue", der.status());
      auto pkey = internal::PkeyFromKeyMaterial(*key);
      auto cert = internal::ParseCertificateDer(*der, "cert");
      if (!pkey.ok() || !cert.ok()) Fail("setup", pkey.status());
      X509* ca =
          c->certs.empty() ? nullptr : internal::ParseCertificateDer(c->certs[0], "ca")->release();
      for (int mac_iter : {1, -1}) {
        for (int nid : {NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And40BitRC2_CBC,
                        NID_aes_256_cbc, -1}) {
          c->pfx.push_back(Pfx(pkey->get(), cert->get(), ca, "pw", nid, mac_iter));
        }
      }
      c->pem.push_back(PemOf(pkey->get(), cert->get(), ca, false));
      c->pem.push_back(PemOf(pkey->get(), cert->get(), nullptr, true));
      X509_free(ca);
      c->certs.push_back(*der);
      c->keys.push_back(std::move(key).value());
    }
    return c;
  }();
  return *corpus;
}

// A valid input after one to four fuzz edits (at least one: an input too short to choose edits
// would otherwise replay the unmodified file, the slowest path, over and over).
std::string Edited(FuzzedDataProvider& fdp, std::string s, const std::vector<std::string>& pool) {
  int edits = fdp.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    size_t pos = fdp.ConsumeIntegralInRange<size_t>(0, s.size() - 1);
    switch (fdp.ConsumeIntegralInRange<int>(0, 4)) {
      case 0:
        s[pos] = static_cast<char>(s[pos] ^ (1 << fdp.ConsumeIntegralInRange<int>(0, 7)));
        break;
      case 1:
        s[pos] = static_cast<char>(fdp.ConsumeIntegral<uint8_t>());
        break;
      case 2:
        s.resize(pos);
        break;
      case 3:
        s.insert(pos, fdp.ConsumeBytesAsString(fdp.ConsumeIntegralInRange<size_t>(1, 8)));
        break;
      default: {
        const std::string& other = pool[fdp.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)];
        size_t from = fdp.ConsumeIntegralInRange<size_t>(0, other.size() - 1);
        size_t len = fdp.ConsumeIntegralInRange<size_t>(1, 64);
        s.replace(pos, len, other.substr(from, len));
        break;
      }
    }
  }
  return s;
}

void CheckImported(const char* what, const StatusOr<ImportedCertificate>& imported) {
  ExpectInvalidArgument(what, imported.status());
  if (!imported.ok()) return;
  auto pkey = internal::PkeyFromKeyMaterial(imported->key);
  auto leaf = internal::ParseCertificateDer(imported->chain.leaf_der, "leaf");
  if (!pkey.ok() || !leaf.ok() || !internal::CertificateMatchesKey(leaf->get(), pkey->get())) {
    Fail("imported leaf does not hold the imported key", OkStatus());
  }
  // The export round trips cost two more imports (an RSA key check each): check every 16th
  // success, so the fuzzer spends its time on inputs that fail somewhere new.
  static unsigned successes = 0;
  if (successes++ % 16 != 0) return;
  auto pem = ExportPemBundle(imported->key, imported->chain);
  if (!pem.ok()) Fail("ExportPemBundle", pem.status());
  auto again = ImportPemBundle(pem->view());
  if (!again.ok() || again->chain.leaf_der != imported->chain.leaf_der) {
    Fail("PEM export does not import again", again.status());
  }
  auto pfx = ExportPkcs12(imported->key, imported->chain);
  if (!pfx.ok()) Fail("ExportPkcs12", pfx.status());
  auto reopened = ImportPkcs12(pfx->view(), std::nullopt);
  if (!reopened.ok() || reopened->chain.leaf_der != imported->chain.leaf_der) {
    Fail("PFX export does not import again", reopened.status());
  }
}

void FuzzSubject(const std::string& subject) {
  auto name = internal::ParseSubject(subject);
  ExpectInvalidArgument("ParseSubject", name.status());
  if (!name.ok()) return;
  std::string printed = internal::FormatSubject(name->get());
  auto again = internal::ParseSubject(printed);
  if (!again.ok()) Fail(("printed subject does not parse: " + printed).c_str(), again.status());
  if (X509_NAME_cmp(name->get(), again->get()) != 0) {
    Fail(("subject changed in a round trip: " + printed).c_str(), OkStatus());
  }
}

}  // namespace
}  // namespace coffer::crypto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coffer::crypto;
  Corpus& corpus = TheCorpus();
  FuzzedDataProvider fdp(data, size);
  bool edit_valid = fdp.ConsumeBool();
  switch (fdp.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: {  // PKCS#12
      std::optional<coffer::SecretBytes> password;
      switch (fdp.ConsumeIntegralInRange<int>(0, 3)) {
        case 0:
          password = coffer::SecretBytes(std::string_view("pw"));
          break;
        case 1:
          password = coffer::SecretBytes(std::string_view(""));
          break;
        case 2:
          password = coffer::SecretBytes(fdp.ConsumeRandomLengthString(16));
          break;
        default:
          break;
      }
      const auto& pool = corpus.pfx;
      std::string pfx =
          edit_valid
              ? Edited(fdp, pool[fdp.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)], pool)
              : fdp.ConsumeRemainingBytesAsString();
      CheckImported("ImportPkcs12", ImportPkcs12(pfx, password));
      break;
    }
    case 1: {  // PEM
      const auto& pool = corpus.pem;
      std::string pem =
          edit_valid
              ? Edited(fdp, pool[fdp.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)], pool)
              : fdp.ConsumeRemainingBytesAsString();
      (void)SniffCertificateImport(pem);
      CheckImported("ImportPemBundle", ImportPemBundle(pem));
      break;
    }
    case 2: {  // merge
      size_t which = fdp.ConsumeIntegralInRange<size_t>(0, corpus.keys.size() - 1);
      std::vector<std::string> x5c;
      int entries = fdp.ConsumeIntegralInRange<int>(1, 3);
      for (int i = 0; i < entries; ++i) {
        std::string entry;
        switch (fdp.ConsumeIntegralInRange<int>(0, 3)) {
          case 0:
            entry = Edited(fdp, corpus.certs[which], corpus.certs);
            break;
          case 1:
            entry = coffer::EncodeBase64(Edited(fdp, corpus.certs[which], corpus.certs));
            break;
          case 2:
            entry = Edited(fdp, corpus.pem[2 * which], corpus.pem);  // key i: pem[2i], pem[2i+1]
            break;
          default:
            entry = fdp.ConsumeRandomLengthString(512);
            break;
        }
        // The wire form: base64 of what the caller passed, sometimes left raw.
        x5c.push_back(fdp.ConsumeIntegralInRange<int>(0, 7) == 0 ? entry
                                                                 : coffer::EncodeBase64(entry));
      }
      auto chain = MergeCertificateChain(corpus.keys[which], x5c);
      ExpectInvalidArgument("MergeCertificateChain", chain.status());
      break;
    }
    case 3: {  // inspect
      std::string der =
          edit_valid
              ? Edited(fdp,
                       corpus.certs[fdp.ConsumeIntegralInRange<size_t>(0, corpus.certs.size() - 1)],
                       corpus.certs)
              : fdp.ConsumeRemainingBytesAsString();
      auto info = InspectCertificate(der);
      ExpectInvalidArgument("InspectCertificate", info.status());
      // A certificate's name may hold what the string form refuses (an empty value, a NUL, a
      // three-letter C), so its printed subject need only parse or be refused cleanly.
      if (info.ok())
        ExpectInvalidArgument("ParseSubject", internal::ParseSubject(info->subject).status());
      break;
    }
    case 4: {  // a whole policy's X.509 properties, as a caller's JSON supplies them
      X509Profile profile;
      profile.subject =
          fdp.ConsumeBool() ? std::string(Corpus::kSubjects[0]) : fdp.ConsumeRandomLengthString(64);
      auto strings = [&fdp](size_t max) {
        std::vector<std::string> out(fdp.ConsumeIntegralInRange<size_t>(0, max));
        for (auto& s : out) s = fdp.ConsumeRandomLengthString(32);
        return out;
      };
      profile.sans.dns_names = strings(2);
      profile.sans.emails = strings(2);
      profile.sans.upns = strings(2);
      profile.sans.uris = strings(2);
      profile.sans.ip_addresses = strings(2);
      profile.key_usage = strings(3);
      profile.ekus = strings(3);
      profile.validity_months = fdp.ConsumeIntegralInRange<int>(-1, 1201);
      auto der = IssueSelfSignedCertificate(profile, corpus.keys[1], 1735689600);
      ExpectInvalidArgument("IssueSelfSignedCertificate", der.status());
      if (!der.ok()) break;
      auto info = InspectCertificate(*der);
      if (!info.ok()) Fail("issued certificate does not inspect", info.status());
      if (info->sans.dns_names != profile.sans.dns_names ||
          info->sans.emails != profile.sans.emails || info->sans.upns != profile.sans.upns ||
          info->sans.uris != profile.sans.uris ||
          info->sans.ip_addresses.size() != profile.sans.ip_addresses.size() ||
          info->ekus.size() != profile.ekus.size()) {
        Fail("issued certificate does not carry the profile", coffer::OkStatus());
      }
      break;
    }
    default: {  // subject strings
      std::vector<std::string> pool(std::begin(Corpus::kSubjects), std::end(Corpus::kSubjects));
      std::string subject =
          edit_valid
              ? Edited(fdp, pool[fdp.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)], pool)
              : fdp.ConsumeRemainingBytesAsString();
      FuzzSubject(subject);
      break;
    }
  }
  return 0;
}
