#include "src/mgmt/control_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "protocol/sys_error.hpp"

namespace bcms::mgmt {
namespace {

// From the kernel's include/net/bluetooth/bluetooth.h and hci_sock.h.
constexpr int kAfBluetooth = 31;       // AF_BLUETOOTH
constexpr int kBtprotoHci = 1;         // BTPROTO_HCI
constexpr std::uint16_t kHciDevNone = 0xFFFF;
constexpr std::uint16_t kHciChannelControl = 3;

struct sockaddr_hci {
  sa_family_t hci_family;
  std::uint16_t hci_dev;
  std::uint16_t hci_channel;
};

}  // namespace

expected<MgmtChannel::socket_type> open_control_socket(const asio::any_io_executor& ex) {
  const int fd = ::socket(kAfBluetooth, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, kBtprotoHci);
  if (fd < 0) return unexpected(errno_code());
  sockaddr_hci addr{};
  addr.hci_family = kAfBluetooth;
  addr.hci_dev = kHciDevNone;
  addr.hci_channel = kHciChannelControl;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    const std::error_code ec = errno_code();
    ::close(fd);
    return unexpected(ec);
  }
  MgmtChannel::socket_type sock(ex);
  std::error_code ec;
  sock.assign(asio::generic::raw_protocol(kAfBluetooth, kBtprotoHci), fd, ec);
  if (ec) {
    ::close(fd);
    return unexpected(ec);
  }
  return sock;
}

}  // namespace bcms::mgmt
