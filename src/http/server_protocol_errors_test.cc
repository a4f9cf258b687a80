// http::Server against malformed, oversized and stalled requests: each gets a 4xx (or a close)
// and the server keeps serving.
#include "http/server_test_fixture.h"

#include <future>
#include <string>
#include <thread>

namespace coffer::http {
namespace {

TEST_F(ServerTest, MalformedRequestLineGets400AndClose) {
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /no-version\r\nHost: localhost\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(response->Has("connection: close"));
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8)));
  EXPECT_EQ(handler_.handle_calls.load(), 0);
}

TEST_F(ServerTest, MalformedInputsGet400OrCloseAndServerKeepsServing) {
  StartServer(Options());
  const std::string inputs[] = {
      std::string("\x00\x01\x02\xff\xfe garbage\r\n\r\n", 20),
      "GET / HTTP/1.1\r\nNoColonHere\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET /a?x=%zz HTTP/1.1\r\nHost: a\r\n\r\n",
  };
  for (const std::string& input : inputs) {
    auto client = Connect();
    ASSERT_TRUE(client->Send(input));
    auto response = client->ReadResponse();
    if (response.has_value()) {
      EXPECT_EQ(response->status, 400) << input;
    }
    EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8))) << input;
  }
  EXPECT_EQ(handler_.handle_calls.load(), 0);
  auto ok = Get("/still-up");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerTest, TargetThatIsNotAPathGets400) {
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET nopath HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(client->Send(
      "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(20 * 1024, 'h') + "\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(handler_.heads.size(), 0u);
}

TEST_F(ServerTest, OversizedTargetGets414) {
  StartServer(Options());
  for (size_t length : {9 * 1024, 20 * 1024}) {  // within and beyond the header limit
    auto client = Connect();
    ASSERT_TRUE(
        client->Send("GET /" + std::string(length, 't') + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response.has_value()) << length;
    EXPECT_EQ(response->status, 414) << length;
  }
  EXPECT_EQ(handler_.heads.size(), 0u);
}

TEST_F(ServerTest, Tls11ClientIsRefused) {
  StartServer(Options());
  RawTlsClient old_client(pki_->ca_file);
  EXPECT_FALSE(old_client.Connect(server_->port(), TLS1_1_VERSION, TLS1_1_VERSION));
  RawTlsClient tls12_client(pki_->ca_file);
  EXPECT_TRUE(tls12_client.Connect(server_->port(), TLS1_2_VERSION, TLS1_2_VERSION));
}

TEST_F(ServerTest, StalledHeaderIsAnswered408AfterHeaderTimeout) {
  ServerOptions options = Options();
  options.header_timeout = std::chrono::seconds(1);
  StartServer(options);
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHo"));
  auto start = std::chrono::steady_clock::now();
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  EXPECT_EQ(handler_.heads.size(), 0u);
}

TEST_F(ServerTest, StalledBodyIsAnswered408AfterBodyTimeout) {
  ServerOptions options = Options();
  options.body_timeout = std::chrono::seconds(1);
  StartServer(options);
  auto client = Connect();
  ASSERT_TRUE(client->Send("PUT /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 408);
  EXPECT_EQ(handler_.handle_calls.load(), 0);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options = Options();
  options.idle_timeout = std::chrono::seconds(1);
  StartServer(options);
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  // Closed without another response.
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8)));
  EXPECT_FALSE(client->ReadResponse().has_value());
}

// RFC 9112 §5.2: obsolete line folding (and whitespace before the first field) is refused
// with 400, never unfolded into a value; a header sent in pieces is checked as a whole; an
// ordinary request on the same server, pipelined or split, is served.
TEST_F(ServerTest, ObsoleteLineFoldingGets400AndIsNeverUnfolded) {
  StartServer(Options());
  const std::string folded[] = {
      "GET /f HTTP/1.1\r\nHost: localhost\r\nX-Test: a\r\n b\r\n\r\n",
      "GET /f HTTP/1.1\r\nHost: localhost\r\nX-Test: a\r\n\tb\r\n\r\n",
      "GET /f HTTP/1.1\r\n Host: localhost\r\n\r\n",
  };
  for (const std::string& input : folded) {
    auto client = Connect();
    ASSERT_TRUE(client->Send(input));
    auto response = client->ReadResponse();
    ASSERT_TRUE(response.has_value()) << input;
    EXPECT_EQ(response->status, 400) << input;
    EXPECT_NE(response->body.find("folding"), std::string::npos) << response->body;
    EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8))) << input;
  }
  // The fold arrives in a later piece than the field it continues.
  auto split = Connect();
  ASSERT_TRUE(split->Send("GET /f HTTP/1.1\r\nHost: localhost\r\nX-Test: a\r\n"));
  ASSERT_TRUE(split->Send(" b\r\n\r\n"));  // a second TLS record
  auto refused = split->ReadResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(handler_.handle_calls.load(), 0);

  // Spaces inside values, a split header and two pipelined requests are fine.
  auto fine = Connect();
  ASSERT_TRUE(fine->Send("GET /one HTTP/1.1\r\nHost: localhost\r\nX-Test: a  b\r\n"));
  ASSERT_TRUE(fine->Send("\r\nGET /two HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto one = fine->ReadResponse();
  auto two = fine->ReadResponse();
  ASSERT_TRUE(one.has_value() && two.has_value());
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(two->body, "GET /two ctx:/two ");
  std::lock_guard<std::mutex> lock(handler_.mutex);
  ASSERT_EQ(handler_.heads.size(), 2u);
  EXPECT_EQ(handler_.heads[0].headers.Get("X-Test"), "a  b");
}

}  // namespace
}  // namespace coffer::http

namespace coffer::http {
namespace {

TEST_F(ServerTest, AbsoluteFormTargetMustNameTheHostHeadersAuthority) {
  StartServer(Options());
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET https://other.vault.localhost/secrets/a HTTP/1.1\r\n"
                           "Host: mine.vault.localhost\r\n\r\n"));
  auto response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(handler_.handle_calls.load(), 0);

  auto same = Connect();
  ASSERT_TRUE(same->Send("GET https://Mine.vault.localhost/secrets/a HTTP/1.1\r\n"
                         "Host: mine.vault.localhost\r\n\r\n"));
  auto ok = same->ReadResponse();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

}  // namespace
}  // namespace coffer::http

namespace coffer::http {
namespace {

// Beyond the per-address cap a connection is held, unanswered but open, until one of that
// address's connections closes; it is then served. Nothing is reset.
TEST_F(ServerTest, ConnectionsBeyondTheCapWaitAndAreServedWhenOneCloses) {
  ServerOptions options = Options();
  options.max_connections_per_address = 2;
  options.max_connections = 3;
  StartServer(options);
  auto a = Connect();
  auto b = Connect();
  for (auto* c : {a.get(), b.get()}) {
    ASSERT_TRUE(c->Send("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    auto r = c->ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
  }
  // The third from the same address: TCP is accepted by the kernel, TLS is not answered yet.
  std::promise<int> third_status;
  auto third = third_status.get_future();
  std::thread t([&] {
    RawTlsClient c(pki_->ca_file);
    if (!c.Connect(server_->port()) || !c.Send("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
      third_status.set_value(-1);
      return;
    }
    auto r = c.ReadResponse();
    third_status.set_value(r ? r->status : -2);
  });
  EXPECT_EQ(third.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "the held connection was served before a place was free";
  a.reset();  // closes one of the address's connections
  ASSERT_EQ(third.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(third.get(), 200);
  t.join();
}

}  // namespace
}  // namespace coffer::http
