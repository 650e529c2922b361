// BTHome v2 (https://bthome.io/format/): sensor data in advertisement
// service data under the 16-bit UUID 0xFCD2.  Pure codec, no I/O, no
// crypto (encrypted payloads: bthome_crypto.hpp).
//
// Service data (after the UUID):
//
//   Device information  uint8
//     bit 0    encryption flag
//     bit 1    MAC included: the next 6 octets are the device's address,
//              little-endian (as bthome-ble, the reference receiver, reads it)
//     bit 2    trigger-based device (sends on events, not at intervals)
//     bit 3-4  reserved  -> bthome_errc::reserved_bits
//     bit 5-7  BTHome version, 2  -> else bthome_errc::unsupported_version
//   [MAC (6)]
//   unencrypted: objects
//   encrypted:   ciphertext of the objects, counter uint32 LE, MIC (4)
//
// An object is its id (uint8) and a value whose length and type the id
// fixes (the table in bthome_objects.cpp: id, name, format, length,
// factor, unit), except text (0x53) and raw (0x54), which carry a length
// octet first.  An id the table does not know stops decoding with
// bthome_errc::unknown_object naming the id: the receiver cannot know its
// length, so nothing after it can be read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "protocol/sensor/bthome_error.hpp"
#include "protocol/sensor/reading.hpp"

namespace bcms::sensor {

inline constexpr std::uint16_t bthome_uuid = 0xFCD2;

namespace bthome_info {
inline constexpr std::uint8_t encrypted = 0x01;
inline constexpr std::uint8_t mac_included = 0x02;
inline constexpr std::uint8_t trigger_based = 0x04;
inline constexpr std::uint8_t reserved = 0x18;
inline constexpr std::uint8_t version_shift = 5;
inline constexpr std::uint8_t version_2 = 2 << version_shift;  // 0x40
}  // namespace bthome_info

/// How an object's value is written.
enum class BthomeFormat : std::uint8_t {
  uint,          // unsigned little-endian integer x factor
  sint,          // two's complement little-endian integer x factor
  binary,        // uint8 0 = off / 1 = on (binary sensors 0x0F-0x11, 0x15-0x2D)
  text,          // length octet, UTF-8
  raw,           // length octet, octets (Reading text: lower-case hex)
  button_event,  // uint8 event: 0 none, 1 press, 2 double_press, 3 triple_press,
                 // 4 long_press, 5 long_double_press, 6 long_triple_press, 0x80 hold_press
  dimmer_event,  // uint8 event (0 none, 1 rotate_left, 2 rotate_right), uint8 steps
};

/// One row of the object table.
struct BthomeObjectType {
  std::uint8_t id;
  std::string_view name;  // the Reading type: "temperature", "battery_level", "door", ...
  BthomeFormat format;
  std::uint8_t length;    // octets of the value (text/raw: 0, the value says)
  double factor;          // value = integer x factor
  std::string_view unit;  // "°C", "%", "hPa", ...; "" when unitless
  std::uint8_t decimals;  // decimal places the factor gives (0.01 -> 2)
};

/// The BTHome v2 object table, sorted by id.
std::span<const BthomeObjectType> bthome_object_types() noexcept;
/// The row of an id; nullptr when the table does not list it.
const BthomeObjectType* bthome_object_type(std::uint8_t id) noexcept;

/// One decoded object.
struct BthomeObject {
  const BthomeObjectType* type = nullptr;
  double value = 0.0;  // the number (binary 0/1, button event code, dimmer steps)
  std::string text{};  // text objects; raw as hex; event names
};

/// The device information octet and where the objects (or the encrypted
/// block) are.  `payload` borrows from the input.
struct BthomeHeader {
  std::uint8_t device_info = 0;
  bool encrypted = false;
  bool trigger_based = false;
  std::optional<Address> mac{};  // when bit 1 is set
  byte_span payload{};
  std::size_t payload_offset = 0;  // of `payload` in the service data
};
expected<BthomeHeader, BthomeError> parse_bthome_header(byte_span service_data);

/// Decodes a sequence of objects (an unencrypted payload or a decrypted
/// one); `base_offset` is added to error offsets.
expected<std::vector<BthomeObject>, BthomeError> decode_bthome_objects(byte_span payload, std::size_t base_offset = 0);

/// A decoded advertisement.
struct BthomePacket {
  std::uint8_t device_info = 0;
  bool encrypted = false;
  bool trigger_based = false;
  std::optional<Address> mac{};
  std::optional<std::uint32_t> counter{};   // encrypted packets
  std::optional<std::uint8_t> packet_id{};  // object 0x00
  std::vector<BthomeObject> objects{};
};

/// The packet of a header and its (decoded or decrypted) objects.
BthomePacket make_bthome_packet(const BthomeHeader& h, std::vector<BthomeObject> objects,
                                std::optional<std::uint32_t> counter = std::nullopt);

/// Decodes unencrypted service data (after the UUID); an encrypted one is
/// bthome_errc::encrypted (decrypt with bthome_crypto.hpp).
expected<BthomePacket, BthomeError> decode_bthome(byte_span service_data);

/// Readings of a packet: one per object with a number (the table's name
/// as type, field "level"), text objects with `text`; the packet id and
/// the device information objects (0xF0-0xF2) give none.
Readings readings(const BthomePacket& p);

}  // namespace bcms::sensor
