// Errors of BTHome decoding beyond the codec layer's own (truncated,
// invalid_value, ... in protocol/codec_error.hpp): one category for
// BTHome's header, object table, encryption and per-device state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

namespace bcms::sensor {

enum class bthome_errc {
  unsupported_version = 1,  // device information bits 5-7 are not 2
  reserved_bits,            // device information bit 3 or 4 set
  unknown_object,           // an object id the BTHome v2 table does not list
  encrypted,                // encrypted payload and no key to decrypt it
  authentication_failed,    // AES-CCM MIC mismatch: wrong key, MAC or tampered data
  replayed_counter,         // encryption counter not above the last accepted one
  duplicate_packet,         // packet id already seen (object 0x00)
  not_encrypted,            // plaintext from a device that has a bind key (downgrade)
};

const std::error_category& bthome_category() noexcept;

inline std::error_code make_error_code(bthome_errc e) noexcept { return {static_cast<int>(e), bthome_category()}; }

/// Where a BTHome decode stopped: the error, the offset in the service
/// data it was given, and the object id when one was being decoded.
struct BthomeError {
  std::error_code code;
  std::size_t offset = 0;
  std::optional<std::uint8_t> object_id{};
  /// e.g. "BTHome: unknown object id 0x99 at offset 3"
  [[nodiscard]] std::string message() const;
};

}  // namespace bcms::sensor

template <>
struct std::is_error_code_enum<bcms::sensor::bthome_errc> : std::true_type {};
