// Errors of the pure codec layer (protocol/, gen/): what a decoder says
// about bytes it was given.  One category for the whole codec layer;
// protocol-level status codes (mgmt status, ATT error) have their own.
#pragma once

#include <system_error>

namespace bcms {

enum class codec_errc {
  truncated = 1,      // fewer bytes than the fixed part or a length field says
  trailing_bytes,     // more bytes than a fixed-size structure holds
  invalid_length,     // a length field that contradicts the buffer or itself
  invalid_value,      // a field whose value the spec does not allow
  unknown_opcode,     // an opcode or event code the table does not know
  too_long,           // an encoded result would exceed the protocol's limit
};

const std::error_category& codec_category() noexcept;

inline std::error_code make_error_code(codec_errc e) noexcept {
  return {static_cast<int>(e), codec_category()};
}

}  // namespace bcms

template <>
struct std::is_error_code_enum<bcms::codec_errc> : std::true_type {};
