// Opens the kernel's management socket: AF_BLUETOOTH / BTPROTO_HCI bound to
// HCI_DEV_NONE on HCI_CHANNEL_CONTROL (include/net/bluetooth/hci_sock.h).
// Needs CAP_NET_ADMIN for most commands (reads work unprivileged).
#pragma once

#include <asio/io_context.hpp>

#include "protocol/expected.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::mgmt {

/// The socket, ready for MgmtChannel, or the errno of socket()/bind()
/// (EAFNOSUPPORT when the kernel has no Bluetooth).
expected<MgmtChannel::socket_type> open_control_socket(const asio::any_io_executor& ex);

}  // namespace bcms::mgmt
