// L2CAP LE ATT listener: the sockaddr_l2 it binds (kernel layout,
// include/net/bluetooth/l2cap.h) and open() against the kernel's own answer.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "src/att/l2cap_listener.hpp"

using namespace bcms::att;

namespace {
// Open descriptors of this process.
std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}
}  // namespace

TEST_CASE("sockaddr_l2 for the ATT fixed channel (CID 4), LE public") {
  auto addr = bcms::Address::parse("00:11:22:33:44:55").value();
  auto sa = make_sockaddr_l2(addr, bcms::AddressType::le_public, att_cid);
  const std::array<std::uint8_t, 14> expected{31, 0,                                  // AF_BLUETOOTH (host order, LE)
                                              0x00, 0x00,                             // psm 0
                                              0x55, 0x44, 0x33, 0x22, 0x11, 0x00,     // bdaddr, wire order
                                              0x04, 0x00,                             // cid 4, htobs
                                              0x01, 0x00};                            // BDADDR_LE_PUBLIC, padding
  CHECK(sa == expected);
  bcms::Address back{};
  bcms::AddressType type{};
  REQUIRE(parse_sockaddr_l2(sa.data(), sa.size(), back, type));
  CHECK(back == addr);
  CHECK(type == bcms::AddressType::le_public);
  sa[0] = 1;  // AF_UNIX
  CHECK_FALSE(parse_sockaddr_l2(sa.data(), sa.size(), back, type));
}

// The reference is the socket(2) call open() makes, made here first: where
// it fails, open() must fail with exactly that errno and leave no
// descriptor behind; where it works (a kernel with Bluetooth), open() binds
// and listens on the ATT channel, or finds it taken (EADDRINUSE: bluetoothd
// serves ATT), again without a leak.
TEST_CASE("L2capListener::open: the kernel's answer to socket(AF_BLUETOOTH, L2CAP), no fd leaked") {
  const int probe = ::socket(31 /* AF_BLUETOOTH */, SOCK_SEQPACKET | SOCK_CLOEXEC, 0 /* BTPROTO_L2CAP */);
  const int probe_errno = errno;
  if (probe >= 0) ::close(probe);
  const auto fds_before = open_fds();
  asio::io_context io;
  {
    auto l = L2capListener::open(io);
    if (probe < 0) {
      INFO("socket(AF_BLUETOOTH) failed here: " << std::string(std::strerror(probe_errno)));
      REQUIRE_FALSE(l);
      CHECK(l.error() == std::error_code(probe_errno, std::system_category()));
    } else if (l) {
      MESSAGE("this kernel has Bluetooth: listener open");
      (*l)->close();
    } else {
      // the one expected refusal: another ATT server (bluetoothd) holds CID 4
      CHECK(l.error() == std::error_code(EADDRINUSE, std::system_category()));
    }
  }
  CHECK(open_fds() == fds_before);
}
