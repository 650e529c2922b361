// Peripheral: a GATT server with its services and its client
// connections, the C++ counterpart of bluez-peripheral / aioble.
//
// Design overview
//  * Owns the GattDb, the GattServer and one AttBearer per connected
//    client; services are either built in place (service()) or user
//    objects added with add() (they must outlive the Peripheral).
//  * register_services() lays the database out in declaration order:
//    Generic Access and Generic Attribute first (we serve them: there is
//    no bluetoothd), then every service not yet registered.  Registering
//    more services later is a database change: Service Changed goes to
//    subscribed clients, and to bonded ones when they come back.
//  * attach() takes an already accepted socket (an L2CAP LE socket from
//    L2capListener, or one end of a socketpair in tests) and starts a
//    bearer on it; the connection ends when the bearer ends.
//  * Everything runs on the io_context's thread.
#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/att/bearer.hpp"
#include "src/att/characteristic.hpp"
#include "src/att/gatt_server.hpp"

namespace bcms::att {

struct PeripheralOptions {
  std::string name = "bcms";
  std::uint16_t appearance = 0x0000;  // Unknown
  /// Serve Client Supported Features and Database Hash (robust caching,
  /// Core v5.4 Vol 3 Part G 2.5.2) in the Generic Attribute service.
  bool robust_caching = true;
  ServerOptions server{};
  AttBearer::Options bearer{};
};

class Peripheral {
 public:
  explicit Peripheral(asio::io_context& io, PeripheralOptions opts = {});
  ~Peripheral();
  Peripheral(const Peripheral&) = delete;
  Peripheral& operator=(const Peripheral&) = delete;

  /// A service owned by the Peripheral (builder style).
  Service& service(const Uuid& uuid, bool primary = true);
  /// A service object owned by the caller (class style).
  void add(Service& s);
  /// Commits every service not yet in the database (see overview).
  void register_services();

  /// Starts serving a client on an accepted socket.  `security` may be
  /// null (an unencrypted link that cannot be raised).
  ConnId attach(AttBearer::Socket socket, const Peer& peer, std::unique_ptr<LinkSecurity> security,
                bool bonded = false);
  void disconnect(ConnId id);
  [[nodiscard]] std::vector<ConnId> connections() const;
  [[nodiscard]] std::shared_ptr<AttBearer> bearer(ConnId id) const;
  [[nodiscard]] std::optional<Connection> connection(ConnId id) const;

  void on_connect(std::function<void(const Connection&)> cb) { on_connect_ = std::move(cb); }
  void on_disconnect(std::function<void(const Connection&, std::error_code)> cb) { on_disconnect_ = std::move(cb); }

  /// Device Name (0x2A00) as clients read it.
  void set_name(std::string name);

  [[nodiscard]] GattServer& server() noexcept { return server_; }
  [[nodiscard]] GattDb& db() noexcept { return db_; }
  [[nodiscard]] asio::io_context& io() noexcept { return io_; }
  [[nodiscard]] const CoreServiceHandles& core_handles() const noexcept { return core_; }

 private:
  struct Link {
    std::shared_ptr<AttBearer> bearer;
    std::unique_ptr<LinkSecurity> security;
  };

  asio::io_context& io_;
  PeripheralOptions opts_;
  GattDb db_;
  GattServer server_;
  CoreServiceHandles core_;
  bool core_registered_ = false;
  std::vector<std::unique_ptr<Service>> owned_;
  std::vector<Service*> services_;
  std::map<ConnId, Link> links_;
  ConnId next_id_ = 1;
  std::function<void(const Connection&)> on_connect_;
  std::function<void(const Connection&, std::error_code)> on_disconnect_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bcms::att
