#include "http/impl/request_reader.h"

#include <boost/beast/http/error.hpp>
#include <algorithm>
#include <limits>

#include "core/encoding.h"
#include "http/impl/request_target.h"

namespace coffer::http::impl {
namespace bhttp = boost::beast::http;

namespace {

bool IsHttpParseError(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

int TargetStatusForHeaderLimit(const HeadParser* head, std::string_view buffered,
                               size_t max_target_bytes) {
  // The header block overflowed; if it is the request-target that is too long, say 414.
  size_t target_size = 0;
  auto parsed_target = head ? head->get().target() : boost::beast::string_view();
  if (!parsed_target.empty()) {
    target_size = parsed_target.size();  // the request line was complete
  } else {
    // Still inside the request line, which is at the front of the buffer.
    std::string_view line = buffered.substr(0, buffered.find_first_of("\r\n"));
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return 431;
    std::string_view target = line.substr(sp + 1);
    target_size = target.substr(0, target.find(' ')).size();
  }
  return target_size > max_target_bytes ? 414 : 431;
}

}  // namespace

void SpoolableBody::reader::init(const boost::optional<std::uint64_t>& length,
                                 boost::system::error_code& ec) {
  ec = {};
  if (body_.file || !length) return;
  if (*length > body_.text.max_size()) {
    ec = bhttp::error::buffer_overflow;
    return;
  }
  body_.text.reserve(static_cast<size_t>(*length));
}

bool SpoolableBody::reader::Append(std::string_view bytes, boost::system::error_code& ec) {
  ec = {};
  if (!body_.file) {
    body_.text.append(bytes);
    return true;
  }
  Status s = body_.file->Append(bytes);
  if (s.ok()) return true;
  body_.failure = std::move(s);
  ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
  return false;
}

void ConfigureHeadParser(HeadParser& parser, const ServerOptions& options) {
  parser.header_limit(static_cast<uint32_t>(
      std::min<size_t>(options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
  parser.body_limit(boost::none);
}

bool HasObsFold(std::string_view buffered) {
  size_t end = buffered.find("\r\n\r\n");
  std::string_view head = end == std::string_view::npos ? buffered : buffered.substr(0, end + 2);
  for (size_t pos = head.find("\r\n"); pos != std::string_view::npos;
       pos = head.find("\r\n", pos + 2)) {
    if (pos + 2 < head.size() && (head[pos + 2] == ' ' || head[pos + 2] == '\t')) return true;
  }
  return false;
}

bool ParseHeaderStep(HeadParser& parser, boost::beast::flat_buffer& buffer,
                     boost::system::error_code& ec, std::optional<ReadFailure>& refused) {
  ec = {};
  if (buffer.size() == 0) return false;
  auto data = buffer.data();
  if (HasObsFold(std::string_view(static_cast<const char*>(data.data()), data.size()))) {
    refused = ReadFailure{400, "obsolete line folding (a header line starting with a space or "
                               "tab) is not accepted"};
    return false;
  }
  size_t used = parser.put(data, ec);
  buffer.consume(used);
  if (ec == bhttp::error::need_more) {
    ec = {};
    return false;
  }
  return !ec && parser.is_header_done();
}

ReadFailure ClassifyReadError(const boost::system::error_code& ec, bool timed_out,
                              std::string_view what, const HeadParser* head,
                              std::string_view buffered, size_t max_target_bytes) {
  if (timed_out) return {408, "timed out reading the request " + std::string(what)};
  if (ec == bhttp::error::body_limit) return {413, "request body is larger than allowed"};
  if (ec == bhttp::error::header_limit) {
    int status = TargetStatusForHeaderLimit(head, buffered, max_target_bytes);
    return {status, status == 414 ? "request target is too long" : "request header is too large"};
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      !IsHttpParseError(ec)) {
    return {};
  }
  return {400, "malformed HTTP request " + std::string(what) + ": " + ec.message()};
}

std::optional<ReadFailure> FillRequestHead(const HeadParser& parser, const ServerOptions& options,
                                           RequestHead& out) {
  const auto& req = parser.get();
  std::string_view target(req.target().data(), req.target().size());
  if (target.size() > options.max_target_bytes) {
    return ReadFailure{414, "request target is too long"};
  }
  auto parsed = ParseTarget(target);
  if (!parsed.ok()) return ReadFailure{400, std::string(parsed.status().message())};
  out = RequestHead{};
  out.method = std::string(req.method_string());
  out.target = std::string(target);
  out.path = std::move(parsed->path);
  out.query = std::move(parsed->query);
  for (const auto& field : req) {
    out.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  out.host = std::string(req[bhttp::field::host]);
  // RFC 9112 §3.2.2: an absolute-form target names the authority. One that differs from the
  // Host header would let a request address one vault in the path and another in Host.
  if (!parsed->authority.empty() && !EqualsIgnoreCase(parsed->authority, out.host)) {
    return ReadFailure{400, "the request target's authority does not match the Host header"};
  }
  if (auto length = parser.content_length()) out.content_length = *length;
  out.chunked = parser.chunked();
  return std::nullopt;
}

}  // namespace coffer::http::impl
