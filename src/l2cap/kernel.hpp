// The kernel's L2CAP socket interface, as include/net/bluetooth/
// {bluetooth,l2cap}.h of Linux define it (no libbluetooth): address
// family, protocol, socket options and struct sockaddr_l2.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "protocol/address.hpp"

namespace bcms::l2cap {

inline constexpr int af_bluetooth = 31;   // AF_BLUETOOTH
inline constexpr int btproto_l2cap = 0;   // BTPROTO_L2CAP
inline constexpr int sol_bluetooth = 274; // SOL_BLUETOOTH

// SOL_BLUETOOTH options (bluetooth.h).
inline constexpr int bt_security = 4;     // struct bt_security
inline constexpr int bt_defer_setup = 7;
inline constexpr int bt_sndmtu = 12;      // u16, outgoing SDU size (LE CoC: the peer's MTU)
inline constexpr int bt_rcvmtu = 13;      // u16, incoming SDU size
inline constexpr int bt_mode = 15;        // u8, BT_MODE_*

/// BT_MODE values (bluetooth.h); LE credit-based flow control is Core v5.4
/// Vol 3 Part A 10.1, enhanced credit-based 10.2.
enum class Mode : std::uint8_t { basic = 0x00, ertm = 0x01, streaming = 0x02, le_flowctl = 0x03, ext_flowctl = 0x04 };

/// Fixed channels (Core v5.4 Vol 3 Part A 2.1, Table 2.3).
inline constexpr std::uint16_t att_cid = 0x0004;

/// BT_SECURITY_* levels of the kernel's bluetooth.h.
enum class SecurityLevel : std::uint8_t {
  sdp = 0,
  low = 1,     // no encryption
  medium = 2,  // encrypted, unauthenticated key
  high = 3,    // encrypted, authenticated (MITM) key
  fips = 4,    // LE Secure Connections, authenticated
};

/// Where an L2CAP socket binds or connects: the controller or peer address
/// and type, and either a PSM (connection-oriented channels) or a fixed
/// CID (the ATT channel).
struct Endpoint {
  Address addr{};
  AddressType type = AddressType::le_public;
  std::uint16_t psm = 0;
  std::uint16_t cid = 0;
};

/// struct sockaddr_l2 (14 octets): sa_family_t l2_family; __le16 l2_psm;
/// bdaddr_t l2_bdaddr (wire order); __le16 l2_cid; u8 l2_bdaddr_type;
/// one octet of tail padding.
using SockaddrL2 = std::array<std::uint8_t, 14>;
SockaddrL2 encode_sockaddr(const Endpoint& e) noexcept;
/// The endpoint in a sockaddr_l2 (from accept, getpeername, getsockname);
/// false when it is not an AF_BLUETOOTH address or too short.
bool decode_sockaddr(const void* sa, std::size_t len, Endpoint& out) noexcept;

}  // namespace bcms::l2cap
