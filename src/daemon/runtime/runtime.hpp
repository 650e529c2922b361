// Runtime: the gateway daemon's parts wired on one asio loop.  main()
// (cli/daemon/main.cpp) builds a Runtime from the configuration, puts the
// RPC server on its Service and runs the loop.
//
// Design overview
//  * Owns, in construction order: the mgmt channel (a control socket, or
//    one given by a test), the SQLite store (STATE_DIR/bcms.db: bonds,
//    devices, mode, discovery caches), the bond manager, the registry, the
//    pairing responder with the one auto-accepting agent, the Service (what
//    RPC calls), the scan policy, the connection manager, the collector
//    and, when an API URL is configured, the outbox (STATE_DIR/outbox.db),
//    its writer, the HTTP client, the backend and the submitter.  They are
//    destroyed in reverse; stop() first flushes what is buffered.
//  * The controller (ControllerSupervisor, controller.hpp) is chosen once:
//    --index, or the first controller with LE among those bcms may take.
//    It is configured (LE, bondable, IO capability, privacy, powered),
//    keys are loaded into the kernel, discovery is started in cycles of
//    --sleep seconds.  Removed and added again, it is configured again and
//    its keys reloaded.  A controller that stops delivering reports while
//    it had devices to report is recovered step by step (restart
//    discovery, then power cycle), each step logged and counted.
//  * Readings: the collector's passive and active readings go to the
//    registry (per-device history for RPC `readings` and events) and,
//    when the registry's mode accepts the device (approved, or `any`),
//    into the outbox, keyed by the device's identity address.
//  * Events (registry and controller) are logged; with --notify they also
//    run the configured command (events.command) with BCMS_EVENT,
//    BCMS_ADDRESS and BCMS_TEXT in its environment.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "src/daemon/config.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::daemon {

class Service;
class Registry;

class Runtime {
 public:
  /// `channel`: a mgmt channel to use (tests); none: a control socket is
  /// opened.  Throws std::runtime_error with the reason when the state
  /// directory, the store or the mgmt socket cannot be opened.
  Runtime(asio::io_context& io, Config config, std::optional<mgmt::MgmtChannel::socket_type> channel = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Chooses and configures the controller, loads the registry and the
  /// keys, starts discovery, the collector and the submitter.  An error
  /// (with a line in the log) when no controller can be used.
  asio::awaitable<std::error_code> start();
  /// Stops discovery and the submitter and writes what is buffered
  /// (registry, bonds, outbox).  Idempotent.
  asio::awaitable<void> stop();

  [[nodiscard]] Service& service();
  [[nodiscard]] Registry& registry();
  [[nodiscard]] std::uint16_t index() const;
  /// One line for sd_notify STATUS= and the log.
  [[nodiscard]] std::string status_line() const;

  struct Parts;

 private:
  std::unique_ptr<Parts> p_;
};

}  // namespace bcms::daemon
