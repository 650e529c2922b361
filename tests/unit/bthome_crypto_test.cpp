// Encrypted BTHome v2 (https://bthome.io/encryption/): AES-CCM with the
// bind key, the 13-octet nonce, the 4-octet MIC; the per-device receiver's
// replay protection and downgrade refusal.
//
// Vectors:
//  - bthome.io "Encryption" example: key 231d39c1d7cc1ab1aee224cd096db932,
//    MAC 54:48:E6:8F:80:A5, objects 02CA09 03BF13 (25.06 degC, 50.55 %),
//    counter octets 33 22 11 00 -> service data
//    41 E445F3C9962B 33221100 6C7C4519.
//  - computed independently with Python's `cryptography` 48.0 AESCCM
//    (tag_length=4, nonce as below, no associated data):
//    counter 1 with packet id 9, battery 93 %, temperature, humidity ->
//    41 0531B165DA6CD9F4386F 01000000 90A61FEF; and the bthome.io
//    objects with the MAC included (bit 1) and counter octets 00 11 22 33
//    -> 43 A5808FE64854 F196C06FFB49 00112233 F08ECBDE.
// (bthome-ble's older v2 test vectors authenticate the octet 0x11 as
// associated data, a v1 leftover its current decoder no longer uses.)
#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"
#include "protocol/sensor/bthome_crypto.hpp"

using namespace bcms;
using namespace bcms::sensor;
using namespace std::chrono_literals;

namespace {
const Key128 kKey{0x23, 0x1d, 0x39, 0xc1, 0xd7, 0xcc, 0x1a, 0xb1, 0xae, 0xe2, 0x24, 0xcd, 0x09, 0x6d, 0xb9, 0x32};
const Address kMac = Address::parse("54:48:E6:8F:80:A5").value();
const bytes kSpec{0x41, 0xE4, 0x45, 0xF3, 0xC9, 0x96, 0x2B, 0x33, 0x22, 0x11, 0x00, 0x6C, 0x7C, 0x45, 0x19};
const bytes kObjects{0x02, 0xCA, 0x09, 0x03, 0xBF, 0x13};
const PacketIdFilter::clock::time_point t0{};
}  // namespace

TEST_CASE("BTHome encryption: nonce = MAC (written order) || D2 FC || device info || counter LE") {
  const BthomeNonce n = bthome_nonce(kMac, 0x41, 0x00112233);
  CHECK(n == BthomeNonce{0x54, 0x48, 0xE6, 0x8F, 0x80, 0xA5, 0xD2, 0xFC, 0x41, 0x33, 0x22, 0x11, 0x00});
}

TEST_CASE("BTHome encryption: the bthome.io example decrypts and re-encrypts byte for byte") {
  auto h = parse_bthome_header(kSpec);
  REQUIRE(h);
  std::uint32_t counter = 0;
  auto plain = bthome_decrypt(kKey, kMac, *h, counter);
  REQUIRE(plain);
  CHECK(*plain == kObjects);
  CHECK(counter == 0x00112233);
  CHECK(bthome_encrypt(kKey, kMac, 0x40, 0x00112233, kObjects) == kSpec);
}

TEST_CASE("BTHome encryption: independently computed vectors (Python cryptography AESCCM)") {
  const bytes own{0x41, 0x05, 0x31, 0xB1, 0x65, 0xDA, 0x6C, 0xD9, 0xF4, 0x38, 0x6F,
                  0x01, 0x00, 0x00, 0x00, 0x90, 0xA6, 0x1F, 0xEF};
  CHECK(bthome_encrypt(kKey, kMac, 0x40, 1, bytes{0x00, 0x09, 0x01, 0x5D, 0x02, 0xCA, 0x09, 0x03, 0xBF, 0x13}) == own);
  // MAC included: the receiver's own idea of the address does not matter
  const bytes with_mac{0x43, 0xA5, 0x80, 0x8F, 0xE6, 0x48, 0x54, 0xF1, 0x96, 0xC0, 0x6F, 0xFB,
                       0x49, 0x00, 0x11, 0x22, 0x33, 0xF0, 0x8E, 0xCB, 0xDE};
  CHECK(bthome_encrypt(kKey, kMac, 0x42, 0x33221100, kObjects) == with_mac);
  BthomeReceiver rx(Address{}, kKey);
  auto p = rx.receive(with_mac, t0);
  if (!p) FAIL(p.error().message());
  CHECK(p->mac == kMac);
  CHECK(p->counter == 0x33221100u);
  auto r = readings(*p);
  REQUIRE(r.size() == 2);
  CHECK(r[0] == Reading{"temperature", "level", 25.06, "°C"});
  CHECK(r[1] == Reading{"humidity", "level", 50.55, "%"});
}

TEST_CASE("BTHome encryption: a wrong key, MAC, device info or a flipped bit fails the MIC") {
  BthomeReceiver wrong_key(kMac, Key128{});
  CHECK(wrong_key.receive(kSpec, t0).error().code == bthome_errc::authentication_failed);
  BthomeReceiver wrong_mac(Address::parse("54:48:E6:8F:80:A6").value(), kKey);
  CHECK(wrong_mac.receive(kSpec, t0).error().code == bthome_errc::authentication_failed);
  for (std::size_t i = 1; i < kSpec.size(); ++i) {
    bytes t = kSpec;
    t[i] ^= 0x01;
    BthomeReceiver rx(kMac, kKey);
    CHECK(rx.receive(t, t0).error().code == bthome_errc::authentication_failed);
    CHECK_FALSE(rx.counter().last().has_value());  // a forged packet does not move the counter
  }
  bytes trig = kSpec;
  trig[0] = 0x45;  // same block, trigger-based bit: the nonce differs
  CHECK(BthomeReceiver(kMac, kKey).receive(trig, t0).error().code == bthome_errc::authentication_failed);
}

TEST_CASE("BTHome receiver: replayed or older counters are rejected, newer accepted") {
  BthomeReceiver rx(kMac, kKey);
  auto first = rx.receive(kSpec, t0);
  REQUIRE(first);
  CHECK(first->counter == 0x00112233u);
  auto again = rx.receive(kSpec, t0 + 10s);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == bthome_errc::replayed_counter);
  CHECK(again.error().offset == 7);
  CHECK(rx.receive(bthome_encrypt(kKey, kMac, 0x40, 0x00112232, kObjects), t0 + 11s).error().code ==
        bthome_errc::replayed_counter);
  CHECK(rx.receive(bthome_encrypt(kKey, kMac, 0x40, 0x00112234, kObjects), t0 + 12s).has_value());
  CHECK(rx.counter().last() == 0x00112234u);
}

TEST_CASE("BTHome receiver: downgrade refused, no key, duplicate packet ids") {
  BthomeReceiver keyed(kMac, kKey);
  CHECK(keyed.receive(bytes{0x40, 0x02, 0xCA, 0x09}, t0).error().code == bthome_errc::not_encrypted);
  BthomeReceiver plain(kMac);
  CHECK(plain.receive(kSpec, t0).error().code == bthome_errc::encrypted);
  CHECK(plain.receive(bytes{0x40, 0x00, 0x07, 0x02, 0xCA, 0x09}, t0).has_value());
  CHECK(plain.receive(bytes{0x40, 0x00, 0x07, 0x02, 0xCA, 0x09}, t0 + 1s).error().code == bthome_errc::duplicate_packet);
  CHECK(plain.receive(bytes{0x40, 0x00, 0x08, 0x02, 0xCA, 0x09}, t0 + 2s).has_value());
  // an authentic packet whose objects do not decode: error at the object, in plaintext offsets
  BthomeReceiver rx(kMac, kKey);
  auto bad = rx.receive(bthome_encrypt(kKey, kMac, 0x40, 9, bytes{0x02, 0xCA, 0x09, 0x99}), t0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == bthome_errc::unknown_object);
  CHECK(bad.error().object_id == 0x99);
  CHECK(bad.error().offset == 4);
}
