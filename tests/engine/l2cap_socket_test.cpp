// src/l2cap: the sockaddr_l2 layout (kernel include/net/bluetooth/l2cap.h),
// and opening sockets where the kernel may or may not have Bluetooth: the
// outcome is checked against what socket(AF_BLUETOOTH) itself says here.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "src/l2cap/listener.hpp"

using namespace bcms::l2cap;

namespace {
// errno of socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP), 0 when it works.
int bluetooth_errno() {
  const int fd = ::socket(af_bluetooth, SOCK_SEQPACKET, btproto_l2cap);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}
std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}
}  // namespace

TEST_CASE("sockaddr_l2 for the ATT fixed channel (CID 4), LE public") {
  const Endpoint e{bcms::Address::parse("00:11:22:33:44:55").value(), bcms::AddressType::le_public, 0, att_cid};
  auto sa = encode_sockaddr(e);
  const SockaddrL2 expected{31, 0,                               // AF_BLUETOOTH (host order, LE)
                            0x00, 0x00,                          // psm 0
                            0x55, 0x44, 0x33, 0x22, 0x11, 0x00,  // bdaddr, wire order
                            0x04, 0x00,                          // cid 4, htobs
                            0x01, 0x00};                         // BDADDR_LE_PUBLIC, padding
  CHECK(sa == expected);
  Endpoint back;
  REQUIRE(decode_sockaddr(sa.data(), sa.size(), back));
  CHECK(back.addr == e.addr);
  CHECK(back.type == e.type);
  CHECK(back.cid == att_cid);
  CHECK(back.psm == 0);
  sa[0] = 1;  // AF_UNIX
  CHECK_FALSE(decode_sockaddr(sa.data(), sa.size(), back));
  CHECK_FALSE(decode_sockaddr(expected.data(), 12, back));  // too short
}

TEST_CASE("sockaddr_l2 for an LE credit-based channel: PSM 0x0080, LE random") {
  const Endpoint e{bcms::Address::parse("C0:11:22:33:44:55").value(), bcms::AddressType::le_random, 0x0080, 0};
  const auto sa = encode_sockaddr(e);
  CHECK(sa[2] == 0x80);
  CHECK(sa[3] == 0x00);
  CHECK(sa[10] == 0x00);
  CHECK(sa[11] == 0x00);
  CHECK(sa[12] == 0x02);
  Endpoint back;
  REQUIRE(decode_sockaddr(sa.data(), sa.size(), back));
  CHECK(back.psm == 0x0080);
  CHECK(back.type == bcms::AddressType::le_random);
}

TEST_CASE("Listener::open_att and open_bound agree with the kernel about Bluetooth, and leak no descriptor") {
  asio::io_context io;
  const int bt = bluetooth_errno();
  const std::size_t fds_before = open_fds();
  {
    // Failing steps close what they opened.
    auto l = Listener::open_att(io);
    auto s = open_bound(io, Endpoint{{}, bcms::AddressType::le_public, 0, 0});
    if (bt != 0) CHECK(open_fds() == fds_before);
  }
  CHECK(open_fds() == fds_before);
  auto l = Listener::open_att(io);
  auto s = open_bound(io, Endpoint{{}, bcms::AddressType::le_public, 0, 0});
  if (bt != 0) {
    // No Bluetooth here (this host, a container): the kernel's errno, as is.
    REQUIRE_FALSE(l);
    CHECK(l.error() == std::error_code(bt, std::system_category()));
    REQUIRE_FALSE(s);
    CHECK(s.error() == std::error_code(bt, std::system_category()));
  } else {
    // Bluetooth (the VM, a board): binding the ATT channel of any
    // controller works unless another ATT server (bluetoothd) holds it;
    // an ephemeral LE socket always binds.
    if (l) (*l)->close();
    else CHECK(l.error() == std::error_code(EADDRINUSE, std::system_category()));
    REQUIRE(s);
    auto local = local_of(s->native_handle());
    REQUIRE(local);
    CHECK(local->type == bcms::AddressType::le_public);
  }
}
