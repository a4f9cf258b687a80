// HTTPS server: TLS 1.2+ over Boost.Beast/Asio (kept inside http/impl), HTTP/1.1 keep-alive.
//
// Request life cycle:
//  1. TLS handshake (timeout), header block read (size limit, timeout).
//  2. Handler::OnHead(head) runs on an I/O thread. It must not block (no storage, no fsync);
//     cheap CPU work such as a cached token check is fine. What would block (waiting until the
//     handler's caches have caught up with other nodes) it asks for with HeadDecision::await:
//     the server then waits without holding a thread and calls OnHead again with
//     RequestHead::awaited set. Otherwise it returns either a Response to send
//     at once — the body is then not read; the server drains a bounded amount or closes so the
//     client still reads the answer — or the maximum body size to accept. A Content-Length above
//     that limit, or a chunked body that grows past it, is answered with
//     Handler::ErrorResponse(413, ...) without reading the rest. `Expect: 100-continue` is answered
//     only once the head is accepted.
//  3. The body's bytes are reserved from the server's body budget (ServerOptions::
//     body_budget_bytes: its Content-Length, or step by step as a chunked body grows); a request
//     that does not fit waits, without holding a thread, up to body_budget_wait, then gets
//     Handler::ErrorResponse(503, ...) with `Retry-After: 1` and the connection is closed.
//     `Expect: 100-continue` is answered only once the bytes are reserved.
//     A body spooled to a file (HeadDecision::body_spool_dir) reserves at most 256 KiB.
//  4. The body is read (timeout), then Handler::Handle(request) runs on a worker thread; it may
//     block (storage commits, RSA). The response is written back on the connection's strand.
//     A head accepted with `run_inline` runs Handle on the I/O thread instead. The body's
//     bytes go back to the budget when Handle returns.
// Protocol errors (malformed request line or headers, header block or URL too long, bad chunking,
// read timeouts while a request is in progress) get Handler::ErrorResponse(4xx) and the
// connection is closed. Idle keep-alive connections are closed after the idle timeout.
//
// Thread-safety: Start/Stop from one thread; the Handler is called from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "http/message.h"

namespace coffer::http {

struct HeadDecision {
  std::optional<Response> respond_now;  // set: answer this, do not read the body
  size_t body_limit = 0;                // otherwise: accept at most this many body bytes
  // How many times its body's size the handler holds at its peak (the body, a parsed JSON
  // document, decoded copies): the body budget reserves that much, so it bounds the memory of
  // handling, not just of reading. 1 = the body alone.
  uint32_t body_memory_factor = 1;
  std::any context;                     // handed to Handle() in Request::context
  // Run Handle() on the connection's I/O thread instead of the worker pool. Only for handlers
  // that never wait on a commit or a slow operation (e.g. snapshot reads): it saves two thread
  // hand-offs per request.
  bool run_inline = false;
  // Non-empty: the body goes to an unnamed file in this directory (Request::body_file) instead
  // of memory, for uploads too large to hold (a whole-vault archive). It then takes from the
  // body budget only a read buffer's worth, whatever its size; body_limit still bounds it.
  std::string body_spool_dir;
  // Set (the rest is then ignored): wait first. The server calls await(resume); resume(ok)
  // must be called exactly once, from any thread, and soon (the wait has no timeout of the
  // server's); the server then calls OnHead again on the connection's strand with
  // RequestHead::awaited = ok. Asked for on that second call, it is not waited for again.
  std::function<void(std::function<void(bool)>)> await;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual HeadDecision OnHead(const RequestHead& head) = 0;
  virtual Response Handle(Request& request) = 0;
  // Builds the error response for protocol-level failures (400, 408, 413, 414, 431) and for a
  // body refused because the body budget stayed full (503; the server adds Retry-After).
  virtual Response ErrorResponse(int status, std::string_view message) = 0;
};

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 8443;             // 0 = pick a free port; see Server::port()
  std::string cert_chain_pem;       // leaf first
  std::string private_key_pem;
  int io_threads = 0;               // 0 = hardware concurrency
  int worker_threads = 64;          // handlers may block; size for concurrent commits
  size_t max_header_bytes = 16 * 1024;
  size_t max_target_bytes = 8 * 1024;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds header_timeout{30};
  std::chrono::seconds body_timeout{60};
  std::chrono::seconds idle_timeout{75};
  // Connection caps (CONTRACT.md "Overload and abuse"): beyond max_connections the server stops
  // accepting, so further clients wait in the kernel's accept queue; a client address holding
  // max_connections_per_address connections has its further ones held, unread, until one of
  // its own closes. Neither is ever reset.
  size_t max_connections = 10000;
  size_t max_connections_per_address = 1024;
  // Request bodies in flight share this many bytes (CONTRACT.md "Overload and abuse"); one that
  // does not fit waits up to body_budget_wait for others to finish, then gets 503. Large bodies
  // together hold at most 15/16 of it, the rest is kept for small ones; a body larger than that
  // (but within its route's limit) is served when it is alone (http/impl/body_budget.h).
  uint64_t body_budget_bytes = uint64_t{256} << 20;
  std::chrono::milliseconds body_budget_wait{2000};
  // accept() failures (out of descriptors, out of memory …) are retried after a pause that
  // starts here and doubles up to the maximum; a successful accept resets it.
  std::chrono::milliseconds accept_backoff_initial{50};
  std::chrono::milliseconds accept_backoff_max{1000};
};

// A snapshot of what the server holds, for tests and metrics.
struct ServerLoad {
  uint64_t body_bytes_reserved = 0;  // body budget taken by requests being read or handled
  size_t body_waiters = 0;           // requests waiting for body budget
  uint64_t accept_failures = 0;      // failed accept() calls since start
};

class Server {
 public:
  virtual ~Server() = default;
  // Binds, listens and starts the I/O and worker threads. Returns once accepting.
  static StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler& handler);
  virtual uint16_t port() const = 0;
  virtual ServerLoad load() const = 0;
  // Stops accepting, closes connections, joins threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace coffer::http
