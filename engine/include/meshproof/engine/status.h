// status.h: the error type for operational failures.
//
// meshproof separates four kinds of failure (STYLE.md): a problem in the user's input is a
// Diagnostic (diagnostics.h), never a Status; an operational failure (unreadable path,
// unwritable output, solver crash) is a Status or StatusOr<T> returned to the caller; a
// broken invariant is an assertion; a third-party exception is caught where the library is
// called. No exception crosses a public header.
//
// Modelled on absl::Status / leveldb::Status, kept tiny because g++ 12 in C++20 mode has no
// std::expected.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "meshproof/engine/check.h"

namespace meshproof {

/// What went wrong, coarse enough for a caller to branch on.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad flags or arguments from the caller
  kNotFound,         // a path that does not exist
  kIoError,          // a path that exists but cannot be read or written
  kInternal,         // a bug in meshproof; the message says where
  kCancelled,        // the user interrupted it (SIGINT, KeyboardInterrupt)
};

/// An operational result: OK, or a code with a one-line human-readable message.
/// Cheap to copy; an OK status carries no message.
class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  /// One line, no trailing newline; empty when ok().
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// A value or the Status explaining its absence.
/// REQUIRES: constructed from a non-OK Status when it holds no value.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("StatusOr constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  /// REQUIRES: ok() (checked: reading a value that is not there is a bug).
  T& value() & { return Get(); }
  const T& value() const& { return Get(); }
  T&& value() && { return std::move(Get()); }
  T* operator->() { return &Get(); }
  const T* operator->() const { return &Get(); }
  T& operator*() { return Get(); }

 private:
  T& Get() {
    MESHPROOF_CHECK(value_.has_value(), "StatusOr read without a value; test ok() first");
    return *value_;
  }
  const T& Get() const {
    MESHPROOF_CHECK(value_.has_value(), "StatusOr read without a value; test ok() first");
    return *value_;
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace meshproof
