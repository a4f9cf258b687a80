// The per-connection HTTP/1.1 state machine (see connection.h and the life cycle in server.h):
// its life cycle, timer, reading and closing. Handling and writing are in connection_write.cc.
#include "http/impl/connection.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <algorithm>
#include <exception>

#include "core/encoding.h"
#include "core/log.h"
#include "core/secret_bytes.h"
#include "http/impl/request_reader.h"

namespace coffer::http::impl {
namespace {

// A rejected request whose announced body is at most this large is read and discarded so the
// connection can be kept; anything larger (or chunked) closes the connection instead.
constexpr uint64_t kMaxDrainBytes = 64 * 1024;
// How long a closing connection waits for the peer's close_notify while discarding its input.
constexpr auto kLingerTimeout = std::chrono::seconds(5);
constexpr uint64_t kMaxLingerBytes = 64ull * 1024 * 1024;
constexpr size_t kFirstReadBytes = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// A chunked body reserves body budget in steps: kChunkedStep at first, then twice what it holds
// once what it has read comes within kChunkedMargin of that — more than one read adds (Beast
// reads 64 KiB at a time) — so the body's string, reserved to match, never grows on its own.
constexpr uint64_t kChunkedStep = 256 * 1024;
constexpr uint64_t kChunkedMargin = 128 * 1024;
// What a body spooled to a file holds of the budget however large it is: Beast's read buffer.
constexpr uint64_t kSpooledBodyMemory = 256 * 1024;

}  // namespace

Connection::Connection(net::ip::tcp::socket socket, net::ssl::context& tls,
                       const ConnectionEnv& env)
    : stream_(std::move(socket), tls),
      timer_(stream_.get_executor()),
      env_(env),
      reservation_(env.body_budget) {
  ErrorCode ec;
  auto remote = stream_.next_layer().remote_endpoint(ec);
  if (!ec) remote_address_ = remote.address().to_string();
  auto local = stream_.next_layer().local_endpoint(ec);
  if (!ec) local_port_ = local.port();
}

Connection::~Connection() {
  if (budget_ticket_ != 0 && env_.body_budget != nullptr) env_.body_budget->Cancel(budget_ticket_);
  if (env_.observer != nullptr) env_.observer->OnConnectionClosed(remote_address_);
}

void Connection::Start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->Arm(self->env_.options->handshake_timeout, OnTimeout::kClose);
    self->stream_.async_handshake(net::ssl::stream_base::server,
                                  [self](ErrorCode ec) { self->OnHandshake(ec); });
  });
}

// ---- timer ----------------------------------------------------------------------------------

void Connection::Arm(std::chrono::steady_clock::duration after, OnTimeout action) {
  ArmUntil(std::chrono::steady_clock::now() + after, action);
}

void Connection::ArmUntil(std::chrono::steady_clock::time_point deadline, OnTimeout action) {
  uint64_t generation = ++timer_generation_;
  timeout_action_ = action;
  timed_out_ = false;
  timer_.expires_at(deadline);
  timer_.async_wait(
      [self = shared_from_this(), generation](ErrorCode) { self->OnTimer(generation); });
}

void Connection::Disarm() {
  ++timer_generation_;
  timer_.cancel();
}

void Connection::OnTimer(uint64_t generation) {
  if (generation != timer_generation_ || closed_) return;  // disarmed or re-armed meanwhile
  ++timer_generation_;
  if (timeout_action_ == OnTimeout::kClose) {
    CloseNow();
    return;
  }
  if (timeout_action_ == OnTimeout::kRespond503) {
    // Still waiting for body budget: give up and say so. If the budget has just granted the
    // bytes, Cancel fails and OnBudgetGranted, already posted, goes on with the body.
    if (budget_ticket_ != 0 && env_.body_budget->Cancel(budget_ticket_)) {
      budget_ticket_ = 0;
      SendOverloaded();
    }
    return;
  }
  // Abort the pending read only; its handler answers 408 over the still-open connection.
  timed_out_ = true;
  ErrorCode ignored;
  stream_.next_layer().cancel(ignored);
}

// ---- reading --------------------------------------------------------------------------------

void Connection::OnHandshake(ErrorCode ec) {
  Disarm();
  if (ec) {
    log::debug("http: TLS handshake with {} failed: {}", remote_address_, ec.message());
    CloseNow();
    return;
  }
  WaitForRequest();
}

void Connection::WaitForRequest() {
  if (closed_) return;
  if (buffer_.size() > 0) {  // a pipelined request is already buffered
    ReadHeader();
    return;
  }
  // Before the first byte of a request the connection is idle: a timeout just closes it.
  const ServerOptions& options = *env_.options;
  Arm(first_request_ ? options.header_timeout : options.idle_timeout, OnTimeout::kClose);
  stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                          [self = shared_from_this()](ErrorCode ec, size_t n) {
                            self->Disarm();
                            if (ec) {
                              self->CloseNow();
                              return;
                            }
                            self->buffer_.commit(n);
                            self->ReadHeader();
                          });
}

void Connection::ReadHeader() {
  head_parser_.emplace();
  ConfigureHeadParser(*head_parser_, *env_.options);  // OnHead decides the body limit
  body_parser_.reset();
  version_ = 11;
  keep_alive_ = false;
  is_head_method_ = false;
  Arm(env_.options->header_timeout, OnTimeout::kRespond408);
  ParseHeader();
}

// Beast's async_read_header, with one check added (ParseHeaderStep): the header block as
// received has no obsolete line folding, which Beast's parser would unfold silently.
void Connection::ParseHeader() {
  ErrorCode ec;
  std::optional<ReadFailure> refused;
  if (ParseHeaderStep(*head_parser_, buffer_, ec, refused)) {
    OnHeader(ec);
    return;
  }
  if (refused) {
    Disarm();
    SendError(refused->status, refused->message);
    return;
  }
  if (ec) {
    OnHeader(ec);
    return;
  }
  stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, 65536)),
                          [self = shared_from_this()](ErrorCode ec, size_t n) {
                            if (ec) {
                              self->OnHeader(ec);
                              return;
                            }
                            self->buffer_.commit(n);
                            self->ParseHeader();
                          });
}

void Connection::FailRead(ErrorCode ec, std::string_view what) {
  auto data = buffer_.data();
  std::string_view buffered(static_cast<const char*>(data.data()), data.size());
  ReadFailure failure = ClassifyReadError(ec, timed_out_, what,
                                          head_parser_ ? &*head_parser_ : nullptr, buffered,
                                          env_.options->max_target_bytes);
  if (failure.status == 0) {
    CloseNow();  // the peer went away or the transport failed: nobody to answer
  } else {
    SendError(failure.status, failure.message);
  }
}

void Connection::OnHeader(ErrorCode ec) {
  Disarm();
  if (closed_) return;
  if (ec) {
    FailRead(ec, "header");
    return;
  }
  if (!FillHead()) return;
  RunOnHead();
}

void Connection::RunOnHead() {
  HeadDecision decision;
  try {
    decision = env_.handler->OnHead(head_);
  } catch (const std::exception& e) {
    log::error("http: OnHead threw: {}", e.what());
    SendError(500, "internal error");
    return;
  } catch (...) {
    log::error("http: OnHead threw a non-standard exception");
    SendError(500, "internal error");
    return;
  }
  if (decision.await && !head_.awaited.has_value()) {
    // No thread waits: the handler's resume posts the second OnHead to this strand.
    auto await = std::move(decision.await);
    await([self = shared_from_this()](bool ok) {
      net::post(self->stream_.get_executor(), [self, ok] {
        if (self->closed_) return;
        self->head_.awaited = ok;
        self->RunOnHead();
      });
    });
    return;
  }
  Dispatch(std::move(decision));
}

bool Connection::FillHead() {
  auto& req = head_parser_->get();
  version_ = req.version() == 10 ? 10 : 11;
  keep_alive_ = req.keep_alive();
  is_head_method_ = req.method() == bhttp::verb::head;
  if (auto failure = FillRequestHead(*head_parser_, *env_.options, head_)) {
    SendError(failure->status, failure->message);
    return false;
  }
  head_.remote_address = remote_address_;
  head_.local_port = local_port_;
  head_.awaited.reset();
  return true;
}

void Connection::Dispatch(HeadDecision decision) {
  auto& req = head_parser_->get();
  bool expect_continue =
      version_ >= 11 && EqualsIgnoreCase(std::string_view(req[bhttp::field::expect].data(),
                                                          req[bhttp::field::expect].size()),
                                         "100-continue");
  bool has_body = head_.chunked || head_.content_length.value_or(0) > 0;
  if (decision.respond_now) {
    Response response = std::move(*decision.respond_now);
    bool keep = keep_alive_ && !response.close;
    if (!has_body) {
      SendResponse(std::move(response), keep, keep ? AfterWrite::kNextRequest : AfterWrite::kClose);
    } else if (keep && !expect_continue && !head_.chunked &&
               *head_.content_length <= kMaxDrainBytes) {
      SendResponse(std::move(response), true, AfterWrite::kDrainBody);
    } else {
      // Too much (or, with 100-continue, possibly nothing) to read: answer and close.
      SendResponse(std::move(response), false, AfterWrite::kClose);
    }
    return;
  }
  body_limit_ = decision.body_limit;
  context_ = std::move(decision.context);
  run_inline_ = decision.run_inline;
  body_memory_factor_ = std::max<uint64_t>(1, decision.body_memory_factor);
  spool_dir_ = std::move(decision.body_spool_dir);
  if (head_.content_length && *head_.content_length > body_limit_) {
    SendError(413, "request body is larger than allowed");
    return;
  }
  if (head_parser_->is_done()) {  // no body
    Request request;
    static_cast<RequestHead&>(request) = std::move(head_);
    request.context = std::move(context_);
    RunHandler(std::move(request));
    return;
  }
  expect_continue_ = expect_continue;
  uint64_t first = head_.chunked ? std::min<uint64_t>(body_limit_, kChunkedStep)
                                 : *head_.content_length;
  if (!spool_dir_.empty()) first = std::min(first, kSpooledBodyMemory);
  ReserveBody(first);
}

// ---- body budget ----------------------------------------------------------------------------

void Connection::ReserveBody(uint64_t total) {
  BodyBudget* budget = env_.body_budget;
  uint64_t held = reservation_.bytes();
  uint64_t wanted = budget == nullptr ? 0 : budget->Clamp(MemoryFor(total));
  if (wanted <= held) {  // no budget, or this request already holds all it may
    OnBudgetReserved();
    return;
  }
  uint64_t extra = wanted - held;
  if (budget->TryReserve(extra, held)) {
    reservation_.Adopt(extra);
    OnBudgetReserved();
    return;
  }
  // Wait for a release without holding the I/O thread; the grant comes back on this strand.
  budget_wanted_ = extra;
  budget_ticket_ = budget->Reserve(
      extra,
      [self = shared_from_this()] {
        net::post(self->stream_.get_executor(), [self] { self->OnBudgetGranted(); });
      },
      held);
  if (budget_ticket_ == 0) {  // freed between the two calls
    reservation_.Adopt(extra);
    OnBudgetReserved();
    return;
  }
  Arm(env_.options->body_budget_wait, OnTimeout::kRespond503);
}

void Connection::OnBudgetGranted() {
  budget_ticket_ = 0;
  reservation_.Adopt(budget_wanted_);
  if (closed_) {
    reservation_.Reset();
    return;
  }
  Disarm();
  OnBudgetReserved();
}

void Connection::OnBudgetReserved() {
  if (body_parser_) {  // a chunked body, part read: go on
    body_parser_->get().body().text.reserve(static_cast<size_t>(CoveredBodyBytes()));
    ArmUntil(body_deadline_, OnTimeout::kRespond408);
    ReadChunkedBody();
    return;
  }
  StartBody();
}

void Connection::SendOverloaded() {
  reservation_.Reset();
  if (body_parser_) {
    SecureClear(body_parser_->get().body().text);
    body_parser_.reset();
  }
  uint64_t budget_mib = env_.body_budget->capacity() >> 20;
  std::string message =
      "The server is receiving more request bodies than its memory budget for them holds (" +
      (budget_mib > 0 ? std::to_string(budget_mib) + " MiB"
                      : std::to_string(env_.body_budget->capacity()) + " bytes") +
      ", [server] body_budget_mb); this request waited " +
      std::to_string(env_.options->body_budget_wait.count()) +
      " ms for room and was not processed. Retry after the time in Retry-After, or send "
      "fewer large requests at once.";
  log::debug("http: 503 for {}: body budget full", remote_address_);
  Response response = SafeErrorResponse(503, message);
  response.headers.Set("Retry-After", "1");
  // The body was not read: close (lingering) rather than parse it as the next request.
  SendResponse(std::move(response), false, AfterWrite::kClose);
}

void Connection::SendSpoolFailure(const Status& why) {
  // The detail names a server directory: the log has it, the client gets what to do.
  log::warn("http: cannot keep a request body from {} on disk: {}", remote_address_,
            why.ToString());
  reservation_.Reset();
  Response response = SafeErrorResponse(
      503, "The server could not store this request's body in its temporary directory; the "
           "request was not processed. Retry after the time in Retry-After.");
  response.headers.Set("Retry-After", "1");
  SendResponse(std::move(response), false, AfterWrite::kClose);
}

void Connection::StartBody() {
  if (!expect_continue_) {
    ReadBody();
    return;
  }
  Arm(env_.options->body_timeout, OnTimeout::kClose);
  net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                   [self = shared_from_this()](ErrorCode ec, size_t) {
                     self->Disarm();
                     if (ec) {
                       self->CloseNow();
                       return;
                     }
                     self->ReadBody();
                   });
}

void Connection::ReadBody() {
  if (closed_) return;
  body_parser_.emplace(std::move(*head_parser_));
  body_parser_->body_limit(body_limit_);
  if (!spool_dir_.empty()) {
    auto file = BodyFile::Create(spool_dir_);
    if (!file.ok()) {
      SendSpoolFailure(file.status());
      return;
    }
    body_parser_->get().body().file = std::move(*file);
  }
  body_deadline_ = std::chrono::steady_clock::now() + env_.options->body_timeout;
  ArmUntil(body_deadline_, OnTimeout::kRespond408);
  if (head_.chunked) {
    ReadChunkedBody();
    return;
  }
  // The Content-Length's worth of budget is held: read it all.
  bhttp::async_read(stream_, buffer_, *body_parser_,
                    [self = shared_from_this()](ErrorCode ec, size_t) { self->OnBody(ec); });
}

void Connection::ReadChunkedBody() {
  bhttp::async_read_some(stream_, buffer_, *body_parser_,
                         [self = shared_from_this()](ErrorCode ec, size_t) {
                           self->OnChunkedBody(ec);
                         });
}

void Connection::OnChunkedBody(ErrorCode ec) {
  if (closed_) return;
  if (ec || body_parser_->is_done()) {
    OnBody(ec);
    return;
  }
  // Before the body could outgrow what it holds, ask for twice as much (up to its limit); the
  // body timer stops while waiting, the body deadline stays.
  uint64_t size = body_parser_->get().body().size();
  uint64_t covered = CoveredBodyBytes();
  if (spool_dir_.empty() && size + kChunkedMargin > covered) {
    uint64_t total = std::min<uint64_t>(body_limit_, std::max(2 * covered, size + kChunkedStep));
    if (env_.body_budget != nullptr &&
        env_.body_budget->Clamp(MemoryFor(total)) > reservation_.bytes()) {
      Disarm();
      ReserveBody(total);
      return;
    }
  }
  ReadChunkedBody();
}

void Connection::OnBody(ErrorCode ec) {
  Disarm();
  if (closed_) return;
  if (ec) {
    Status failure;
    if (body_parser_) {
      failure = std::move(body_parser_->get().body().failure);
      SecureClear(body_parser_->get().body().text);
      body_parser_->get().body().text.shrink_to_fit();
      body_parser_.reset();  // a spooled body's file goes with it
    }
    reservation_.Reset();
    if (!failure.ok()) {
      SendSpoolFailure(failure);
      return;
    }
    FailRead(ec, "body");
    return;
  }
  Request request;
  static_cast<RequestHead&>(request) = std::move(head_);
  request.body = std::move(body_parser_->get().body().text);
  request.body_file = std::move(body_parser_->get().body().file);
  request.context = std::move(context_);
  body_parser_.reset();
  RunHandler(std::move(request));
}

void Connection::DrainBody() {
  if (closed_) return;
  body_parser_.emplace(std::move(*head_parser_));
  body_parser_->body_limit(kMaxDrainBytes);
  Arm(env_.options->body_timeout, OnTimeout::kClose);
  bhttp::async_read(stream_, buffer_, *body_parser_,
                    [self = shared_from_this()](ErrorCode ec, size_t) {
                      self->Disarm();
                      if (self->body_parser_) SecureClear(self->body_parser_->get().body().text);
                      self->body_parser_.reset();
                      if (ec) {
                        self->CloseNow();
                        return;
                      }
                      self->WaitForRequest();
                    });
}

// ---- closing --------------------------------------------------------------------------------

void Connection::GracefulClose() {
  if (closed_) return;
  // Lingering close, as nginx does: the response is complete (it carries its length), so send
  // FIN without waiting for TLS close_notify, then read and discard whatever the client still
  // sends — e.g. the rest of a body we refused with 413 — until it closes, the linger time
  // passes or the byte budget is spent. Closing with unread data would make the kernel send a
  // reset, and the client would lose the response before reading it.
  Arm(kLingerTimeout, OnTimeout::kClose);
  ErrorCode ignored;
  stream_.next_layer().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  linger_buffer_ = std::make_unique<std::array<char, 16 * 1024>>();
  LingerRead();
}

void Connection::LingerRead() {
  stream_.next_layer().async_read_some(
      net::buffer(*linger_buffer_), [self = shared_from_this()](ErrorCode ec, size_t n) {
        self->lingered_bytes_ += n;
        if (ec || self->closed_ || self->lingered_bytes_ > kMaxLingerBytes) {
          self->CloseNow();
          return;
        }
        self->LingerRead();
      });
}

void Connection::CloseNow() {
  if (closed_) return;
  closed_ = true;
  ++timer_generation_;
  timer_.cancel();
  reservation_.Reset();
  ErrorCode ignored;
  stream_.next_layer().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

}  // namespace coffer::http::impl
