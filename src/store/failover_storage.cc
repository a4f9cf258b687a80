#include "store/failover_storage.h"

#include <utility>

#include "core/log.h"

namespace coffer::store {

FailoverStorage::FailoverStorage(FailoverSides sides, FailoverOptions options)
    : sides_(std::move(sides)), options_(std::move(options)) {}

FailoverStorage::~FailoverStorage() = default;

FailoverStorage::TimePoint FailoverStorage::Now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

const char* FailoverStorage::StorageName(FailoverMode mode) {
  return mode == FailoverMode::kPrimary ? "primary" : "paired";
}

FailoverMode FailoverStorage::mode() const {
  std::lock_guard lock(mu_);
  return mode_;
}

Status FailoverStorage::Start() {
  TimePoint started = Now();
  auto primary = Primary();
  auto pair = Pair();
  if (!primary.ok()) {
    log::warn("storage: the primary cannot be reached at start ({}); serving from the pair once "
              "it has been unreachable for {} ms",
              primary.status().message(), options_.after.count());
    NotePrimary(primary.status(), started);
    if (!pair.ok()) return primary.status();
  } else if (!pair.ok()) {
    log::warn("storage: the paired replica cannot be reached at start ({}); failover needs it",
              pair.status().message());
  }
  return OkStatus();
}

void FailoverStorage::SetCommitObserver(CommitObserver* observer) {
  std::shared_ptr<Storage> primary, promoted;
  {
    std::lock_guard lock(mu_);
    observer_ = observer;
    primary = primary_;
    promoted = promoted_;
  }
  if (primary) primary->SetCommitObserver(observer);
  if (promoted) promoted->SetCommitObserver(observer);
}

StatusOr<std::shared_ptr<Storage>> FailoverStorage::Primary() {
  {
    std::lock_guard lock(mu_);
    if (primary_) return primary_;
    if (primary_open_failed_at_ && Now() - *primary_open_failed_at_ < options_.retry_open) {
      return UnavailableError("the primary storage cannot be reached (tried less than " +
                              std::to_string(options_.retry_open.count()) + " ms ago)");
    }
  }
  auto opened = sides_.open_primary();
  std::lock_guard lock(mu_);
  if (!opened.ok()) {
    primary_open_failed_at_ = Now();
    return opened.status();
  }
  if (!primary_) {
    primary_ = std::move(*opened);
    primary_->SetCommitObserver(observer_);
  }
  return primary_;
}

StatusOr<std::shared_ptr<Storage>> FailoverStorage::Pair() {
  {
    std::lock_guard lock(mu_);
    if (pair_) return pair_;
    if (pair_open_failed_at_ && Now() - *pair_open_failed_at_ < options_.retry_open) {
      return UnavailableError("the paired storage cannot be reached (tried less than " +
                              std::to_string(options_.retry_open.count()) + " ms ago)");
    }
  }
  auto opened = sides_.open_pair();
  std::lock_guard lock(mu_);
  if (!opened.ok()) {
    pair_open_failed_at_ = Now();
    return opened.status();
  }
  if (!pair_) pair_ = std::move(*opened);
  return pair_;
}

void FailoverStorage::Announce(FailoverMode mode) const {
  if (options_.on_mode_change) options_.on_mode_change(mode);
}

void FailoverStorage::NotePrimary(const Status& st, TimePoint started) {
  {
    std::lock_guard lock(mu_);
    if (mode_ != FailoverMode::kPrimary) return;
    if (st.code() != StatusCode::kUnavailable) {
      unreachable_since_.reset();
      return;
    }
    if (!unreachable_since_) unreachable_since_ = started;
    if (Now() - *unreachable_since_ < options_.after) return;
    mode_ = FailoverMode::kPaired;
    paired_since_ = Now();
    log::warn("storage: the primary has been unreachable for {} ms ({}); serving read-only "
              "from the paired replica",
              std::chrono::duration_cast<std::chrono::milliseconds>(Now() - *unreachable_since_)
                  .count(),
              st.message());
  }
  Announce(FailoverMode::kPaired);
}

Status FailoverStorage::ReadOnlyRefusal() const {
  return UnavailableError(
      "Coffer is serving read-only from the paired region's replica (failover): the primary "
      "storage is unreachable. Writes are refused until it returns, or until an operator runs "
      "`coffer operator failover promote`; retry later.");
}

Status FailoverStorage::Update(const TxnFn& fn) {
  FailoverMode mode;
  std::shared_ptr<Storage> promoted;
  {
    std::lock_guard lock(mu_);
    mode = mode_;
    promoted = promoted_;
  }
  if (mode == FailoverMode::kPromoted) return promoted->Update(fn);
  if (mode == FailoverMode::kPaired) return ReadOnlyRefusal();

  TimePoint started = Now();
  auto primary = Primary();
  Status st = primary.ok() ? (*primary)->Update(fn) : primary.status();
  NotePrimary(st, started);
  if (st.code() == StatusCode::kUnavailable && this->mode() == FailoverMode::kPaired) {
    return ReadOnlyRefusal();
  }
  return st;
}

Status FailoverStorage::View(const TxnFn& fn) {
  FailoverMode mode;
  std::shared_ptr<Storage> promoted;
  {
    std::lock_guard lock(mu_);
    mode = mode_;
    promoted = promoted_;
  }
  if (mode == FailoverMode::kPromoted) return promoted->View(fn);
  if (mode == FailoverMode::kPrimary) {
    TimePoint started = Now();
    auto primary = Primary();
    Status st = primary.ok() ? (*primary)->View(fn) : primary.status();
    NotePrimary(st, started);
    // Turned paired by this very failure: the read goes to the pair at once (fn's effects are
    // only its outputs, which it sets afresh on each run — storage.h).
    if (st.code() != StatusCode::kUnavailable || this->mode() != FailoverMode::kPaired) {
      return st;
    }
  }
  auto pair = Pair();
  if (!pair.ok()) {
    return UnavailableError("the primary storage is unreachable and so is the paired replica: " +
                            pair.status().message());
  }
  return (*pair)->View(fn);
}

FailoverMode FailoverStorage::Probe() {
  FailoverMode mode = this->mode();
  if (mode == FailoverMode::kPromoted) return mode;
  if (mode == FailoverMode::kPrimary) {
    TimePoint started = Now();
    auto primary = Primary();
    Status st = primary.ok() ? sides_.check_writable(**primary) : primary.status();
    NotePrimary(st, started);
    return this->mode();
  }
  // Paired: was the pair promoted (by an operator through another node)? Then it is the only
  // writable side there may be; never go back to the old primary.
  if (auto pair = Pair(); pair.ok() && sides_.check_writable(**pair).ok()) {
    auto promoted = sides_.open_promoted();
    if (promoted.ok()) {
      bool changed = false;
      {
        std::lock_guard lock(mu_);
        if (mode_ == FailoverMode::kPaired) {
          promoted_ = std::move(*promoted);
          promoted_->SetCommitObserver(observer_);
          mode_ = FailoverMode::kPromoted;
          changed = true;
          log::warn(
              "storage: the paired replica was promoted; serving from it, writable, for good");
        }
      }
      if (changed) Announce(FailoverMode::kPromoted);
      return this->mode();
    }
  }
  auto primary = Primary();
  if (primary.ok() && sides_.check_writable(**primary).ok()) {
    bool changed = false;
    {
      std::lock_guard lock(mu_);
      if (mode_ == FailoverMode::kPaired) {
        mode_ = FailoverMode::kPrimary;
        unreachable_since_.reset();
        changed = true;
        log::warn("storage: the primary answers again; failed back to it");
      }
    }
    if (changed) Announce(FailoverMode::kPrimary);
    return this->mode();
  }
  return this->mode();
}

Status FailoverStorage::Promote() {
  std::lock_guard promoting(promote_mu_);
  if (mode() == FailoverMode::kPromoted) return OkStatus();
  ASSIGN_OR_RETURN(auto pair, Pair());
  // A pair already promoted (another node ran the command, or a retry after a lost answer)
  // is fine: only its writable storage is missing.
  if (!sides_.check_writable(*pair).ok()) RETURN_IF_ERROR(sides_.promote(*pair));
  ASSIGN_OR_RETURN(auto promoted, sides_.open_promoted());
  {
    std::lock_guard lock(mu_);
    promoted_ = std::move(promoted);
    promoted_->SetCommitObserver(observer_);
    mode_ = FailoverMode::kPromoted;
    log::warn("storage: the paired replica was promoted by an operator; serving from it, "
              "writable, for good");
  }
  Announce(FailoverMode::kPromoted);
  return OkStatus();
}

}  // namespace coffer::store
