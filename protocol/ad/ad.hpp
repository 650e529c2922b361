// Advertising and scan response data: decoded structures and the parser.
//
// Wire format (Core v5.4 Vol 3 Part C 11, Figure 11.1): the significant
// part of AdvData / ScanRspData is a sequence of AD structures
//
//   +--------+---------+---------------------+
//   | Length | AD Type | AD Data             |
//   | 1 oct  | 1 oct   | Length - 1 octets   |
//   +--------+---------+---------------------+
//
// Length counts the type octet and the data.  A Length of 0 ends the
// significant part; what follows (the non-significant part) is ignored.
// The AD types and their data formats are defined in the Core Specification
// Supplement (CSS v11) Part A 1.x; the type numbers are in Assigned Numbers
// 2.3.  Everything is little-endian (CSS Part A 1).
//
// Policy for untrusted radio data: parse_ad() is TOLERANT.  It decodes every
// well-formed structure and records the FIRST problem it met (offset, AD
// type, error code).  A structure whose framing is intact but whose data
// does not fit its type (e.g. a 16-bit UUID list of odd length) is kept as an
// AdRaw and parsing continues; a Length that overruns the buffer stops the
// parse (the framing is lost).  parse_ad_strict() is the same parse but
// fails with the recorded error: use it for data we built ourselves.
//
// UUIDs are kept as plain integers (16/32-bit) or as 16 octets in wire order
// (128-bit, little-endian), because the width on the wire is part of the AD
// type; att::Uuid::from32()/from128_le() convert when a generic UUID is
// needed, and format.hpp prints them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::ad {

/// AD type numbers (Assigned Numbers 2.3, "Common Data Types").
enum class AdType : std::uint8_t {
  flags = 0x01,
  uuid16_incomplete = 0x02,
  uuid16_complete = 0x03,
  uuid32_incomplete = 0x04,
  uuid32_complete = 0x05,
  uuid128_incomplete = 0x06,
  uuid128_complete = 0x07,
  name_short = 0x08,
  name_complete = 0x09,
  tx_power = 0x0a,
  class_of_device = 0x0d,
  conn_interval_range = 0x12,  // "Peripheral Connection Interval Range"
  solicit_uuid16 = 0x14,
  solicit_uuid128 = 0x15,
  service_data16 = 0x16,
  public_target_address = 0x17,
  random_target_address = 0x18,
  appearance = 0x19,
  adv_interval = 0x1a,
  le_address = 0x1b,
  le_role = 0x1c,
  solicit_uuid32 = 0x1f,
  service_data32 = 0x20,
  service_data128 = 0x21,
  uri = 0x24,
  manufacturer = 0xff,
};

/// A 128-bit UUID in wire order (octet 0 is the least significant).
using Uuid128 = std::array<std::uint8_t, 16>;

/// Flags bits (CSS Part A 1.3).
namespace flag {
inline constexpr std::uint8_t le_limited = 0x01;      // LE Limited Discoverable Mode
inline constexpr std::uint8_t le_general = 0x02;      // LE General Discoverable Mode
inline constexpr std::uint8_t no_bredr = 0x04;        // BR/EDR Not Supported
inline constexpr std::uint8_t le_bredr_ctrl = 0x08;   // Simultaneous LE and BR/EDR (Controller)
inline constexpr std::uint8_t previously_used = 0x10; // formerly "... (Host)"
}  // namespace flag

/// 0x01 Flags (CSS Part A 1.3).  The field may be longer than one octet
/// (for future bits); every defined bit lives in the first octet, which
/// is what `bits` holds (0 when the field is empty).
struct Flags {
  std::uint8_t bits = 0;
  friend bool operator==(const Flags&, const Flags&) = default;
};

/// 0x02..0x07 Service UUID lists (CSS Part A 1.1): a packed array of
/// 2-, 4- or 16-octet UUIDs.  U is std::uint16_t, std::uint32_t or Uuid128.
template <class U>
struct ServiceUuids {
  bool complete = false;
  std::vector<U> uuids;
  friend bool operator==(const ServiceUuids&, const ServiceUuids&) = default;
};

/// 0x08 / 0x09 Local Name (CSS Part A 1.2).  The bytes as sent: UTF-8 by
/// the spec, but possibly invalid; the formatters make invalid bytes visible.
struct LocalName {
  bool complete = false;
  std::string name;
  friend bool operator==(const LocalName&, const LocalName&) = default;
};

/// 0x0A TX Power Level (CSS Part A 1.5): int8 in dBm.
struct TxPower {
  std::int8_t dbm = 0;
  friend bool operator==(const TxPower&, const TxPower&) = default;
};

/// 0x12 Peripheral Connection Interval Range (CSS Part A 1.9): two u16 in
/// units of 1.25 ms; 0xFFFF means "no specific minimum/maximum".
struct ConnIntervalRange {
  static constexpr std::uint16_t unspecified = 0xffff;
  std::uint16_t min = unspecified;
  std::uint16_t max = unspecified;
  friend bool operator==(const ConnIntervalRange&, const ConnIntervalRange&) = default;
};

/// 0x16 / 0x20 / 0x21 Service Data (CSS Part A 1.11): the UUID followed by
/// the service's data.
template <class U>
struct ServiceData {
  U uuid{};
  bytes data;
  friend bool operator==(const ServiceData&, const ServiceData&) = default;
};

/// 0x17 Public Target Address (CSS Part A 1.13): one or more 6-octet
/// addresses.
struct PublicTargetAddress {
  std::vector<Address> addresses;
  friend bool operator==(const PublicTargetAddress&, const PublicTargetAddress&) = default;
};

/// 0x19 Appearance (CSS Part A 1.12): u16, category in bits 15..6 and
/// sub-category in bits 5..0 (Assigned Numbers 2.6).
struct Appearance {
  std::uint16_t value = 0;
  [[nodiscard]] constexpr std::uint16_t category() const noexcept { return value >> 6; }
  [[nodiscard]] constexpr std::uint8_t subcategory() const noexcept { return value & 0x3f; }
  friend bool operator==(const Appearance&, const Appearance&) = default;
};

/// 0x1A Advertising Interval (CSS Part A 1.15): u16 in units of 0.625 ms.
struct AdvInterval {
  std::uint16_t units = 0;
  friend bool operator==(const AdvInterval&, const AdvInterval&) = default;
};

/// 0x1C LE Role (CSS Part A 1.17).
struct LeRole {
  std::uint8_t role = 0;  // 0x00..0x03 defined, the rest reserved
  friend bool operator==(const LeRole&, const LeRole&) = default;
};

/// 0x24 URI (CSS Part A 1.18): UTF-8; the first code point is a scheme
/// from Assigned Numbers 2.7 (0x01 = no scheme replacement).
struct Uri {
  std::string raw;  // the bytes as sent, including the scheme code point
  friend bool operator==(const Uri&, const Uri&) = default;
};

/// 0xFF Manufacturer Specific Data (CSS Part A 1.4): company identifier
/// (Assigned Numbers 7) followed by opaque data.
struct ManufacturerData {
  std::uint16_t company = 0;
  bytes data;
  friend bool operator==(const ManufacturerData&, const ManufacturerData&) = default;
};

/// Any other type, or a known type whose data was malformed.
struct Raw {
  bytes data;
  friend bool operator==(const Raw&, const Raw&) = default;
};

using Value = std::variant<Flags, ServiceUuids<std::uint16_t>, ServiceUuids<std::uint32_t>,
                           ServiceUuids<Uuid128>, LocalName, TxPower, ConnIntervalRange,
                           ServiceData<std::uint16_t>, ServiceData<std::uint32_t>,
                           ServiceData<Uuid128>, PublicTargetAddress, Appearance, AdvInterval,
                           LeRole, Uri, ManufacturerData, Raw>;

/// One AD structure: its type octet and the decoded value.
struct Structure {
  std::uint8_t type = 0;
  Value value;
  friend bool operator==(const Structure&, const Structure&) = default;
};

/// Where and why a parse stopped or a structure was kept raw.
struct ParseIssue {
  std::size_t offset = 0;  // offset of the structure's Length octet
  std::uint8_t type = 0;   // its AD type (0 when the type octet is missing)
  std::error_code error;   // a codec_errc
};

struct AdData {
  std::vector<Structure> structures;
  std::optional<ParseIssue> issue;  // the first problem met, if any
  std::size_t significant = 0;      // octets up to the end of the last structure

  // Convenience accessors: the first structure of each kind (if any).
  [[nodiscard]] const LocalName* name() const noexcept;
  [[nodiscard]] std::optional<std::uint8_t> flags() const noexcept;
  [[nodiscard]] const ManufacturerData* manufacturer(std::uint16_t company) const noexcept;
  [[nodiscard]] const ServiceData<std::uint16_t>* service_data(std::uint16_t uuid) const noexcept;
  /// All 16-bit service UUIDs of all 0x02/0x03 structures.
  [[nodiscard]] std::vector<std::uint16_t> uuids16() const;
};

/// Tolerant parse (see the policy above).  Never fails, never reads past
/// `data`.
AdData parse_ad(byte_span data);

/// The same parse, failing with the first issue's codec_errc.
expected<AdData> parse_ad_strict(byte_span data);

/// Decodes the data of one structure of the given type.  Errors are
/// codec_errc::invalid_length (the size does not fit the type) or
/// invalid_value.
expected<Value> decode_value(std::uint8_t type, byte_span data);

}  // namespace bcms::ad
