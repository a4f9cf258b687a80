// Server::Start: TLS context, listener, I/O threads and the handler worker pool.
#include "http/server.h"

#include <malloc.h>
#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/secret_bytes.h"
#include "http/impl/body_budget.h"
#include "http/impl/connection.h"

namespace coffer::http {
namespace impl {
namespace {

// Picks "http/1.1" when the client offers ALPN; HTTP/2 is not spoken.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof(kHttp11), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

StatusOr<std::unique_ptr<net::ssl::context>> MakeTlsContext(const ServerOptions& options) {
  auto tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  SSL_CTX* native = tls->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return InternalError("cannot set the minimum TLS version to 1.2");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  ErrorCode ec;
  tls->use_certificate_chain(
      net::buffer(options.cert_chain_pem.data(), options.cert_chain_pem.size()), ec);
  if (ec) {
    return InvalidArgumentError("cannot load the TLS certificate chain (PEM, leaf first): " +
                                ec.message());
  }
  tls->use_private_key(net::buffer(options.private_key_pem.data(), options.private_key_pem.size()),
                       net::ssl::context::pem, ec);
  if (ec) return InvalidArgumentError("cannot load the TLS private key (PEM): " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    return InvalidArgumentError("the TLS private key does not match the leaf certificate");
  }
  return tls;
}

// Request bodies, and the copies handlers make while decoding them, are the server's largest
// buffers: tens of MB each under a burst of restores. glibc raises its mmap threshold to the
// largest block freed, so after the first such burst those buffers come from the heap, whose
// memory stays resident (hundreds of MB after one burst). A fixed threshold, which also stops
// that adjustment, maps them separately, so their memory goes back to the OS when they are freed.
void ReturnLargeBuffersToTheOs() {
#ifdef __GLIBC__
  static std::once_flag once;
  std::call_once(once, [] { mallopt(M_MMAP_THRESHOLD, 1 << 20); });
#endif
}

class ServerImpl final : public Server, public ConnectionObserver {
 public:
  ServerImpl(const ServerOptions& options, Handler& handler)
      : options_(options), handler_(handler) {}
  ~ServerImpl() override { Stop(); }

  Status Init();
  uint16_t port() const override { return port_; }
  ServerLoad load() const override;
  void Stop() override;

 private:
  void Accept();
  void OnAccept(ErrorCode ec, net::ip::tcp::socket socket);
  // After a failed accept: waits accept_backoff_ (doubling it, up to the maximum), then
  // accepts again. Runs on the acceptor's thread.
  void RetryAcceptLater(const ErrorCode& ec);
  void RunIo(net::io_context& io);
  void StartConnection(net::ip::tcp::socket socket);
  // ConnectionObserver: runs on the closing connection's I/O thread.
  void OnConnectionClosed(const std::string& address) override;

  // Connection caps. `open_` counts live connections and held sockets (each holds a
  // descriptor); held sockets wait, unread, for their address to drop below its cap.
  std::mutex limit_mu_;
  size_t open_ = 0;
  bool accept_paused_ = false;
  std::map<std::string, size_t> per_address_;
  std::map<std::string, std::deque<net::ip::tcp::socket>> held_;

  ServerOptions options_;
  Handler& handler_;
  std::unique_ptr<net::ssl::context> tls_;
  // One io_context per I/O thread (concurrency hint 1): a connection lives on one thread for
  // its whole life, so no completion wakes another thread (cross-thread wake-ups were most of
  // the per-request cost with a shared io_context).
  std::vector<std::unique_ptr<net::io_context>> ios_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  size_t next_io_ = 0;  // round-robin for accepted connections (touched by the accept thread)
  std::unique_ptr<net::thread_pool> workers_;
  std::unique_ptr<net::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<net::steady_timer> accept_retry_;
  // Accept back-off: touched only on the acceptor's thread (ios_[0]), except the counter.
  std::chrono::milliseconds accept_backoff_{0};  // 0: the last accept succeeded
  uint64_t accept_streak_ = 0;                   // failures since the last success
  std::atomic<uint64_t> accept_failures_{0};
  // Not reset by Stop: the connections Stop destroys give their bytes back here.
  std::unique_ptr<BodyBudget> body_budget_;
  std::vector<std::thread> io_threads_;
  ConnectionEnv env_;
  uint16_t port_ = 0;
  std::mutex stop_mutex_;
  bool stopped_ = false;
};

Status ServerImpl::Init() {
  auto tls = MakeTlsContext(options_);
  SecureClear(options_.private_key_pem);  // the SSL_CTX holds the key from here on
  if (!tls.ok()) return tls.status();
  tls_ = std::move(tls).value();

  ErrorCode ec;
  std::string host = options_.listen_host == "localhost" ? "127.0.0.1" : options_.listen_host;
  auto address = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) {
    return InvalidArgumentError("listen address '" + options_.listen_host +
                                "' is not an IP address (or 'localhost')");
  }
  int io_threads = options_.io_threads > 0
                       ? options_.io_threads
                       : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  int worker_threads = std::max(1, options_.worker_threads);
  for (int i = 0; i < io_threads; ++i) {
    ios_.push_back(std::make_unique<net::io_context>(1));
    work_.push_back(net::make_work_guard(*ios_.back()));
  }
  workers_ = std::make_unique<net::thread_pool>(static_cast<size_t>(worker_threads));
  body_budget_ = std::make_unique<BodyBudget>(options_.body_budget_bytes);
  env_ = ConnectionEnv{&options_, &handler_, workers_.get(), this, body_budget_.get()};

  net::ip::tcp::endpoint endpoint(address, options_.port);
  acceptor_ = std::make_unique<net::ip::tcp::acceptor>(*ios_[0]);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("cannot listen on " + host + ":" + std::to_string(options_.port) +
                            ": " + ec.message());
  }
  port_ = acceptor_->local_endpoint(ec).port();
  accept_retry_ = std::make_unique<net::steady_timer>(*ios_[0]);
  Accept();
  io_threads_.reserve(io_threads);
  for (auto& io : ios_) io_threads_.emplace_back([this, ctx = io.get()] { RunIo(*ctx); });
  log::info("http: listening on https://{}:{}", host, port_);
  return OkStatus();
}

void ServerImpl::RunIo(net::io_context& io) {
  // A throwing completion handler must not take the process down; keep serving.
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      log::error("http: I/O thread caught an exception: {}", e.what());
    } catch (...) {
      log::error("http: I/O thread caught a non-standard exception");
    }
  }
}

void ServerImpl::Accept() {
  net::io_context& io = *ios_[next_io_++ % ios_.size()];
  acceptor_->async_accept(
      net::make_strand(io),
      [this](ErrorCode ec, net::ip::tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void ServerImpl::OnAccept(ErrorCode ec, net::ip::tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
  if (ec) {
    RetryAcceptLater(ec);
    return;
  }
  if (accept_streak_ > 0) {
    log::info("http: accepting again after {} failed accept calls", accept_streak_);
    accept_streak_ = 0;
  }
  accept_backoff_ = std::chrono::milliseconds(0);
  ErrorCode addr_ec;
  auto remote = socket.remote_endpoint(addr_ec);
  std::string address = addr_ec ? std::string() : remote.address().to_string();
  bool pause = false;
  {
    std::lock_guard<std::mutex> lock(limit_mu_);
    ++open_;
    if (per_address_[address] >= std::max<size_t>(1, options_.max_connections_per_address)) {
      held_[address].push_back(std::move(socket));
    } else {
      ++per_address_[address];
    }
    pause = open_ >= std::max<size_t>(1, options_.max_connections);
    accept_paused_ = pause;
  }
  if (socket.is_open()) StartConnection(std::move(socket));
  // At the global cap, stop accepting: new clients wait in the listen backlog, never reset.
  if (!pause) Accept();
}

void ServerImpl::RetryAcceptLater(const ErrorCode& ec) {
  // Out of descriptors (EMFILE, ENFILE), buffers or memory: the pending connection stays in
  // the listen queue, so accepting again at once fails again and spins a core. Wait, longer
  // each time, until a connection closes or the limit is raised.
  ++accept_failures_;
  if (accept_streak_++ == 0) {
    log::warn("http: accept failed: {}; retrying with back-off (raise the descriptor limit, "
              "ulimit -n, or lower [server] max_connections)",
              ec.message());
  }
  accept_backoff_ = accept_backoff_.count() == 0
                        ? options_.accept_backoff_initial
                        : std::min(accept_backoff_ * 2, options_.accept_backoff_max);
  accept_backoff_ = std::max(accept_backoff_, std::chrono::milliseconds(1));
  accept_retry_->expires_after(accept_backoff_);
  accept_retry_->async_wait([this](ErrorCode wait_ec) {
    if (!wait_ec) Accept();
  });
}

ServerLoad ServerImpl::load() const {
  ServerLoad load;
  if (body_budget_) {
    BodyBudget::Stats stats = body_budget_->stats();
    load.body_bytes_reserved = stats.reserved;
    load.body_waiters = stats.waiters;
  }
  load.accept_failures = accept_failures_.load();
  return load;
}

void ServerImpl::StartConnection(net::ip::tcp::socket socket) {
  try {
    ErrorCode ignored;
    socket.set_option(net::ip::tcp::no_delay(true), ignored);
    std::make_shared<Connection>(std::move(socket), *tls_, env_)->Start();
  } catch (const std::exception& e) {
    log::error("http: cannot set up a connection: {}", e.what());
  }
}

void ServerImpl::OnConnectionClosed(const std::string& address) {
  std::optional<net::ip::tcp::socket> next;
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(limit_mu_);
    if (open_ > 0) --open_;
    auto held = held_.find(address);
    if (held != held_.end() && !held->second.empty()) {
      next.emplace(std::move(held->second.front()));  // takes this address's freed place
      held->second.pop_front();
      if (held->second.empty()) held_.erase(held);
    } else if (auto it = per_address_.find(address); it != per_address_.end()) {
      if (--it->second == 0) per_address_.erase(it);
    }
    if (accept_paused_ && open_ < std::max<size_t>(1, options_.max_connections)) {
      accept_paused_ = false;
      resume = true;
    }
  }
  if (next) {
    // The held socket belongs to its own strand; start it there.
    auto socket = std::make_shared<net::ip::tcp::socket>(std::move(*next));
    net::post(socket->get_executor(), [this, socket] { StartConnection(std::move(*socket)); });
  }
  if (resume && acceptor_) net::post(acceptor_->get_executor(), [this] { Accept(); });
}

void ServerImpl::Stop() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& io : ios_) io->stop();
  for (auto& thread : io_threads_) thread.join();
  io_threads_.clear();
  // Running handlers finish; queued ones are dropped. Their jobs hold connections, so they go
  // before the io_context whose services those sockets use.
  if (workers_) {
    workers_->stop();
    workers_->join();
    workers_.reset();
  }
  // Connections waiting for body budget are owned by their waiting callbacks: let them go
  // while their io_context still exists.
  if (body_budget_) body_budget_->DropWaiters();
  ErrorCode ignored;
  if (acceptor_) acceptor_->close(ignored);
  {
    std::lock_guard<std::mutex> lock(limit_mu_);
    held_.clear();
  }
  acceptor_.reset();
  accept_retry_.reset();
  work_.clear();
  ios_.clear();  // destroys pending handlers, which closes every connection
  tls_.reset();
}

}  // namespace
}  // namespace impl

StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler& handler) {
  impl::ReturnLargeBuffersToTheOs();
  try {
    auto server = std::make_unique<impl::ServerImpl>(options, handler);
    Status status = server->Init();
    if (!status.ok()) return status;
    return std::unique_ptr<Server>(std::move(server));
  } catch (const std::exception& e) {
    return InternalError(std::string("cannot start the HTTPS server: ") + e.what());
  }
}

}  // namespace coffer::http
