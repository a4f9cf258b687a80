// Streamed response bodies (Response::source): the pieces arrive in order under the announced
// Content-Length on a connection that then serves the next request; a source that fails, or
// ends short, closes the connection before the announced length, so a client never mistakes a
// cut body for a whole one; HEAD answers the length without calling the source.
#include <atomic>
#include <memory>
#include <string>

#include "http/server_test_fixture.h"

namespace coffer::http {
namespace {

// A source of `pieces` pieces of `size` bytes ('a', 'b', …), failing at piece `fail_at`
// (-1: never); `calls` counts its calls.
std::function<bool(std::string*)> Pieces(int pieces, size_t size, int fail_at,
                                         std::shared_ptr<std::atomic<int>> calls) {
  auto next = std::make_shared<int>(0);
  return [=](std::string* piece) {
    ++*calls;
    if (*next == fail_at) return false;
    if (*next == pieces) return true;  // the end: nothing appended
    piece->append(size, static_cast<char>('a' + *next));
    ++*next;
    return true;
  };
}

class ServerStreamTest : public ServerTest {
 protected:
  void Serve(int pieces, size_t size, int fail_at, uint64_t length) {
    handler_.handle = [=, this](Request&) {
      Response r;
      r.headers.Set("Content-Type", "application/octet-stream");
      r.source = Pieces(pieces, size, fail_at, calls_);
      r.source_length = length;
      return r;
    };
    StartServer(Options());
  }
  std::shared_ptr<std::atomic<int>> calls_ = std::make_shared<std::atomic<int>>(0);
};

TEST_F(ServerStreamTest, PiecesArriveInOrderAndTheConnectionServesTheNextRequest) {
  constexpr size_t kPiece = 300 * 1024;  // several TLS records each
  Serve(3, kPiece, -1, 3 * kPiece);
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /archive HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto first = client->ReadResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_TRUE(first->Has("\r\ncontent-length: " + std::to_string(3 * kPiece) + "\r\n"));
  EXPECT_EQ(first->body, std::string(kPiece, 'a') + std::string(kPiece, 'b') +
                             std::string(kPiece, 'c'));
  EXPECT_EQ(calls_->load(), 4);  // three pieces and the end

  // Keep-alive: the same connection answers again.
  ASSERT_TRUE(client->Send("GET /archive HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto second = client->ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body.size(), 3 * kPiece);
}

TEST_F(ServerStreamTest, AFailingSourceClosesTheConnectionShortOfTheLength) {
  Serve(3, 1000, /*fail_at=*/1, 3000);
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /archive HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  EXPECT_FALSE(client->ReadResponse().has_value());  // 1000 of 3000 bytes, then closed
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(5)));
}

TEST_F(ServerStreamTest, ASourceEndingShortClosesTheConnection) {
  Serve(2, 1000, -1, 5000);
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /archive HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  EXPECT_FALSE(client->ReadResponse().has_value());
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(5)));
}

TEST_F(ServerStreamTest, ASourceLongerThanItsLengthIsCutAndClosed) {
  Serve(3, 1000, -1, 1500);
  auto client = Connect();
  ASSERT_TRUE(client->Send("GET /archive HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto r = client->ReadResponse();
  // Whatever arrived is at most the announced length, and the connection does not go on.
  if (r.has_value()) {
    EXPECT_LE(r->body.size(), 1500u);
  }
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(5)));
}

TEST_F(ServerStreamTest, HeadDoesNotCallTheSource) {
  Serve(3, 1000, -1, 3000);
  auto client = Connect();
  ASSERT_TRUE(client->Send("HEAD /archive HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(5)));
  EXPECT_EQ(handler_.handle_calls.load(), 1);
  EXPECT_EQ(calls_->load(), 0);
}

}  // namespace
}  // namespace coffer::http
