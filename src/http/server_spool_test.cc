// Request bodies spooled to a file (HeadDecision::body_spool_dir): the bytes reach the handler
// in Request::body_file, exactly, whether sent with a Content-Length or chunked, while the body
// holds only a read buffer's worth of the body budget; the body limit still applies, and a
// spool directory that cannot take the file is a 503 with Retry-After that names no path.
#include <cstdio>
#include <future>
#include <string>

#include "http/server_test_fixture.h"

namespace coffer::http {
namespace {

constexpr size_t kKiB = 1024;

// Bytes that differ from position to position, so a misplaced or dropped piece shows.
std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  return out;
}

std::string Chunk(std::string_view bytes) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
  return size + std::string(bytes) + "\r\n";
}

class ServerSpoolTest : public ServerTest {
 protected:
  ServerSpoolTest() {
    handler_.on_head = [this](const RequestHead& head) {
      HeadDecision decision;
      decision.body_limit = 8 * 1024 * kKiB;
      if (head.path == "/spool") decision.body_spool_dir = spool_dir_;
      return decision;
    };
    // Answers what arrived: the in-memory body's size, the file's size and whether the file
    // holds exactly the pattern; records the budget held while the handler runs.
    handler_.handle = [this](Request& request) {
      reserved_in_handler_ = server_->load().body_bytes_reserved;
      Response response;
      response.body = "memory " + std::to_string(request.body.size());
      if (request.body_file) {
        uint64_t size = request.body_file->size();
        std::string read(size, '\0');
        auto got = request.body_file->ReadAt(0, read.data(), read.size());
        bool same = got.ok() && *got == size && read == Pattern(size);
        response.body += " file " + std::to_string(size) + (same ? " same" : " differs");
      }
      return response;
    };
  }

  ServerOptions SpoolOptions() {
    ServerOptions options = Options();
    options.body_budget_bytes = 1024 * kKiB;  // smaller than the bodies below
    options.body_budget_wait = std::chrono::milliseconds(50);
    return options;
  }

  std::string spool_dir_ = ::testing::TempDir();
  std::atomic<uint64_t> reserved_in_handler_{0};
};

TEST_F(ServerSpoolTest, AContentLengthBodyLargerThanTheBudgetLandsInTheFileExactly) {
  StartServer(SpoolOptions());
  std::string body = Pattern(3 * 1024 * kKiB);
  auto client = Connect();
  ASSERT_TRUE(client->Send("POST /spool HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body));
  auto answer = client->ReadResponse();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "memory 0 file " + std::to_string(body.size()) + " same");
  EXPECT_LE(reserved_in_handler_.load(), 256 * kKiB);
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);

  // The same body without spooling does not fit the budget: the difference is the file.
  ASSERT_TRUE(client->Send("POST /memory HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body));
  auto in_memory = client->ReadResponse();
  ASSERT_TRUE(in_memory.has_value());
  EXPECT_EQ(in_memory->status, 200);  // alone, a body larger than the budget is still served
  EXPECT_EQ(in_memory->body, "memory " + std::to_string(body.size()));
  EXPECT_GT(reserved_in_handler_.load(), 256 * kKiB);
}

TEST_F(ServerSpoolTest, AChunkedBodyLandsInTheFileExactlyWithoutGrowingItsReservation) {
  StartServer(SpoolOptions());
  std::string body = Pattern(2 * 1024 * kKiB + 123);
  std::string request = "POST /spool HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t off = 0; off < body.size(); off += 300 * kKiB) {
    request += Chunk(std::string_view(body).substr(off, 300 * kKiB));
  }
  request += "0\r\n\r\n";
  auto client = Connect();
  ASSERT_TRUE(client->Send(request));
  auto answer = client->ReadResponse();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "memory 0 file " + std::to_string(body.size()) + " same");
  EXPECT_LE(reserved_in_handler_.load(), 256 * kKiB);
}

TEST_F(ServerSpoolTest, TheBodyLimitStillHolds) {
  StartServer(SpoolOptions());
  auto declared = Connect();
  ASSERT_TRUE(declared->Send("POST /spool HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                             std::to_string(9 * 1024 * kKiB) + "\r\n\r\n"));
  auto refused = declared->ReadResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 413);

  auto chunked = Connect();
  std::string piece = Pattern(1024 * kKiB);
  std::string request = "POST /spool HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 9; ++i) request += Chunk(piece);
  chunked->Send(request);  // the server may close before it has all of it
  auto grown = chunked->ReadResponse();
  ASSERT_TRUE(grown.has_value());
  EXPECT_EQ(grown->status, 413);
  EXPECT_EQ(handler_.handle_calls.load(), 0);
}

TEST_F(ServerSpoolTest, ASpoolDirectoryThatCannotTakeTheFileIs503WithRetryAfterAndNoPath) {
  spool_dir_ = ::testing::TempDir() + "/no-such-dir-for-coffer-spool";
  StartServer(SpoolOptions());
  auto client = Connect();
  ASSERT_TRUE(client->Send("POST /spool HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n"
                           "0123456789"));
  auto refused = client->ReadResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_TRUE(refused->Has("\r\nretry-after: 1\r\n")) << refused->head;
  EXPECT_EQ(refused->body.find("no-such-dir"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("temporary directory"), std::string::npos) << refused->body;
  EXPECT_EQ(handler_.handle_calls.load(), 0);
  EXPECT_EQ(server_->load().body_bytes_reserved, 0u);
}

}  // namespace
}  // namespace coffer::http
