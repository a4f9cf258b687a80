// The per-connection HTTP/1.1 state machine, its handling and writing side: running the
// handler, and writing its response — whole, or streamed piece by piece (Response::source).
// The reading side and the connection's life cycle are in connection.cc.
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>

#include "core/encoding.h"
#include "core/log.h"
#include "core/secret_bytes.h"
#include "http/impl/connection.h"

namespace coffer::http::impl {
namespace {

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) return false;
  }
  return true;
}

bool IsSafeValue(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// Headers the server owns: framing and connection management are decided here, not by handlers.
bool IsServerOwned(std::string_view name) {
  return EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
         EqualsIgnoreCase(name, "connection") || EqualsIgnoreCase(name, "server");
}

}  // namespace

// ---- handling and writing -------------------------------------------------------------------

void Connection::RunHandler(Request request) {
  bool keep_alive = keep_alive_;
  auto work = [self = shared_from_this(), request = std::move(request), keep_alive,
               reservation = std::move(reservation_)](bool on_strand) mutable {
    Response response;
    try {
      response = self->env_.handler->Handle(request);
    } catch (const std::exception& e) {
      log::error("http: Handle threw: {}", e.what());
      response = self->SafeErrorResponse(500, "internal error");
      response.close = true;
    } catch (...) {
      log::error("http: Handle threw a non-standard exception");
      response = self->SafeErrorResponse(500, "internal error");
      response.close = true;
    }
    SecureClear(request.body);
    std::string().swap(request.body);  // the memory goes back with the budget
    reservation.Reset();
    bool keep = keep_alive && !response.close;
    AfterWrite after = keep ? AfterWrite::kNextRequest : AfterWrite::kClose;
    if (on_strand) {
      self->SendResponse(std::move(response), keep, after);
      return;
    }
    net::post(self->stream_.get_executor(),
              [self, response = std::move(response), keep, after]() mutable {
                self->SendResponse(std::move(response), keep, after);
              });
  };
  if (run_inline_) {
    work(true);
    return;
  }
  net::post(*env_.workers, [work = std::move(work)]() mutable { work(false); });
}

Response Connection::SafeErrorResponse(int status, std::string_view message) {
  try {
    return env_.handler->ErrorResponse(status, message);
  } catch (...) {
    Response response;
    response.status = status;
    response.headers.Set("Content-Type", "text/plain");
    response.body = std::string(message);
    return response;
  }
}

void Connection::SendError(int status, std::string_view message) {
  log::debug("http: {} for {}: {}", status, remote_address_, message);
  reservation_.Reset();  // the body will not be handled
  Response response = SafeErrorResponse(status, message);
  SendResponse(std::move(response), false, AfterWrite::kClose);
}

template <typename Body>
void Connection::FillHead(bhttp::response<Body>& res, const Response& response, int status,
                          bool keep_alive) {
  res.version(version_);
  res.result(static_cast<unsigned>(status));
  res.set(bhttp::field::server, "coffer");
  for (const auto& [name, value] : response.headers.items()) {
    if (IsServerOwned(name)) continue;
    if (!IsToken(name) || !IsSafeValue(value)) {
      log::error("http: dropping invalid response header {}", name);
      continue;
    }
    res.insert(name, value);
  }
  res.keep_alive(keep_alive);
}

void Connection::SendResponse(Response response, bool keep_alive, AfterWrite after) {
  if (closed_) {
    SecureClear(response.body);
    return;
  }
  int status = response.status;
  if (status < 200 || status > 999) {
    log::error("http: handler returned invalid status {}; sending 500", status);
    status = 500;
    SecureClear(response.body);
    response.source = nullptr;
  }
  if (response.source && !response.source_length) {
    log::error("http: a streamed response without a length; sending 500");
    status = 500;
    response.source = nullptr;
  }
  if (response.source && status != 204 && status != 304 && !is_head_method_) {
    SendStreamed(std::move(response), status, keep_alive, after);
    return;
  }
  response_.emplace();
  auto& res = *response_;
  FillHead(res, response, status, keep_alive);
  if (status == 204 || status == 304) {
    SecureClear(response.body);  // these statuses carry no content (RFC 9110 §6.4.1)
  } else if (response.source) {
    res.content_length(*response.source_length);  // HEAD of a streamed body
  } else {
    res.content_length(response.body.size());
    if (is_head_method_) {
      SecureClear(response.body);
    } else {
      res.body() = std::move(response.body);
    }
  }
  Arm(env_.options->body_timeout, OnTimeout::kClose);
  bhttp::async_write(stream_, res, [self = shared_from_this(), after](ErrorCode ec, size_t) {
    self->OnWrite(ec, after);
  });
}

void Connection::SendStreamed(Response response, int status, bool keep_alive, AfterWrite after) {
  stream_source_ = std::move(response.source);
  stream_left_ = *response.source_length;
  stream_response_.emplace();
  auto& res = *stream_response_;
  FillHead(res, response, status, keep_alive);
  res.content_length(stream_left_);
  res.body().data = nullptr;
  res.body().more = true;
  stream_serializer_.emplace(res);
  Arm(env_.options->body_timeout, OnTimeout::kClose);
  bhttp::async_write_header(stream_, *stream_serializer_,
                            [self = shared_from_this(), after](ErrorCode ec, size_t) {
                              self->OnStreamWrite(ec, after);
                            });
}

void Connection::OnStreamWrite(ErrorCode ec, AfterWrite after) {
  if (ec == bhttp::error::need_buffer) ec = {};  // the piece is out; the serializer wants more
  auto end = [&] {
    stream_serializer_.reset();
    stream_response_.reset();
    stream_source_ = nullptr;
    std::string().swap(stream_piece_);
  };
  if (ec || closed_ || stream_serializer_->is_done()) {
    end();
    OnWrite(ec, after);
    return;
  }
  stream_piece_.clear();
  bool ok = stream_source_(&stream_piece_);
  if (ok && stream_piece_.size() > stream_left_) {
    log::error("http: a streamed body is longer than its Content-Length");
    ok = false;
  }
  if (ok && stream_piece_.empty() && stream_left_ > 0) {
    log::error("http: a streamed body ended {} bytes short of its Content-Length", stream_left_);
    ok = false;
  }
  if (!ok) {
    end();
    CloseNow();  // the client sees a short body, never a complete-looking one
    return;
  }
  stream_left_ -= stream_piece_.size();
  auto& body = stream_response_->body();
  body.data = stream_piece_.empty() ? nullptr : stream_piece_.data();
  body.size = stream_piece_.size();
  body.more = !stream_piece_.empty();
  Arm(env_.options->body_timeout, OnTimeout::kClose);
  bhttp::async_write(stream_, *stream_serializer_,
                     [self = shared_from_this(), after](ErrorCode ec, size_t) {
                       self->OnStreamWrite(ec, after);
                     });
}

void Connection::OnWrite(ErrorCode ec, AfterWrite after) {
  Disarm();
  if (response_) SecureClear(response_->body());
  response_.reset();
  if (ec || closed_) {
    CloseNow();
    return;
  }
  first_request_ = false;
  switch (after) {
    case AfterWrite::kNextRequest:
      WaitForRequest();
      return;
    case AfterWrite::kDrainBody:
      DrainBody();
      return;
    case AfterWrite::kClose:
      GracefulClose();
      return;
  }
}

}  // namespace coffer::http::impl
