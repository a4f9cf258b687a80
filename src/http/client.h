// A small synchronous HTTPS client for the CLI, tests and the server's few outbound calls
// (attestation authorities' keys). One request per call, one fresh TLS connection (no pooling,
// no redirects). The server certificate is verified against `ca_file` (or the system trust
// store, plus `extra_ca_file`, when empty) and against the URL's host name or IP address.
//
// Names "localhost" and "*.localhost" are connected to 127.0.0.1 without asking the resolver
// (glibc does not resolve subdomains of localhost); the TLS host check still uses the name.
//
// Thread-safety: Fetch may be called from many threads at once.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"
#include "http/message.h"

namespace coffer::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // https://host[:port]/path?query; IPv6 hosts as [::1]
  Headers headers;  // Host, Content-Length and User-Agent are added unless given
  std::string body;
  std::string ca_file;               // PEM file to trust; empty = the system's default trust store
  // With an empty ca_file: a PEM bundle trusted in addition to the system's store ("" = none).
  std::string extra_ca_file;
  std::chrono::seconds timeout{30};  // for the whole exchange, name resolution included
  size_t max_response_bytes = 256ull * 1024 * 1024;  // a longer body fails the request
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// Sends the request and reads the whole response. Errors: InvalidArgument for a malformed URL
// or non-https scheme; Unavailable when the host cannot be reached, the TLS handshake or
// certificate check fails, the exchange times out or the response is malformed.
StatusOr<ClientResponse> Fetch(const ClientRequest& request);

// Fetch for a document: the body of a 200 answer. Any other status is Unavailable naming it.
StatusOr<std::string> FetchBody(const ClientRequest& request);

}  // namespace coffer::http
