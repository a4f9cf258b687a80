// http::Fetch over Beast/Asio and OpenSSL (see client.h).
#include "http/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "core/encoding.h"

namespace coffer::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using ErrorCode = boost::system::error_code;
using Tcp = net::ip::tcp;

constexpr uint64_t kMaxResponseBody = 256ull * 1024 * 1024;

struct ParsedUrl {
  std::string host;  // without brackets
  uint16_t port = 443;
  std::string target;
};

StatusOr<ParsedUrl> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() < kScheme.size() || !EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    return InvalidArgumentError("URL must start with https://: " + std::string(url));
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  target = target.substr(0, target.find('#'));
  ParsedUrl out;
  out.target = target.empty() || target[0] != '/' ? "/" + std::string(target) : std::string(target);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError("URL must not carry user information: " + std::string(url));
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return InvalidArgumentError("unterminated IPv6 address in URL");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return InvalidArgumentError("malformed authority in URL: " + std::string(url));
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return InvalidArgumentError("URL has no host: " + std::string(url));
  if (!port_text.empty()) {
    unsigned port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535)
        return InvalidArgumentError("bad port in URL: " + std::string(url));
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535)
      return InvalidArgumentError("bad port in URL: " + std::string(url));
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

// Runs one asynchronous operation to completion on `io` and returns its error code.
template <typename Start>
ErrorCode RunOne(net::io_context& io, Start&& start) {
  ErrorCode result = net::error::would_block;
  start([&result](ErrorCode ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

bool IsLocalhostName(std::string_view host) {
  std::string lower = AsciiLower(host);
  if (lower.ends_with('.')) lower.pop_back();
  return lower == "localhost" || lower.ends_with(".localhost");
}

// Name resolution bounded by the deadline. getaddrinfo cannot be cancelled (and Asio's
// resolver joins its thread on destruction), so it runs on a detached thread that is left to
// finish on its own when it outlives the deadline.
StatusOr<std::vector<Tcp::endpoint>> ResolveBefore(const std::string& host, uint16_t port,
                                                   std::chrono::steady_clock::time_point deadline) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    ErrorCode ec;
    std::vector<Tcp::endpoint> endpoints;
  };
  auto state = std::make_shared<State>();
  std::thread([state, host, port] {
    net::io_context io(1);
    Tcp::resolver resolver(io);
    ErrorCode ec;
    auto results = resolver.resolve(host, std::to_string(port), ec);
    std::vector<Tcp::endpoint> endpoints;
    if (!ec) {
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    std::lock_guard lock(state->mu);
    state->done = true;
    state->ec = ec;
    state->endpoints = std::move(endpoints);
    state->cv.notify_all();
  }).detach();
  std::unique_lock lock(state->mu);
  if (!state->cv.wait_until(lock, deadline, [&] { return state->done; })) {
    return UnavailableError("resolving " + host + " timed out");
  }
  if (state->ec) return UnavailableError("cannot resolve " + host + ": " + state->ec.message());
  return std::move(state->endpoints);
}

StatusOr<ClientResponse> FetchOrThrow(const ClientRequest& request) {
  ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(request.url));
  const std::string where = url.host + ":" + std::to_string(url.port);
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;

  net::ssl::context tls(net::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  ErrorCode ec;
  if (request.ca_file.empty()) {
    tls.set_default_verify_paths(ec);
    if (!ec && !request.extra_ca_file.empty()) {
      tls.load_verify_file(request.extra_ca_file, ec);
      if (ec) {
        return InvalidArgumentError("cannot load CA file '" + request.extra_ca_file +
                                    "': " + ec.message());
      }
    }
  } else {
    tls.load_verify_file(request.ca_file, ec);
  }
  if (ec)
    return InvalidArgumentError("cannot load CA file '" + request.ca_file + "': " + ec.message());
  tls.set_verify_mode(net::ssl::verify_peer);

  net::io_context io(1);
  net::ssl::stream<beast::tcp_stream> stream(io, tls);
  SSL* ssl = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  auto ip = net::ip::make_address(url.host, ec);
  bool is_ip = !ec;
  if (is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) != 1) {
      return InvalidArgumentError("cannot check the certificate against " + url.host);
    }
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1 ||
        X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0) != 1) {
      return InvalidArgumentError("cannot check the certificate against " + url.host);
    }
  }

  std::vector<Tcp::endpoint> endpoints;
  if (is_ip) {
    endpoints.emplace_back(ip, url.port);
  } else if (IsLocalhostName(url.host)) {
    endpoints.emplace_back(net::ip::make_address_v4("127.0.0.1"), url.port);
  } else {
    ASSIGN_OR_RETURN(endpoints, ResolveBefore(url.host, url.port, deadline));
  }

  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_at(deadline);
  ec = RunOne(io, [&](auto handler) { tcp.async_connect(endpoints, std::move(handler)); });
  if (ec) return UnavailableError("cannot connect to " + where + ": " + ec.message());

  tcp.expires_at(deadline);
  ec = RunOne(io, [&](auto handler) {
    stream.async_handshake(net::ssl::stream_base::client, std::move(handler));
  });
  if (ec) {
    std::string detail = ec.message();
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
      detail += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    return UnavailableError("TLS handshake with " + where + " failed: " + detail);
  }

  bhttp::request<bhttp::string_body> req;
  req.version(11);
  bhttp::verb verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(url.target);
  std::string host_header =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != 443) host_header += ":" + std::to_string(url.port);
  req.set(bhttp::field::host, host_header);
  req.set(bhttp::field::user_agent, "coffer");
  req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : request.headers.items()) {
    if (EqualsIgnoreCase(name, "host") || EqualsIgnoreCase(name, "user-agent") ||
        EqualsIgnoreCase(name, "connection")) {
      req.set(name, value);
    } else if (!EqualsIgnoreCase(name, "content-length")) {
      req.insert(name, value);
    }
  }
  req.body() = request.body;
  if (!request.body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put ||
      verb == bhttp::verb::patch) {
    req.content_length(request.body.size());
  }

  tcp.expires_at(deadline);
  ec = RunOne(io, [&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
  if (ec) return UnavailableError("cannot send the request to " + where + ": " + ec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(std::min<uint64_t>(kMaxResponseBody, request.max_response_bytes));
  if (verb == bhttp::verb::head) parser.skip(true);
  tcp.expires_at(deadline);
  ec = RunOne(io,
              [&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
  if (ec) return UnavailableError("cannot read the response from " + where + ": " + ec.message());

  ClientResponse response;
  auto& res = parser.get();
  response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    response.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(res.body());
  ErrorCode ignored;
  tcp.socket().shutdown(Tcp::socket::shutdown_both, ignored);
  tcp.close();
  return response;
}

}  // namespace

StatusOr<ClientResponse> Fetch(const ClientRequest& request) {
  try {
    return FetchOrThrow(request);
  } catch (const std::exception& e) {
    return UnavailableError("HTTPS request to " + request.url + " failed: " + e.what());
  }
}

StatusOr<std::string> FetchBody(const ClientRequest& request) {
  ASSIGN_OR_RETURN(ClientResponse response, Fetch(request));
  if (response.status != 200) {
    return UnavailableError("the server answered HTTP " + std::to_string(response.status));
  }
  return std::move(response.body);
}

}  // namespace coffer::http
