// L2CAP LE sockets on asio: open, bind, connect (with a timeout and clean
// cancellation) and the socket options the stack uses.  Engines never call
// these: they take an already open socket (DESIGN.md practice 1); main()
// and the runtimes (src/gap, the daemon) open them here.
//
// Connecting an LE socket makes the kernel create the LE connection
// (HCI LE Create Connection) when there is none: connect() on a
// non-blocking socket returns EINPROGRESS and the socket becomes writable
// when the channel is up (ATT fixed channel: when the link is up; a CoC:
// after the LE Credit Based Connection Response, Vol 3 Part A 4.23).
// Closing the socket cancels a pending connection attempt.
#pragma once

#include <asio/generic/seq_packet_protocol.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <system_error>

#include "protocol/expected.hpp"
#include "src/l2cap/kernel.hpp"

namespace bcms::l2cap {

using Socket = asio::generic::seq_packet_protocol::socket;
using Protocol = asio::generic::seq_packet_protocol;

/// socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP), bound to `local`
/// (its address may be all-zero: any controller).  To connect to the ATT
/// fixed channel, bind with cid = att_cid: the kernel decides fixed
/// channel or credit-based channel at bind(), and refuses (EINVAL) a
/// connect() to CID 4 from a socket bound without it.  Fails with the errno of
/// the step that failed (EAFNOSUPPORT on kernels without Bluetooth).
expected<Socket> open_bound(asio::io_context& io, const Endpoint& local);

/// Connects `socket` (from open_bound) to `remote`; `done` runs once, with
/// {} when connected, timeout_error() after `timeout`, or the
/// connect error (ECONNREFUSED: no listener on that PSM, EHOSTDOWN, ...).
/// Closing the socket meanwhile completes with operation_aborted.
void async_connect(Socket& socket, const Endpoint& remote, std::chrono::steady_clock::duration timeout,
                   std::function<void(std::error_code)> done);

/// The peer's endpoint (getpeername).
expected<Endpoint> peer_of(int fd);
/// The local endpoint (getsockname).
expected<Endpoint> local_of(int fd);

// ------------------------------------------------------------ options
struct Security {
  SecurityLevel level = SecurityLevel::low;
  std::uint8_t key_size = 0;  // 0 when not encrypted
};
/// BT_SECURITY: the link's level and encryption key size.
expected<Security> get_security(int fd);
/// BT_SECURITY: asks for at least `level`.  On a connected LE socket the
/// kernel starts SMP (pairing, or encryption with a stored key) and holds
/// the channel (BT_CONFIG: no sends) until the level is reached.  EINVAL
/// when the link already has that level.
std::error_code set_security(int fd, SecurityLevel level);
/// BT_SNDMTU / BT_RCVMTU (SDU sizes of a credit-based channel; on the ATT
/// fixed channel the kernel reports the LE link MTU).
expected<std::uint16_t> get_send_mtu(int fd);
expected<std::uint16_t> get_receive_mtu(int fd);
/// BT_RCVMTU, before connect/listen (the MTU we announce).
std::error_code set_receive_mtu(int fd, std::uint16_t mtu);
/// BT_MODE, before connect/listen: Mode::le_flowctl for LE CoC.
std::error_code set_mode(int fd, Mode mode);
expected<Mode> get_mode(int fd);

}  // namespace bcms::l2cap
