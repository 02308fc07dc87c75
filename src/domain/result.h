// Result<T>: a value or an Error, for operations whose failure is an expected outcome
// (a store that is down, an input that does not parse). Exceptions stay for programming errors.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mtrace::domain {

enum class ErrorCode {
  invalid_argument,  // the caller's input is malformed
  not_found,
  unavailable,       // a dependency (store, network) is down or overloaded: retry later
  internal,
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}      // NOLINT
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace mtrace::domain
