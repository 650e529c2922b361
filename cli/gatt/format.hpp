// How bcms-gatt prints values: as BlueZ's gatttool does ("%02x " per
// octet), and decoded where protocol/sensor knows the characteristic.
#pragma once

#include <string>

#include "protocol/bytes.hpp"

namespace bcms::cli::gatt {

/// gatttool's value format: "%02x " per octet (a trailing space included).
std::string spaced(byte_span v);
/// "0x%04x".
std::string h4(std::uint16_t v);
/// The readings protocol/sensor decodes from a characteristic value
/// ("heart_rate rate=72 bpm, ..."); empty when it knows none.
std::string decoded(std::uint16_t uuid16, byte_span value);

}  // namespace bcms::cli::gatt
