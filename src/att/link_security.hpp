// The security of the link under an ATT bearer, and the hook to raise it.
//
// GATT permission checks (Core v5.4 Vol 3 Part C 10.3, Part F 3.2.5) need
// the link's current level and key size; when a client lacks them the
// server answers Insufficient Encryption/Authentication and, as the
// peripheral, asks the kernel to raise security (on Linux:
// setsockopt(SOL_BLUETOOTH, BT_SECURITY) on the L2CAP socket, which makes
// the kernel send an SMP Security Request, Vol 3 Part H 3.6.7), so that
// the client can retry once the link is encrypted.
#pragma once

#include <cstdint>
#include <system_error>
#include <vector>

namespace bcms::att {

/// BT_SECURITY_* of the kernel's bluetooth.h.
enum class SecurityLevel : std::uint8_t {
  sdp = 0,
  low = 1,     // no encryption
  medium = 2,  // encrypted, unauthenticated key
  high = 3,    // encrypted, authenticated (MITM) key
  fips = 4,    // LE Secure Connections, authenticated
};

class LinkSecurity {
 public:
  virtual ~LinkSecurity() = default;
  [[nodiscard]] virtual SecurityLevel level() const = 0;
  /// Encryption key size in octets (7..16); 0 when not encrypted.
  [[nodiscard]] virtual std::uint8_t key_size() const = 0;
  /// Asks for at least `wanted`; completes asynchronously in the kernel.
  virtual std::error_code request(SecurityLevel wanted) = 0;
};

/// The production implementation on an L2CAP socket fd (borrowed):
/// getsockopt/setsockopt(SOL_BLUETOOTH = 274, BT_SECURITY = 4,
/// struct bt_security { uint8_t level; uint8_t key_size; }).
class SocketLinkSecurity final : public LinkSecurity {
 public:
  explicit SocketLinkSecurity(int fd) noexcept : fd_(fd) {}
  [[nodiscard]] SecurityLevel level() const override;
  [[nodiscard]] std::uint8_t key_size() const override;
  std::error_code request(SecurityLevel wanted) override;

 private:
  int fd_;
};

/// A settable level, for tests, fuzzing and links whose security is known.
class StaticLinkSecurity final : public LinkSecurity {
 public:
  explicit StaticLinkSecurity(SecurityLevel l = SecurityLevel::low, std::uint8_t key_size = 0) noexcept
      : level_(l), key_size_(key_size) {}
  [[nodiscard]] SecurityLevel level() const override { return level_; }
  [[nodiscard]] std::uint8_t key_size() const override { return key_size_; }
  std::error_code request(SecurityLevel wanted) override {
    requests.push_back(wanted);
    return {};
  }
  void set(SecurityLevel l, std::uint8_t key_size = 16) noexcept {
    level_ = l;
    key_size_ = key_size;
  }
  std::vector<SecurityLevel> requests;  // every request() made, in order

 private:
  SecurityLevel level_;
  std::uint8_t key_size_;
};

}  // namespace bcms::att
