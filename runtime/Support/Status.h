//===- Support/Status.h - Error values without exceptions -------*- C++ -*-===//
//
// Status and Expected<T> carry a failure message across the runtime API. The
// runtime libraries may use exceptions internally, but callers are built with
// -fno-exceptions, so every public entry point reports errors through these.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_STATUS_H
#define SSMC_RUNTIME_SUPPORT_STATUS_H

#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace ssmc::rt {

/// Success, or a failure with a human-readable message.
class [[nodiscard]] Status {
public:
  static Status success() { return Status(false, {}); }
  static Status error(std::string msg) { return Status(true, std::move(msg)); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  /// Empty for a successful status.
  const std::string &message() const { return message_; }

private:
  Status(bool failed, std::string msg) : failed_(failed), message_(std::move(msg)) {}

  bool failed_;
  std::string message_;
};

/// Either a T or a failed Status.
template <class T> class [[nodiscard]] Expected {
public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}

  template <class U>
  requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, Status>) Expected(U &&value)
      : storage_(std::in_place_index<0>, T(std::forward<U>(value))) {}

  /// \p S must be a failure; an Expected never holds a successful Status.
  Expected(Status s) : storage_(std::in_place_index<1>, std::move(s)) {
    if (std::get<1>(storage_).ok())
      fatal("Expected constructed from a successful Status");
  }

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &value() {
    checkOk();
    return std::get<0>(storage_);
  }
  const T &value() const {
    checkOk();
    return std::get<0>(storage_);
  }
  T &operator*() { return value(); }
  const T &operator*() const { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  /// Success when a value is held, otherwise the failure.
  const Status &status() const {
    static const Status success = Status::success();
    return ok() ? success : std::get<1>(storage_);
  }
  std::string message() const { return status().message(); }

private:
  [[noreturn]] static void fatal(const char *what) {
    std::fprintf(stderr, "ssmc::rt::Expected: %s\n", what);
    std::abort();
  }
  void checkOk() const {
    if (!ok()) {
      std::fprintf(stderr, "ssmc::rt::Expected: value() on error: %s\n",
                   std::get<1>(storage_).message().c_str());
      std::abort();
    }
  }

  std::variant<T, Status> storage_;
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_STATUS_H
