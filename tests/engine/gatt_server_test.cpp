// GATT server engine tests: a scripted client on one end of
// socketpair(AF_UNIX, SOCK_SEQPACKET), AttBearer + GattServer on the
// other, over the database of gatt_fixture.hpp.  Cases are named after
// the GATT test-spec ids (GATT.TS) where one exists; the PDUs are written
// out by hand from Core v5.4 Vol 3 Part F 3.4.
#include <doctest/doctest.h>

#include <initializer_list>

#include "protocol/sys_error.hpp"
#include "tests/engine/gatt_fixture.hpp"

namespace doctest {
template <>
struct StringMaker<bcms::bytes> {
  static String convert(const bcms::bytes& b) {
    std::string s;
    static const char* hex = "0123456789abcdef";
    for (auto x : b) {
      s += hex[x >> 4];
      s += hex[x & 15];
      s += ' ';
    }
    return s.c_str();
  }
};
template <>
struct StringMaker<std::optional<bcms::bytes>> {
  static String convert(const std::optional<bcms::bytes>& b) {
    return b ? StringMaker<bcms::bytes>::convert(*b) : String("(nothing)");
  }
};
}  // namespace doctest


using namespace bcms::att;
using namespace bcms::att::test;
using bcms::bytes;

namespace {

bytes range(int from, int to) {
  bytes b;
  for (int i = from; i < to; ++i) b.push_back(static_cast<std::uint8_t>(i));
  return b;
}
bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("TP/GAC/SR/BV-01-C: Exchange MTU, only the first exchange counts") {
  Rig rig;
  CHECK(rig.exchange(B({0x02, 0x05, 0x02})) == B({0x03, 0x05, 0x02}));
  CHECK(rig.bearer->state().mtu == 517);
  CHECK(rig.exchange(B({0x02, 0x40, 0x00})) == B({0x03, 0x05, 0x02}));
  CHECK(rig.bearer->state().mtu == 517);
}

TEST_CASE("Exchange MTU below 23 leaves ATT_MTU at 23") {
  Rig rig;
  CHECK(rig.exchange(B({0x02, 0x10, 0x00})) == B({0x03, 0x05, 0x02}));
  CHECK(rig.bearer->state().mtu == 23);
}

TEST_CASE("TP/GAD/SR/BV-01-C: Discover All Primary Services") {
  Rig rig;
  // Three 6-octet entries fit in ATT_MTU 23; the secondary service (0x0A) is skipped.
  CHECK(rig.exchange(B({0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28})) ==
        B({0x11, 0x06, 0x01, 0x00, 0x05, 0x00, 0x00, 0x18, 0x06, 0x00, 0x09, 0x00, 0x01, 0x18, 0x0D, 0x00, 0x15,
           0x00, 0x0D, 0x18}));
  CHECK(rig.exchange(B({0x10, 0x16, 0x00, 0xFF, 0xFF, 0x00, 0x28})) ==
        B({0x11, 0x06, 0x16, 0x00, 0x1A, 0x00, 0x0F, 0x18, 0x1B, 0x00, 0x2A, 0x00, 0xF0, 0xFF}));
  CHECK(rig.exchange(B({0x10, 0x2B, 0x00, 0xFF, 0xFF, 0x00, 0x28})) == B({0x01, 0x10, 0x2B, 0x00, 0x0A}));
}

TEST_CASE("Discover secondary services: Read By Group Type 0x2801, 128-bit value") {
  Rig rig;
  auto u = nus(0x0001).le();
  CHECK(rig.exchange(B({0x10, 0x01, 0x00, 0xFF, 0xFF, 0x01, 0x28})) ==
        cat(B({0x11, 0x14, 0x0A, 0x00, 0x0C, 0x00}), bytes(u.begin(), u.end())));
}

TEST_CASE("TP/GAD/SR/BI-01..: Read By Group Type errors") {
  Rig rig;
  // Not a grouping type (Vol 3 Part G 2.5.3).
  CHECK(rig.exchange(B({0x10, 0x01, 0x00, 0xFF, 0xFF, 0x03, 0x28})) == B({0x01, 0x10, 0x01, 0x00, 0x10}));
  // Starting handle 0, or greater than the ending handle: Invalid Handle.
  CHECK(rig.exchange(B({0x10, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x28})) == B({0x01, 0x10, 0x00, 0x00, 0x01}));
  CHECK(rig.exchange(B({0x10, 0x05, 0x00, 0x04, 0x00, 0x00, 0x28})) == B({0x01, 0x10, 0x05, 0x00, 0x01}));
}

TEST_CASE("TP/GAD/SR/BV-02-C: Discover Primary Service by Service UUID") {
  Rig rig;
  CHECK(rig.exchange(B({0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x0F, 0x18})) ==
        B({0x07, 0x16, 0x00, 0x1A, 0x00}));
  CHECK(rig.exchange(B({0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x0A, 0x18})) ==
        B({0x01, 0x06, 0x01, 0x00, 0x0A}));
}

TEST_CASE("TP/GAD/SR/BV-03-C: Find Included Services") {
  Rig rig;
  // 128-bit included service: the declaration has no UUID (Vol 3 Part G 3.2).
  CHECK(rig.exchange(B({0x08, 0x0D, 0x00, 0x15, 0x00, 0x02, 0x28})) ==
        B({0x09, 0x06, 0x0E, 0x00, 0x0A, 0x00, 0x0C, 0x00}));
}

TEST_CASE("TP/GAD/SR/BV-04-C: Discover All Characteristics of a Service") {
  Rig rig;
  CHECK(rig.exchange(B({0x08, 0x0D, 0x00, 0x15, 0x00, 0x03, 0x28})) ==
        B({0x09, 0x07, 0x0F, 0x00, 0x10, 0x10, 0x00, 0x37, 0x2A, 0x12, 0x00, 0x02, 0x13, 0x00, 0x38, 0x2A, 0x14,
           0x00, 0x08, 0x15, 0x00, 0x39, 0x2A}));
  CHECK(rig.exchange(B({0x08, 0x16, 0x00, 0x1A, 0x00, 0x03, 0x28})) ==
        B({0x09, 0x07, 0x17, 0x00, 0x12, 0x18, 0x00, 0x19, 0x2A}));
  CHECK(rig.exchange(B({0x08, 0x18, 0x00, 0x1A, 0x00, 0x03, 0x28})) == B({0x01, 0x08, 0x18, 0x00, 0x0A}));
}

TEST_CASE("TP/GAD/SR/BV-06-C: Discover All Characteristic Descriptors") {
  Rig rig;
  CHECK(rig.exchange(B({0x04, 0x19, 0x00, 0x1A, 0x00})) == B({0x05, 0x01, 0x19, 0x00, 0x02, 0x29, 0x1A, 0x00, 0x04, 0x29}));
  // 128-bit types are answered alone in format 0x02.
  auto u = nus(0x0002).le();
  CHECK(rig.exchange(B({0x04, 0x0C, 0x00, 0x0D, 0x00})) == cat(B({0x05, 0x02, 0x0C, 0x00}), bytes(u.begin(), u.end())));
  CHECK(rig.exchange(B({0x04, 0x2B, 0x00, 0xFF, 0xFF})) == B({0x01, 0x04, 0x2B, 0x00, 0x0A}));
  CHECK(rig.exchange(B({0x04, 0x00, 0x00, 0xFF, 0xFF})) == B({0x01, 0x04, 0x00, 0x00, 0x01}));
}

TEST_CASE("TP/GAR/SR/BV-01-C and BI-01/02-C: Read Characteristic Value") {
  Rig rig;
  CHECK(rig.exchange(B({0x0A, 0x18, 0x00})) == B({0x0B, 0x64}));
  CHECK(rig.exchange(B({0x0A, 0x03, 0x00})) == B({0x0B, 'b', 'c', 'm', 's', '-', 't', 'e', 's', 't'}));
  CHECK(rig.exchange(B({0x0A, 0x05, 0x00})) == B({0x0B, 0x40, 0x03}));
  CHECK(rig.exchange(B({0x0A, 0x10, 0x00})) == B({0x01, 0x0A, 0x10, 0x00, 0x02}));  // Read Not Permitted
  CHECK(rig.exchange(B({0x0A, 0x2B, 0x00})) == B({0x01, 0x0A, 0x2B, 0x00, 0x01}));  // Invalid Handle
  CHECK(rig.exchange(B({0x0A, 0x00, 0x00})) == B({0x01, 0x0A, 0x00, 0x00, 0x01}));
  CHECK(rig.exchange(B({0x0A, 0x08, 0x00})) == B({0x01, 0x0A, 0x08, 0x00, 0x02}));  // Service Changed
}

TEST_CASE("TP/GAR/SR/BV-03-C: Read Using Characteristic UUID") {
  Rig rig;
  CHECK(rig.exchange(B({0x08, 0x01, 0x00, 0xFF, 0xFF, 0x19, 0x2A})) == B({0x09, 0x03, 0x18, 0x00, 0x64}));
  // The first match is not readable: its error is the answer (3.4.4.1).
  CHECK(rig.exchange(B({0x08, 0x01, 0x00, 0xFF, 0xFF, 0x37, 0x2A})) == B({0x01, 0x08, 0x10, 0x00, 0x02}));
}

TEST_CASE("TP/GAR/SR/BI-04-C / BI-05-C: encrypted-only read on an unencrypted link") {
  Rig rig;
  CHECK(rig.exchange(B({0x0A, 0x20, 0x00})) == B({0x01, 0x0A, 0x20, 0x00, 0x0F}));  // Insufficient Encryption
  REQUIRE(rig.security.requests.size() == 1);
  CHECK(rig.security.requests[0] == SecurityLevel::medium);  // raised so that the client may retry
  rig.security.set(SecurityLevel::medium, 7);
  CHECK(rig.exchange(B({0x0A, 0x20, 0x00})) == B({0x01, 0x0A, 0x20, 0x00, 0x0C}));  // key size too short
  rig.security.set(SecurityLevel::medium, 16);
  CHECK(rig.exchange(B({0x0A, 0x20, 0x00})) == B({0x0B, 's', 'e', 'c', 'r', 'e', 't'}));
  // Authenticated (MITM) read on an unauthenticated encrypted link.
  CHECK(rig.exchange(B({0x0A, 0x22, 0x00})) == B({0x01, 0x0A, 0x22, 0x00, 0x05}));
  CHECK(rig.security.requests.back() == SecurityLevel::high);
  rig.security.set(SecurityLevel::high, 16);
  CHECK(rig.exchange(B({0x0A, 0x22, 0x00})) == B({0x0B, 'm', 'i', 't', 'm'}));
}

TEST_CASE("TP/GAR/SR/BI-03-C analogue: authorization callback") {
  Rig rig;
  CHECK(rig.exchange(B({0x0A, 0x2A, 0x00})) == B({0x01, 0x0A, 0x2A, 0x00, 0x08}));  // no authorizer: refused
  bool allow = false;
  rig.server->set_authorizer([&](const ConnState&, std::uint16_t h, Access a) { return allow && h == 0x2A && a == Access::read; });
  CHECK(rig.exchange(B({0x0A, 0x2A, 0x00})) == B({0x01, 0x0A, 0x2A, 0x00, 0x08}));
  allow = true;
  CHECK(rig.exchange(B({0x0A, 0x2A, 0x00})) == B({0x0B, 'o', 'k'}));
}

TEST_CASE("TP/GAR/SR/BV-04-C: Read Long Characteristic Value at ATT_MTU 23") {
  Rig rig;
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == cat(B({0x0B}), range(0, 22)));
  CHECK(rig.exchange(B({0x0C, 0x1D, 0x00, 0x16, 0x00})) == cat(B({0x0D}), range(22, 44)));
  CHECK(rig.exchange(B({0x0C, 0x1D, 0x00, 0x2C, 0x00})) == cat(B({0x0D}), range(44, 60)));
  CHECK(rig.exchange(B({0x0C, 0x1D, 0x00, 0x3C, 0x00})) == B({0x0D}));  // offset == length: empty part
  // TP/GAR/SR/BI-07-C: offset past the end.
  CHECK(rig.exchange(B({0x0C, 0x1D, 0x00, 0x3D, 0x00})) == B({0x01, 0x0C, 0x1D, 0x00, 0x07}));
  // A value that fits in one Read Response is not long.
  CHECK(rig.exchange(B({0x0C, 0x18, 0x00, 0x00, 0x00})) == B({0x01, 0x0C, 0x18, 0x00, 0x0B}));
  CHECK(rig.exchange(B({0x0C, 0x2B, 0x00, 0x00, 0x00})) == B({0x01, 0x0C, 0x2B, 0x00, 0x01}));
  // With ATT_MTU 517 the whole value comes in one Read Response.
  CHECK(rig.exchange(B({0x02, 0x05, 0x02})) == B({0x03, 0x05, 0x02}));
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == cat(B({0x0B}), range(0, 60)));
}

TEST_CASE("TP/GAR/SR/BV-05-C: Read Multiple Characteristic Values") {
  Rig rig;
  CHECK(rig.exchange(B({0x0E, 0x13, 0x00, 0x18, 0x00})) == B({0x0F, 0x01, 0x64}));
  CHECK(rig.exchange(B({0x0E, 0x13, 0x00, 0x10, 0x00})) == B({0x01, 0x0E, 0x10, 0x00, 0x02}));
  CHECK(rig.exchange(B({0x0E, 0x13, 0x00, 0x2B, 0x00})) == B({0x01, 0x0E, 0x2B, 0x00, 0x01}));
  // Values cut at ATT_MTU-1.
  CHECK(rig.exchange(B({0x0E, 0x13, 0x00, 0x1D, 0x00})) == cat(B({0x0F, 0x01}), range(0, 21)));
  CHECK(rig.exchange(B({0x0E, 0x13, 0x00})) == B({0x01, 0x0E, 0x00, 0x00, 0x04}));  // one handle: Invalid PDU
}

TEST_CASE("TP/GAR/SR/BV-09-C analogue: Read Multiple Variable Length") {
  Rig rig;
  CHECK(rig.exchange(B({0x20, 0x13, 0x00, 0x18, 0x00})) == B({0x21, 0x01, 0x00, 0x01, 0x01, 0x00, 0x64}));
  // The last tuple is cut at ATT_MTU-1; its Length still says 60.
  CHECK(rig.exchange(B({0x20, 0x13, 0x00, 0x1D, 0x00})) ==
        cat(B({0x21, 0x01, 0x00, 0x01, 0x3C, 0x00}), range(0, 17)));
}

TEST_CASE("TP/GAR/SR/BV-06-C: Read Characteristic Descriptors") {
  Rig rig;
  CHECK(rig.exchange(B({0x0A, 0x1E, 0x00})) == B({0x0B, 'L', 'o', 'n', 'g'}));
  CHECK(rig.exchange(B({0x0A, 0x1A, 0x00})) == B({0x0B, 0x04, 0x00, 0xAD, 0x27, 0x01, 0x00, 0x00}));
  CHECK(rig.exchange(B({0x0A, 0x19, 0x00})) == B({0x0B, 0x00, 0x00}));  // CCCD, this connection
}

TEST_CASE("TP/GAW/SR/BV-03-C: Write Characteristic Value; BI-02/BI-03-C: errors") {
  Rig rig;
  CHECK(rig.exchange(B({0x12, 0x15, 0x00, 0x01})) == B({0x13}));
  REQUIRE(rig.hooks.control_point_writes.size() == 1);
  CHECK(rig.hooks.control_point_writes[0] == B({0x01}));
  CHECK(rig.exchange(B({0x12, 0x24, 0x00, 0x01})) == B({0x01, 0x12, 0x24, 0x00, 0x03}));  // read-only
  CHECK(rig.exchange(B({0x12, 0x2B, 0x00, 0x01})) == B({0x01, 0x12, 0x2B, 0x00, 0x01}));  // invalid handle
  CHECK(rig.exchange(B({0x12, 0x1D, 0x00, 0xAA, 0xBB})) == B({0x13}));
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == B({0x0B, 0xAA, 0xBB}));
}

TEST_CASE("TP/GAW/SR/BV-01-C: Write Without Response; refused commands are silent") {
  Rig rig;
  rig.send(B({0x52, 0x0C, 0x00, 0x68, 0x69}));
  rig.send(B({0x52, 0x24, 0x00, 0x01}));  // read-only: dropped, never answered
  rig.send(B({0x7F, 0x00}));              // unknown command: dropped
  CHECK(rig.exchange(B({0x0A, 0x18, 0x00})) == B({0x0B, 0x64}));
  REQUIRE(rig.hooks.nus_writes.size() == 1);
  CHECK(rig.hooks.nus_writes[0] == B({0x68, 0x69}));
  CHECK(rig.server->stats().dropped_commands == 2);
}

TEST_CASE("TP/GAW/SR/BV-05-C: Write Long Characteristic Value (prepare, execute)") {
  Rig rig;
  const bytes a = range(100, 118), b = range(118, 130);
  CHECK(rig.exchange(cat(B({0x16, 0x1D, 0x00, 0x00, 0x00}), a)) == cat(B({0x17, 0x1D, 0x00, 0x00, 0x00}), a));
  CHECK(rig.exchange(cat(B({0x16, 0x1D, 0x00, 0x12, 0x00}), b)) == cat(B({0x17, 0x1D, 0x00, 0x12, 0x00}), b));
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == cat(B({0x0B}), range(0, 22)));  // nothing written yet
  CHECK(rig.exchange(B({0x18, 0x01})) == B({0x19}));
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == cat(B({0x0B}), range(100, 122)));
  CHECK(rig.exchange(B({0x0C, 0x1D, 0x00, 0x16, 0x00})) == cat(B({0x0D}), range(122, 130)));
}

TEST_CASE("TP/GAW/SR/BI-07/09-C: Execute Write validates offsets and lengths") {
  Rig rig;
  CHECK(rig.exchange(B({0x16, 0x1D, 0x00, 0x64, 0x00, 0x01})) == B({0x17, 0x1D, 0x00, 0x64, 0x00, 0x01}));
  CHECK(rig.exchange(B({0x18, 0x01})) == B({0x01, 0x18, 0x1D, 0x00, 0x07}));  // Invalid Offset
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == cat(B({0x0B}), range(0, 22)));  // unchanged
  // Prepare on a read-only attribute is refused at once.
  CHECK(rig.exchange(B({0x16, 0x24, 0x00, 0x00, 0x00, 0x01})) == B({0x01, 0x16, 0x24, 0x00, 0x03}));
  // Cancel empties the queue.
  CHECK(rig.exchange(B({0x16, 0x1D, 0x00, 0x00, 0x00, 0x01})) == B({0x17, 0x1D, 0x00, 0x00, 0x00, 0x01}));
  CHECK(rig.exchange(B({0x18, 0x00})) == B({0x19}));
  CHECK(rig.exchange(B({0x18, 0x01})) == B({0x19}));
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == cat(B({0x0B}), range(0, 22)));
  CHECK(rig.exchange(B({0x18, 0x02})) == B({0x01, 0x18, 0x00, 0x00, 0x04}));  // reserved flags: Invalid PDU
}

TEST_CASE("Execute Write: a long write beyond 512 octets is Invalid Attribute Value Length") {
  ServerOptions so;
  so.prepare_queue_bytes = 1024;
  Rig rig(so);
  CHECK(rig.exchange(B({0x02, 0x05, 0x02})) == B({0x03, 0x05, 0x02}));
  bytes big(512, 0x55);
  CHECK(rig.exchange(cat(B({0x16, 0x1D, 0x00, 0x00, 0x00}), big)) == cat(B({0x17, 0x1D, 0x00, 0x00, 0x00}), big));
  CHECK(rig.exchange(B({0x16, 0x1D, 0x00, 0x00, 0x02, 0x56})) == B({0x17, 0x1D, 0x00, 0x00, 0x02, 0x56}));
  CHECK(rig.exchange(B({0x18, 0x01})) == B({0x01, 0x18, 0x1D, 0x00, 0x0D}));
}

TEST_CASE("TP/GAW/SR/BI-32-C analogue: Prepare Write queue overflow") {
  ServerOptions so;
  so.prepare_queue_entries = 4;
  so.prepare_queue_bytes = 40;
  Rig rig(so);
  for (int i = 0; i < 4; ++i) {
    const auto off = static_cast<std::uint8_t>(i * 2);
    CHECK(rig.exchange(B({0x16, 0x1D, 0x00, off, 0x00, 0x01, 0x02})) == B({0x17, 0x1D, 0x00, off, 0x00, 0x01, 0x02}));
  }
  CHECK(rig.exchange(B({0x16, 0x1D, 0x00, 0x08, 0x00, 0x01})) == B({0x01, 0x16, 0x1D, 0x00, 0x09}));
  CHECK(rig.exchange(B({0x18, 0x00})) == B({0x19}));
  // The byte limit too.
  bytes v(18, 0x11);
  CHECK(rig.exchange(cat(B({0x16, 0x1D, 0x00, 0x00, 0x00}), v)) == cat(B({0x17, 0x1D, 0x00, 0x00, 0x00}), v));
  CHECK(rig.exchange(cat(B({0x16, 0x1D, 0x00, 0x12, 0x00}), v)) == cat(B({0x17, 0x1D, 0x00, 0x12, 0x00}), v));
  CHECK(rig.exchange(cat(B({0x16, 0x1D, 0x00, 0x24, 0x00}), v)) == B({0x01, 0x16, 0x1D, 0x00, 0x09}));
}

TEST_CASE("TP/GAN/SR/BV-01-C: CCCD write and Notification, cut to ATT_MTU-3") {
  Rig rig;
  CHECK(rig.exchange(B({0x12, 0x19, 0x00, 0x01, 0x00})) == B({0x13}));
  CHECK(rig.exchange(B({0x0A, 0x19, 0x00})) == B({0x0B, 0x01, 0x00}));
  auto& st = rig.bearer->state();
  CHECK(rig.server->subscription(st, 0x18) == cccd_notify);
  bytes v = range(0, 30);
  auto pdu = rig.server->notification(st, 0x18, v, false);
  REQUIRE(pdu);
  CHECK(*pdu == cat(B({0x1B, 0x18, 0x00}), range(0, 20)));
  CHECK_FALSE(rig.server->notification(st, 0x18, v, true));  // not subscribed to indications
  rig.bearer->send_notification(0x18, v);
  CHECK(rig.receive() == cat(B({0x1B, 0x18, 0x00}), range(0, 20)));
  // Indicate bit on a notify-only characteristic; wrong length.
  CHECK(rig.exchange(B({0x12, 0x19, 0x00, 0x02, 0x00})) == B({0x01, 0x12, 0x19, 0x00, 0x13}));
  CHECK(rig.exchange(B({0x12, 0x19, 0x00, 0x01})) == B({0x01, 0x12, 0x19, 0x00, 0x0D}));
}

TEST_CASE("TP/GAI/SR/BV-01-C: Indication completes on confirmation; one outstanding") {
  Rig rig;
  std::vector<std::error_code> done;
  rig.bearer->send_indication(0x08, B({0x01, 0x00}), [&](std::error_code ec) { done.push_back(ec); });
  rig.bearer->send_indication(0x08, B({0x02, 0x00}), [&](std::error_code ec) { done.push_back(ec); });
  CHECK(rig.receive() == B({0x1D, 0x08, 0x00, 0x01, 0x00}));
  CHECK_FALSE(rig.receive(std::chrono::milliseconds(50)));  // the second waits for the confirmation
  CHECK(done.empty());
  rig.send(B({0x1E}));
  CHECK(rig.receive() == B({0x1D, 0x08, 0x00, 0x02, 0x00}));
  REQUIRE(done.size() == 1);
  CHECK_FALSE(done[0]);
  rig.send(B({0x1E}));
  rig.spin(std::chrono::milliseconds(20));
  CHECK(done.size() == 2);
  rig.send(B({0x1E}));  // unexpected: ignored
  rig.spin(std::chrono::milliseconds(20));
  CHECK(rig.bearer->stats().unexpected_confirmations == 1);
  CHECK(rig.bearer->usable());
}

TEST_CASE("Vol 3 Part F 3.3.3: indication not confirmed in time ends the bearer") {
  AttBearer::Options bo;
  bo.transaction_timeout = std::chrono::milliseconds(50);
  Rig rig({}, bo);
  std::error_code result;
  bool called = false;
  rig.bearer->send_indication(0x08, B({0x01, 0x00}), [&](std::error_code ec) {
    called = true;
    result = ec;
  });
  CHECK(rig.receive() == B({0x1D, 0x08, 0x00, 0x01, 0x00}));
  CHECK(rig.peer_sees_eof());
  CHECK(called);
  CHECK(result == bcms::timeout_error());
  CHECK_FALSE(rig.bearer->usable());
  CHECK(rig.bearer->send_notification(0x18, B({1})) == asio::error::not_connected);
}

TEST_CASE("Vol 3 Part G 7.1: Service Changed indicated after the database changes") {
  Rig rig;
  CHECK(rig.exchange(B({0x12, 0x09, 0x00, 0x02, 0x00})) == B({0x13}));
  rig.server->set_indicate_sink([&](ConnState& c, std::uint16_t h, bytes v, std::function<void(std::error_code)> done) {
    if (c.id == rig.bearer->state().id) rig.bearer->send_indication(h, std::move(v), std::move(done));
  });
  rig.db.begin_service(Uuid(0x1810));
  AttributeSpec s;
  s.value = {0x01};
  rig.db.add_characteristic(Uuid(0x2A35), prop::read, std::move(s));
  rig.db.end_service();  // handles 0x2B-0x2D
  CHECK(rig.receive() == B({0x1D, 0x08, 0x00, 0x2B, 0x00, 0x2D, 0x00}));
  rig.send(B({0x1E}));
  CHECK(rig.exchange(B({0x0A, 0x2D, 0x00})) == B({0x0B, 0x01}));
  CHECK(rig.server->db().remove_service(0x1B));
  CHECK(rig.receive() == B({0x1D, 0x08, 0x00, 0x1B, 0x00, 0x2A, 0x00}));
  rig.send(B({0x1E}));
  CHECK(rig.exchange(B({0x0A, 0x1D, 0x00})) == B({0x01, 0x0A, 0x1D, 0x00, 0x01}));
  CHECK(rig.exchange(B({0x0A, 0x2D, 0x00})) == B({0x0B, 0x01}));  // other handles unchanged
}

namespace {
struct MemoryClientStore final : ClientStore {
  std::optional<ClientRecord> saved;
  int loads = 0;
  std::optional<ClientRecord> load(const bcms::Peer&) override {
    ++loads;
    return saved;
  }
  void save(const bcms::Peer&, const ClientRecord& r) override { saved = r; }
};
}  // namespace

TEST_CASE("Bonded client: CCCDs kept, Service Changed delivered on reconnection after a change") {
  Rig rig({}, {}, false);
  MemoryClientStore store;
  rig.server->set_client_store(&store);
  rig.security.set(SecurityLevel::medium);
  ConnState st;
  st.bonded = true;
  st.peer = bcms::Peer{bcms::Address::parse("00:11:22:33:44:55").value(), bcms::AddressType::le_public};
  rig.connect({}, st);
  CHECK(rig.exchange(B({0x12, 0x09, 0x00, 0x02, 0x00})) == B({0x13}));
  REQUIRE(store.saved);
  CHECK(store.saved->service_changed);
  CHECK(store.saved->db_hash == rig.server->hash());
  rig.bearer->close();
  CHECK(rig.peer_sees_eof());
  // The database changes while the client is away.
  rig.db.begin_service(Uuid(0x1810));
  rig.db.end_service();  // handle 0x2B
  rig.server->set_indicate_sink([&](ConnState&, std::uint16_t h, bytes v, std::function<void(std::error_code)> done) {
    rig.bearer->send_indication(h, std::move(v), std::move(done));
  });
  st.id = 2;
  rig.connect({}, st);
  CHECK(store.loads == 2);
  // Whole range: the server does not track what a client missed in detail.
  CHECK(rig.receive() == B({0x1D, 0x08, 0x00, 0x01, 0x00, 0xFF, 0xFF}));
  rig.send(B({0x1E}));
  CHECK(rig.exchange(B({0x0A, 0x09, 0x00})) == B({0x0B, 0x02, 0x00}));
  rig.spin(std::chrono::milliseconds(10));
  CHECK(store.saved->db_hash == rig.server->hash());  // confirmed: change-aware
}

TEST_CASE("Malformed and unknown requests: Invalid PDU / Request Not Supported") {
  Rig rig;
  CHECK(rig.exchange(B({0x0A, 0x01})) == B({0x01, 0x0A, 0x00, 0x00, 0x04}));                 // truncated
  CHECK(rig.exchange(B({0x0A, 0x01, 0x00, 0x00})) == B({0x01, 0x0A, 0x00, 0x00, 0x04}));     // trailing
  CHECK(rig.exchange(B({0x08, 0x01, 0x00, 0xFF, 0xFF, 0x03})) == B({0x01, 0x08, 0x00, 0x00, 0x04}));
  CHECK(rig.exchange(B({0x02})) == B({0x01, 0x02, 0x00, 0x00, 0x04}));
  CHECK(rig.exchange(B({0x3F, 0x01, 0x02})) == B({0x01, 0x3F, 0x00, 0x00, 0x06}));  // unknown request
  CHECK(rig.exchange(B({0x14})) == B({0x01, 0x14, 0x00, 0x00, 0x06}));
  // Responses, notifications from the client: ignored.
  rig.send(B({0x0B, 0x01}));
  rig.send(B({0x1B, 0x01, 0x00, 0x02}));
  rig.send(B({0x52}));  // truncated command: dropped
  CHECK(rig.exchange(B({0x0A, 0x18, 0x00})) == B({0x0B, 0x64}));
  CHECK(rig.server->stats().malformed >= 5);
}

TEST_CASE("Vol 3 Part F 3.3.2: a request while one is outstanding is dropped") {
  Rig rig;
  rig.send(B({0x0A, 0x28, 0x00}));  // asynchronous read, not answered yet
  CHECK_FALSE(rig.receive(std::chrono::milliseconds(30)));
  REQUIRE(rig.hooks.pending_reads.size() == 1);
  CHECK(rig.bearer->request_outstanding());
  rig.send(B({0x0A, 0x18, 0x00}));
  CHECK_FALSE(rig.receive(std::chrono::milliseconds(30)));
  CHECK(rig.bearer->stats().requests_while_busy == 1);
  rig.hooks.pending_reads[0].first(bcms::bytes{0x0A, 0x0B});
  CHECK(rig.receive() == B({0x0B, 0x0A, 0x0B}));
  CHECK(rig.exchange(B({0x0A, 0x18, 0x00})) == B({0x0B, 0x64}));
  // An asynchronous refusal.
  rig.send(B({0x0A, 0x28, 0x00}));
  rig.spin(std::chrono::milliseconds(10));
  REQUIRE(rig.hooks.pending_reads.size() == 2);
  rig.hooks.pending_reads[1].first(tl::unexpected(att_errc::value_not_allowed));
  CHECK(rig.receive() == B({0x01, 0x0A, 0x28, 0x00, 0x13}));
}

TEST_CASE("Vol 3 Part F 3.3.3: a request our server does not answer in time ends the bearer") {
  AttBearer::Options bo;
  bo.transaction_timeout = std::chrono::milliseconds(50);
  Rig rig({}, bo);
  rig.send(B({0x0A, 0x28, 0x00}));
  CHECK(rig.peer_sees_eof());
  CHECK_FALSE(rig.bearer->usable());
  REQUIRE(rig.hooks.pending_reads.size() == 1);
  rig.hooks.pending_reads[0].first(bcms::bytes{0x01});  // late: a no-op
}

TEST_CASE("Peer closing mid-procedure: the bearer ends, late answers are dropped") {
  Rig rig;
  std::error_code why;
  bool closed = false;
  rig.bearer->on_closed([&](std::error_code ec) {
    closed = true;
    why = ec;
  });
  std::error_code ind;
  rig.bearer->send_indication(0x08, B({0x01, 0x00}), [&](std::error_code ec) { ind = ec; });
  CHECK(rig.receive() == B({0x1D, 0x08, 0x00, 0x01, 0x00}));
  rig.send(B({0x0A, 0x28, 0x00}));
  rig.spin(std::chrono::milliseconds(10));
  REQUIRE(rig.hooks.pending_reads.size() == 1);
  ::close(rig.peer);
  rig.peer = -1;
  rig.spin(std::chrono::milliseconds(20));
  CHECK(closed);
  CHECK(why == asio::error::eof);
  CHECK(ind == asio::error::operation_aborted);
  CHECK_FALSE(rig.bearer->usable());
  CHECK(rig.server->connections().empty());
  rig.hooks.pending_reads[0].first(bcms::bytes{0x01});
}

TEST_CASE("Pure handler: handle() without a socket") {
  GattDb db;
  Hooks hooks;
  build_test_db(db, hooks);
  GattServer server(db);
  ConnState c;
  CHECK(server.handle(B({0x0A, 0x18, 0x00}), c) == B({0x0B, 0x64}));
  CHECK(server.handle(B({0x52, 0x0C, 0x00, 0x01}), c).empty());
  CHECK(server.handle(B({0x0A, 0x28, 0x00}), c).empty());  // asynchronous: answered later
}

TEST_CASE("Vol 3 Part F 3.2.8: a request longer than ATT_MTU is an Invalid PDU") {
  Rig rig;
  bcms::bytes big = cat(B({0x16, 0x1D, 0x00, 0x00, 0x00}), range(0, 30));  // 35 > 23
  CHECK(rig.exchange(big) == B({0x01, 0x16, 0x00, 0x00, 0x04}));
  CHECK(rig.bearer->state().prepared.empty());
}
