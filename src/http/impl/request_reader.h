// The parsing half of a connection, without sockets: how the server configures Beast's request
// parser, how a complete header block becomes a RequestHead, and which status answers a failed
// read. Connection uses these on its TLS stream; the request-edge fuzzer
// (request_edge_fuzzer.cc) feeds the same parsers from memory, so both see one code path.
//
// Thread-safety: pure functions over the caller's parser.
#pragma once

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "http/server.h"

namespace coffer::http::impl {

// A Beast body that holds the bytes in memory, or appends them to a BodyFile when one is set
// before the body is read (HeadDecision::body_spool_dir).
struct SpoolableBody {
  struct value_type {
    std::string text;
    std::shared_ptr<BodyFile> file;
    Status failure;  // why the file refused a write (the read then ends with an error)
    uint64_t size() const { return file ? file->size() : text.size(); }
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, boost::system::error_code& ec);
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
      std::size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        if (!Append(std::string_view(static_cast<const char*>(b.data()), b.size()), ec)) return n;
        n += b.size();
      }
      return n;
    }
    void finish(boost::system::error_code& ec) { ec = {}; }

   private:
    bool Append(std::string_view bytes, boost::system::error_code& ec);
    value_type& body_;
  };
};

using HeadParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
using BodyParser = boost::beast::http::request_parser<SpoolableBody>;

// A refused request: the status to answer with and why; status 0 means close without answering
// (the peer went away or the transport failed).
struct ReadFailure {
  int status = 0;
  std::string message;
};

// Whether the header block at the front of `buffered` (a request line first; complete or
// not) has a line starting with a space or tab: obsolete line folding, or whitespace before the
// first field. RFC 9112 §5.2 lets a server refuse it (400) or unfold it; Coffer refuses it.
bool HasObsFold(std::string_view buffered);

// One step of reading a header block from `buffer` (what has arrived so far, a request line
// first): refuses obsolete line folding (`refused` is set: 400), then lets `parser` parse it and
// consumes what it used. Returns true once the header block is complete; false with `ec` clear
// when more input is needed; false with `ec` set when the parser failed (ClassifyReadError).
// The parser needs the whole header block in one buffer, so it consumes nothing before.
bool ParseHeaderStep(HeadParser& parser, boost::beast::flat_buffer& buffer,
                     boost::system::error_code& ec, std::optional<ReadFailure>& refused);

// Sets the header limit of `options`; no body limit (the handler's OnHead decides it and the
// body parser enforces it).
void ConfigureHeadParser(HeadParser& parser, const ServerOptions& options);

// Maps a failed header or body read (`what` is "header" or "body") to its answer: 408 when the
// read timed out, 413 over the body limit, 414/431 over the header limit (414 when the
// request-target is what is too long; `head` may be null, `buffered` is the unparsed input whose
// front is the request line), 400 for malformed HTTP, else close.
ReadFailure ClassifyReadError(const boost::system::error_code& ec, bool timed_out,
                              std::string_view what, const HeadParser* head,
                              std::string_view buffered, size_t max_target_bytes);

// Fills `out` (method, target, path, query, headers, host, framing) from `parser`'s complete
// header block. Returns the failure to answer instead: 414 for a target over
// max_target_bytes, 400 for a malformed target or an absolute-form authority that differs from
// Host. remote_address and local_port are left to the caller.
std::optional<ReadFailure> FillRequestHead(const HeadParser& parser, const ServerOptions& options,
                                           RequestHead& out);

}  // namespace coffer::http::impl
