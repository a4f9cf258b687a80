// HTTP request/response values exchanged between the server (http/impl) and the application
// (api/). No HTTP-library type appears here, so only http/impl compiles Beast.
//
// Thread-safety: plain values.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace coffer::http {

// Ordered header list; lookups are ASCII case-insensitive on the name.
class Headers {
 public:
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every header of that name with one value.
  void Set(std::string name, std::string value);
  std::optional<std::string_view> Get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// What is known once the header block has been read, before any body byte.
struct RequestHead {
  std::string method;   // as sent, e.g. "GET"
  std::string target;   // the raw request-target, e.g. "/secrets/a?api%2Dversion=7.6"
  std::string path;     // target up to '?', still percent-encoded
  // Query parameters in order, names and values percent-decoded ('+' is left alone).
  std::vector<std::pair<std::string, std::string>> query;
  Headers headers;
  std::string host;     // the Host header as sent ("" when missing)
  std::optional<uint64_t> content_length;  // nullopt for chunked or absent
  bool chunked = false;
  std::string remote_address;
  uint16_t local_port = 0;  // the port the connection arrived on
  // Set when OnHead runs again after the wait its HeadDecision::await asked for: whether that
  // wait ended well (false: the handler cannot serve the request now).
  std::optional<bool> awaited;

  std::optional<std::string_view> Query(std::string_view name) const;
};

// A request body kept on disk instead of in memory (HeadDecision::body_spool_dir): an unnamed
// temporary file (core OpenUnnamedFile), removed with the last reference. Append is the
// server's, while it reads the body; afterwards the file is only read.
class BodyFile {
 public:
  static StatusOr<std::shared_ptr<BodyFile>> Create(const std::string& dir);
  ~BodyFile();
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;

  Status Append(std::string_view bytes);
  uint64_t size() const { return size_; }
  // Up to `n` bytes from `offset` (fewer only at the end).
  StatusOr<size_t> ReadAt(uint64_t offset, char* out, size_t n) const;

 private:
  BodyFile(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_;
  std::string dir_;  // for messages
  uint64_t size_ = 0;
};

struct Request : RequestHead {
  std::string body;
  // Instead of `body`, when OnHead asked for the body on disk.
  std::shared_ptr<BodyFile> body_file;
  // Whatever the handler's OnHead attached (e.g. the authenticated principal, the route).
  std::any context;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Close the connection after this response.
  bool close = false;
  // Instead of `body`: a body made piece by piece while it is sent, so a large download is
  // never held whole. Called on the connection's I/O thread (keep each call short): it appends
  // the next piece to *piece and returns true; a call that appends nothing ends the body;
  // false is a failure and the connection is closed, so the client sees a short body.
  std::function<bool(std::string* piece)> source;
  std::optional<uint64_t> source_length;  // Content-Length; required with `source`
};

// Percent-decodes `s`; returns nullopt on a malformed escape. '+' is not turned into a space.
std::optional<std::string> PercentDecode(std::string_view s);
std::string PercentEncode(std::string_view s);

}  // namespace coffer::http
