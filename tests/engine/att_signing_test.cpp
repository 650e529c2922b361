// ATT data signing: AES-CMAC (RFC 4493 test vectors, quoted in Core v5.4
// Vol 3 Part H D.1) and the ATT_SIGNED_WRITE_CMD signature (Part H 2.4.5,
// Part F 3.4.5.4), end to end through the server.
#include <doctest/doctest.h>

#include "src/att/signing.hpp"
#include "tests/engine/gatt_test_db.hpp"

using namespace bcms::att;
using bcms::bytes;
using bcms::Key128;

namespace {

Key128 hex16(const char* h) {
  Key128 k{};
  for (std::size_t i = 0; i < 16; ++i) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    k[i] = static_cast<std::uint8_t>(nib(h[2 * i]) << 4 | nib(h[2 * i + 1]));
  }
  return k;
}

const Key128 rfc_key = hex16("2b7e151628aed2a6abf7158809cf4f3c");
const bytes rfc_msg64 = [] {
  const char* h =
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  bytes b;
  for (std::size_t i = 0; h[i]; i += 2) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    b.push_back(static_cast<std::uint8_t>(nib(h[i]) << 4 | nib(h[i + 1])));
  }
  return b;
}();

void rfc4493() {
  Key128 mac{};
  REQUIRE(aes_cmac(rfc_key, {}, mac));
  CHECK(mac == hex16("bb1d6929e95937287fa37d129b756746"));  // Example 1: len 0
  REQUIRE(aes_cmac(rfc_key, bcms::byte_span(rfc_msg64).first(16), mac));
  CHECK(mac == hex16("070a16b46b4d4144f79bdd9dd04a287c"));  // Example 2: len 16
  REQUIRE(aes_cmac(rfc_key, bcms::byte_span(rfc_msg64).first(40), mac));
  CHECK(mac == hex16("dfa66747de9ae63030ca32611497c827"));  // Example 3: len 40
  REQUIRE(aes_cmac(rfc_key, rfc_msg64, mac));
  CHECK(mac == hex16("51f0bebf7e3b9d92fc49741779363cfe"));  // Example 4: len 64
}

}  // namespace

TEST_CASE("Vol 3 Part H D.1 / RFC 4493: AES-CMAC (libcrypto)") { rfc4493(); }

TEST_CASE("Vol 3 Part H 2.4.5: ATT signature = SignCounter || MAC64, little-endian") {
  const Key128 csrk{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};  // as SMP distributes it
  const bytes m{0xD2, 0x26, 0x00, 0x55};
  // Computed independently (Python cryptography's CMAC, BlueZ's byte order).
  const std::array<std::uint8_t, 12> expected{0x01, 0x00, 0x00, 0x00, 0x87, 0xAF, 0x14, 0x87, 0x0E, 0x31, 0x3D, 0xDC};
  CHECK(att_signature(csrk, m, 1).value() == expected);
  CHECK(verify_att_signature(csrk, m, expected));
  auto bad = expected;
  bad[11] ^= 0x01;
  CHECK_FALSE(verify_att_signature(csrk, m, bad));
  bad = expected;
  bad[0] = 0x02;  // the counter is signed too
  CHECK_FALSE(verify_att_signature(csrk, m, bad));
}

namespace {
bool broken_cmac(const Key128&, bcms::byte_span, Key128&) { return false; }
}  // namespace

TEST_CASE("signed writes fail closed: no MAC, no signature, every verification fails") {
  const Key128 csrk{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const bytes m{0xD2, 0x26, 0x00, 0x55};
  CHECK_FALSE(att_signature(csrk, m, 1, broken_cmac));
  // Before: a MAC that could not be computed became eight 0xFF octets, so
  // this forged signature verified.
  Signature forged{0x01, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  CHECK_FALSE(verify_att_signature(csrk, m, forged, broken_cmac));
  // Even the right signature is refused when it cannot be checked.
  const Signature right = att_signature(csrk, m, 1).value();
  CHECK(verify_att_signature(csrk, m, right));
  CHECK_FALSE(verify_att_signature(csrk, m, right, broken_cmac));
  CHECK_FALSE(verify_att_signature(csrk, m, right, nullptr));
}

TEST_CASE("Vol 3 Part F 3.4.5.4: Signed Write Command through the server") {
  GattDb db;
  test::Hooks hooks;
  test::build_test_db(db, hooks);
  GattServer server(db);
  ConnState c;
  const Key128 csrk{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  auto signed_pdu = [&](std::uint16_t handle, std::uint8_t value, std::uint32_t counter) {
    SignedWriteCmd cmd{handle, {value}, {}};
    cmd.signature = att_signature(csrk, signed_message(cmd), counter).value();
    return encode(cmd).value();
  };
  const bytes read{0x0A, 0x26, 0x00};
  // No CSRK known for this peer: rejected (a command: no answer).
  CHECK(server.handle(signed_pdu(0x26, 0x55, 1), c).empty());
  CHECK(server.stats().signed_writes_rejected == 1);
  CHECK(server.handle(read, c) == bytes{0x0B, 0x00});
  c.peer_csrk = csrk;
  CHECK(server.handle(signed_pdu(0x26, 0x55, 1), c).empty());
  CHECK(server.handle(read, c) == bytes{0x0B, 0x55});
  // Replayed counter, bad MAC, characteristic without the property: rejected.
  CHECK(server.handle(signed_pdu(0x26, 0x66, 1), c).empty());
  auto tampered = signed_pdu(0x26, 0x66, 2);
  tampered.back() ^= 0xFF;
  CHECK(server.handle(tampered, c).empty());
  CHECK(server.handle(signed_pdu(0x1D, 0x66, 3), c).empty());
  CHECK(server.stats().signed_writes_rejected == 4);
  CHECK(server.handle(read, c) == bytes{0x0B, 0x55});
  CHECK(server.handle(signed_pdu(0x26, 0x77, 7), c).empty());
  CHECK(server.handle(read, c) == bytes{0x0B, 0x77});
  CHECK(c.next_sign_counter == 8);
}
