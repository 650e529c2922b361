// GATT server: answers ATT requests from a GattDb for one or many
// connections (Core v5.4 Vol 3 Part F 3.4, Part G 4).
//
// Design overview
//  * Pure request handling: handle(pdu, conn, respond) decodes one PDU,
//    checks it against the database and the connection's security, and
//    calls `respond` exactly once for every request (never for commands,
//    notifications or confirmations).  Nothing here owns a socket or a
//    timer: AttBearer feeds it PDUs and sends what it answers, and the
//    fuzzer and benchmarks call it directly.  With synchronous handlers
//    `respond` runs before handle() returns; a handler that answers later
//    makes the response later (the bearer keeps one request outstanding).
//  * Every request is answered or refused with the ATT error the spec
//    names (Vol 3 Part F 3.4.1.1): malformed PDUs get Invalid PDU, unknown
//    requests Request Not Supported, unknown commands are dropped (3.3).
//  * Permissions (Vol 3 Part F 3.2.5, Part C 10.3): access, encryption,
//    authentication (MITM), Secure Connections, key size, authorization
//    callback.  When encryption or authentication is missing the server
//    also asks LinkSecurity to raise the level so that the client may retry.
//  * CCCDs are per connection (ConnState::cccd), persisted for bonded
//    peers through CccdStore.  A database change produces Service Changed
//    (Vol 3 Part G 7.1) indications to connected subscribers through the
//    indicate sink, and is remembered for bonded peers that are away until
//    they reconnect (in memory, for the life of the server).
//  * Prepared writes (Vol 3 Part F 3.4.6) are queued per connection with
//    limits on entries and bytes (Prepare Queue Full beyond them);
//    Execute Write merges contiguous parts of one attribute into a single
//    write and validates offsets and lengths before writing anything.
//  * Signed writes (3.4.5.4) are verified with the peer's CSRK (AES-CMAC,
//    src/att/signing.hpp) and a strictly increasing SignCounter; without a
//    CSRK, with a bad MAC, or on a characteristic without the
//    Authenticated Signed Writes property they are dropped and counted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "protocol/att/pdu.hpp"
#include "src/att/conn_state.hpp"
#include "src/att/gatt_db.hpp"

namespace bcms::att {

/// Where CCCD values of bonded peers are kept (the storage module
/// implements it; Core v5.4 Vol 3 Part G 3.3.3.3).
class CccdStore {
 public:
  virtual ~CccdStore() = default;
  virtual std::map<std::uint16_t, std::uint16_t> load(const Address& peer, AddressType type) = 0;
  virtual void store(const Address& peer, AddressType type, std::uint16_t handle, std::uint16_t value) = 0;
};

struct ServerOptions {
  std::uint16_t rx_mtu = max_mtu;            // our Server Rx MTU (Vol 3 Part F 3.4.2.2)
  std::size_t prepare_queue_entries = 64;    // per connection
  std::size_t prepare_queue_bytes = 4096;    // per connection, value octets
};

struct ServerStats {
  std::uint64_t requests = 0;
  std::uint64_t commands = 0;
  std::uint64_t error_responses = 0;
  std::uint64_t malformed = 0;             // PDUs that failed to decode
  std::uint64_t dropped_commands = 0;      // commands refused (permissions, unknown, ...)
  std::uint64_t signed_writes_rejected = 0;
};

class GattServer {
 public:
  using Respond = std::function<void(bytes)>;
  using Authorize = std::function<bool(const ConnState&, std::uint16_t handle, Access)>;
  using IndicateSink = std::function<void(ConnState&, std::uint16_t value_handle, bytes value)>;

  explicit GattServer(GattDb& db, ServerOptions opts = {});
  ~GattServer();
  GattServer(const GattServer&) = delete;
  GattServer& operator=(const GattServer&) = delete;

  /// Handles one PDU from a client.  See the overview.
  void handle(byte_span pdu, ConnState& conn, Respond respond);
  /// Synchronous form: the response, or empty when there is none (a
  /// command) or it will come later (an asynchronous handler; it is then
  /// dropped, so use this only with synchronous databases).
  bytes handle(byte_span pdu, ConnState& conn);
  /// True when the client expects an answer to this opcode: requests,
  /// including unknown opcodes without the Command Flag (3.3.1, 3.4.9).
  [[nodiscard]] static bool expects_response(std::uint8_t opcode) noexcept;

  /// Connection lifecycle: loads bonded CCCDs, sends owed Service Changed.
  void connect(ConnState& conn);
  void disconnect(ConnState& conn);
  [[nodiscard]] const std::set<ConnState*>& connections() const noexcept { return conns_; }

  void set_cccd_store(CccdStore* store) noexcept { store_ = store; }
  void set_authorizer(Authorize a) { authorize_ = std::move(a); }
  /// Where Service Changed indications go (the bearer owner).
  void set_indicate_sink(IndicateSink s) { indicate_ = std::move(s); }

  /// The CCCD value `conn` set for a characteristic value handle.
  [[nodiscard]] std::uint16_t subscription(const ConnState& conn, std::uint16_t value_handle) const;
  /// ATT_HANDLE_VALUE_NTF / _IND for `conn`, value cut to ATT_MTU-3
  /// (3.4.7.1); nullopt when the client has not subscribed to that kind.
  [[nodiscard]] std::optional<bytes> notification(const ConnState& conn, std::uint16_t value_handle,
                                                  byte_span value, bool indication) const;

  [[nodiscard]] const ServerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const ServerOptions& options() const noexcept { return opts_; }
  [[nodiscard]] GattDb& db() noexcept { return db_; }

  // Internal helpers shared by the request handlers (gatt_server*.cpp).
  std::optional<att_errc> check(const Attribute& a, ConnState& conn, Access access);
  void read_value(const Attribute& a, ConnState& conn, std::uint16_t offset, ReadDone done);
  void write_value(Attribute& a, ConnState& conn, std::uint16_t offset, byte_span value, WriteDone done);

 private:
  void on_db_change(std::uint16_t start, std::uint16_t end);
  void send_service_changed(ConnState& conn);
  void error(const Respond& r, std::uint8_t op, std::uint16_t handle, att_errc e);

  // Requests (gatt_server.cpp: discovery and reads).
  void exchange_mtu(const ExchangeMtuReq& q, ConnState& c, const Respond& r);
  void find_information(const FindInformationReq& q, ConnState& c, const Respond& r);
  void find_by_type_value(const FindByTypeValueReq& q, ConnState& c, const Respond& r);
  void read_by_type(const ReadByTypeReq& q, ConnState& c, Respond r);
  void read(const ReadReq& q, ConnState& c, Respond r);
  void read_blob(const ReadBlobReq& q, ConnState& c, Respond r);
  void read_multiple(const std::vector<std::uint16_t>& handles, bool variable, ConnState& c, Respond r);
  void read_by_group_type(const ReadByGroupTypeReq& q, ConnState& c, const Respond& r);
  // Writes (gatt_server_write.cpp).
  void write(std::uint16_t handle, const bytes& value, ConnState& c, Respond r);  // r empty: command
  void signed_write(const SignedWriteCmd& q, ConnState& c);
  void prepare_write(PrepareWriteReq q, ConnState& c, const Respond& r);
  void execute_write(const ExecuteWriteReq& q, ConnState& c, Respond r);
  WriteResult write_cccd(Attribute& a, ConnState& c, byte_span value);

  GattDb& db_;
  ServerOptions opts_;
  ServerStats stats_;
  CccdStore* store_ = nullptr;
  Authorize authorize_;
  IndicateSink indicate_;
  std::set<ConnState*> conns_;
  /// Bonded peers seen and now away, with the Service Changed range owed.
  std::map<std::pair<Address, AddressType>, std::optional<std::pair<std::uint16_t, std::uint16_t>>> owed_;
};

/// Generic Access (0x1800: Device Name 0x2A00, Appearance 0x2A01) and
/// Generic Attribute (0x1801: Service Changed 0x2A05 with its CCCD)
/// services (Vol 3 Part C 12, Part G 7).  Add them first: clients expect
/// them at the start of the database.
struct CoreServiceHandles {
  std::uint16_t device_name = 0;
  std::uint16_t appearance = 0;
  std::uint16_t service_changed = 0;
  std::uint16_t service_changed_cccd = 0;
};
CoreServiceHandles add_core_services(GattDb& db, std::string device_name, std::uint16_t appearance);

}  // namespace bcms::att
