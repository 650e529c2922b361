// Beacon formats in advertising data: Apple iBeacon (manufacturer data,
// company 0x004C) and Google Eddystone (service data, UUID 0xFEAA:
// https://github.com/google/eddystone, protocol-specification.md and
// eddystone-{uid,url,tlm}/README.md).  Unlike Bluetooth SIG formats,
// both are big-endian.  Pure codecs, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "protocol/sensor/reading.hpp"

namespace bcms::sensor {

inline constexpr std::uint16_t apple_company_id = 0x004C;
inline constexpr std::uint16_t eddystone_uuid = 0xFEAA;

/// iBeacon, the manufacturer data after the company identifier 0x004C:
///
///   type 0x02, length 0x15 (21), then
///   Proximity UUID   16 octets (in written order)
///   Major            uint16 big-endian
///   Minor            uint16 big-endian
///   Measured power   int8, dBm at 1 m
struct IBeacon {
  std::array<std::uint8_t, 16> uuid{};
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  std::int8_t measured_power = 0;
  /// "e2c56db5-dffb-48d2-b060-d0f5a71096e0"
  [[nodiscard]] std::string uuid_string() const;
};
/// codec_errc::unknown_opcode for another company or type, invalid_length
/// for a length octet other than 0x15, truncated / trailing_bytes.
expected<IBeacon> decode_ibeacon(std::uint16_t company, byte_span data);

/// Eddystone-UID (frame type 0x00): Tx power at 0 m (int8 dBm), 10-octet
/// namespace, 6-octet instance, 2 RFU octets (0x00; some beacons leave
/// them out, accepted).
struct EddystoneUid {
  std::int8_t tx_power = 0;
  std::array<std::uint8_t, 10> name_space{};
  std::array<std::uint8_t, 6> instance{};
};

/// Eddystone-URL (frame type 0x10): Tx power, URL scheme prefix (0x00
/// "http://www.", 0x01 "https://www.", 0x02 "http://", 0x03 "https://"),
/// 1..17 octets of encoded URL where 0x00-0x0D expand (".com/", ".org/",
/// ".edu/", ".net/", ".info/", ".biz/", ".gov/", then the same without
/// "/"), 0x21-0x7E are themselves and 0x0E-0x20, 0x7F-0xFF are reserved
/// (codec_errc::invalid_value).
struct EddystoneUrl {
  std::int8_t tx_power = 0;
  std::string url;
};

/// Eddystone-TLM (frame type 0x20), unencrypted version 0x00 (0x01,
/// encrypted TLM, is codec_errc::invalid_value): 14 octets.
///   VBATT    uint16, mV; 0 = not supported (mains powered)
///   TEMP     signed 8.8 fixed point, °C; 0x8000 = not supported
///   ADV_CNT  uint32, advertising PDUs since power-up or reboot
///   SEC_CNT  uint32, 0.1 s since power-up or reboot
struct EddystoneTlm {
  std::uint16_t battery_mv = 0;
  std::optional<double> temperature_c{};
  std::uint32_t adv_count = 0;
  std::uint32_t uptime_deciseconds = 0;
};

using Eddystone = std::variant<EddystoneUid, EddystoneUrl, EddystoneTlm>;
/// The service data after the UUID 0xFEAA.  codec_errc::unknown_opcode
/// for another frame type (EID 0x30 included).
expected<Eddystone> decode_eddystone(byte_span data);

/// battery_voltage {level} V (when supported), temperature {level} °C
/// (when supported), uptime {level} s.
Readings readings(const EddystoneTlm& t);

}  // namespace bcms::sensor
