// bcms::expected: the result type of every decoder and of every fallible
// operation in the stack.  GCC 12's <expected> is not usable by clang 16
// (which builds the fuzzers), so this aliases tl::expected (Debian's
// libexpected-dev), which has the same interface as std::expected.
#pragma once

#include <system_error>

#include <tl/expected.hpp>

namespace bcms {

template <class T, class E = std::error_code>
using expected = tl::expected<T, E>;

using tl::unexpected;

/// Shorthand for returning an error_code built from any error enum.
template <class Enum>
inline tl::unexpected<std::error_code> fail(Enum e) {
  return tl::unexpected<std::error_code>(make_error_code(e));
}

}  // namespace bcms
