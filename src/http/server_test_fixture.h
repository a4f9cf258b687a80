// ServerTest: the fixture of the http::Server tests — a real TLS server on 127.0.0.1 port 0 with a
// scriptable handler, plus http::Fetch and a raw TLS client for malformed or partial requests.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/server.h"
#include "http/test_tls.h"

namespace coffer::http {


using testing::RawTlsClient;  // NOLINT: shared by the test files
using testing::TestPki;

inline constexpr size_t kDefaultBodyLimit = 1024;

class TestHandler : public Handler {
 public:
  std::function<HeadDecision(const RequestHead&)> on_head;
  std::function<Response(Request&)> handle;
  std::atomic<int> handle_calls{0};
  std::mutex mutex;
  std::vector<RequestHead> heads;

  HeadDecision OnHead(const RequestHead& head) override {
    {
      std::lock_guard<std::mutex> lock(mutex);
      heads.push_back(head);
    }
    if (on_head) return on_head(head);
    HeadDecision decision;
    decision.body_limit = kDefaultBodyLimit;
    decision.context = std::string("ctx:") + head.path;
    return decision;
  }

  Response Handle(Request& request) override {
    ++handle_calls;
    if (handle) return handle(request);
    Response response;
    response.headers.Set("Content-Type", "text/plain");
    response.body = request.method + " " + request.path + " " +
                    std::any_cast<std::string>(request.context) + " " + request.body;
    return response;
  }

  Response ErrorResponse(int status, std::string_view message) override {
    Response response;
    response.status = status;
    response.body = "error " + std::to_string(status) + ": " + std::string(message);
    response.close = true;
    return response;
  }
};

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new TestPki(testing::MakeTestPki("server")); }
  static void TearDownTestSuite() {
    std::remove(pki_->ca_file.c_str());
    delete pki_;
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  ServerOptions Options() {
    ServerOptions options;
    options.port = 0;
    options.cert_chain_pem = pki_->cert_pem;
    options.private_key_pem = pki_->key_pem;
    options.io_threads = 2;
    options.worker_threads = 8;
    return options;
  }

  void StartServer(const ServerOptions& options) {
    auto server = Server::Start(options, handler_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  std::string Url(std::string_view path, std::string_view host = "127.0.0.1") {
    return "https://" + std::string(host) + ":" + std::to_string(server_->port()) +
           std::string(path);
  }

  StatusOr<ClientResponse> Get(std::string_view path, std::string_view host = "127.0.0.1") {
    ClientRequest request;
    request.method = "GET";
    request.url = Url(path, host);
    request.ca_file = pki_->ca_file;
    request.timeout = std::chrono::seconds(20);
    return Fetch(request);
  }

  std::unique_ptr<RawTlsClient> Connect() {
    auto client = std::make_unique<RawTlsClient>(pki_->ca_file);
    EXPECT_TRUE(client->Connect(server_->port()));
    return client;
  }

  inline static TestPki* pki_ = nullptr;
  TestHandler handler_;
  std::unique_ptr<Server> server_;
};


}  // namespace coffer::http
