// libFuzzer entry for the HTTP request edge: bytes as a client would send them after the TLS
// handshake — request line, headers, framing (Content-Length, chunked), bodies and pipelined
// requests — read by the server's own code: its header loop (ParseHeaderStep: the obs-fold
// check, then Beast's parser configured by ConfigureHeadParser), the head filled by
// FillRequestHead and every failed read classified by ClassifyReadError
// (impl/request_reader.h, which Connection uses). Only the socket is replaced, by a stream
// that hands out the input a few bytes at a time (the first byte picks how many), so partial
// reads at every offset are exercised.
//
// A bug is a crash, a sanitizer report, or a broken invariant: a refusal other than
// 400/413/414/431, a body longer than its limit or different from its Content-Length.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/read.hpp>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "http/impl/request_reader.h"

namespace {

using namespace coffer::http;
using namespace coffer::http::impl;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

constexpr size_t kBodyLimit = 64 * 1024;  // what OnHead would allow; routes use 25 KB..4 MB
constexpr int kMaxRequests = 8;           // pipelined requests read from one input

// A SyncReadStream over the fuzz input, `step` bytes per read_some, then end of stream.
class MemoryStream {
 public:
  MemoryStream(std::string_view input, size_t step) : input_(input), step_(step) {}
  using executor_type = net::any_io_executor;

  template <class Buffers>
  size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    if (input_.empty()) {
      ec = net::error::eof;
      return 0;
    }
    size_t n = net::buffer_copy(buffers, net::buffer(input_.data(), std::min(step_, input_.size())));
    input_.remove_prefix(n);
    ec = {};
    return n;
  }
  template <class Buffers>
  size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view input_;
  size_t step_;
};

void CheckRefusal(const ReadFailure& failure) {
  switch (failure.status) {
    case 0: case 400: case 413: case 414: case 431: return;
    default: std::abort();
  }
}

std::string_view Buffered(const boost::beast::flat_buffer& buffer) {
  auto data = buffer.data();
  return {static_cast<const char*>(data.data()), data.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const ServerOptions options;  // the server's defaults: 16 KB header, 8 KB target
  size_t step = data[0] == 0 ? 1 << 20 : data[0];
  MemoryStream stream({reinterpret_cast<const char*>(data + 1), size - 1}, step);
  boost::beast::flat_buffer buffer;
  for (int i = 0; i < kMaxRequests; ++i) {
    HeadParser head;
    ConfigureHeadParser(head, options);
    boost::system::error_code ec;
    // The server's header loop (Connection::ParseHeader): a step over what is buffered, then a
    // read, until the header block is complete or refused.
    std::optional<ReadFailure> refused;
    while (!ParseHeaderStep(head, buffer, ec, refused)) {
      if (refused) {
        CheckRefusal(*refused);
        return 0;
      }
      if (!ec) {
        size_t n = stream.read_some(buffer.prepare(boost::beast::read_size(buffer, 65536)), ec);
        buffer.commit(n);
        if (ec == net::error::eof && buffer.size() == 0) ec = bhttp::error::end_of_stream;
      }
      if (ec) {
        CheckRefusal(ClassifyReadError(ec, false, "header", &head, Buffered(buffer),
                                       options.max_target_bytes));
        return 0;
      }
    }
    RequestHead request;
    if (auto failure = FillRequestHead(head, options, request)) {
      if (failure->status != 400 && failure->status != 414) std::abort();
      return 0;
    }
    // One framing or none: Beast refuses Content-Length together with chunked.
    if (request.chunked && request.content_length) std::abort();
    bool keep_alive = head.get().keep_alive();
    if (!head.is_done()) {
      if (request.content_length && *request.content_length > kBodyLimit) return 0;  // 413
      BodyParser body(std::move(head));
      body.body_limit(kBodyLimit);
      bhttp::read(stream, buffer, body, ec);
      if (ec) {
        CheckRefusal(ClassifyReadError(ec, false, "body", nullptr, Buffered(buffer),
                                       options.max_target_bytes));
        return 0;
      }
      const std::string& bytes = body.get().body().text;
      if (bytes.size() > kBodyLimit) std::abort();
      if (request.content_length && bytes.size() != *request.content_length) std::abort();
      keep_alive = body.get().keep_alive();
    }
    if (!keep_alive) return 0;
  }
  return 0;
}
