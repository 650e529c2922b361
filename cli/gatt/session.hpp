// One bcms-gatt connection: an L2CAP LE socket to the peer's ATT channel
// (the kernel creates the LE connection on connect()), an AttBearer and a
// GattClient on one asio loop, and the exit codes.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "src/att/gatt_client.hpp"
#include "src/att/link_security.hpp"

namespace bcms::cli::gatt {

/// Exit codes, as bcms-mgmt's: 0 success; 1 the peer refused (an ATT error,
/// printed by name); 2 bad usage; 3 no Bluetooth socket; 4 timed out or
/// disconnected.
inline constexpr int kOk = 0, kRefused = 1, kUsage = 2, kUnavailable = 3, kTimeout = 4;

struct Target {
  Peer peer;
  Address local{};  // all zero: the kernel picks the controller
  att::SecurityLevel security = att::SecurityLevel::low;
  std::optional<std::uint16_t> mtu;
  std::chrono::milliseconds timeout{10000};
};

/// One connected link: the bearer and GATT client on an L2CAP LE socket to
/// the peer's ATT channel.
struct Link {
  std::unique_ptr<att::SocketLinkSecurity> security;
  std::shared_ptr<att::AttBearer> bearer;
  std::unique_ptr<att::GattClient> client;
  Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();
};

/// Why a connection could not be made: the text to print and the exit code.
struct OpenFailure {
  std::string text;
  int exit_code = kRefused;
};

/// Opens a socket bound to the ATT CID (security set before connect: the
/// kernel encrypts or pairs as the link comes up) and connects it on `io`.
/// `done` runs once, on the loop, with the started link or the failure;
/// the link's bearer is not started until then.
void async_open(asio::io_context& io, const Target& t,
                std::function<void(std::unique_ptr<Link>, std::optional<OpenFailure>)> done);

class Session {
 public:
  /// Connects; on failure prints why and returns the exit code.
  static std::unique_ptr<Session> connect(const Target& t, int& exit_code);
  ~Session();

  /// Runs a procedure to completion (or until the bearer ends).
  int run(std::function<asio::awaitable<int>(att::GattClient&)> procedure);
  /// Runs the loop until SIGINT/SIGTERM or the bearer ends.
  int run_until_signal();

  [[nodiscard]] asio::io_context& io() noexcept { return io_; }
  [[nodiscard]] att::GattClient& client() noexcept { return *client_; }

 private:
  Session() = default;
  asio::io_context io_;
  std::unique_ptr<Link> link_;
  att::GattClient* client_ = nullptr;
  bool closed_ = false;
  std::error_code closed_why_;
};

/// Prints a failed procedure ("Read failed: Insufficient Encryption (0x0f)")
/// and returns its exit code.
int failed(const std::string& what, std::error_code ec);

}  // namespace bcms::cli::gatt
