// libFuzzer entry for KeyMaterial (key_material.h). JWK import parts come straight from users, so
// FromJwk, Deserialize and every operation must answer hostile input with a Status, never with a
// crash, a leak or undefined behaviour. Each input first picks how to get a key:
//   - FromJwk on parts made of fuzz bytes (kty and crv mostly among the valid names);
//   - FromJwk on a valid key's parts after fuzz edits (a part dropped, replaced, flipped or taken
//     from another key; all CRT parts dropped together, which reaches RSA prime recovery);
//   - Deserialize on fuzz bytes, or on a valid key's serialisation after fuzz edits;
//   - one of the keys generated once at start-up (RSA-2048, the four curves, AES-128/192/256),
//     the branch that reaches the operations most often;
// then runs up to four operations on the key with fuzz-chosen algorithm names (valid, near-miss
// and arbitrary), data, IVs, AADs, tags, digests and signatures of awkward lengths.
//
// A bug (abort) is, besides a crash or sanitizer report:
//   - FromJwk failing with anything but InvalidArgument: Internal means "OpenSSL failed", never
//     "the caller's key is bad" (openssl_util.h);
//   - on a key from FromJwk or a generated one (both passed EVP_PKEY_check), an operation failing
//     with anything but InvalidArgument, or a round trip (Encrypt→Decrypt, WrapKey→UnwrapKey,
//     Sign→Verify, Serialize→Deserialize) not giving back what went in.
// A deserialised key was never checked (stored records are the server's own output), so for it
// only crashes and sanitizer reports count.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_material.h"

namespace coffer::crypto {
namespace {

[[noreturn]] void Fail(const char* what, const Status& status) {
  std::fprintf(stderr, "key_material_fuzzer: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

[[noreturn]] void Fail(const char* what) { Fail(what, OkStatus()); }

// Errors are fine when they are InvalidArgument; other codes only on unchecked keys.
void CheckStatus(const char* what, const Status& status, bool checked) {
  if (checked && !status.ok() && status.code() != StatusCode::kInvalidArgument) {
    Fail(what, status);
  }
}

constexpr size_t kInterestingLengths[] = {0,  1,  7,  8,   11,  12,  13,  15,  16,  17,  20,
                                          23, 24, 25, 31,  32,  33,  40,  47,  48,  49,  63,
                                          64, 65, 66, 128, 132, 190, 214, 245, 255, 256, 257};

// Exactly n bytes: at most kSeedBytes read from the input, then repeated (zeros only if the
// input had nothing left). Reading every long value (a 256-byte modulus, a 600-byte ciphertext)
// in full would starve the parts after it on the short inputs libFuzzer starts with, and a
// long value's exact bytes rarely matter: its length and its first and last bytes do.
constexpr size_t kSeedBytes = 64;
std::string Padded(FuzzedDataProvider& fdp, size_t n) {
  std::string out = fdp.ConsumeBytesAsString(n < kSeedBytes ? n : kSeedBytes);
  size_t have = out.size();
  out.resize(n, '\0');
  for (size_t i = have; have != 0 && i < n; ++i) out[i] = out[i - have];
  return out;
}

// `max` or fewer bytes, often of a length some algorithm cares about.
std::string Bytes(FuzzedDataProvider& fdp, size_t max) {
  size_t n = fdp.ConsumeBool() ? fdp.PickValueInArray(kInterestingLengths)
                               : fdp.ConsumeIntegralInRange<size_t>(0, max);
  return Padded(fdp, n < max ? n : max);
}

// RSA 'n': half the time of an allowed size (2048/3072/4096 bits, top bit set) so the input gets
// past the size check into prime recovery and the key check; otherwise any length up to 512
// bytes. Never over 4096 bits, which keeps the slow paths bounded.
std::string Modulus(FuzzedDataProvider& fdp) {
  static constexpr size_t kSizes[] = {256, 384, 512};
  if (!fdp.ConsumeBool()) return Bytes(fdp, 512);
  std::string n = Padded(fdp, fdp.PickValueInArray(kSizes));
  n[0] = static_cast<char>(n[0] | 0x80);
  return n;
}

// Every name the operations know, then near misses.
// clang-format off
constexpr std::string_view kAlgorithms[] = {
    "RSA1_5", "RSA-OAEP", "RSA-OAEP-256",
    "A128GCM", "A192GCM", "A256GCM", "A128CBC", "A192CBC", "A256CBC",
    "A128CBCPAD", "A192CBCPAD", "A256CBCPAD",
    "A128KW", "A192KW", "A256KW", "CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD",
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512", "ES256K", "HS256", "HS384", "HS512",
    "", "rsa-oaep", "A256GCM ", std::string_view("ES256\0", 6)};
// clang-format on

std::string Algorithm(FuzzedDataProvider& fdp) {
  if (fdp.ConsumeIntegralInRange<int>(0, 15) == 0) return fdp.ConsumeRandomLengthString(48);
  return std::string(fdp.PickValueInArray(kAlgorithms));
}

// Keys made once: the fixed keys for the operation branch, their JWK parts (read back from the
// PKCS#8 serialisation with OpenSSL) and their serialisations as starting points for edits.
struct Corpus {
  std::vector<KeyMaterial> keys;
  std::vector<JwkParts> jwks;  // RSA and EC keys only
  std::vector<std::string> serialised;
};

std::string BnParam(EVP_PKEY* pkey, const char* name, size_t width) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) Fail(name);
  size_t n = width != 0 ? width : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(n, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  BN_clear_free(bn);
  return out;
}

JwkParts PrivateJwk(const KeyMaterial& key, std::string_view serialised) {
  const auto* p = reinterpret_cast<const unsigned char*>(serialised.data()) + 2;
  EVP_PKEY* pkey = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(serialised.size() - 2));
  if (pkey == nullptr) Fail("reading a generated key's PKCS#8 back");
  JwkParts jwk = key.PublicJwk();
  if (key.type() == KeyType::kRsa) {
    jwk.d = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_D, 0));
    jwk.p = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, 0));
    jwk.q = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, 0));
    jwk.dp = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0));
    jwk.dq = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0));
    jwk.qi = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0));
  } else {
    jwk.d = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_PRIV_KEY, jwk.x.size()));
  }
  EVP_PKEY_free(pkey);
  return jwk;
}

const Corpus& Fixed() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    auto add = [c](StatusOr<KeyMaterial> key) {
      if (!key.ok()) Fail("generating a fixed key", key.status());
      auto serialised = key->Serialize();
      if (!serialised.ok()) Fail("serialising a fixed key", serialised.status());
      c->serialised.emplace_back(serialised->view());
      if (key->type() != KeyType::kOct) c->jwks.push_back(PrivateJwk(*key, serialised->view()));
      c->keys.push_back(std::move(*key));
    };
    add(KeyMaterial::GenerateRsa(2048));
    add(KeyMaterial::GenerateRsa(2048));  // a second one, to take parts from
    for (const char* crv : {"P-256", "P-384", "P-521", "P-256K"}) add(KeyMaterial::GenerateEc(crv));
    for (int bits : {128, 192, 256}) add(KeyMaterial::GenerateOct(bits));
    // The edit branch starts from these parts; they must import as they are, and RSA without
    // its CRT parts too, or every edit would be measured against a broken start.
    for (JwkParts jwk : c->jwks) {
      auto imported = KeyMaterial::FromJwk(jwk);
      if (!imported.ok()) Fail("importing a fixed key's JWK", imported.status());
      jwk.p = jwk.q = jwk.dp = jwk.dq = jwk.qi = SecretBytes();
      if (jwk.kty == "RSA" && !(imported = KeyMaterial::FromJwk(jwk)).ok()) {
        Fail("importing a fixed key's JWK without CRT parts", imported.status());
      }
    }
    return c;
  }();
  return *corpus;
}

std::string_view View(const std::string& part) { return part; }
std::string_view View(const SecretBytes& part) { return part.view(); }

// One fuzz edit of a part: dropped, replaced, one byte flipped, or the same part of another key.
template <typename Part>
void EditPart(FuzzedDataProvider& fdp, Part& part, const Part& other) {
  switch (fdp.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      part = Part();
      break;
    case 1:
      part = Part(Bytes(fdp, 520));
      break;
    case 2: {
      std::string bytes(View(part));
      if (bytes.empty()) bytes.push_back('\0');
      bytes[fdp.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1)] ^=
          static_cast<char>(fdp.ConsumeIntegralInRange<int>(1, 255));
      part = Part(bytes);
      break;
    }
    default:
      part = other;
  }
}

JwkParts EditedJwk(FuzzedDataProvider& fdp) {
  const Corpus& fixed = Fixed();
  JwkParts jwk = fixed.jwks[fdp.ConsumeIntegralInRange<size_t>(0, fixed.jwks.size() - 1)];
  const JwkParts& other = fixed.jwks[fdp.ConsumeIntegralInRange<size_t>(0, fixed.jwks.size() - 1)];
  int edits = fdp.ConsumeIntegralInRange<int>(0, 3);
  for (int i = 0; i < edits; ++i) {
    switch (fdp.ConsumeIntegralInRange<int>(0, 11)) {
      case 0:
        EditPart(fdp, jwk.n, other.n);
        break;
      case 1:
        EditPart(fdp, jwk.e, other.e);
        break;
      case 2:
        EditPart(fdp, jwk.d, other.d);
        break;
      case 3:
        EditPart(fdp, jwk.p, other.p);
        break;
      case 4:
        EditPart(fdp, jwk.q, other.q);
        break;
      case 5:
        EditPart(fdp, jwk.dp, other.dp);
        break;
      case 6:
        EditPart(fdp, jwk.dq, other.dq);
        break;
      case 7:
        EditPart(fdp, jwk.qi, other.qi);
        break;
      case 8:
        EditPart(fdp, jwk.x, other.x);
        break;
      case 9:
        EditPart(fdp, jwk.y, other.y);
        break;
      case 10:
        EditPart(fdp, jwk.crv, other.crv);
        break;
      default:  // No CRT parts: the primes are recovered from (n, e, d).
        jwk.p = jwk.q = jwk.dp = jwk.dq = jwk.qi = SecretBytes();
    }
  }
  return jwk;
}

JwkParts FuzzJwk(FuzzedDataProvider& fdp) {
  static constexpr std::string_view kKty[] = {"RSA", "EC", "oct", "RSA-HSM", "", "rsa", "oct "};
  static constexpr std::string_view kCrv[] = {"P-256", "P-384",     "P-521",      "P-256K", "",
                                              "p-256", "secp256k1", "prime256v1", "P-256 "};
  JwkParts jwk;
  jwk.kty = fdp.ConsumeIntegralInRange<int>(0, 15) == 0 ? fdp.ConsumeRandomLengthString(16)
                                                        : std::string(fdp.PickValueInArray(kKty));
  jwk.crv = fdp.ConsumeIntegralInRange<int>(0, 15) == 0 ? fdp.ConsumeRandomLengthString(16)
                                                        : std::string(fdp.PickValueInArray(kCrv));
  // The short parts first: n takes whatever input is left.
  jwk.e = Bytes(fdp, 40);
  jwk.d = SecretBytes(Bytes(fdp, 520));
  if (fdp.ConsumeBool()) {
    jwk.p = SecretBytes(Bytes(fdp, 260));
    jwk.q = SecretBytes(Bytes(fdp, 260));
    jwk.dp = SecretBytes(Bytes(fdp, 260));
    jwk.dq = SecretBytes(Bytes(fdp, 260));
    jwk.qi = SecretBytes(Bytes(fdp, 260));
  }
  jwk.x = Bytes(fdp, 80);
  jwk.y = Bytes(fdp, 80);
  jwk.k = SecretBytes(Bytes(fdp, 40));
  jwk.n = Modulus(fdp);
  return jwk;
}

std::string EditedSerialisation(FuzzedDataProvider& fdp) {
  const Corpus& fixed = Fixed();
  std::string blob =
      fixed.serialised[fdp.ConsumeIntegralInRange<size_t>(0, fixed.serialised.size() - 1)];
  int edits = fdp.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < edits && !blob.empty(); ++i) {
    size_t at = fdp.ConsumeIntegralInRange<size_t>(0, blob.size() - 1);
    switch (fdp.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
        blob.resize(at);
        break;
      case 1:
        blob.insert(at, 1, fdp.ConsumeIntegral<char>());
        break;
      case 2:
        blob.erase(at, 1);
        break;
      default:
        blob[at] = fdp.ConsumeIntegral<char>();
    }
  }
  return blob;
}

bool SameShape(const KeyMaterial& a, const KeyMaterial& b) {
  return a.type() == b.type() && a.bits() == b.bits() && a.curve() == b.curve();
}

bool SamePublicJwk(const KeyMaterial& a, const KeyMaterial& b) {
  JwkParts x = a.PublicJwk(), y = b.PublicJwk();
  return x.kty == y.kty && x.n == y.n && x.e == y.e && x.crv == y.crv && x.x == y.x && x.y == y.y;
}

// One fuzz-chosen operation on `key`. `checked`: the key passed EVP_PKEY_check (imported or
// generated), so the stricter expectations of the header comment apply.
void RunOperation(FuzzedDataProvider& fdp, const KeyMaterial& key, bool checked) {
  std::string alg = Algorithm(fdp);
  switch (fdp.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: {
      SecretBytes plaintext(Bytes(fdp, 600));
      std::string iv = Bytes(fdp, 40), aad = Bytes(fdp, 100);
      auto sealed = key.Encrypt(alg, plaintext, iv, aad);
      CheckStatus("Encrypt", sealed.status(), checked);
      if (!sealed.ok() || !checked) return;
      auto opened = key.Decrypt(alg, sealed->ciphertext, sealed->iv, aad, sealed->tag);
      if (!opened.ok()) Fail("Decrypt of Encrypt's output", opened.status());
      if (!(*opened == plaintext)) Fail("Decrypt gave back other bytes than were encrypted");
      return;
    }
    case 1: {
      std::string ciphertext = Bytes(fdp, 600), iv = Bytes(fdp, 40), aad = Bytes(fdp, 100),
                  tag = Bytes(fdp, 40);
      CheckStatus("Decrypt", key.Decrypt(alg, ciphertext, iv, aad, tag).status(), checked);
      return;
    }
    case 2: {
      SecretBytes plain_key(Bytes(fdp, 300));
      auto wrapped = key.WrapKey(alg, plain_key);
      CheckStatus("WrapKey", wrapped.status(), checked);
      if (!wrapped.ok() || !checked) return;
      auto unwrapped = key.UnwrapKey(alg, *wrapped);
      if (!unwrapped.ok()) Fail("UnwrapKey of WrapKey's output", unwrapped.status());
      if (!(*unwrapped == plain_key)) Fail("UnwrapKey gave back another key than was wrapped");
      return;
    }
    case 3:
      CheckStatus("UnwrapKey", key.UnwrapKey(alg, Bytes(fdp, 600)).status(), checked);
      return;
    case 4: {
      std::string digest = Bytes(fdp, 100);
      auto signature = key.Sign(alg, digest);
      CheckStatus("Sign", signature.status(), checked);
      if (!signature.ok() || !checked) return;
      auto verified = key.Verify(alg, digest, *signature);
      if (!verified.ok() || !*verified) Fail("Verify of Sign's output", verified.status());
      if (signature->empty()) Fail("Sign gave an empty signature");
      std::string flipped = *signature;
      flipped[fdp.ConsumeIntegralInRange<size_t>(0, flipped.size() - 1)] ^= 0x01;
      verified = key.Verify(alg, digest, flipped);
      if (!verified.ok() || *verified) {
        Fail("Verify accepted a flipped signature", verified.status());
      }
      return;
    }
    case 5: {
      std::string digest = Bytes(fdp, 100), signature = Bytes(fdp, 600);
      CheckStatus("Verify", key.Verify(alg, digest, signature).status(), checked);
      return;
    }
    case 6: {
      auto serialised = key.Serialize();
      CheckStatus("Serialize", serialised.status(), checked);
      if (!serialised.ok()) return;
      auto back = KeyMaterial::Deserialize(serialised->view());
      if (!checked) return;
      if (!back.ok()) Fail("Deserialize of Serialize's output", back.status());
      if (!SameShape(key, *back) || !SamePublicJwk(key, *back)) {
        Fail("Deserialize(Serialize()) is another key");
      }
      return;
    }
    default: {
      key.PublicJwk();
      if (key.type() == KeyType::kRsa) return;  // RSA generation is too slow to fuzz.
      auto fresh = key.Regenerate();
      CheckStatus("Regenerate", fresh.status(), checked);
      if (fresh.ok() && checked && !SameShape(key, *fresh)) Fail("Regenerate changed the shape");
      return;
    }
  }
}

}  // namespace
}  // namespace coffer::crypto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coffer::crypto;
  FuzzedDataProvider fdp(data, size);
  std::optional<KeyMaterial> key;
  bool checked = true;
  switch (fdp.ConsumeIntegralInRange<int>(0, 4)) {
    case 0:
    case 1: {
      auto imported = KeyMaterial::FromJwk(fdp.ConsumeBool() ? FuzzJwk(fdp) : EditedJwk(fdp));
      if (!imported.ok() && imported.status().code() != coffer::StatusCode::kInvalidArgument) {
        Fail("FromJwk", imported.status());
      }
      if (imported.ok()) key = std::move(*imported);
      break;
    }
    case 2: {
      checked = false;
      std::string blob =
          fdp.ConsumeBool() ? EditedSerialisation(fdp) : fdp.ConsumeRandomLengthString(4096);
      auto restored = KeyMaterial::Deserialize(blob);
      if (restored.ok()) key = std::move(*restored);
      break;
    }
    default: {
      const Corpus& fixed = Fixed();
      key = fixed.keys[fdp.ConsumeIntegralInRange<size_t>(0, fixed.keys.size() - 1)];
    }
  }
  if (!key) return 0;
  int operations = fdp.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < operations; ++i) RunOperation(fdp, *key, checked);
  return 0;
}
