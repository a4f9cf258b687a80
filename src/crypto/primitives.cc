#include "crypto/primitives.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::CipherCtxPtr;
using internal::KdfCtxPtr;
using internal::MacCtxPtr;
using internal::OpenSslError;
using internal::Uchars;

// The algorithms below are built into OpenSSL's default provider; failing to fetch one means
// the installation is broken, which no caller can handle.
[[noreturn]] void DieMissingAlgorithm(const char* name) {
  std::fprintf(stderr, "coffer: OpenSSL algorithm %s is unavailable; aborting\n", name);
  std::abort();
}

const EVP_MD* FetchedMd(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) DieMissingAlgorithm(name);
  return md;  // Held for the process lifetime.
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = FetchedMd("SHA256");
  return md;
}

const EVP_MD* Sha1Md() {
  static const EVP_MD* md = FetchedMd("SHA1");
  return md;
}

EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) DieMissingAlgorithm("HMAC");
    return m;
  }();
  return mac;
}

EVP_KDF* HkdfAlgorithm() {
  static EVP_KDF* kdf = [] {
    EVP_KDF* k = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (k == nullptr) DieMissingAlgorithm("HKDF");
    return k;
  }();
  return kdf;
}

const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (c == nullptr) DieMissingAlgorithm("AES-256-GCM");
    return c;
  }();
  return cipher;
}

std::string Digest(const EVP_MD* md, std::string_view data) {
  std::string out(static_cast<size_t>(EVP_MD_get_size(md)), '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md,
                 nullptr) != 1) {
    // Only an allocation failure can get here.
    std::fprintf(stderr, "coffer: %s\n", internal::DrainOpenSslErrors("EVP_Digest failed").c_str());
    std::abort();
  }
  out.resize(len);
  return out;
}

// OSSL_PARAM wants a mutable pointer even for inputs it only reads.
OSSL_PARAM OctetParam(const char* key, std::string_view bytes) {
  return OSSL_PARAM_construct_octet_string(key, const_cast<char*>(bytes.data()), bytes.size());
}

// EVP_*Update take int lengths; feed larger inputs in slices.
constexpr size_t kMaxUpdate = size_t{1} << 30;

}  // namespace

void OsRandom::Fill(uint8_t* out, size_t n) {
  while (n > 0) {
    int chunk = static_cast<int>(n < kMaxUpdate ? n : kMaxUpdate);
    if (RAND_bytes(out, chunk) != 1) {
      std::fprintf(stderr, "coffer: %s; aborting\n",
                   internal::DrainOpenSslErrors("OpenSSL DRBG failed").c_str());
      std::abort();
    }
    out += chunk;
    n -= static_cast<size_t>(chunk);
  }
}

Random& SystemRandom() {
  static OsRandom random;
  return random;
}

std::string Sha256(std::string_view data) { return Digest(Sha256Md(), data); }
std::string Sha1(std::string_view data) { return Digest(Sha1Md(), data); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  // HMAC's init treats a null key as "keep the previous key"; an empty key must be non-null.
  static const char kEmpty = 0;
  if (key.data() == nullptr) key = std::string_view(&kEmpty, 0);
  MacCtxPtr ctx(EVP_MAC_CTX_new(HmacAlgorithm()));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  std::string out(32, '\0');
  size_t out_len = 0;
  bool ok = ctx != nullptr && EVP_MAC_init(ctx.get(), Uchars(key), key.size(), params) == 1;
  for (size_t off = 0; ok && off < data.size(); off += kMaxUpdate) {
    std::string_view part = data.substr(off, kMaxUpdate);
    ok = EVP_MAC_update(ctx.get(), Uchars(part), part.size()) == 1;
  }
  ok = ok && EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                           out.size()) == 1;
  if (!ok || out_len != 32) {
    // Only an allocation failure can get here.
    std::fprintf(stderr, "coffer: %s\n", internal::DrainOpenSslErrors("HMAC failed").c_str());
    std::abort();
  }
  return out;
}

StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm, std::string_view salt,
                                 std::string_view info, size_t length) {
  if (length == 0 || length > 255 * 32) {
    return InvalidArgumentError("HKDF-SHA256 output length must be 1..8160 bytes, got " +
                                std::to_string(length));
  }
  KdfCtxPtr ctx(EVP_KDF_CTX_new(HkdfAlgorithm()));
  if (ctx == nullptr) return OpenSslError("HKDF context allocation failed");
  // OpenSSL rejects an absent key; an empty IKM is legal in RFC 5869, so pass a
  // zero-length buffer at a valid address.
  static const char kEmpty = 0;
  std::string_view key = ikm.empty() ? std::string_view(&kEmpty, 0) : ikm.view();
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] =
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  params[n++] = OctetParam(OSSL_KDF_PARAM_KEY, key);
  // An empty salt means "HashLen zero bytes" (RFC 5869 §2.2), which is OpenSSL's default too.
  if (!salt.empty()) params[n++] = OctetParam(OSSL_KDF_PARAM_SALT, salt);
  if (!info.empty()) params[n++] = OctetParam(OSSL_KDF_PARAM_INFO, info);
  params[n] = OSSL_PARAM_construct_end();
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return OpenSslError("HKDF-SHA256 derivation failed");
  }
  return out;
}

StatusOr<std::string> AesGcmSeal(const SecretBytes& key, std::string_view nonce,
                                 std::string_view plaintext, std::string_view aad) {
  if (key.size() != kAes256KeySize) {
    return InvalidArgumentError("AES-256-GCM key must be 32 bytes, got " +
                                std::to_string(key.size()));
  }
  if (nonce.size() != kGcmNonceSize) {
    return InvalidArgumentError("AES-GCM nonce must be 12 bytes, got " +
                                std::to_string(nonce.size()));
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("cipher context allocation failed");
  if (EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), key.data(), Uchars(nonce), nullptr) != 1) {
    return OpenSslError("AES-256-GCM encrypt init failed");
  }
  int len = 0;
  for (size_t off = 0; off < aad.size(); off += kMaxUpdate) {
    std::string_view part = aad.substr(off, kMaxUpdate);
    if (EVP_EncryptUpdate(ctx.get(), nullptr, &len, Uchars(part), static_cast<int>(part.size())) !=
        1) {
      return OpenSslError("AES-256-GCM AAD update failed");
    }
  }
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  size_t written = 0;
  for (size_t off = 0; off < plaintext.size(); off += kMaxUpdate) {
    std::string_view part = plaintext.substr(off, kMaxUpdate);
    if (EVP_EncryptUpdate(ctx.get(), dst + written, &len, Uchars(part),
                          static_cast<int>(part.size())) != 1) {
      return OpenSslError("AES-256-GCM encrypt update failed");
    }
    written += static_cast<size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx.get(), dst + written, &len) != 1) {
    return OpenSslError("AES-256-GCM encrypt final failed");
  }
  written += static_cast<size_t>(len);
  if (written != plaintext.size())
    return InternalError("AES-256-GCM produced an unexpected length");
  OSSL_PARAM get_tag[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, dst + written, kGcmTagSize),
      OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_get_params(ctx.get(), get_tag) != 1) {
    return OpenSslError("AES-256-GCM tag retrieval failed");
  }
  return out;
}

StatusOr<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view nonce,
                                 std::string_view ciphertext_and_tag, std::string_view aad) {
  ASSIGN_OR_RETURN(AesGcmOpener opener, AesGcmOpener::Create(key));
  return opener.Open(nonce, ciphertext_and_tag, aad);
}

struct AesGcmOpener::Context {
  CipherCtxPtr ctx;
};

AesGcmOpener::AesGcmOpener(std::unique_ptr<Context> ctx) : ctx_(std::move(ctx)) {}
AesGcmOpener::AesGcmOpener(AesGcmOpener&&) noexcept = default;
AesGcmOpener& AesGcmOpener::operator=(AesGcmOpener&&) noexcept = default;
AesGcmOpener::~AesGcmOpener() = default;  // EVP_CIPHER_CTX_free wipes the key schedule

StatusOr<AesGcmOpener> AesGcmOpener::Create(const SecretBytes& key) {
  if (key.size() != kAes256KeySize) {
    return InvalidArgumentError("AES-256-GCM key must be 32 bytes, got " +
                                std::to_string(key.size()));
  }
  auto c = std::make_unique<Context>();
  c->ctx.reset(EVP_CIPHER_CTX_new());
  if (c->ctx == nullptr) return OpenSslError("cipher context allocation failed");
  if (EVP_DecryptInit_ex2(c->ctx.get(), Aes256Gcm(), key.data(), nullptr, nullptr) != 1) {
    return OpenSslError("AES-256-GCM decrypt init failed");
  }
  return AesGcmOpener(std::move(c));
}

StatusOr<SecretBytes> AesGcmOpener::Open(std::string_view nonce,
                                         std::string_view ciphertext_and_tag,
                                         std::string_view aad) {
  if (nonce.size() != kGcmNonceSize) {
    return InvalidArgumentError("AES-GCM nonce must be 12 bytes, got " +
                                std::to_string(nonce.size()));
  }
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return InvalidArgumentError("AES-GCM input is shorter than its 16-byte tag (truncated?)");
  }
  std::string_view ciphertext =
      ciphertext_and_tag.substr(0, ciphertext_and_tag.size() - kGcmTagSize);
  std::string_view tag = ciphertext_and_tag.substr(ciphertext.size());

  EVP_CIPHER_CTX* ctx = ctx_->ctx.get();
  // A null cipher and key keep the scheduled key; the nonce starts a new message.
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, Uchars(nonce), nullptr) != 1) {
    return OpenSslError("AES-256-GCM decrypt init failed");
  }
  int len = 0;
  for (size_t off = 0; off < aad.size(); off += kMaxUpdate) {
    std::string_view part = aad.substr(off, kMaxUpdate);
    if (EVP_DecryptUpdate(ctx, nullptr, &len, Uchars(part), static_cast<int>(part.size())) != 1) {
      return OpenSslError("AES-256-GCM AAD update failed");
    }
  }
  SecretBytes out(ciphertext.size());
  size_t written = 0;
  for (size_t off = 0; off < ciphertext.size(); off += kMaxUpdate) {
    std::string_view part = ciphertext.substr(off, kMaxUpdate);
    if (EVP_DecryptUpdate(ctx, out.data() + written, &len, Uchars(part),
                          static_cast<int>(part.size())) != 1) {
      return OpenSslError("AES-256-GCM decrypt update failed");
    }
    written += static_cast<size_t>(len);
  }
  OSSL_PARAM set_tag[] = {OctetParam(OSSL_CIPHER_PARAM_AEAD_TAG, tag), OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_set_params(ctx, set_tag) != 1) {
    return OpenSslError("AES-256-GCM tag setup failed");
  }
  // `out` is wiped by its destructor if the tag does not verify, so no unauthenticated
  // plaintext escapes.
  if (EVP_DecryptFinal_ex(ctx, out.data() + written, &len) != 1) {
    ERR_clear_error();
    return DataLossError(
        "AES-256-GCM authentication failed: wrong key, wrong associated data or altered data");
  }
  written += static_cast<size_t>(len);
  if (written != ciphertext.size())
    return InternalError("AES-256-GCM produced an unexpected length");
  return out;
}

}  // namespace coffer::crypto
