// AdBuilder: advertising / scan response data for our own advertising.
//
// Produces AD structures (Core v5.4 Vol 3 Part C 11; data formats in CSS
// v11 Part A 1) in a fixed order:
//   Flags, 16-bit UUIDs (complete list), 128-bit UUIDs (complete list),
//   Appearance, TX Power, Service Data (in insertion order), Manufacturer
//   Data (in insertion order), Local Name.
// The name comes last so that it can be shortened (type 0x08, cut on a
// UTF-8 character boundary) to the space that is left.
//
// Limits: legacy advertising carries at most 31 octets of AdvData and 31 of
// ScanRspData (Core v5.4 Vol 4 Part E 7.8.7 and 7.8.8); with extended
// advertising the controller reports its own maximum (mgmt Read Advertising
// Features "Max_Adv_Data_Len"), which the caller passes as max_len.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "protocol/ad/ad.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::ad {

/// Legacy advertising / scan response data limit.
inline constexpr std::size_t legacy_max_len = 31;

/// Which builder field a BuildError is about.
enum class AdField : std::uint8_t {
  flags, uuid16, uuid128, appearance, tx_power, service_data, manufacturer, name,
};
std::string_view to_string(AdField f) noexcept;

struct BuildError {
  std::error_code code;       // codec_errc::too_long
  AdField field{};            // the first field that did not fit
  std::size_t needed = 0;     // octets the field's structure needs
  std::size_t available = 0;  // octets that were left for it
  /// e.g. "manufacturer does not fit: needs 30 octets, 12 left"
  [[nodiscard]] std::string message() const;
};

/// Advertising data plus the scan response data that holds what did not
/// fit in it.
struct AdSplit {
  bytes adv;
  bytes scan_rsp;
};

class AdBuilder {
 public:
  AdBuilder& flags(std::uint8_t bits);
  /// The complete local name; build() may shorten it.
  AdBuilder& name(std::string name);
  AdBuilder& uuid16(std::uint16_t uuid);
  /// A 128-bit UUID in wire (little-endian) order.
  AdBuilder& uuid128(const Uuid128& uuid);
  AdBuilder& appearance(std::uint16_t value);
  AdBuilder& tx_power(std::int8_t dbm);
  AdBuilder& manufacturer(std::uint16_t company, bytes data);
  AdBuilder& service_data(std::uint16_t uuid, bytes data);
  AdBuilder& service_data(const Uuid128& uuid, bytes data);

  /// Everything in one block of at most max_len octets.  Fails with
  /// codec_errc::too_long naming the first field that does not fit (the
  /// name only fails when not even one character fits).
  [[nodiscard]] expected<bytes, BuildError> build(std::size_t max_len = legacy_max_len) const;

  /// Fills the advertising data first and moves what does not fit to the
  /// scan response data, field by field in the order above.  Flags stay in
  /// the advertising data (CSS Part A 1.3 does not allow them in scan
  /// response data).  The name goes complete where it fits (advertising
  /// data first), otherwise shortened into the block with more room.
  [[nodiscard]] expected<AdSplit, BuildError> split(std::size_t max_adv = legacy_max_len,
                                                    std::size_t max_scan_rsp = legacy_max_len) const;

 private:
  struct Piece {
    AdField field;
    bytes encoded;  // a whole AD structure: length, type, data
  };
  [[nodiscard]] expected<std::vector<Piece>, BuildError> pieces() const;

  std::optional<std::uint8_t> flags_;
  std::optional<std::string> name_;
  std::vector<std::uint16_t> uuid16_;
  std::vector<Uuid128> uuid128_;
  std::optional<std::uint16_t> appearance_;
  std::optional<std::int8_t> tx_power_;
  std::vector<ServiceData<std::uint16_t>> service_data16_;
  std::vector<ServiceData<Uuid128>> service_data128_;
  std::vector<ManufacturerData> manufacturer_;
};

/// The longest prefix of `name` that is at most max_octets long and does
/// not end inside a UTF-8 sequence.
std::string_view shorten_name(std::string_view name, std::size_t max_octets) noexcept;

}  // namespace bcms::ad
