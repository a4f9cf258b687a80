// End-to-end tests of http::Server over real TLS on 127.0.0.1, driven by http::Fetch and by a
// raw TLS client that can send malformed or partial requests.
#include "http/server.h"

#include "http/server_test_fixture.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace coffer::http {
namespace {

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto first = client->ReadResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "GET /one ctx:/one ");
  EXPECT_TRUE(first->Has("\r\nserver: coffer\r\n"));
  EXPECT_TRUE(first->Has("\r\ncontent-length: 18\r\n"));
  EXPECT_FALSE(first->Has("connection: close"));

  ASSERT_TRUE(
      client->Send("POST /two HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody"));
  auto second = client->ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "POST /two ctx:/two body");
  EXPECT_EQ(handler_.handle_calls.load(), 2);

  std::lock_guard<std::mutex> lock(handler_.mutex);
  ASSERT_EQ(handler_.heads.size(), 2u);
  EXPECT_EQ(handler_.heads[0].host, "localhost");
  EXPECT_EQ(handler_.heads[0].remote_address, "127.0.0.1");
  EXPECT_EQ(handler_.heads[0].local_port, server_->port());
  EXPECT_FALSE(handler_.heads[0].content_length.has_value());
  EXPECT_EQ(handler_.heads[1].content_length, 4u);
}

TEST_F(ServerTest, FetchDecodesPercentEncodedQueryNames) {
  handler_.handle = [](Request& request) {
    Response response;
    response.body = std::string(request.Query("api-version").value_or("none")) + "|" +
                    std::string(request.Query("x").value_or("none")) + "|" + request.path;
    return response;
  };
  StartServer(Options());
  auto response = Get("/secrets/a%20b?api%2Dversion=7.6&x=%41%2B+");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "7.6|A++|/secrets/a%20b");
  EXPECT_EQ(response->headers.Get("server"), "coffer");
  std::lock_guard<std::mutex> lock(handler_.mutex);
  EXPECT_EQ(handler_.heads.at(0).target, "/secrets/a%20b?api%2Dversion=7.6&x=%41%2B+");
}

TEST_F(ServerTest, FetchVerifiesHostNames) {
  StartServer(Options());
  auto by_name = Get("/", "localhost");
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(by_name->status, 200);
  auto vault_host = Get("/", "dev.vault.localhost");
  ASSERT_TRUE(vault_host.ok()) << vault_host.status().ToString();
  {
    std::lock_guard<std::mutex> lock(handler_.mutex);
    EXPECT_EQ(handler_.heads.back().host, "dev.vault.localhost:" + std::to_string(server_->port()));
  }
  // Resolves to 127.0.0.1 but is not a name the certificate covers.
  auto wrong_name = Get("/", "other.localhost");
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_EQ(wrong_name.status().code(), StatusCode::kUnavailable);
}

TEST_F(ServerTest, FetchRejectsCertificateFromUntrustedCa) {
  StartServer(Options());
  TestPki other = testing::MakeTestPki("other");
  ClientRequest request;
  request.url = Url("/");
  request.ca_file = other.ca_file;
  auto response = Fetch(request);
  std::remove(other.ca_file.c_str());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(handler_.handle_calls.load(), 0);
}

TEST_F(ServerTest, FetchTrustsAnExtraCaBesideTheSystemStoreAndCapsTheBody) {
  StartServer(Options());
  ClientRequest request;
  request.url = Url("/");
  auto system_only = Fetch(request);  // the test CA is in no system store
  EXPECT_EQ(system_only.status().code(), StatusCode::kUnavailable);
  request.extra_ca_file = pki_->ca_file;
  auto with_extra = Fetch(request);
  ASSERT_TRUE(with_extra.ok()) << with_extra.status().ToString();
  EXPECT_EQ(with_extra->status, 200);
  request.max_response_bytes = 4;
  EXPECT_EQ(Fetch(request).status().code(), StatusCode::kUnavailable);
  request.extra_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(Fetch(request).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ServerTest, FetchOfAnUnresolvableNameIsUnavailable) {
  ClientRequest request;
  request.url = "https://coffer-test.invalid/";
  request.timeout = std::chrono::seconds(5);
  auto response = Fetch(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
}

TEST_F(ServerTest, RespondNowAnswersWithoutReadingTheBody) {
  handler_.on_head = [](const RequestHead& head) {
    HeadDecision decision;
    if (head.method == "PUT") {
      decision.respond_now = Response{401, {}, "no token", false};
    }
    decision.body_limit = 64 * 1024 * 1024;
    decision.context = std::string();
    return decision;
  };
  StartServer(Options());
  auto client = Connect();
  // Announces 10 MB but sends only 1 KB; the answer must still arrive.
  ASSERT_TRUE(
      client->Send("PUT /secrets/x HTTP/1.1\r\nHost: localhost\r\n"
                   "Content-Length: 10000000\r\n\r\n" +
                   std::string(1024, 'v')));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(response->body, "no token");
  EXPECT_TRUE(response->Has("connection: close"));
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8)));
  EXPECT_EQ(handler_.handle_calls.load(), 0);
}

TEST_F(ServerTest, RespondNowDrainsSmallBodyAndKeepsTheConnection) {
  handler_.on_head = [](const RequestHead& head) {
    HeadDecision decision;
    if (head.method == "PUT") decision.respond_now = Response{401, {}, "no token", false};
    decision.body_limit = kDefaultBodyLimit;
    decision.context = std::string("ok");
    return decision;
  };
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(client->Send("PUT /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n" +
                           std::string(100, 'v')));
  auto rejected = client->ReadResponse();
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->status, 401);
  EXPECT_FALSE(rejected->Has("connection: close"));
  ASSERT_TRUE(client->Send("GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto next = client->ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "GET /after ok ");
}

TEST_F(ServerTest, ContentLengthOverLimitGets413BeforeTheBody) {
  StartServer(Options());
  auto client = Connect();
  // No body byte is ever sent: the 413 can only come from the announced length.
  ASSERT_TRUE(
      client->Send("PUT /big HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(response->Has("connection: close"));
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8)));
  EXPECT_EQ(handler_.handle_calls.load(), 0);
}

TEST_F(ServerTest, ChunkedBodyOverLimitGets413) {
  StartServer(Options());
  auto client = Connect();
  std::string request =
      "PUT /big HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) request += "200\r\n" + std::string(512, 'c') + "\r\n";  // 2 KiB
  ASSERT_TRUE(client->Send(request));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(handler_.handle_calls.load(), 0);
  std::lock_guard<std::mutex> lock(handler_.mutex);
  EXPECT_TRUE(handler_.heads.at(0).chunked);
}

TEST_F(ServerTest, ChunkedBodyWithinLimitIsDelivered) {
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(
      client->Send("PUT /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "PUT /c ctx:/c abcde");
}

TEST_F(ServerTest, ExpectContinueIsAnsweredOnceTheHeadIsAccepted) {
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(
      client->Send("PUT /e HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                   "Expect: 100-continue\r\n\r\n"));
  auto interim = client->ReadResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client->Send("hello"));
  auto final_response = client->ReadResponse();
  ASSERT_TRUE(final_response.has_value());
  EXPECT_EQ(final_response->status, 200);
  EXPECT_EQ(final_response->body, "PUT /e ctx:/e hello");
}

TEST_F(ServerTest, ExpectContinueIsNotSentWhenTheHeadIsRejected) {
  handler_.on_head = [](const RequestHead&) {
    HeadDecision decision;
    decision.respond_now = Response{401, {}, "no token", false};
    return decision;
  };
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(
      client->Send("PUT /e HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                   "Expect: 100-continue\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 401);
}

TEST_F(ServerTest, HandlerExceptionGives500) {
  handler_.handle = [](Request&) -> Response { throw std::runtime_error("boom"); };
  StartServer(Options());
  auto response = Get("/");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 500);
}

TEST_F(ServerTest, HeadResponseHasLengthButNoBody) {
  StartServer(Options());
  ClientRequest request;
  request.method = "HEAD";
  request.url = Url("/h");
  request.ca_file = pki_->ca_file;
  auto head = Fetch(request);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.Get("content-length"), "15");
  EXPECT_EQ(head->body, "");
}

TEST_F(ServerTest, ManyConcurrentClientsAreHandledInParallel) {
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
  handler_.handle = [&](Request&) {
    int now = ++active;
    int seen = max_active.load();
    while (now > seen && !max_active.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --active;
    return Response{200, {}, "ok", false};
  };
  ServerOptions options = Options();
  options.worker_threads = 64;
  StartServer(options);
  constexpr int kClients = 64;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      auto response = Get("/slow");
      if (response.ok() && response->status == 200 && response->body == "ok") ++ok;
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_GT(max_active.load(), 8);
}

// HeadDecision::await: a request waits without holding an I/O thread, then OnHead runs again
// with RequestHead::awaited telling how the wait ended.
TEST_F(ServerTest, AwaitedHeadWaitsWithoutAThreadThenRunsOnHeadAgain) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::function<void(bool)>> parked;
  std::atomic<int> awaits_on_second_call{0};
  handler_.on_head = [&](const RequestHead& head) {
    HeadDecision d;
    auto park = [&](std::function<void(bool)> resume) {
      std::lock_guard lock(mu);
      parked.push_back(std::move(resume));
      cv.notify_all();
    };
    if (head.path == "/wait") {
      // Asked for again on the second call: not waited for a second time.
      if (head.awaited.has_value()) ++awaits_on_second_call;
      d.await = park;
    }
    if (head.awaited == std::optional<bool>(false)) {
      d.respond_now = Response{503, {}, "not fresh", false};
      return d;
    }
    if (head.path == "/wait" && !head.awaited.has_value()) return d;
    d.body_limit = kDefaultBodyLimit;
    d.context = std::string(head.awaited.has_value() ? "awaited" : "direct");
    return d;
  };
  ServerOptions options = Options();
  options.io_threads = 1;
  StartServer(options);
  auto first = std::async(std::launch::async, [&] { return Get("/wait"); });
  auto second = std::async(std::launch::async, [&] { return Get("/wait"); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return parked.size() == 2; }));
  }
  // Both wait; the only I/O thread still serves another request.
  auto direct = Get("/now");
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_EQ(direct->body, "GET /now direct ");
  std::thread([&] {
    parked[0](true);
    parked[1](false);
  }).join();
  std::vector<std::string> answers;
  for (auto* f : {&first, &second}) {
    auto r = f->get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    answers.push_back(std::to_string(r->status) + " " + r->body);
  }
  std::sort(answers.begin(), answers.end());
  EXPECT_EQ(answers, (std::vector<std::string>{"200 GET /wait awaited ", "503 not fresh"}));
  EXPECT_EQ(awaits_on_second_call.load(), 2);
  EXPECT_EQ(parked.size(), 2u);
  EXPECT_EQ(handler_.handle_calls.load(), 2);
}

TEST_F(ServerTest, StopClosesConnectionsAndIsIdempotent) {
  StartServer(Options());
  uint16_t port = server_->port();
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  ASSERT_TRUE(client->ReadResponse().has_value());
  server_->Stop();
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8)));
  server_->Stop();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

TEST_F(ServerTest, StartFailsOnBadKey) {
  ServerOptions options = Options();
  options.private_key_pem = "not a key";
  auto server = Server::Start(options, handler_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::http
