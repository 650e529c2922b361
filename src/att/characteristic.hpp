// The peripheral API's building blocks: Service and Characteristic, in
// the spirit of bluez-peripheral (a service as a class) and aioble
// (flags, captured writes, buffered characteristics, on_read hooks).
//
//   struct HeartRate : bcms::att::Service {
//     HeartRate() : Service(0x180D) {}
//     Characteristic& measurement = characteristic(0x2A37, Flags::notify);
//     Characteristic& location = characteristic(0x2A38, Flags::read, {.initial = {0x01}});
//   };
//   // or, builder style: auto& s = peripheral.service(0x180F);
//   //                    auto& level = s.characteristic(0x2A19, Flags::read | Flags::notify);
//
// Values.  A characteristic keeps a value (at most max_len octets, 512 by
// default, the ATT maximum).  A client's write replaces it (from the
// write's offset on), or with append=true is appended to it; a write
// that would exceed max_len is refused with Invalid Attribute Value
// Length (aioble truncates; ATT has an error for it, so we use it).
//
// Captured writes (capture=true).  Every write by any client is queued
// as (connection, data) and delivered in arrival order by next_write(),
// on_written() or async_written().  The queue is per characteristic and
// bounded (capture_capacity, default 32).  Overflow policy:
//   drop_oldest (default, as aioble): the oldest queued write is
//     discarded to make room; the write itself succeeds;
//   drop_newest: the new write is not queued (its value is still stored);
//   reject: the write is refused with Insufficient Resources (0x11) and
//     nothing changes (write commands are dropped silently).
// Every discarded or refused write is counted in dropped_writes().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "protocol/att/att_error.hpp"
#include "protocol/att/uuid.hpp"
#include "src/att/gatt_db.hpp"

namespace bcms::att {

class Peripheral;
class Service;

enum class Flags : std::uint32_t {
  none = 0,
  broadcast = 1u << 0,
  read = 1u << 1,
  write_without_response = 1u << 2,
  write = 1u << 3,
  notify = 1u << 4,
  indicate = 1u << 5,
  authenticated_signed_writes = 1u << 6,
  reliable_write = 1u << 8,        // extended properties (Vol 3 Part G 3.3.3.1)
  writable_auxiliaries = 1u << 9,
  encrypt_read = 1u << 12,         // permissions (Vol 3 Part F 3.2.5)
  encrypt_write = 1u << 13,
  authenticate_read = 1u << 14,
  authenticate_write = 1u << 15,
  authorize_read = 1u << 16,       // GattServer's authorizer decides
  authorize_write = 1u << 17,
};
constexpr Flags operator|(Flags a, Flags b) noexcept {
  return static_cast<Flags>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr bool has(Flags set, Flags f) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(f)) != 0;
}

/// Who is asking: handed to every handler.
struct Connection {
  ConnId id = 0;
  Peer peer{};
};

enum class OverflowPolicy : std::uint8_t { drop_oldest, drop_newest, reject };

struct CharacteristicOptions {
  bytes initial{};
  std::size_t max_len = max_value_len;
  bool append = false;
  bool capture = false;
  std::size_t capture_capacity = 32;
  OverflowPolicy overflow = OverflowPolicy::drop_oldest;
};

struct CapturedWrite {
  Connection conn;
  bytes data;
  std::uint16_t offset = 0;  // where `data` goes in the value (prepared writes)
};

/// Characteristic Presentation Format (Vol 3 Part G 3.3.3.5).
struct PresentationFormat {
  std::uint8_t format = 0;
  std::int8_t exponent = 0;
  std::uint16_t unit = 0x2700;  // unitless
  std::uint8_t name_space = 0x01;
  std::uint16_t description = 0;
};

class Characteristic {
 public:
  using ReadHook = std::function<std::optional<att_errc>(const Connection&)>;
  using SyncRead = std::function<ReadResult(const Connection&)>;
  using AsyncRead = std::function<void(const Connection&, ReadDone)>;
  /// Whole-value write handlers: a write at a non-zero offset (a prepared
  /// write that does not start the value) is refused with Invalid Offset.
  using SyncWrite = std::function<WriteResult(const Connection&, byte_span)>;
  using AsyncWrite = std::function<void(const Connection&, byte_span, WriteDone)>;
  /// Handlers that take the offset (Vol 3 Part F 3.4.6: the value of a
  /// prepared write goes at `offset`).
  using SyncWriteAt = std::function<WriteResult(const Connection&, std::uint16_t offset, byte_span)>;
  using AsyncWriteAt = std::function<void(const Connection&, std::uint16_t offset, byte_span, WriteDone)>;

  Characteristic(Service& service, const Uuid& uuid, Flags flags, CharacteristicOptions opts);
  Characteristic(const Characteristic&) = delete;
  Characteristic& operator=(const Characteristic&) = delete;

  // --- the local value (aioble's write()/read())
  /// Sets the value; with send_update, notifies or indicates every
  /// subscribed client.
  void write(bytes value, bool send_update = false);
  [[nodiscard]] const bytes& value() const noexcept { return value_; }
  /// The value, emptied (for append-mode buffers).
  bytes take();

  // --- hooks (each returns *this for chaining)
  /// Runs before every client read; returning an error refuses the read.
  Characteristic& on_read(ReadHook hook);
  /// Replace the stored value: the handler produces what clients read.
  Characteristic& read_handler(SyncRead h);
  Characteristic& read_handler(AsyncRead h);
  /// Replace storing: the handler takes what clients write.
  /// Writes longer than max_len are refused before the handler runs
  /// (also for every entry of an Execute Write, before any is written).
  Characteristic& write_handler(SyncWrite h);
  Characteristic& write_handler(AsyncWrite h);
  Characteristic& write_handler(SyncWriteAt h);
  Characteristic& write_handler(AsyncWriteAt h);
  /// Called after every accepted write (and after it was captured).
  Characteristic& on_written(std::function<void(const Connection&, byte_span)> cb);

  // --- descriptors (before registration)
  Characteristic& user_description(std::string text);  // 0x2901, read-only
  Characteristic& presentation_format(const PresentationFormat& f);  // 0x2904
  Characteristic& descriptor(const Uuid& type, bytes value, std::uint16_t perms = perm::read);

  // --- captured writes
  std::optional<CapturedWrite> next_write();
  /// One-shot: `cb` gets the next captured write (now if one is queued).
  void written(std::function<void(CapturedWrite)> cb);
  [[nodiscard]] std::size_t pending_writes() const noexcept { return captured_.size(); }
  [[nodiscard]] std::uint64_t dropped_writes() const noexcept { return dropped_; }

  // --- pushing values (after registration, to connected clients)
  /// ATT_HANDLE_VALUE_NTF to one client (the current value by default).
  /// Errors: asio not_connected for an unknown connection,
  /// att_errc::cccd_improperly_configured when the client has not subscribed.
  std::error_code notify(ConnId conn, std::optional<bytes> value = std::nullopt);
  /// ATT_HANDLE_VALUE_IND; `done` runs on the confirmation (or failure).
  void indicate(ConnId conn, std::optional<bytes> value, std::function<void(std::error_code)> done);
  /// Notifies (or indicates) every subscribed client; returns how many.
  std::size_t notify_all(std::optional<bytes> value = std::nullopt);

  [[nodiscard]] const Uuid& uuid() const noexcept { return uuid_; }
  [[nodiscard]] Flags flags() const noexcept { return flags_; }
  [[nodiscard]] std::uint16_t value_handle() const noexcept { return handles_.value; }
  [[nodiscard]] const CharacteristicHandles& handles() const noexcept { return handles_; }

 private:
  friend class Service;
  void register_into(GattDb& db, Peripheral& p);
  void on_client_read(const AccessRequest& r, ReadDone done);
  void on_client_write(const AccessRequest& r, byte_span v, WriteDone done);
  [[nodiscard]] std::optional<att_errc> check_write(std::uint16_t offset, std::size_t len) const;
  WriteResult store(std::uint16_t offset, byte_span v);
  void deliver(CapturedWrite w);

  Uuid uuid_;
  Flags flags_;
  CharacteristicOptions opts_;
  bytes value_;
  ReadHook read_hook_;
  AsyncRead read_;
  AsyncWriteAt write_;
  bool write_takes_offset_ = false;
  std::function<void(const Connection&, byte_span)> written_cb_;
  struct Descriptor {
    Uuid type;
    bytes value;
    std::uint16_t perms;
  };
  std::vector<Descriptor> descriptors_;
  std::deque<CapturedWrite> captured_;
  std::deque<std::function<void(CapturedWrite)>> waiters_;
  std::uint64_t dropped_ = 0;
  CharacteristicHandles handles_;
  Peripheral* peripheral_ = nullptr;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

class Service {
 public:
  explicit Service(const Uuid& uuid, bool primary = true) : uuid_(uuid), primary_(primary) {}
  virtual ~Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  Characteristic& characteristic(const Uuid& uuid, Flags flags, CharacteristicOptions opts = {});
  /// Includes another service (registered before this one).
  Service& include(Service& other);

  [[nodiscard]] const Uuid& uuid() const noexcept { return uuid_; }
  [[nodiscard]] bool primary() const noexcept { return primary_; }
  [[nodiscard]] std::uint16_t handle() const noexcept { return handle_; }
  [[nodiscard]] bool registered() const noexcept { return handle_ != 0; }

 private:
  friend class Peripheral;
  void register_into(GattDb& db, Peripheral& p);

  Uuid uuid_;
  bool primary_;
  std::uint16_t handle_ = 0;
  std::vector<std::unique_ptr<Characteristic>> chars_;
  std::vector<Service*> includes_;
};

}  // namespace bcms::att
