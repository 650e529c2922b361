#include "src/att/link_security.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace bcms::att {
namespace {

// From the kernel's include/net/bluetooth/bluetooth.h (no libbluetooth).
constexpr int sol_bluetooth = 274;
constexpr int bt_security_opt = 4;
struct bt_security {
  std::uint8_t level;
  std::uint8_t key_size;
};

bool get(int fd, bt_security& s) {
  socklen_t len = sizeof(s);
  return ::getsockopt(fd, sol_bluetooth, bt_security_opt, &s, &len) == 0;
}

}  // namespace

SecurityLevel SocketLinkSecurity::level() const {
  bt_security s{};
  if (!get(fd_, s)) return SecurityLevel::low;
  return static_cast<SecurityLevel>(s.level > 4 ? 4 : s.level);
}

std::uint8_t SocketLinkSecurity::key_size() const {
  bt_security s{};
  if (!get(fd_, s) || s.level < static_cast<std::uint8_t>(SecurityLevel::medium)) return 0;
  return s.key_size;
}

std::error_code SocketLinkSecurity::request(SecurityLevel wanted) {
  bt_security s{static_cast<std::uint8_t>(wanted), 0};
  if (::setsockopt(fd_, sol_bluetooth, bt_security_opt, &s, sizeof(s)) != 0)
    return {errno, std::system_category()};
  return {};
}

}  // namespace bcms::att
