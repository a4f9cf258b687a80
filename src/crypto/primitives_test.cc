#include "crypto/primitives.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/encoding.h"

namespace coffer::crypto {
namespace {

std::string Hex(std::string_view hex) {
  auto bytes = DecodeHex(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

SecretBytes Key(std::string_view hex) { return SecretBytes(Hex(hex)); }

// ---- SHA ----------------------------------------------------------------------------------

TEST(Sha, KnownAnswers) {
  // FIPS 180-2 Appendix B.1 ("abc") and the empty-string digests.
  EXPECT_EQ(EncodeHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(EncodeHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(EncodeHex(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

// ---- HMAC-SHA256: RFC 4231 §4.2–4.8 ---------------------------------------------------------

struct HmacVector {
  const char* name;
  std::string key;
  std::string data;
  const char* mac_hex;  // May be a prefix (test case 5 is truncated to 128 bits).
};

TEST(HmacSha256, Rfc4231TestCases) {
  const std::string key131(131, '\xaa');
  const HmacVector vectors[] = {
      {"TC1", std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"TC2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"TC3", std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"TC4", Hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"TC5", std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {"TC6", key131, "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"TC7", key131,
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& v : vectors) {
    std::string mac = EncodeHex(HmacSha256(v.key, v.data));
    ASSERT_EQ(mac.size(), 64u) << v.name;
    EXPECT_EQ(mac.substr(0, std::string_view(v.mac_hex).size()), v.mac_hex) << v.name;
    EXPECT_EQ(EncodeHex(HmacSha256(SecretBytes(v.key), v.data)), mac) << v.name;
  }
}

TEST(HmacSha256, EmptyKeyAndDataMatchReference) {
  // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
  EXPECT_EQ(EncodeHex(HmacSha256(std::string_view(), std::string_view())),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// ---- HKDF-SHA256: RFC 5869 Appendix A.1–A.3 ------------------------------------------------

TEST(HkdfSha256, Rfc5869A1BasicCase) {
  auto okm = HkdfSha256(SecretBytes(std::string(22, '\x0b')), Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(EncodeHex(okm->view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfSha256, Rfc5869A2LongInputs) {
  std::string ikm, salt, info;
  for (int i = 0x00; i <= 0x4f; ++i) ikm.push_back(static_cast<char>(i));
  for (int i = 0x60; i <= 0xaf; ++i) salt.push_back(static_cast<char>(i));
  for (int i = 0xb0; i <= 0xff; ++i) info.push_back(static_cast<char>(i));
  auto okm = HkdfSha256(SecretBytes(ikm), salt, info, 82);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(EncodeHex(okm->view()),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfSha256, Rfc5869A3EmptySaltAndInfo) {
  auto okm = HkdfSha256(SecretBytes(std::string(22, '\x0b')), "", "", 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(EncodeHex(okm->view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256, EmptyIkmIsAllowed) {
  // Python: HMAC(HMAC(b"salt", b""), b"info" + b"\x01") per RFC 5869 §2.
  auto okm = HkdfSha256(SecretBytes(), "salt", "info", 32);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(EncodeHex(okm->view()),
            "7aac7b8120501c2c8e1ee50e6cde135361e99ceb9d8d406ac528b9e9175614c0");
}

TEST(HkdfSha256, RejectsZeroAndOverlongOutput) {
  SecretBytes ikm(std::string(32, 'k'));
  EXPECT_EQ(HkdfSha256(ikm, "s", "i", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HkdfSha256(ikm, "s", "i", 255 * 32 + 1).status().code(), StatusCode::kInvalidArgument);
  auto max = HkdfSha256(ikm, "s", "i", 255 * 32);
  ASSERT_TRUE(max.ok()) << max.status().ToString();
  EXPECT_EQ(max->size(), 255u * 32);
}

TEST(HkdfSha256, InfoSeparatesKeys) {
  SecretBytes ikm(std::string(32, 'k'));
  auto a = HkdfSha256(ikm, "salt", "purpose-a", 32);
  auto b = HkdfSha256(ikm, "salt", "purpose-b", 32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(*a == *b);
}

// ---- AES-256-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", ------------
// ---- Appendix B, test cases 13–16 (AES-256) -------------------------------------------------

struct GcmVector {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

constexpr char kZeroKey[] = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr char kKey15[] = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr char kIv15[] = "cafebabefacedbaddecaf888";

const GcmVector kGcmVectors[] = {
    {"TC13", kZeroKey, "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TC14", kZeroKey, "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TC15", kKey15, kIv15,
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"TC16", kKey15, kIv15,
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AesGcm, SealMatchesMcGrewViegaVectors) {
  for (const auto& v : kGcmVectors) {
    auto sealed = AesGcmSeal(Key(v.key), Hex(v.iv), Hex(v.plaintext), Hex(v.aad));
    ASSERT_TRUE(sealed.ok()) << v.name << ": " << sealed.status().ToString();
    EXPECT_EQ(EncodeHex(*sealed), std::string(v.ciphertext) + v.tag) << v.name;
  }
}

TEST(AesGcm, OpenMatchesMcGrewViegaVectors) {
  for (const auto& v : kGcmVectors) {
    auto opened =
        AesGcmOpen(Key(v.key), Hex(v.iv), Hex(std::string(v.ciphertext) + v.tag), Hex(v.aad));
    ASSERT_TRUE(opened.ok()) << v.name << ": " << opened.status().ToString();
    EXPECT_EQ(EncodeHex(opened->view()), v.plaintext) << v.name;
  }
}

class AesGcmTamper : public ::testing::Test {
 protected:
  const GcmVector& v = kGcmVectors[3];  // TC16: has plaintext and AAD.
  SecretBytes key = Key(v.key);
  std::string iv = Hex(v.iv);
  std::string aad = Hex(v.aad);
  std::string sealed = Hex(std::string(v.ciphertext) + v.tag);

  StatusCode OpenCode(const SecretBytes& k, std::string_view n, std::string_view ct,
                      std::string_view a) {
    return AesGcmOpen(k, n, ct, a).status().code();
  }
};

TEST_F(AesGcmTamper, UntamperedOpens) {
  EXPECT_EQ(OpenCode(key, iv, sealed, aad), StatusCode::kOk);
}

TEST_F(AesGcmTamper, EveryFlippedCiphertextBitIsDataLoss) {
  size_t ct_len = sealed.size() - kGcmTagSize;
  for (size_t i = 0; i < ct_len; ++i) {
    std::string bad = sealed;
    bad[i] ^= static_cast<char>(1 << (i % 8));
    EXPECT_EQ(OpenCode(key, iv, bad, aad), StatusCode::kDataLoss) << "byte " << i;
  }
}

TEST_F(AesGcmTamper, EveryFlippedTagBitIsDataLoss) {
  for (size_t bit = 0; bit < kGcmTagSize * 8; ++bit) {
    std::string bad = sealed;
    bad[sealed.size() - kGcmTagSize + bit / 8] ^= static_cast<char>(1 << (bit % 8));
    EXPECT_EQ(OpenCode(key, iv, bad, aad), StatusCode::kDataLoss) << "bit " << bit;
  }
}

TEST_F(AesGcmTamper, WrongAadIsDataLoss) {
  std::string bad_aad = aad;
  bad_aad.back() ^= 1;
  EXPECT_EQ(OpenCode(key, iv, sealed, bad_aad), StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(key, iv, sealed, ""), StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(key, iv, sealed, aad + "x"), StatusCode::kDataLoss);
}

TEST_F(AesGcmTamper, WrongKeyIsDataLoss) {
  std::string other(key.view());
  other[0] ^= 1;
  EXPECT_EQ(OpenCode(SecretBytes(other), iv, sealed, aad), StatusCode::kDataLoss);
}

TEST_F(AesGcmTamper, WrongNonceIsDataLoss) {
  std::string bad_iv = iv;
  bad_iv[11] ^= 1;
  EXPECT_EQ(OpenCode(key, bad_iv, sealed, aad), StatusCode::kDataLoss);
}

TEST_F(AesGcmTamper, TruncatedInputIsRejected) {
  // Shorter than a tag: a size error; otherwise the tag no longer verifies.
  EXPECT_EQ(OpenCode(key, iv, "", aad), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenCode(key, iv, sealed.substr(0, kGcmTagSize - 1), aad),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenCode(key, iv, sealed.substr(0, sealed.size() - 1), aad), StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(key, iv, sealed.substr(1), aad), StatusCode::kDataLoss);
  EXPECT_EQ(OpenCode(key, iv, sealed + "x", aad), StatusCode::kDataLoss);
}

TEST_F(AesGcmTamper, BadSizesAreInvalidArgument) {
  EXPECT_EQ(OpenCode(SecretBytes(std::string(16, 'k')), iv, sealed, aad),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenCode(key, iv.substr(0, 8), sealed, aad), StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(SecretBytes(std::string(31, 'k')), iv, "p", "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(key, iv + "x", "p", "").status().code(), StatusCode::kInvalidArgument);
}

TEST(AesGcm, RoundTripsLargeRandomPayload) {
  Random& rng = SystemRandom();
  SecretBytes key(rng.Bytes(kAes256KeySize));
  std::string nonce = rng.Bytes(kGcmNonceSize);
  std::string plaintext = rng.Bytes(1 << 20);
  auto sealed = AesGcmSeal(key, nonce, plaintext, "aad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), plaintext.size() + kGcmTagSize);
  auto opened = AesGcmOpen(key, nonce, *sealed, "aad");
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->view() == plaintext);
}

TEST(AesGcmOpener, OneKeyOpensManyMessagesAndAFailureDoesNotCarryOver) {
  Random& rng = SystemRandom();
  SecretBytes key(rng.Bytes(kAes256KeySize));
  auto opener = AesGcmOpener::Create(key);
  ASSERT_TRUE(opener.ok()) << opener.status().ToString();
  for (size_t i = 0; i < 64; ++i) {
    std::string nonce = rng.Bytes(kGcmNonceSize);
    std::string plaintext = rng.Bytes(i * 7);
    std::string aad = "record/" + std::to_string(i);
    auto sealed = AesGcmSeal(key, nonce, plaintext, aad);
    ASSERT_TRUE(sealed.ok());
    if (i % 5 == 2) {  // an altered message between good ones: refused, and the next still opens
      std::string bad = *sealed;
      bad.back() ^= 1;
      EXPECT_EQ(opener->Open(nonce, bad, aad).status().code(), StatusCode::kDataLoss) << i;
      EXPECT_EQ(opener->Open(nonce, *sealed, aad + "x").status().code(), StatusCode::kDataLoss);
      EXPECT_EQ(opener->Open(nonce.substr(1), *sealed, aad).status().code(),
                StatusCode::kInvalidArgument);
    }
    auto opened = opener->Open(nonce, *sealed, aad);
    ASSERT_TRUE(opened.ok()) << i << ": " << opened.status().ToString();
    EXPECT_TRUE(opened->view() == plaintext) << i;
  }
}

TEST(AesGcmOpener, MatchesTheVectorsThatShareAKey) {
  auto opener = AesGcmOpener::Create(Key(kGcmVectors[2].key));  // TC15 and TC16: one key
  ASSERT_TRUE(opener.ok());
  for (const auto& v : {kGcmVectors[2], kGcmVectors[3], kGcmVectors[2]}) {
    auto opened = opener->Open(Hex(v.iv), Hex(std::string(v.ciphertext) + v.tag), Hex(v.aad));
    ASSERT_TRUE(opened.ok()) << v.name << ": " << opened.status().ToString();
    EXPECT_EQ(EncodeHex(opened->view()), v.plaintext) << v.name;
  }
  EXPECT_EQ(AesGcmOpener::Create(SecretBytes(std::string(16, 'k'))).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Randomness -----------------------------------------------------------------------------

TEST(OsRandom, ProducesDistinctOutputs) {
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) seen.insert(SystemRandom().Bytes(16));
  EXPECT_EQ(seen.size(), 64u);
  EXPECT_NE(SystemRandom().Bytes(32), std::string(32, '\0'));
}

}  // namespace
}  // namespace coffer::crypto
