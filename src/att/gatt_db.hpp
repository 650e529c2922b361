// The GATT database: an ordered table of attributes (Core v5.4 Vol 3
// Part F 3.2) laid out as GATT services (Vol 3 Part G 3).
//
// Design: attributes live in one vector sorted by handle.  Handles are
// assigned in declaration order starting at 0x0001 and never reused, so a
// removed service leaves a gap and every other handle stays valid.  The
// database holds static values and, for dynamic attributes, handlers; it
// does not check permissions or talk ATT (gatt_server does).  Handlers
// answer through a callback so that they may complete later (async).
//
// Layout produced by the builder (Vol 3 Part G 3.1-3.4):
//   service declaration   0x2800/0x2801  value: service UUID (2|16)
//   include declaration   0x2802         value: handle, end group handle[, UUID16]
//   characteristic decl.  0x2803         value: properties, value handle, UUID (2|16)
//   characteristic value  <uuid>
//   descriptors           0x2900 (extended properties), 0x2902 (CCCD), others
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "protocol/att/att_error.hpp"
#include "protocol/att/uuid.hpp"
#include "protocol/bytes.hpp"
#include "src/att/conn_state.hpp"

namespace bcms::att {

// GATT attribute types (Vol 3 Part G 3.4, Assigned Numbers 3.5-3.7).
inline constexpr std::uint16_t primary_service_uuid = 0x2800;
inline constexpr std::uint16_t secondary_service_uuid = 0x2801;
inline constexpr std::uint16_t include_uuid = 0x2802;
inline constexpr std::uint16_t characteristic_uuid = 0x2803;
inline constexpr std::uint16_t ext_properties_uuid = 0x2900;
inline constexpr std::uint16_t user_description_uuid = 0x2901;
inline constexpr std::uint16_t cccd_uuid = 0x2902;
inline constexpr std::uint16_t presentation_format_uuid = 0x2904;

/// Characteristic Properties (Vol 3 Part G 3.3.1.1).
namespace prop {
inline constexpr std::uint8_t broadcast = 0x01;
inline constexpr std::uint8_t read = 0x02;
inline constexpr std::uint8_t write_without_response = 0x04;
inline constexpr std::uint8_t write = 0x08;
inline constexpr std::uint8_t notify = 0x10;
inline constexpr std::uint8_t indicate = 0x20;
inline constexpr std::uint8_t authenticated_signed_writes = 0x40;
inline constexpr std::uint8_t extended_properties = 0x80;
}  // namespace prop
/// Characteristic Extended Properties bits (Vol 3 Part G 3.3.3.1).
namespace ext_prop {
inline constexpr std::uint16_t reliable_write = 0x0001;
inline constexpr std::uint16_t writable_auxiliaries = 0x0002;
}  // namespace ext_prop
/// CCCD bits (Vol 3 Part G 3.3.3.3).
inline constexpr std::uint16_t cccd_notify = 0x0001;
inline constexpr std::uint16_t cccd_indicate = 0x0002;

/// Attribute permissions (Vol 3 Part F 3.2.5): access, encryption,
/// authentication, authorization, separately for read and write.
namespace perm {
inline constexpr std::uint16_t read = 0x0001;
inline constexpr std::uint16_t write = 0x0002;
inline constexpr std::uint16_t read_encrypted = 0x0004;
inline constexpr std::uint16_t write_encrypted = 0x0008;
inline constexpr std::uint16_t read_authenticated = 0x0010;  // MITM-protected key
inline constexpr std::uint16_t write_authenticated = 0x0020;
inline constexpr std::uint16_t read_authorized = 0x0040;  // the authorization callback decides
inline constexpr std::uint16_t write_authorized = 0x0080;
inline constexpr std::uint16_t read_secure = 0x0100;  // LE Secure Connections (level 4)
inline constexpr std::uint16_t write_secure = 0x0200;
inline constexpr std::uint16_t rw = read | write;
}  // namespace perm

enum class Access : std::uint8_t { read, write };

/// What a handler is told about an access.
struct AccessRequest {
  ConnState& conn;
  std::uint16_t handle;
  std::uint16_t offset;  // 0 except for Read Blob and prepared writes
};

using ReadResult = tl::expected<bytes, att_errc>;
using WriteResult = tl::expected<void, att_errc>;
using ReadDone = std::function<void(ReadResult)>;
using WriteDone = std::function<void(WriteResult)>;
/// Returns the whole value; the server slices it for offsets and MTU.
using ReadHandler = std::function<void(const AccessRequest&, ReadDone)>;
/// Gets `value` to be stored at `offset` (a whole value, or the merged
/// parts of a long write).
using WriteHandler = std::function<void(const AccessRequest&, byte_span value, WriteDone)>;
/// Whether a write of `length` octets at the request's offset would be
/// accepted, without writing: Execute Write validates its whole queue with
/// it before any handler runs (Vol 3 Part F 3.4.6.3).
using WriteCheck = std::function<std::optional<att_errc>(const AccessRequest&, std::size_t length)>;

enum class AttrKind : std::uint8_t { plain, service, include, characteristic, value, cccd };

struct Attribute {
  std::uint16_t handle = 0;
  Uuid type;
  AttrKind kind = AttrKind::plain;
  std::uint16_t perms = 0;
  std::uint8_t min_key_size = 0;  // 0: any; else Encryption Key Size Too Short below it
  bytes value;                    // the value when `read` is empty
  ReadHandler read;
  WriteHandler write;
  WriteCheck check_write;
  std::uint16_t end_group = 0;       // service declarations: last handle of the service
  std::uint16_t service = 0;         // handle of the enclosing service declaration
  std::uint8_t char_props = 0;       // value and CCCD attributes: the characteristic's properties
  std::uint16_t value_handle = 0;    // CCCD: the value it configures
};

struct AttributeSpec {
  std::uint16_t perms = perm::read;
  std::uint8_t min_key_size = 0;
  bytes value;
  ReadHandler read;
  WriteHandler write;
  WriteCheck check_write;
};

struct CharacteristicHandles {
  std::uint16_t declaration = 0;
  std::uint16_t value = 0;
  std::uint16_t cccd = 0;       // 0 without notify/indicate
  std::uint16_t ext_props = 0;  // 0 without extended properties
};

class GattDb {
 public:
  GattDb() = default;
  GattDb(const GattDb&) = delete;
  GattDb& operator=(const GattDb&) = delete;

  /// Opens a service; the following adds belong to it until end_service().
  /// Returns the service declaration's handle (0 when handles run out).
  std::uint16_t begin_service(const Uuid& type, bool primary = true);
  /// Include declaration of an already complete service (Vol 3 Part G 3.2).
  std::uint16_t add_include(std::uint16_t service_handle);
  /// Declaration + value (+ CCCD when notify/indicate, + Extended
  /// Properties descriptor when ext_props != 0).  CCCDs are managed by
  /// the server per connection.
  CharacteristicHandles add_characteristic(const Uuid& type, std::uint8_t props, AttributeSpec value,
                                           std::uint16_t ext_props = 0, std::uint16_t cccd_perms = perm::rw);
  std::uint16_t add_descriptor(const Uuid& type, AttributeSpec spec);
  /// Closes the open service and reports its range to the change listener.
  void end_service();
  /// Removes a whole service; its handles are not reused.
  bool remove_service(std::uint16_t service_handle);

  [[nodiscard]] const Attribute* find(std::uint16_t handle) const noexcept;
  [[nodiscard]] Attribute* find(std::uint16_t handle) noexcept;
  /// Attributes with start <= handle <= end, in handle order.
  [[nodiscard]] std::span<const Attribute> range(std::uint16_t start, std::uint16_t end) const noexcept;
  [[nodiscard]] std::span<const Attribute> all() const noexcept { return attrs_; }
  /// First attribute of a type, 0 if none.
  [[nodiscard]] std::uint16_t find_type(const Uuid& type) const noexcept;
  [[nodiscard]] bool in_service() const noexcept { return open_service_ != 0; }

  /// Called with the affected handle range after end_service() and
  /// remove_service() (the server turns it into Service Changed).
  std::function<void(std::uint16_t start, std::uint16_t end)> on_change;

 private:
  std::uint16_t append(Attribute a);
  Attribute* open_service();

  std::vector<Attribute> attrs_;
  std::uint32_t next_handle_ = 1;
  std::uint16_t open_service_ = 0;
};

}  // namespace bcms::att
