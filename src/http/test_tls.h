// Test helpers for the http module: a throw-away CA and server certificate made with OpenSSL,
// and a bare TLS client over POSIX sockets that sends raw bytes, so tests can speak broken or
// partial HTTP that a real client would refuse to send.
//
// Thread-safety: TestPki is a value; each RawTlsClient is used by one thread.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coffer::http::testing {

struct TestPki {
  std::string ca_pem;
  std::string cert_pem;  // leaf: localhost, *.vault.localhost, 127.0.0.1
  std::string key_pem;
  std::string ca_file;  // ca_pem written to a temporary file
};

// Makes a P-256 CA and a leaf signed by it; aborts the test binary on OpenSSL failure.
TestPki MakeTestPki(const std::string& name);

struct RawResponse {
  int status = 0;
  std::string head;  // status line and header fields
  std::string body;
  bool Has(std::string_view header_line_lower) const;  // e.g. "connection: close"
};

class RawTlsClient {
 public:
  explicit RawTlsClient(std::string ca_file) : ca_file_(std::move(ca_file)) {}
  ~RawTlsClient();
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  // TCP connect to 127.0.0.1:port and TLS handshake within [min_version, max_version]
  // (0 = library default). Returns false if either fails.
  bool Connect(uint16_t port, int min_version = TLS1_2_VERSION, int max_version = 0);
  bool Send(std::string_view bytes);
  // Reads one response (Content-Length framed). nullopt if the connection ends first.
  std::optional<RawResponse> ReadResponse();
  // Reads until the server closes; true if it did so within `limit`.
  bool WaitClosed(std::chrono::seconds limit);

 private:
  // Appends what arrives to buffer_; false on close, error or timeout.
  bool ReadMore();

  std::string ca_file_;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace coffer::http::testing
