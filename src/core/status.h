// Status and StatusOr: the error model of every Coffer module.
//
// A Status carries a canonical code (abseil's set), a message a person can act on, and an
// optional `reason`: the Azure error code that names the domain condition more precisely
// (e.g. "SecretNotFound", "ObjectIsDeletedButRecoverable", "SecretDisabled"). The HTTP status
// and the outer Azure code come from one table in api/ (error_mapping), keyed by `code`; the
// reason never changes the HTTP status. Messages never contain secret material.
//
// Thread-safety: value types; const methods are safe to call concurrently.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace coffer {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kUnauthenticated,
  kFailedPrecondition,
  kResourceExhausted,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kUnavailable,
  kDataLoss,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string reason = {})
      : code_(code), message_(std::move(message)), reason_(std::move(reason)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& reason() const { return reason_; }

  // "INVALID_ARGUMENT: message" for logs and test failures.
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_ && a.reason_ == b.reason_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string reason_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m, std::string r = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(m), std::move(r));
}
inline Status NotFoundError(std::string m, std::string r = {}) {
  return Status(StatusCode::kNotFound, std::move(m), std::move(r));
}
inline Status AlreadyExistsError(std::string m, std::string r = {}) {
  return Status(StatusCode::kAlreadyExists, std::move(m), std::move(r));
}
inline Status PermissionDeniedError(std::string m, std::string r = {}) {
  return Status(StatusCode::kPermissionDenied, std::move(m), std::move(r));
}
inline Status UnauthenticatedError(std::string m, std::string r = {}) {
  return Status(StatusCode::kUnauthenticated, std::move(m), std::move(r));
}
inline Status FailedPreconditionError(std::string m, std::string r = {}) {
  return Status(StatusCode::kFailedPrecondition, std::move(m), std::move(r));
}
inline Status ResourceExhaustedError(std::string m, std::string r = {}) {
  return Status(StatusCode::kResourceExhausted, std::move(m), std::move(r));
}
inline Status UnavailableError(std::string m, std::string r = {}) {
  return Status(StatusCode::kUnavailable, std::move(m), std::move(r));
}
inline Status DataLossError(std::string m, std::string r = {}) {
  return Status(StatusCode::kDataLoss, std::move(m), std::move(r));
}
inline Status InternalError(std::string m, std::string r = {}) {
  return Status(StatusCode::kInternal, std::move(m), std::move(r));
}
inline Status UnimplementedError(std::string m, std::string r = {}) {
  return Status(StatusCode::kUnimplemented, std::move(m), std::move(r));
}

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  using value_type = T;

  StatusOr(const Status& s) : v_(s) { assert(!s.ok()); }   // NOLINT: implicit by design
  StatusOr(Status&& s) : v_(std::move(s)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT
  StatusOr(const T& value) : v_(value) {}                   // NOLINT
  StatusOr(T&& value) : v_(std::move(value)) {}             // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr>>>
  StatusOr(U&& value) : v_(std::in_place_type<T>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? OkStatus() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace coffer

#define COFFER_CONCAT_INNER_(a, b) a##b
#define COFFER_CONCAT_(a, b) COFFER_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    ::coffer::Status coffer_status_ = (expr);         \
    if (!coffer_status_.ok()) return coffer_status_;  \
  } while (0)

// ASSIGN_OR_RETURN(auto x, F()); — declares/assigns x or returns F()'s Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(COFFER_CONCAT_(coffer_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
