// ATT error codes: the Error Code field of the ATT_ERROR_RSP PDU
// (Core v5.4 Vol 3 Part F 3.4.1.1, table 3.4) and the common profile and
// service error codes (Core Specification Supplement v11 Part B 1.2).
//
// One std::error_category ("att") for the ATT layer; codec failures stay
// in bcms.codec.  att_errc values are the wire values.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace bcms::att {

enum class att_errc : std::uint8_t {
  invalid_handle = 0x01,
  read_not_permitted = 0x02,
  write_not_permitted = 0x03,
  invalid_pdu = 0x04,
  insufficient_authentication = 0x05,
  request_not_supported = 0x06,
  invalid_offset = 0x07,
  insufficient_authorization = 0x08,
  prepare_queue_full = 0x09,
  attribute_not_found = 0x0A,
  attribute_not_long = 0x0B,
  encryption_key_size_too_short = 0x0C,
  invalid_attribute_value_length = 0x0D,
  unlikely_error = 0x0E,
  insufficient_encryption = 0x0F,
  unsupported_group_type = 0x10,
  insufficient_resources = 0x11,
  database_out_of_sync = 0x12,
  value_not_allowed = 0x13,
  // 0x80-0x9F: application errors (defined by the higher layer).
  // Common profile and service error codes (CSS v11 Part B 1.2):
  write_request_rejected = 0xFC,
  cccd_improperly_configured = 0xFD,
  procedure_already_in_progress = 0xFE,
  out_of_range = 0xFF,
};

/// Spec name of an error code ("Invalid Handle"); application errors
/// (0x80-0x9F) are "Application Error", reserved codes "Reserved".
[[nodiscard]] std::string_view name(att_errc e) noexcept;
[[nodiscard]] constexpr bool is_application_error(std::uint8_t code) noexcept {
  return code >= 0x80 && code <= 0x9F;
}

const std::error_category& att_category() noexcept;

inline std::error_code make_error_code(att_errc e) noexcept {
  return {static_cast<int>(e), att_category()};
}

}  // namespace bcms::att

template <>
struct std::is_error_code_enum<bcms::att::att_errc> : std::true_type {};
