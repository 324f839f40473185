// Status and Result<T>: errors as values at module boundaries.
//
// A Status is OK or carries a code and a message. Codes are numbered as gRPC status
// codes, so the RPC layer forwards them without a translation table. A Result<T> holds
// either a T or a non-OK Status. Both are [[nodiscard]]: an ignored error is a bug.
// Neither throws. Both are cheap to move; an OK Status allocates nothing.
#ifndef HITO_BASE_STATUS_H_
#define HITO_BASE_STATUS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace hito {

// The gRPC status code space (grpc/status.h), same numbers.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// Stable upper-snake name of a code, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // Empty for OK.
  const std::string& message() const;
  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "context: message". OK stays OK.
  Status WithContext(std::string_view context) const;

  // Explicitly discards a status whose failure does not matter at this call site.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status OutOfRangeError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status UnimplementedError(std::string message);
Status DeadlineExceededError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);

// Holds a T or an error. Accessing the value of an error Result is a bug (HITO_ASSERT).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    HITO_ASSERT(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  T& value() & {
    HITO_ASSERT(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    HITO_ASSERT(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    HITO_ASSERT(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace hito

// Returns the status from the enclosing function if it is not OK.
#define HITO_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::hito::Status hito_status_ = (expr);        \
    if (!hito_status_.ok()) return hito_status_; \
  } while (0)

#define HITO_CONCAT_INNER_(a, b) a##b
#define HITO_CONCAT_(a, b) HITO_CONCAT_INNER_(a, b)

// HITO_ASSIGN_OR_RETURN(auto x, MakeX()); declares x from a Result or returns its error.
#define HITO_ASSIGN_OR_RETURN(lhs, expr) \
  HITO_ASSIGN_OR_RETURN_IMPL_(HITO_CONCAT_(hito_result_, __LINE__), lhs, expr)
#define HITO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // HITO_BASE_STATUS_H_
