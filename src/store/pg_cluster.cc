#include "store/pg_cluster.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "core/log.h"
#include "store/pg_connection.h"

namespace coffer::store {
namespace {

// Any 32-bit constant: with hashtext(current_schema()) it names the start-up lock of the
// deployment in that schema.
constexpr const char* kStartupLockClass = "1129268551";

class PgStartupLock final : public Cluster::Lock {
 public:
  explicit PgStartupLock(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}
  // Closing the session releases its advisory lock.
  ~PgStartupLock() override = default;

 private:
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace

PgCluster::PgCluster(const PgOptions& o) : url_(o.url), schema_(o.schema) {
  // As the storage's connections (pg_storage.cc): ours first, the URL's settings win.
  settings_ = {
      {"connect_timeout", std::to_string(o.connect_timeout_seconds)},
      {"keepalives", "1"},
      {"keepalives_idle", std::to_string(o.keepalives_idle_seconds)},
      {"keepalives_interval", std::to_string(o.keepalives_interval_seconds)},
      {"keepalives_count", std::to_string(o.keepalives_count)},
      {"tcp_user_timeout", std::to_string(o.tcp_user_timeout_ms)},
      {"application_name", o.application_name + "-cluster"},
  };
}

std::vector<std::pair<std::string, std::string>> PgCluster::Conninfo() const {
  auto conninfo = settings_;
  conninfo.emplace_back("dbname", url());
  return conninfo;
}

std::string PgCluster::url() const {
  std::lock_guard lock(url_mu_);
  return url_;
}

void PgCluster::Follow(const std::string& url) {
  {
    std::lock_guard lock(url_mu_);
    if (url == url_) return;
    url_ = url;
  }
  moved_ = true;
  char b = 1;
  (void)!write(wake_[1], &b, 1);
}

PgCluster::~PgCluster() {
  StopFeed();
  for (int fd : wake_) {
    if (fd >= 0) close(fd);
  }
}

StatusOr<std::unique_ptr<PgCluster>> PgCluster::Open(const PgOptions& options) {
  if (options.url.empty()) return InvalidArgumentError("PostgreSQL cluster needs a URL");
  std::unique_ptr<PgCluster> c(new PgCluster(options));
  if (pipe2(c->wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return ResourceExhaustedError("cannot make the feed's wake-up pipe");
  }
  // No connection yet: a node whose primary is down at start (failover) still starts; the
  // feed connects when it can.
  return c;
}

// Sets the session's schema as the storage's and checks it exists: with none, the lock and
// channel names (functions of current_schema()) would be NULL.
static Status UseSchema(PgConnection& conn, const std::string& schema) {
  if (!schema.empty()) {
    RETURN_IF_ERROR(
        conn.QueryText("SELECT set_config('search_path', $1, false)", {schema}).status());
  }
  ASSIGN_OR_RETURN(std::string exists, conn.QueryText("SELECT (current_schema() IS NOT NULL)::text"));
  if (exists != "true") {
    return FailedPreconditionError("PostgreSQL: no schema of the search path exists; open the "
                                   "storage first (it creates its schema)");
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<Cluster::Lock>> PgCluster::LockStartup() {
  ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(Conninfo()));
  RETURN_IF_ERROR(UseSchema(*conn, schema_));
  RETURN_IF_ERROR(conn->QueryText((std::string("SELECT pg_advisory_lock(") + kStartupLockClass +
                                   ", hashtext(current_schema()))::text")
                                      .c_str())
                      .status());
  return std::unique_ptr<Cluster::Lock>(new PgStartupLock(std::move(conn)));
}

StatusOr<std::unique_ptr<PgConnection>> PgCluster::ListenConnection() {
  ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(Conninfo()));
  RETURN_IF_ERROR(UseSchema(*conn, schema_));
  ASSIGN_OR_RETURN(std::string channel, conn->QueryText("SELECT " COFFER_PG_FEED_CHANNEL_SQL));
  ASSIGN_OR_RETURN(std::string quoted, conn->QuoteIdentifier(channel));
  RETURN_IF_ERROR(conn->Exec(("LISTEN " + quoted).c_str()));
  return conn;
}

Status PgCluster::StartFeed(FeedHandler handler) {
  if (!handler.on_topic || !handler.on_reset) {
    return InvalidArgumentError("the feed needs on_topic and on_reset");
  }
  if (thread_.joinable()) return FailedPreconditionError("the feed is already running");
  handler_ = std::move(handler);
  stopping_ = false;
  {
    std::lock_guard lock(fence_mu_);
    feed_running_ = true;
  }
  thread_ = std::thread([this] { RunFeed(); });
  return OkStatus();
}

void PgCluster::StopFeed() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  Wake();
  thread_.join();
  char drain[16];
  while (read(wake_[0], drain, sizeof drain) > 0) {
  }
}

void PgCluster::Wake() {
  char b = 1;
  (void)!write(wake_[1], &b, 1);
}

void PgCluster::AwaitFresh(std::chrono::milliseconds timeout, std::function<void(bool)> done) {
  bool wake = false;
  {
    std::lock_guard lock(fence_mu_);
    if (feed_running_) {
      wake = waiting_.empty();  // otherwise the feed was woken for the first one
      waiting_.push_back({Clock::now() + timeout, std::move(done)});
      done = nullptr;
    }
  }
  if (done) {
    done(false);
    return;
  }
  if (wake) Wake();
}

void PgCluster::Complete(std::vector<Waiter>& waiters, bool fresh) {
  std::vector<Waiter> batch = std::move(waiters);
  waiters.clear();
  for (Waiter& w : batch) w.done(fresh);
}

void PgCluster::TakeAllWaiters(std::vector<Waiter>& out) {
  out = std::move(in_flight_);
  in_flight_.clear();
  std::lock_guard lock(fence_mu_);
  for (Waiter& w : waiting_) out.push_back(std::move(w));
  waiting_.clear();
}

void PgCluster::ReleaseWaiting() {
  release_ = true;
  Wake();
}

void PgCluster::RetryNow() {
  retry_now_ = true;
  Wake();
}

void PgCluster::ExpireWaiters() {
  if (release_.exchange(false)) {
    std::vector<Waiter> released;
    TakeAllWaiters(released);
    Complete(released, true);
  }
  Clock::time_point now = Clock::now();
  std::vector<Waiter> expired;
  auto split = [&](std::vector<Waiter>& ws) {
    auto keep = std::partition(ws.begin(), ws.end(), [&](const Waiter& w) { return w.deadline > now; });
    for (auto it = keep; it != ws.end(); ++it) expired.push_back(std::move(*it));
    ws.erase(keep, ws.end());
  };
  split(in_flight_);
  {
    std::lock_guard lock(fence_mu_);
    split(waiting_);
  }
  Complete(expired, false);
}

int PgCluster::WaitBudget(int cap_ms) {
  std::optional<Clock::time_point> earliest;
  auto consider = [&](const std::vector<Waiter>& ws) {
    for (const Waiter& w : ws) {
      if (!earliest || w.deadline < *earliest) earliest = w.deadline;
    }
  };
  consider(in_flight_);
  {
    std::lock_guard lock(fence_mu_);
    consider(waiting_);
  }
  if (!earliest) return cap_ms;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*earliest - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms + 1, 0, cap_ms));
}

bool PgCluster::Wait(int fd, int timeout_ms) {
  pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
  (void)poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
  if (stopping_.load()) return false;
  // A wake-up (Follow, a fence caller): drained here (the pipe is non-blocking), so the next
  // wait waits.
  if (fds[0].revents & POLLIN) {
    char drain[64];
    while (read(wake_[0], drain, sizeof drain) > 0) {
    }
  }
  return !stopping_.load();
}

void PgCluster::RunFeed() {
  int backoff_ms = 50;
  bool was_lost = false;
  while (!stopping_.load()) {
    moved_ = false;  // connecting to the URL followed now
    auto conn = ListenConnection();
    if (!conn.ok()) {
      if (!was_lost) log::warn("cache feed: {}; retrying", conn.status().message());
      was_lost = true;
      // Fence callers' deadlines pass meanwhile; their wake-ups do not hasten the retry.
      Clock::time_point retry_at = Clock::now() + std::chrono::milliseconds(backoff_ms);
      bool stopping = false;
      bool hurried = false;  // RetryNow or Follow: try again at once, from a short back-off
      while (!(hurried = moved_.load() || retry_now_.exchange(false)) &&
             Clock::now() < retry_at) {
        ExpireWaiters();
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at - Clock::now());
        if (!Wait(-1, WaitBudget(static_cast<int>(std::max<int64_t>(left.count(), 0) + 1)))) {
          stopping = true;
          break;
        }
      }
      if (stopping) break;
      backoff_ms = hurried ? 50 : std::min(backoff_ms * 2, 2000);
      continue;
    }
    if (was_lost) log::info("cache feed: listening again; every cache is dropped");
    was_lost = false;
    backoff_ms = 50;
    // Listening from here on: whatever committed before is re-read, whatever after is heard.
    // Everyone waiting before the reset begins is fresh once it is done.
    std::vector<Waiter> covered;
    TakeAllWaiters(covered);
    fence_sent_ = false;
    ++resets_;
    handler_.on_reset();
    Complete(covered, Settled());
    if (!Listen(**conn)) break;
    was_lost = !moved_.load();
  }
  {
    std::lock_guard lock(fence_mu_);
    feed_running_ = false;
  }
  std::vector<Waiter> left;
  TakeAllWaiters(left);
  Complete(left, false);
}

bool PgCluster::Listen(PgConnection& conn) {
  Clock::time_point last_idle = Clock::now();
  while (!stopping_.load()) {
    Status st = conn.ConsumeInput();
    bool answered = false;
    if (st.ok() && fence_sent_) {
      auto a = conn.FenceAnswered();
      if (a.ok()) {
        answered = *a;
      } else {
        st = a.status();
      }
    }
    // The notifications read up to the fence's answer are handled before its callers hear.
    for (const std::string& topic : conn.TakeNotifications()) handler_.on_topic(topic);
    if (answered) {
      fence_sent_ = false;
      Complete(in_flight_, Settled());
    }
    if (!st.ok()) {
      // The fence's callers stay: the reset after the next LISTEN (or their deadline) ends
      // their wait.
      log::warn("cache feed: {}; reconnecting", st.message());
      return true;
    }
    ExpireWaiters();
    if (!fence_sent_) {
      std::lock_guard lock(fence_mu_);
      for (Waiter& w : waiting_) in_flight_.push_back(std::move(w));
      waiting_.clear();
    }
    if (!fence_sent_ && !in_flight_.empty()) {
      if (Status s = conn.SendFence(); !s.ok()) {
        log::warn("cache feed: {}; reconnecting", s.message());
        return true;
      }
      fence_sent_ = true;
      ++fences_;
    }
    if (!Wait(conn.Socket(), WaitBudget(1000))) return false;
    if (moved_.load()) {
      // Follow: this server is no longer the one written to. Whatever was published on the
      // new one before we listen there is covered by the reset that follows the LISTEN.
      log::info("cache feed: following the database written to now; every cache is dropped");
      return true;
    }
    if (handler_.on_idle && Clock::now() - last_idle >= std::chrono::seconds(1)) {
      last_idle = Clock::now();
      handler_.on_idle();
    }
  }
  return false;
}

}  // namespace coffer::store
