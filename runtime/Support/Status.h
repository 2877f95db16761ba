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
  static Status error(std::string Msg) { return Status(true, std::move(Msg)); }

  bool ok() const { return !Failed; }
  explicit operator bool() const { return ok(); }
  /// Empty for a successful status.
  const std::string &message() const { return Message; }

private:
  Status(bool Failed, std::string Msg)
      : Failed(Failed), Message(std::move(Msg)) {}

  bool Failed;
  std::string Message;
};

/// Either a T or a failed Status.
template <class T> class [[nodiscard]] Expected {
public:
  Expected(T Value) : Storage(std::in_place_index<0>, std::move(Value)) {}

  template <class U>
  requires(std::is_constructible_v<T, U &&> &&
           !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, Status>) Expected(U &&Value)
      : Storage(std::in_place_index<0>, T(std::forward<U>(Value))) {}

  /// \p S must be a failure; an Expected never holds a successful Status.
  Expected(Status S) : Storage(std::in_place_index<1>, std::move(S)) {
    if (std::get<1>(Storage).ok())
      fatal("Expected constructed from a successful Status");
  }

  bool ok() const { return Storage.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &value() {
    checkOk();
    return std::get<0>(Storage);
  }
  const T &value() const {
    checkOk();
    return std::get<0>(Storage);
  }
  T &operator*() { return value(); }
  const T &operator*() const { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  /// Success when a value is held, otherwise the failure.
  const Status &status() const {
    static const Status Success = Status::success();
    return ok() ? Success : std::get<1>(Storage);
  }
  std::string message() const { return status().message(); }

private:
  [[noreturn]] static void fatal(const char *What) {
    std::fprintf(stderr, "ssmc::rt::Expected: %s\n", What);
    std::abort();
  }
  void checkOk() const {
    if (!ok()) {
      std::fprintf(stderr, "ssmc::rt::Expected: value() on error: %s\n",
                   std::get<1>(Storage).message().c_str());
      std::abort();
    }
  }

  std::variant<T, Status> Storage;
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_STATUS_H
