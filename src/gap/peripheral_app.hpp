// PeripheralApp: a complete GATT peripheral on one controller and one
// asio loop, with no bluetoothd: mgmt channel + L2CAP ATT listener +
// att::Peripheral + Advertiser + PairingResponder + BondManager (+ the
// storage it writes to).
//
// Ownership: the caller owns the io_context, the MgmtChannel, the
// Peripheral (with its services), the agent and the Storage, and passes
// them in by reference; PeripheralApp owns the engines it wires together
// (practice 8 of DESIGN.md: main() wires components).
//
// start(), in order (each step a mgmt command, mgmt-api.txt):
//   1. Read Controller Information: our public address (the key of every
//      stored record, and the address the ATT listener binds to).
//   2. Set Advertising off when it is on (it hides Add Advertising
//      instances), Set Low Energy on when it is off.
//   3. Set Bondable on, Set IO Capability from the agent (PairingResponder).
//   4. Set Local Name / Set Appearance when given (the names the kernel
//      reports; the GATT Device Name is the Peripheral's).
//   5. Load Long Term Keys + Load Identity Resolving Keys from storage.
//   6. Set Powered on when it is off (advertising with a timeout needs it).
//   7. Add Advertising for each Advertisement (Advertiser).
//   8. Listen on the ATT fixed channel of our address; every accepted
//      connection becomes a Peripheral connection, bonded when we hold
//      its keys (its record comes back from storage: CCCDs once the link
//      is encrypted, Service Changed when the database changed).
// Security: the bearer raises the link's security after answering a
// request that lacked it (att::AttBearer::Options::raise_security, on by
// default); an mgmt Authentication Failed for a connected peer ends its
// bearer rather than leaving the channel held by the kernel.
// A failing step stops start() with its error; error_detail() says which
// step and why (e.g. the advertising payload that does not fit).
//
// A peer that bonds during a connection is marked bonded at once: the
// CCCD values it already wrote are persisted, and later writes too.
#pragma once

#include <asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "src/att/peripheral.hpp"
#include "src/gap/advertiser.hpp"
#include "src/gap/bonds.hpp"
#include "src/gap/pairing.hpp"
#include "src/l2cap/listener.hpp"
#include "src/mgmt/channel.hpp"
#include "src/storage/storage.hpp"

namespace bcms::gap {

struct AppOptions {
  std::uint16_t index = 0;
  std::string local_name{};  // Set Local Name (empty: leave the controller's)
  std::string short_name{};
  std::optional<std::uint16_t> appearance{};  // Set Appearance
  bool bondable = true;
  std::vector<Advertisement> advertising{};
  bool listen = true;  // open the L2CAP ATT listener (tests attach sockets with serve())
};

class PeripheralApp {
 public:
  /// `store` may be null: bonds then last only as long as the kernel
  /// keeps them (no Load Long Term Keys at start).
  PeripheralApp(mgmt::MgmtChannel& ch, att::Peripheral& periph, PairingAgent& agent, storage::Storage* store,
                AppOptions opts);
  ~PeripheralApp();
  PeripheralApp(const PeripheralApp&) = delete;
  PeripheralApp& operator=(const PeripheralApp&) = delete;

  asio::awaitable<std::error_code> start();
  /// Removes our advertising instances, stops listening, disconnects.
  asio::awaitable<void> stop();

  /// Serves an accepted ATT socket (the listener's, or a test's).
  att::ConnId serve(att::AttBearer::Socket socket, const Peer& peer, std::unique_ptr<att::LinkSecurity> security);

  void on_connect(std::function<void(const att::Connection&, bool bonded)> cb) { on_connect_ = std::move(cb); }
  void on_disconnect(std::function<void(const att::Connection&)> cb) { on_disconnect_ = std::move(cb); }

  [[nodiscard]] bool started() const noexcept { return started_; }
  [[nodiscard]] const Address& address() const noexcept { return address_; }
  [[nodiscard]] const std::string& error_detail() const noexcept { return detail_; }
  [[nodiscard]] Advertiser& advertiser() noexcept { return advertiser_; }
  [[nodiscard]] PairingResponder& pairing() noexcept { return pairing_; }
  /// Null before start() or without storage.
  [[nodiscard]] BondManager* bonds() noexcept { return bonds_.get(); }
  [[nodiscard]] att::Peripheral& peripheral() noexcept { return periph_; }

 private:
  asio::awaitable<std::error_code> configure_controller();
  std::error_code fail(std::error_code ec, std::string detail);
  void accept_next();
  void on_bonded(const Peer& peer);
  void on_auth_failed(byte_span event);

  mgmt::MgmtChannel& ch_;
  att::Peripheral& periph_;
  storage::Storage* store_;
  AppOptions opts_;
  Advertiser advertiser_;
  PairingResponder pairing_;
  std::unique_ptr<BondManager> bonds_;
  std::unique_ptr<l2cap::Listener> listener_;
  mgmt::Subscription auth_failed_;
  Address address_{};
  std::uint32_t settings_ = 0;
  bool started_ = false;
  std::string detail_;
  std::function<void(const att::Connection&, bool)> on_connect_;
  std::function<void(const att::Connection&)> on_disconnect_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bcms::gap
