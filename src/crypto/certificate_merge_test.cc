// Merging a pending certificate's chain (certificate_merge.h) with a chain a throwaway CA signs.
#include "crypto/certificate_merge.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/certificate_test_support.h"

namespace coffer::crypto {
namespace {

using testing::Der;
using testing::ExpectBadParameter;
using testing::Pem;
using testing::TestCa;
using testing::TestKey;

// Strips the PEM armour: the base64 text of the DER, with line breaks.
std::string PemBody(const std::string& pem) {
  size_t start = pem.find('\n') + 1;
  size_t end = pem.find("-----END");
  return pem.substr(start, end - start);
}

TEST(CertificateMergeTest, AcceptsDerBase64TextAndPemEntriesAndPutsTheLeafFirst) {
  TestCa ca;
  const KeyMaterial& key = TestKey("RSA-2048");
  internal::X509Ptr leaf = ca.Leaf(key);
  std::string leaf_der = Der(leaf.get());
  std::string intermediate_der = Der(ca.intermediate.get());
  std::string root_der = Der(ca.root.get());

  // What the SDK puts on the wire: base64 of whatever bytes the caller passed.
  std::vector<std::string> x5c = {
      EncodeBase64(intermediate_der),          // DER
      EncodeBase64(PemBody(Pem(leaf.get()))),  // base64 text of the DER (the SDK sample)
      EncodeBase64(Pem(ca.root.get())),        // PEM
  };
  auto chain = MergeCertificateChain(key, x5c);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->leaf_der, leaf_der);
  ASSERT_EQ(chain->chain_der.size(), 2u);
  EXPECT_EQ(chain->chain_der[0], intermediate_der);
  EXPECT_EQ(chain->chain_der[1], root_der);
}

TEST(CertificateMergeTest, OnePemEntryMayHoldTheWholeChain) {
  TestCa ca;
  const KeyMaterial& key = TestKey("P-256");
  internal::X509Ptr leaf = ca.Leaf(key);
  std::string pem = Pem(leaf.get()) + Pem(ca.intermediate.get());
  auto chain = MergeCertificateChain(key, {EncodeBase64(pem)});
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->leaf_der, Der(leaf.get()));
  EXPECT_EQ(chain->chain_der, std::vector<std::string>{Der(ca.intermediate.get())});
}

TEST(CertificateMergeTest, ChainForAnotherKeyIsRefused) {
  TestCa ca;
  internal::X509Ptr other = ca.Leaf(TestKey("P-384"));
  auto chain = MergeCertificateChain(
      TestKey("P-256"), {EncodeBase64(Der(other.get())), EncodeBase64(Der(ca.intermediate.get()))});
  ASSERT_FALSE(chain.ok());
  ExpectBadParameter(chain.status());
  EXPECT_EQ(chain.status().message(), kCertificateKeyMismatchMessage);
}

TEST(CertificateMergeTest, MalformedEntriesAreRefusedNamingTheEntry) {
  TestCa ca;
  const KeyMaterial& key = TestKey("P-256");
  std::string good = EncodeBase64(Der(ca.Leaf(key).get()));
  ExpectBadParameter(MergeCertificateChain(key, {}).status(), "at least one");
  ExpectBadParameter(MergeCertificateChain(key, {good, "%%%"}).status(), "x5c[1]");
  ExpectBadParameter(MergeCertificateChain(key, {EncodeBase64("hello")}).status(), "x5c[0]");
  std::string der = Der(ca.intermediate.get());
  ExpectBadParameter(MergeCertificateChain(key, {good, EncodeBase64(der.substr(0, 100))}).status(),
                     "x5c[1]");
  ExpectBadParameter(
      MergeCertificateChain(key, {EncodeBase64("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n")})
          .status(),
      "x5c[0]");
  std::vector<std::string> many(17, good);
  ExpectBadParameter(MergeCertificateChain(key, many).status(), "16");
  ExpectBadParameter(DecodeX5cEntry(std::string(kMaxCertificateInputBytes + 1, 'A')).status(),
                     "256 KB");
}

}  // namespace
}  // namespace coffer::crypto
