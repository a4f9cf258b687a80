// One accepted TLS connection: handshake, then a loop of header → OnHead → body → Handle →
// response, with every timeout of server.h enforced by one per-connection timer.
//
// Ownership: shared_ptr, kept alive by its pending asynchronous operations and by the worker
// job while Handler::Handle runs. Thread-safety: every member runs on the socket's strand,
// except the Handle call, which runs on the worker pool and touches only its own Request.
// Beast/Asio types appear here, so only http/impl includes this header.
#pragma once

#include <any>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/impl/body_budget.h"
#include "http/impl/request_reader.h"
#include "http/message.h"
#include "http/server.h"

namespace coffer::http::impl {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using ErrorCode = boost::system::error_code;

// Told when a connection ends (its destructor), so the server can admit a waiting one.
class ConnectionObserver {
 public:
  virtual ~ConnectionObserver() = default;
  virtual void OnConnectionClosed(const std::string& address) = 0;
};

// What every connection of one server shares; outlives all connections (see ServerImpl::Stop).
struct ConnectionEnv {
  const ServerOptions* options = nullptr;
  Handler* handler = nullptr;
  net::thread_pool* workers = nullptr;
  ConnectionObserver* observer = nullptr;
  BodyBudget* body_budget = nullptr;  // shared by every connection; outlives them
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `socket` must have been accepted with a strand executor.
  Connection(net::ip::tcp::socket socket, net::ssl::context& tls, const ConnectionEnv& env);
  ~Connection();

  // Starts the TLS handshake on the connection's strand.
  void Start();
  const std::string& remote_address() const { return remote_address_; }

 private:
  enum class OnTimeout { kClose, kRespond408, kRespond503 };
  enum class AfterWrite { kNextRequest, kDrainBody, kClose };

  void Arm(std::chrono::steady_clock::duration after, OnTimeout action);
  void ArmUntil(std::chrono::steady_clock::time_point deadline, OnTimeout action);
  void Disarm();
  void OnTimer(uint64_t generation);

  void OnHandshake(ErrorCode ec);
  void WaitForRequest();
  void ReadHeader();
  // Parses what is buffered, reading more until the header block is complete.
  void ParseHeader();
  void OnHeader(ErrorCode ec);
  // Handler::OnHead, with the wait it may ask for (HeadDecision::await), then Dispatch.
  void RunOnHead();
  bool FillHead();
  void Dispatch(HeadDecision decision);
  // Holds body budget for `total` bytes of this request's body (times body_memory_factor_,
  // clamped to the budget), then goes on with the body; waits for it, or answers 503 after
  // body_budget_wait.
  void ReserveBody(uint64_t total);
  // The budget `body_bytes` of this request's body take (saturating), and the body bytes the
  // budget held now covers.
  uint64_t MemoryFor(uint64_t body_bytes) const {
    return body_bytes > UINT64_MAX / body_memory_factor_ ? UINT64_MAX
                                                         : body_bytes * body_memory_factor_;
  }
  uint64_t CoveredBodyBytes() const { return reservation_.bytes() / body_memory_factor_; }
  void OnBudgetGranted();
  void OnBudgetReserved();
  void SendOverloaded();
  // 503 with Retry-After, closing: a spooled body's file could not be made or written.
  void SendSpoolFailure(const Status& why);
  void StartBody();
  void ReadBody();
  void ReadChunkedBody();
  void OnChunkedBody(ErrorCode ec);
  void OnBody(ErrorCode ec);
  void DrainBody();
  void RunHandler(Request request);
  void SendResponse(Response response, bool keep_alive, AfterWrite after);
  // The head and fields every response carries (status, server, the handler's headers).
  template <typename Body>
  void FillHead(bhttp::response<Body>& res, const Response& response, int status,
                bool keep_alive);
  // Response::source: the head, then one piece at a time (WriteNextPiece).
  void SendStreamed(Response response, int status, bool keep_alive, AfterWrite after);
  void OnStreamWrite(ErrorCode ec, AfterWrite after);
  void OnWrite(ErrorCode ec, AfterWrite after);
  void SendError(int status, std::string_view message);
  void FailRead(ErrorCode ec, std::string_view what);
  void GracefulClose();
  void LingerRead();
  void CloseNow();
  Response SafeErrorResponse(int status, std::string_view message);

  net::ssl::stream<net::ip::tcp::socket> stream_;
  net::steady_timer timer_;
  const ConnectionEnv env_;
  std::string remote_address_;
  uint16_t local_port_ = 0;

  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> head_parser_;
  std::optional<BodyParser> body_parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  // A streamed response in progress (Response::source).
  std::optional<bhttp::response<bhttp::buffer_body>> stream_response_;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> stream_serializer_;
  std::function<bool(std::string*)> stream_source_;
  std::string stream_piece_;
  uint64_t stream_left_ = 0;  // bytes of the announced Content-Length not sent yet

  // The request in progress.
  RequestHead head_;
  std::any context_;
  size_t body_limit_ = 0;
  uint64_t body_memory_factor_ = 1;  // HeadDecision::body_memory_factor, at least 1
  std::string spool_dir_;            // HeadDecision::body_spool_dir: the body goes to a file
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool run_inline_ = false;
  bool is_head_method_ = false;
  bool first_request_ = true;
  bool expect_continue_ = false;

  // Body budget: what this request holds (moved into the handler's job, which gives it back),
  // and a request waiting for more.
  BodyReservation reservation_;
  uint64_t budget_ticket_ = 0;  // > 0 while waiting
  uint64_t budget_wanted_ = 0;  // bytes the ticket asks for
  std::chrono::steady_clock::time_point body_deadline_;

  uint64_t timer_generation_ = 0;
  std::unique_ptr<std::array<char, 16 * 1024>> linger_buffer_;  // lingering close only
  uint64_t lingered_bytes_ = 0;
  OnTimeout timeout_action_ = OnTimeout::kClose;
  bool timed_out_ = false;
  bool closed_ = false;
};

}  // namespace coffer::http::impl
