// L2CAP LE ATT listener: the sockaddr_l2 it binds (kernel layout,
// include/net/bluetooth/l2cap.h) and a clean failure where the kernel has
// no Bluetooth.
#include <doctest/doctest.h>

#include "src/att/l2cap_listener.hpp"

using namespace bcms::att;

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

TEST_CASE("L2capListener::open fails cleanly without kernel Bluetooth") {
  asio::io_context io;
  auto l = L2capListener::open(io);
  if (l) {
    MESSAGE("this kernel has Bluetooth: listener opened");
    (*l)->close();
  } else {
    MESSAGE("open failed as expected here: " << l.error().message());
    CHECK(l.error().category() == std::system_category());
  }
}
