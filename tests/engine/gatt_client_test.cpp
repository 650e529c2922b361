// GattClient procedures (Core v5.4 Vol 3 Part G 4) over a bearer on
// socketpair(AF_UNIX, SOCK_SEQPACKET) against our GattServer (the test
// database of gatt_test_db.hpp).  Names follow the GATT test spec (TP/GAD,
// GAR, GAW, GAN) where it has the procedure.  Peers that break the
// protocol: gatt_client_faults_test.cpp.
#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"
#include "protocol/sys_error.hpp"
#include "src/att/gatt_client.hpp"
#include "tests/engine/gatt_client_fixture.hpp"

using namespace bcms::att;
using namespace bcms::att::test;
using bcms::byte_span;
using bcms::bytes;
using bcms::expected;


TEST_CASE("TP/GAD/CL/BV-01-C: discover all primary services (against our server)") {
  Pair p;
  auto s = run(p.io, p.client->discover_services());
  REQUIRE(s);
  REQUIRE(s->size() == 5);
  CHECK((*s)[0].uuid == Uuid(0x1800));
  CHECK((*s)[0].start == 0x01);
  CHECK((*s)[0].end == 0x05);
  CHECK((*s)[1].uuid == Uuid(0x1801));
  CHECK((*s)[2].uuid == Uuid(0x180D));
  CHECK((*s)[2].start == 0x0D);
  CHECK((*s)[3].uuid == Uuid(0x180F));
  CHECK((*s)[4].uuid == Uuid(0xFFF0));
  CHECK((*s)[4].end == 0x2A);
}

TEST_CASE("TP/GAD/CL/BV-02-C: discover primary services by UUID") {
  Pair p;
  auto s = run(p.io, p.client->discover_services(Uuid(0x180F)));
  REQUIRE(s);
  REQUIRE(s->size() == 1);
  CHECK((*s)[0].start == 0x16);
  CHECK((*s)[0].end == 0x1A);
  auto none = run(p.io, p.client->discover_services(Uuid(0x1234)));
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("TP/GAD/CL/BV-04-C and BV-06-C: characteristics and descriptors of a service") {
  Pair p;
  auto c = run(p.io, p.client->discover_characteristics(0x0D, 0x15));
  REQUIRE(c);
  REQUIRE(c->size() == 3);
  CHECK((*c)[0].declaration == 0x0F);
  CHECK((*c)[0].value_handle == 0x10);
  CHECK((*c)[0].uuid == Uuid(0x2A37));
  CHECK((*c)[0].properties == prop::notify);
  CHECK((*c)[2].uuid == Uuid(0x2A39));
  auto d = run(p.io, p.client->discover_descriptors(0x11, 0x11));
  REQUIRE(d);
  REQUIRE(d->size() == 1);
  CHECK((*d)[0].type == Uuid(0x2902));
}

TEST_CASE("Part G 4.3.1: MTU exchange, once per connection") {
  Pair p;
  auto m = run(p.io, p.client->exchange_mtu(247));
  REQUIRE(m);
  CHECK(*m == 247);
  CHECK(p.client->mtu() == 247);
  CHECK(run(p.io, p.client->exchange_mtu(517)).value() == 247);
}

TEST_CASE("TP/GAR/CL/BV-04-C: read a long characteristic value (Read + Read Blob)") {
  Pair p;
  const bytes expected_value = p.db.find(0x1D)->value;
  REQUIRE(expected_value.size() == 60);
  auto v = run(p.io, p.client->read(0x1D));
  REQUIRE(v);
  CHECK(*v == expected_value);
  CHECK(p.server.stats().requests == 3);  // 22 + 22 + 16 octets at ATT_MTU 23
}

TEST_CASE("TP/GAW/CL/BV-05-C: write a long characteristic value (prepared writes), read back") {
  Pair p;
  bytes value(50);
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<std::uint8_t>(0xA0 + i);
  auto w = run(p.io, p.client->write(0x1D, value));
  REQUIRE(w);
  CHECK(run(p.io, p.client->read(0x1D)).value() == value);
}

TEST_CASE("TP/GAR/CL/BI-04-C: an error response ends the read with that ATT error") {
  Pair p;
  auto v = run(p.io, p.client->read(0x20));  // encrypted read
  REQUIRE_FALSE(v);
  CHECK(v.error() == make_error_code(att_errc::insufficient_encryption));
}

TEST_CASE("TP/GAN/CL/BV-01-C: notifications after subscribing") {
  Pair p;
  std::vector<bytes> got;
  auto sub = run(p.io, p.client->subscribe(0x10, 0x11, false, [&](byte_span v) { got.emplace_back(v.begin(), v.end()); }));
  REQUIRE(sub);
  CHECK(p.server.subscription(p.server_bearer->state(), 0x10) == cccd_notify);
  CHECK_FALSE(p.server_bearer->send_notification(0x10, B({0x00, 0x48})));
  for (int i = 0; i < 20 && got.empty(); ++i) {
    p.io.poll();
    p.io.restart();
  }
  CHECK(got == std::vector<bytes>{B({0x00, 0x48})});
  sub->reset();  // unregistered: no more deliveries
  CHECK_FALSE(p.server_bearer->send_notification(0x10, B({0x00, 0x49})));
  for (int i = 0; i < 20; ++i) {
    p.io.poll();
    p.io.restart();
  }
  CHECK(got.size() == 1);
}

TEST_CASE("TP/GAD/CL/BV-03-C: find included services (a 128-bit UUID read from the included declaration)") {
  Pair p;
  auto inc = run(p.io, p.client->discover_included_services(0x0D, 0x15));
  REQUIRE(inc);
  REQUIRE(inc->size() == 1);
  CHECK((*inc)[0].handle == 0x0E);
  CHECK((*inc)[0].start == 0x0A);
  CHECK((*inc)[0].end == 0x0C);
  CHECK((*inc)[0].uuid == nus(0x0001));
  CHECK(p.server.stats().requests == 3);  // Read By Type, Read (the UUID), Read By Type: not found
  auto none = run(p.io, p.client->discover_included_services(0x16, 0x1A));
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("TP/GAR/CL/BV-05-C: read multiple characteristic values") {
  Pair p;
  auto v = run(p.io, p.client->read_multiple({0x13, 0x18}));
  REQUIRE(v);
  CHECK(*v == B({0x01, 0x64}));
  auto one = run(p.io, p.client->read_multiple({0x13}));  // Part F 3.4.4.7: two or more
  REQUIRE_FALSE(one);
  CHECK(one.error() == std::errc::invalid_argument);
  auto refused = run(p.io, p.client->read_multiple({0x13, 0x20}));  // 0x20 needs encryption
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == make_error_code(att_errc::insufficient_encryption));
}

TEST_CASE("Part G 4.8.5: read multiple variable length, a value cut at ATT_MTU completed with Read Blob") {
  Pair p;
  const bytes long_value = p.db.find(0x1D)->value;
  auto v = run(p.io, p.client->read_multiple_variable({0x13, 0x1D, 0x18}));
  REQUIRE(v);
  REQUIRE(v->size() == 3);
  CHECK((*v)[0] == B({0x01}));
  CHECK((*v)[1] == long_value);
  CHECK((*v)[2] == B({0x64}));
  auto bigger = run(p.io, p.client->exchange_mtu(100));
  REQUIRE(bigger);
  const auto before = p.server.stats().requests;
  auto w = run(p.io, p.client->read_multiple_variable({0x13, 0x1D, 0x18}));
  REQUIRE(w);
  CHECK(*w == *v);
  CHECK(p.server.stats().requests == before + 1);  // everything fits one response now
}

TEST_CASE("TP/GAW/CL/BV-02-C: signed write without response; the SignCounter advances and a replay is refused") {
  SigningKey key;
  for (std::size_t i = 0; i < key.csrk.size(); ++i) key.csrk[i] = static_cast<std::uint8_t>(0x10 + i);
  Pair p([&](ConnState& s, ConnState&) { s.peer_csrk = key.csrk; });
  REQUIRE_FALSE(p.client->signed_write(0x26, B({0x5A}), key));
  CHECK(key.counter == 1);
  CHECK(run(p.io, p.client->read(0x26)).value() == B({0x5A}));
  REQUIRE_FALSE(p.client->signed_write(0x26, B({0x5B}), key));
  CHECK(key.counter == 2);
  CHECK(run(p.io, p.client->read(0x26)).value() == B({0x5B}));
  SigningKey replay{key.csrk, 0};
  REQUIRE_FALSE(p.client->signed_write(0x26, B({0x77}), replay));
  CHECK(run(p.io, p.client->read(0x26)).value() == B({0x5B}));
  CHECK(p.server.stats().signed_writes_rejected == 1);
  SigningKey wrong{key.csrk, 5};
  wrong.csrk[0] ^= 1;
  REQUIRE_FALSE(p.client->signed_write(0x26, B({0x78}), wrong));
  CHECK(run(p.io, p.client->read(0x26)).value() == B({0x5B}));
  CHECK(p.server.stats().signed_writes_rejected == 2);
  bytes too_long(p.client->mtu() - 14u);  // ATT_MTU-15 at most
  CHECK(p.client->signed_write(0x26, too_long, key) == make_error_code(att_errc::invalid_attribute_value_length));
  CHECK(key.counter == 2);
}

TEST_CASE("Part G 4.9.5: reliable writes to two characteristics, executed together") {
  Pair p;
  bytes long_value(30);
  for (std::size_t i = 0; i < long_value.size(); ++i) long_value[i] = static_cast<std::uint8_t>(0xC0 + i);
  std::vector<QueuedWrite> writes;
  writes.push_back({0x1D, long_value});
  writes.push_back({0x0C, B({1, 2, 3, 4, 5})});
  auto w = run(p.io, p.client->reliable_write(std::move(writes)));
  REQUIRE(w);
  CHECK(run(p.io, p.client->read(0x1D)).value() == long_value);
  CHECK(p.hooks.nus_writes == std::vector<bytes>{B({1, 2, 3, 4, 5})});
}

TEST_CASE("TP/GAR/CL/BI-04-C then retry: Insufficient Encryption raises the link and the read is retried once") {
  Pair p;
  p.server_bearer->state().security = &p.server_security;
  p.client_bearer->state().security = &p.client_security;
  // What the kernel does for both ends when the central raises: the link
  // becomes encrypted.
  p.client_security.on_request = [&] { p.server_security.set(SecurityLevel::medium, 16); };
  auto v = run(p.io, p.client->read(0x20));
  REQUIRE(v);
  CHECK(*v == B({'s', 'e', 'c', 'r', 'e', 't'}));
  CHECK(p.client_security.requests == std::vector<SecurityLevel>{SecurityLevel::medium});
  CHECK(p.client_bearer->stats().security_raises == 1);
}
