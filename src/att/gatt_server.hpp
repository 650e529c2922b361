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
//    callback.  check() is pure: it says which error and which security
//    level a request lacks; the level travels with the error response
//    (Response::raise_to) and the bearer raises security once that
//    response has been sent (bearer.hpp).
//  * Every request gets exactly one answer: an answer that cannot be
//    encoded (an internal failure) becomes Unlikely Error and is logged.
//  * CCCDs are per connection (ConnState::cccd).  For bonded clients the
//    server keeps a ClientRecord (client_store.hpp) through a ClientStore:
//    CCCDs, the Service Changed subscription, Client Supported Features,
//    the database hash the client knows and its SignCounter.  The record's
//    CCCDs are applied only once the link is encrypted (a device spoofing
//    a bonded address gets nothing of it, and what it writes is not
//    stored), and only when the database is the one they were written for.
//  * Robust caching (Vol 3 Part G 2.5.2): the Generic Attribute service
//    carries Database Hash (0x2B2A, Part G 7.3) and Client Supported
//    Features (0x2B29, 7.2).  A bonded client that reconnects after the
//    database changed (its stored hash differs, across restarts too) is
//    change-unaware: it is owed a Service Changed indication for the whole
//    range, and when it enabled robust caching its first request is
//    answered Database Out Of Sync (its commands are ignored) until it
//    reads the Database Hash, confirms the indication or sends the next
//    request.  A database change while clients are connected indicates
//    Service Changed to them.
//  * Prepared writes (Vol 3 Part F 3.4.6) are queued per connection with
//    limits on entries and bytes (Prepare Queue Full beyond them);
//    Execute Write merges contiguous parts of one attribute into a single
//    write and validates every entry (offsets, lengths, the attribute's
//    WriteCheck) before writing anything.
//  * Signed writes (3.4.5.4) need the peer's CSRK (AES-CMAC,
//    src/att/signing.hpp), a SignCounter not below the lowest acceptable
//    one (persisted for bonded peers), the Authenticated Signed Writes
//    property and the attribute's write permissions (a valid signature
//    counts as an encrypted link, as an authenticated one only when the
//    CSRK came from authenticated pairing, Vol 3 Part C 10.4.2).  Failures
//    are dropped and counted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "protocol/att/pdu.hpp"
#include "src/att/client_store.hpp"
#include "src/att/conn_state.hpp"
#include "src/att/gatt_db.hpp"
#include "src/att/roles.hpp"

namespace bcms::att {

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
  std::uint64_t internal_errors = 0;       // answers that could not be encoded
  std::uint64_t out_of_sync = 0;           // Database Out Of Sync answers
  std::uint64_t stale_cccds_dropped = 0;   // stored for another database
};

/// Why check() refuses an access: the error, and the security level that
/// would allow it (low when raising security would not help).
struct Refusal {
  att_errc error;
  SecurityLevel needs = SecurityLevel::low;
};

class GattServer final : public ServerRole {
 public:
  using Authorize = std::function<bool(const ConnState&, std::uint16_t handle, Access)>;
  /// Sends an indication; `confirmed` runs on the confirmation or failure.
  using IndicateSink = std::function<void(ConnState&, std::uint16_t value_handle, bytes value,
                                          std::function<void(std::error_code)> confirmed)>;

  explicit GattServer(GattDb& db, ServerOptions opts = {});
  ~GattServer() override;
  GattServer(const GattServer&) = delete;
  GattServer& operator=(const GattServer&) = delete;

  /// Handles one PDU from a client.  See the overview.
  void handle(byte_span pdu, ConnState& conn, Respond respond) override;
  /// Synchronous form: the response, or empty when there is none (a
  /// command) or it will come later (an asynchronous handler; it is then
  /// dropped, so use this only with synchronous databases).
  bytes handle(byte_span pdu, ConnState& conn);
  /// True when the client expects an answer to this opcode: requests,
  /// including unknown opcodes without the Command Flag (3.3.1, 3.4.9).
  [[nodiscard]] static bool expects_response(std::uint8_t opcode) noexcept;

  /// Connection lifecycle: loads a bonded client's record, decides whether
  /// it is change-aware, restores what it may (see the overview).
  void connect(ConnState& conn) override;
  void disconnect(ConnState& conn) override;
  /// The link's security may have changed: a bonded client on an
  /// encrypted link gets its stored CCCDs and owed Service Changed.  Also
  /// done on every request; call it before pushing values.
  void security_changed(ConnState& conn) override { refresh(conn); }
  void refresh(ConnState& conn);
  /// The peer of `conn` bonded during the connection: from now on its
  /// record is kept (with what it configured so far).
  void bonded(ConnState& conn);
  /// The Database Hash of the current database.
  [[nodiscard]] const DbHash& hash();
  [[nodiscard]] const std::set<ConnState*>& connections() const noexcept { return conns_; }

  void set_client_store(ClientStore* store) noexcept { store_ = store; }
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

  /// Whether `conn` may access `a` (pure: no side effect).  `signed_level`
  /// is the level a verified signature stands for (signed writes).
  [[nodiscard]] std::optional<Refusal> check(const Attribute& a, const ConnState& conn, Access access,
                                             std::optional<SecurityLevel> signed_level = std::nullopt) const;

  // Internal helpers shared by the request handlers (gatt_server*.cpp).
  void read_value(const Attribute& a, ConnState& conn, std::uint16_t offset, ReadDone done);
  void write_value(Attribute& a, ConnState& conn, std::uint16_t offset, byte_span value, WriteDone done);

 private:
  void on_db_change(std::uint16_t start, std::uint16_t end);
  void send_service_changed(ConnState& conn);
  void become_change_aware(ConnState& conn);
  void save(const ConnState& conn);
  bool robust_gate(byte_span pdu, ConnState& c, const Respond& r);
  [[nodiscard]] std::uint16_t service_changed_handle() const;
  void answer(const Respond& r, std::uint8_t op, const Pdu& p);
  void error(const Respond& r, std::uint8_t op, std::uint16_t handle, att_errc e,
             SecurityLevel raise = SecurityLevel::low);
  void refuse(const Respond& r, std::uint8_t op, std::uint16_t handle, const Refusal& why) {
    error(r, op, handle, why.error, why.needs);
  }
  WriteResult write_client_features(ConnState& c, std::uint16_t offset, byte_span value);
  [[nodiscard]] std::optional<att_errc> check_write_value(const Attribute& a, const ConnState& c,
                                                          std::uint16_t offset, std::size_t len) const;

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
  ClientStore* store_ = nullptr;
  Authorize authorize_;
  IndicateSink indicate_;
  std::set<ConnState*> conns_;
  std::optional<DbHash> hash_;  // cached; reset by a database change
};

/// Generic Access (0x1800: Device Name 0x2A00, Appearance 0x2A01) and
/// Generic Attribute (0x1801: Service Changed 0x2A05 with its CCCD, Client
/// Supported Features 0x2B29, Database Hash 0x2B2A) services (Vol 3 Part C
/// 12, Part G 7).  Add them first: clients expect them at the start of the
/// database, and their handles stay the same whatever follows.
struct CoreServiceHandles {
  std::uint16_t device_name = 0;
  std::uint16_t appearance = 0;
  std::uint16_t service_changed = 0;
  std::uint16_t service_changed_cccd = 0;
  std::uint16_t client_features = 0;
  std::uint16_t database_hash = 0;
};
inline constexpr std::uint16_t service_changed_uuid = 0x2A05;
inline constexpr std::uint16_t client_features_uuid = 0x2B29;
inline constexpr std::uint16_t database_hash_uuid = 0x2B2A;
/// Client Supported Features bits (Vol 3 Part G 7.2).
inline constexpr std::uint8_t client_feature_robust_caching = 0x01;
inline constexpr std::uint8_t client_features_known = 0x07;  // robust caching, EATT, multiple notifications
/// `robust_caching` false leaves out Client Supported Features and Database
/// Hash (a server without robust caching, Part G 2.5.2).
CoreServiceHandles add_core_services(GattDb& db, std::string device_name, std::uint16_t appearance,
                                     bool robust_caching = true);

}  // namespace bcms::att
