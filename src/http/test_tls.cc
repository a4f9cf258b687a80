// Test PKI and raw TLS client (see test_tls.h).
#include "http/test_tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/encoding.h"

namespace coffer::http::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test PKI: %s failed\n", what);
    std::abort();
  }
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* NewCert(EVP_PKEY* key, const char* common_name, long serial) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_pubkey(cert, key);
  return cert;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

TestPki MakeTestPki(const std::string& name) {
  EVP_PKEY* ca_key = EVP_EC_gen("P-256");
  EVP_PKEY* leaf_key = EVP_EC_gen("P-256");
  Check(ca_key && leaf_key, "EVP_EC_gen");

  X509* ca = NewCert(ca_key, ("Coffer test CA " + name).c_str(), 1);
  X509_set_issuer_name(ca, X509_get_subject_name(ca));
  AddExtension(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(ca, ca, NID_subject_key_identifier, "hash");
  Check(X509_sign(ca, ca_key, EVP_sha256()) > 0, "sign CA");

  X509* leaf = NewCert(leaf_key, "localhost", 2);
  X509_set_issuer_name(leaf, X509_get_subject_name(ca));
  AddExtension(leaf, ca, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(leaf, ca, NID_key_usage, "critical,digitalSignature");
  AddExtension(leaf, ca, NID_ext_key_usage, "serverAuth");
  AddExtension(leaf, ca, NID_subject_alt_name, "DNS:localhost,DNS:*.vault.localhost,IP:127.0.0.1");
  AddExtension(leaf, ca, NID_authority_key_identifier, "keyid:always");
  Check(X509_sign(leaf, ca_key, EVP_sha256()) > 0, "sign leaf");

  TestPki pki;
  pki.ca_pem = CertPem(ca);
  pki.cert_pem = CertPem(leaf);
  pki.key_pem = KeyPem(leaf_key);
  auto dir = std::filesystem::temp_directory_path();
  pki.ca_file =
      (dir / ("coffer-http-test-ca-" + name + "-" + std::to_string(::getpid()) + ".pem")).string();
  std::ofstream(pki.ca_file) << pki.ca_pem;
  X509_free(leaf);
  X509_free(ca);
  EVP_PKEY_free(leaf_key);
  EVP_PKEY_free(ca_key);
  return pki;
}

bool RawResponse::Has(std::string_view header_line_lower) const {
  return AsciiLower(head).find(header_line_lower) != std::string::npos;
}

RawTlsClient::~RawTlsClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool RawTlsClient::Connect(uint16_t port, int min_version, int max_version) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  timeval tv{10, 0};  // no test read waits longer than this
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;

  ctx_ = SSL_CTX_new(TLS_client_method());
  if (min_version < TLS1_2_VERSION) {
    // Let this client offer old versions despite the system's default policy.
    SSL_CTX_set_security_level(ctx_, 0);
    SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0");
  }
  SSL_CTX_set_min_proto_version(ctx_, min_version);
  SSL_CTX_set_max_proto_version(ctx_, max_version);
  if (SSL_CTX_load_verify_locations(ctx_, ca_file_.c_str(), nullptr) != 1) return false;
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  ssl_ = SSL_new(ctx_);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
  SSL_set_fd(ssl_, fd_);
  return SSL_connect(ssl_) == 1;
}

bool RawTlsClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawTlsClient::ReadMore() {
  char chunk[16384];
  int n = SSL_read(ssl_, chunk, sizeof(chunk));
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<RawResponse> RawTlsClient::ReadResponse() {
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore()) return std::nullopt;
  }
  RawResponse response;
  response.head = buffer_.substr(0, head_end + 2);
  if (response.head.size() < 12) return std::nullopt;
  response.status = std::atoi(response.head.c_str() + 9);
  size_t length = 0;
  std::string lower = AsciiLower(response.head);
  size_t at = lower.find("\r\ncontent-length:");
  if (at != std::string::npos) length = std::strtoul(lower.c_str() + at + 17, nullptr, 10);
  buffer_.erase(0, head_end + 4);
  while (buffer_.size() < length) {
    if (!ReadMore()) return std::nullopt;
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return response;
}

bool RawTlsClient::WaitClosed(std::chrono::seconds limit) {
  timeval tv{static_cast<time_t>(limit.count()), 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  auto start = std::chrono::steady_clock::now();
  while (ReadMore()) {
  }
  return std::chrono::steady_clock::now() - start < limit;
}

}  // namespace coffer::http::testing
