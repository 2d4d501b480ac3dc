// Status and Result<T>: errors as values on the data path.
//
// The code says what a caller may do next: kInvalidArgument is permanent (a
// receiver answers 400 / INVALID_ARGUMENT and the data is dropped), while
// kResourceExhausted and kUnavailable are retryable (429 / 503 with
// Retry-After, RESOURCE_EXHAUSTED / UNAVAILABLE with RetryInfo).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace polytrace {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // permanent: bad data or bad config
  kNotFound,           // permanent
  kResourceExhausted,  // retryable: refused under pressure (memory, queue)
  kUnavailable,        // retryable: downstream down, shutting down
  kDeadlineExceeded,   // retryable
  kInternal,           // permanent: a bug
  kUnauthenticated,    // permanent: missing or wrong credentials (401 / UNAUTHENTICATED)
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool retryable() const {
    return code_ == StatusCode::kResourceExhausted || code_ == StatusCode::kUnavailable ||
           code_ == StatusCode::kDeadlineExceeded;
  }

  // A hint from downstream (HTTP Retry-After, gRPC RetryInfo) on when to retry.
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  Status& set_retry_after(std::chrono::milliseconds d) {
    retry_after_ = d;
    return *this;
  }

  // Prefixes the message with context, e.g. "resource_spans[2].scope_spans[0]: ".
  Status WithContext(const std::string& context) const {
    Status s = *this;
    if (!ok()) s.message_ = context + ": " + message_;
    return s;
  }

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {}  // NOLINT
  // Anything T can be built from (e.g. an int64_t for a variant T).
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : value_(std::in_place_type<T>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(value_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(value_);
  }
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> value_;
};

#define POLYTRACE_RETURN_IF_ERROR(expr) \
  do {                                  \
    ::polytrace::Status _st = (expr);   \
    if (!_st.ok()) return _st;          \
  } while (0)

}  // namespace polytrace
