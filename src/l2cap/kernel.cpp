#include "src/l2cap/kernel.hpp"

#include <sys/socket.h>

#include <cstring>

namespace bcms::l2cap {

SockaddrL2 encode_sockaddr(const Endpoint& e) noexcept {
  SockaddrL2 sa{};
  const auto family = static_cast<sa_family_t>(af_bluetooth);
  std::memcpy(sa.data(), &family, sizeof(family));
  sa[2] = static_cast<std::uint8_t>(e.psm);
  sa[3] = static_cast<std::uint8_t>(e.psm >> 8);
  std::memcpy(sa.data() + 4, e.addr.b.data(), 6);
  sa[10] = static_cast<std::uint8_t>(e.cid);
  sa[11] = static_cast<std::uint8_t>(e.cid >> 8);
  sa[12] = static_cast<std::uint8_t>(e.type);  // BDADDR_BREDR 0, LE_PUBLIC 1, LE_RANDOM 2
  return sa;
}

bool decode_sockaddr(const void* sa, std::size_t len, Endpoint& out) noexcept {
  if (len < 13) return false;
  const auto* p = static_cast<const std::uint8_t*>(sa);
  sa_family_t family = 0;
  std::memcpy(&family, p, sizeof(family));
  if (family != af_bluetooth || p[12] > 2) return false;
  out.psm = static_cast<std::uint16_t>(p[2] | (p[3] << 8));
  std::memcpy(out.addr.b.data(), p + 4, 6);
  out.cid = static_cast<std::uint16_t>(p[10] | (p[11] << 8));
  out.type = static_cast<AddressType>(p[12]);
  return true;
}

}  // namespace bcms::l2cap
