// The security of the link under an ATT bearer, and how to raise it.
//
// GATT permission checks (Core v5.4 Vol 3 Part C 10.3, Part F 3.2.5) need
// the link's current level and key size.  When a client lacks them the
// server answers Insufficient Encryption/Authentication and the bearer,
// after that error response has gone out, asks for the level the request
// needed (AttBearer::Options::raise_security).  On Linux that is
// setsockopt(SOL_BLUETOOTH, BT_SECURITY) on the ATT socket: the kernel
// starts SMP (as peripheral it sends a Security Request, Vol 3 Part H
// 3.6.7; as central it pairs or encrypts with the stored key) and holds
// the channel in BT_CONFIG until the link is encrypted.  Measured in the
// VM (Linux 6.12): while in BT_CONFIG sendmsg() fails with ENOTCONN and
// the socket is not writable, so the bearer sends nothing until raise()
// completes; when pairing fails the channel stays in BT_CONFIG for good,
// so a raise that does not complete within the bearer's security timeout
// ends the bearer (the channel is never left stuck).
#pragma once

#include <cstdint>
#include <functional>
#include <system_error>
#include <vector>

#include "src/l2cap/socket.hpp"

namespace bcms::att {

using SecurityLevel = l2cap::SecurityLevel;

class LinkSecurity {
 public:
  using Done = std::function<void(std::error_code)>;
  virtual ~LinkSecurity() = default;
  [[nodiscard]] virtual SecurityLevel level() const = 0;
  /// Encryption key size in octets (7..16); 0 when not encrypted.
  [[nodiscard]] virtual std::uint8_t key_size() const = 0;
  /// Asks for at least `wanted` on the ATT channel `socket`; `done` runs
  /// once (never inside this call) when the channel is usable again: {}
  /// when the level was reached, an error when the request was refused
  /// (e.g. EINVAL: the link already has that level).
  virtual void raise(l2cap::Socket& socket, SecurityLevel wanted, Done done) = 0;
};

/// The production implementation on the L2CAP ATT socket (BT_SECURITY).
class SocketLinkSecurity final : public LinkSecurity {
 public:
  explicit SocketLinkSecurity(int fd) noexcept : fd_(fd) {}
  [[nodiscard]] SecurityLevel level() const override;
  [[nodiscard]] std::uint8_t key_size() const override;
  void raise(l2cap::Socket& socket, SecurityLevel wanted, Done done) override;

 private:
  int fd_;
};

/// A settable level, for tests, fuzzing and links whose security is known.
/// raise() records the request and then, per `on_raise`: grants it (the
/// level becomes the one asked for), refuses it (EACCES), or holds it
/// until the test calls complete().
class StaticLinkSecurity final : public LinkSecurity {
 public:
  enum class OnRaise : std::uint8_t { grant, refuse, hold };
  explicit StaticLinkSecurity(SecurityLevel l = SecurityLevel::low, std::uint8_t key_size = 0) noexcept
      : level_(l), key_size_(key_size) {}
  [[nodiscard]] SecurityLevel level() const override { return level_; }
  [[nodiscard]] std::uint8_t key_size() const override { return key_size_; }
  void raise(l2cap::Socket& socket, SecurityLevel wanted, Done done) override;
  void set(SecurityLevel l, std::uint8_t key_size = 16) noexcept {
    level_ = l;
    key_size_ = key_size;
  }
  /// Completes a held raise: with {} the level becomes the one asked for.
  void complete(std::error_code ec);

  OnRaise on_raise = OnRaise::grant;
  std::vector<SecurityLevel> requests;  // every raise() asked for, in order
  /// Runs inside raise(), before anything else (tests check what the peer
  /// has received by then).
  std::function<void()> on_request;

 private:
  SecurityLevel level_;
  std::uint8_t key_size_;
  Done held_;
};

}  // namespace bcms::att
