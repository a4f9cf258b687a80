#include "server/failover_setup.h"

#include "core/log.h"
#include "store/pg_storage.h"

namespace coffer::server {
namespace {

store::PgOptions Options(const ServerConfig& config, const std::string& url, bool replica) {
  store::PgOptions options;
  options.url = url;
  options.max_connections = static_cast<size_t>(config.storage_max_connections);
  options.replica = replica;
  // A dead side must not hold a request long: libpq's smallest connect timeout (2 s), and a
  // pool wait no longer than the failover delay.
  options.connect_timeout_seconds = 2;
  options.acquire_timeout = std::chrono::seconds(config.failover_after_seconds);
  options.application_name = replica ? "coffer-pair" : "coffer";
  return options;
}

StatusOr<std::shared_ptr<store::Storage>> Open(const ServerConfig& config,
                                               const std::string& url, bool replica) {
  ASSIGN_OR_RETURN(auto pg, store::PgStorage::Open(Options(config, url, replica)));
  return std::shared_ptr<store::Storage>(std::move(pg));
}

// The sides are always PgStorage here (the functions below open nothing else).
store::PgStorage& Pg(store::Storage& side) { return static_cast<store::PgStorage&>(side); }

}  // namespace

const std::string& WrittenUrl(const ServerConfig& config, store::FailoverMode mode) {
  return mode == store::FailoverMode::kPromoted ? config.failover_paired_url : config.storage_url;
}

StatusOr<std::unique_ptr<store::FailoverStorage>> OpenFailoverStorage(
    const ServerConfig& config, std::function<void(store::FailoverMode)> on_mode_change) {
  store::FailoverSides sides;
  sides.open_primary = [config] { return Open(config, config.storage_url, false); };
  sides.open_pair = [config] { return Open(config, config.failover_paired_url, true); };
  sides.check_writable = [](store::Storage& side) { return Pg(side).CheckWritable(); };
  sides.promote = [](store::Storage& pair) { return Pg(pair).Promote(); };
  sides.open_promoted = [config] { return Open(config, config.failover_paired_url, false); };
  store::FailoverOptions options;
  options.after = std::chrono::seconds(config.failover_after_seconds);
  options.on_mode_change = std::move(on_mode_change);
  auto storage = std::make_unique<store::FailoverStorage>(std::move(sides), options);
  RETURN_IF_ERROR(storage->Start());
  log::info("storage: PostgreSQL with paired-region failover (pair read-only after {} s), at "
            "most {} connections per side",
            config.failover_after_seconds, config.storage_max_connections);
  return storage;
}

FailoverProber::FailoverProber(store::FailoverStorage& storage,
                               std::chrono::milliseconds interval)
    : storage_(storage), interval_(interval) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      storage_.Probe();
      lock.lock();
      wake_.wait_for(lock, interval_, [this] { return stop_; });
    }
  });
}

FailoverProber::~FailoverProber() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace coffer::server
