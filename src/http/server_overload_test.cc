// http::Server under overload (CONTRACT.md "Overload and abuse"): request bodies share a byte
// budget — a body that does not fit waits, then gets 503 with Retry-After; one larger than the
// whole budget is still served alone; chunked bodies reserve as they grow — and accept() out of
// descriptors backs off instead of spinning. Tiny budgets and waits keep each test in
// milliseconds.
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "http/server_test_fixture.h"

namespace coffer::http {
namespace {

// Polls `done` until it holds or `limit` passes (for state another thread reaches).
template <typename Predicate>
bool WaitFor(Predicate done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::string Post(std::string_view path, size_t body_bytes, std::string_view extra_headers = "") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
         std::to_string(body_bytes) + "\r\n" + std::string(extra_headers) + "\r\n" +
         std::string(body_bytes, 'b');
}

std::string Chunk(size_t bytes) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", bytes);
  return size + std::string(bytes, 'c') + "\r\n";
}

class ServerOverloadTest : public ServerTest {
 protected:
  ServerOverloadTest() {
    // Paths under /x4/ declare handlers that hold four times their body.
    handler_.on_head = [](const RequestHead& head) {
      HeadDecision decision;
      decision.body_limit = 8 * 1024 * 1024;
      if (head.path.rfind("/x4/", 0) == 0) decision.body_memory_factor = 4;
      return decision;
    };
    // POST /hold stays in its handler, holding its body's budget, until Release().
    handler_.handle = [this](Request& request) {
      if (request.path == "/hold" || request.path == "/x4/hold") {
        entered_.set_value();
        release_.get_future().wait();
      }
      Response response;
      response.body = request.path + " " + std::to_string(request.body.size());
      return response;
    };
  }

  ServerOptions BudgetOptions(uint64_t budget, std::chrono::milliseconds wait) {
    ServerOptions options = Options();
    options.body_budget_bytes = budget;
    options.body_budget_wait = wait;
    return options;
  }

  // Sends POST /hold with `bytes` of body and returns once its handler runs.
  std::unique_ptr<RawTlsClient> Hold(size_t bytes) {
    auto client = Connect();
    EXPECT_TRUE(client->Send(Post("/hold", bytes)));
    entered_.get_future().wait();
    return client;
  }

  void Release() { release_.set_value(); }

  std::promise<void> entered_;
  std::promise<void> release_;
};

TEST_F(ServerOverloadTest, ABodyThatDoesNotFitWaitsThenGets503WithRetryAfter) {
  StartServer(BudgetOptions(1000, std::chrono::milliseconds(50)));
  auto holder = Hold(800);
  EXPECT_EQ(server_->load().body_bytes_reserved, 800u);

  auto client = Connect();
  ASSERT_TRUE(client->Send(Post("/late", 800)));
  auto refused = client->ReadResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_TRUE(refused->Has("\r\nretry-after: 1\r\n")) << refused->head;
  EXPECT_NE(refused->body.find("error 503: "), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("body_budget_mb"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("waited 50 ms"), std::string::npos) << refused->body;
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(8)));
  EXPECT_EQ(handler_.handle_calls.load(), 1);  // only /hold

  Release();
  auto held = holder->ReadResponse();
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->status, 200);
  EXPECT_EQ(held->body, "/hold 800");
  // Given back when the handler returned, before its response was written.
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);
  EXPECT_EQ(server_->load().body_waiters, 0u);
}

TEST_F(ServerOverloadTest, AWaitingBodyIsReadOnceBudgetIsReleased) {
  StartServer(BudgetOptions(1000, std::chrono::milliseconds(20000)));
  auto holder = Hold(800);
  auto client = Connect();
  ASSERT_TRUE(client->Send(Post("/next", 800)));
  ASSERT_TRUE(WaitFor([&] { return server_->load().body_waiters == 1; }));
  EXPECT_EQ(handler_.handle_calls.load(), 1);

  Release();
  auto next = client->ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "/next 800");
  EXPECT_FALSE(next->Has("connection: close"));
  auto held = holder->ReadResponse();
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->status, 200);
  // The waiter's connection is kept alive and serves another request.
  ASSERT_TRUE(client->Send(Post("/again", 10)));
  auto again = client->ReadResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->body, "/again 10");
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);
}

TEST_F(ServerOverloadTest, ExpectContinueIsNotAnsweredWhileWaitingForBudget) {
  StartServer(BudgetOptions(1000, std::chrono::milliseconds(50)));
  auto holder = Hold(800);
  auto client = Connect();
  ASSERT_TRUE(client->Send(
      "POST /late HTTP/1.1\r\nHost: localhost\r\nContent-Length: 800\r\n"
      "Expect: 100-continue\r\n\r\n"));
  auto refused = client->ReadResponse();  // the first answer: 503, not 100 Continue
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  Release();
}

TEST_F(ServerOverloadTest, TheBudgetCountsTheMemoryAHandlerDeclares) {
  StartServer(BudgetOptions(1000, std::chrono::milliseconds(50)));
  auto holder = Connect();
  ASSERT_TRUE(holder->Send(Post("/x4/hold", 200)));
  entered_.get_future().wait();
  EXPECT_EQ(server_->load().body_bytes_reserved, 800u);  // 4 x 200
  auto refused = Connect();
  ASSERT_TRUE(refused->Send(Post("/x4/late", 100)));  // 400 more would not fit
  auto late = refused->ReadResponse();
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->status, 503);
  auto plain = Connect();
  ASSERT_TRUE(plain->Send(Post("/plain", 100)));  // 100 does
  auto served = plain->ReadResponse();
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->status, 200);
  Release();
  ASSERT_TRUE(holder->ReadResponse().has_value());
  // Alone, a declared size beyond the budget takes all of it and is served.
  ASSERT_TRUE(plain->Send(Post("/x4/big", 600)));
  auto big = plain->ReadResponse();
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->status, 200);
  EXPECT_EQ(big->body, "/x4/big 600");
  ASSERT_TRUE(plain->Send("POST /x4/chunked HTTP/1.1\r\nHost: localhost\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n" +
                          Chunk(300) + Chunk(300) + "0\r\n\r\n"));
  auto chunked = plain->ReadResponse();
  ASSERT_TRUE(chunked.has_value());
  EXPECT_EQ(chunked->body, "/x4/chunked 600");
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);
}

TEST_F(ServerOverloadTest, ABodyLargerThanTheWholeBudgetIsServedWhenAlone) {
  StartServer(BudgetOptions(100, std::chrono::milliseconds(50)));
  auto client = Connect();
  ASSERT_TRUE(client->Send(Post("/big", 5000)));
  auto big = client->ReadResponse();
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->status, 200);
  EXPECT_EQ(big->body, "/big 5000");
  ASSERT_TRUE(client->Send("POST /big-chunked HTTP/1.1\r\nHost: localhost\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n" +
                           Chunk(3000) + Chunk(3000) + "0\r\n\r\n"));
  auto chunked = client->ReadResponse();
  ASSERT_TRUE(chunked.has_value());
  EXPECT_EQ(chunked->status, 200);
  EXPECT_EQ(chunked->body, "/big-chunked 6000");
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);
}

TEST_F(ServerOverloadTest, AChunkedBodyReservesAsItGrows) {
  constexpr size_t kKiB = 1024;
  StartServer(BudgetOptions(1024 * kKiB, std::chrono::milliseconds(20000)));
  auto holder = Hold(600 * kKiB);
  // Its first 256 KiB fit beside the 600 held; growing to 512 KiB does not, so it waits.
  auto client = Connect();
  ASSERT_TRUE(client->Send("POST /grows HTTP/1.1\r\nHost: localhost\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n" +
                           Chunk(200 * kKiB)));
  ASSERT_TRUE(WaitFor([&] { return server_->load().body_waiters == 1; }));
  EXPECT_EQ(server_->load().body_bytes_reserved, (600 + 256) * kKiB);

  Release();
  ASSERT_TRUE(client->Send(Chunk(700 * kKiB) + "0\r\n\r\n"));
  auto grown = client->ReadResponse();
  ASSERT_TRUE(grown.has_value());
  EXPECT_EQ(grown->status, 200);
  EXPECT_EQ(grown->body, "/grows " + std::to_string(900 * kKiB));
  auto held = holder->ReadResponse();
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);
}

TEST_F(ServerOverloadTest, AChunkedBodyThatCannotGrowGets503) {
  constexpr size_t kKiB = 1024;
  StartServer(BudgetOptions(1024 * kKiB, std::chrono::milliseconds(50)));
  auto holder = Hold(600 * kKiB);
  auto client = Connect();
  ASSERT_TRUE(client->Send("POST /grows HTTP/1.1\r\nHost: localhost\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n" +
                           Chunk(200 * kKiB)));
  auto refused = client->ReadResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_TRUE(refused->Has("\r\nretry-after: 1\r\n")) << refused->head;
  // Its partial reservation went back with the refusal.
  EXPECT_TRUE(WaitFor([&] { return server_->load().body_bytes_reserved == 600 * kKiB; }));
  Release();
  ASSERT_TRUE(holder->ReadResponse().has_value());
}

TEST_F(ServerOverloadTest, StopLetsGoOfConnectionsWaitingForBudget) {
  StartServer(BudgetOptions(1000, std::chrono::milliseconds(20000)));
  // A body still arriving holds its whole Content-Length of budget.
  auto slow = Connect();
  ASSERT_TRUE(slow->Send(Post("/slow", 800).substr(0, 80)));
  ASSERT_TRUE(WaitFor([&] { return server_->load().body_bytes_reserved == 800; }));
  auto waiting = Connect();
  ASSERT_TRUE(waiting->Send(Post("/waiting", 800)));
  ASSERT_TRUE(WaitFor([&] { return server_->load().body_waiters == 1; }));
  server_->Stop();
  EXPECT_EQ(server_->load().body_waiters, 0u);
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);  // both connections closed
  EXPECT_TRUE(waiting->WaitClosed(std::chrono::seconds(8)));
  EXPECT_EQ(handler_.handle_calls.load(), 0);
}

// Out of descriptors, a pending connection makes every accept() fail at once. The server must
// retry with back-off — a handful of calls and little CPU, where retrying at once would spin a
// core — and serve again once descriptors are free. Runs in a child process (gtest's death-test
// machinery, "threadsafe" style: a fresh exec) so the lowered RLIMIT_NOFILE stays there.
class AcceptBackoffTest : public ServerTest {
 protected:
  [[noreturn]] static void Fail(const char* what) {
    std::fprintf(stderr, "FAILED: %s (errno %d)\n", what, errno);
    std::_Exit(1);
  }

  static std::chrono::nanoseconds ProcessCpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }

  [[noreturn]] void RunOutOfDescriptors() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) Fail("getrlimit");
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 128);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) Fail("setrlimit");

    ServerOptions options = Options();
    options.io_threads = 1;
    options.worker_threads = 1;
    options.accept_backoff_initial = std::chrono::milliseconds(5);
    options.accept_backoff_max = std::chrono::milliseconds(40);
    auto started = Server::Start(options, handler_);
    if (!started.ok()) Fail("server start");
    server_ = std::move(started).value();

    // The client's socket first, then every other descriptor taken; only then connect, so the
    // connection waits in the listen queue for an accept() that cannot get a descriptor.
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0) Fail("socket");
    std::vector<int> fillers;
    for (;;) {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      fillers.push_back(fd);
    }
    if (errno != EMFILE) Fail("filling the descriptor table did not end in EMFILE");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      Fail("connect");
    }
    if (!WaitFor([&] { return server_->load().accept_failures > 0; })) {
      Fail("accept() never failed");
    }
    auto cpu_before = ProcessCpu();
    uint64_t failures_before = server_->load().accept_failures;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the span measured
    uint64_t failures = server_->load().accept_failures - failures_before;
    auto cpu = ProcessCpu() - cpu_before;
    std::fprintf(stderr, "accept failures in 300 ms: %llu, CPU %lld us\n",
                 static_cast<unsigned long long>(failures),
                 static_cast<long long>(cpu.count() / 1000));
    // 5, 10, 20, 40, 40 … ms: about 9 retries in 300 ms; a spin makes tens of thousands.
    if (failures > 20) Fail("accept() retried too often");
    if (cpu > std::chrono::milliseconds(60)) Fail("the server used too much CPU while out of descriptors");

    for (int fd : fillers) close(fd);
    auto served = Get("/after");
    if (!served.ok() || served->status != 200) Fail("not served once descriptors were free");
    std::fprintf(stderr, "served after descriptors were freed\n");
    std::_Exit(0);
  }
};

TEST_F(AcceptBackoffTest, AcceptOutOfDescriptorsBacksOffAndServesOnceTheyAreFree) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(RunOutOfDescriptors(), ::testing::ExitedWithCode(0),
              "served after descriptors were freed");
}

}  // namespace
}  // namespace coffer::http
