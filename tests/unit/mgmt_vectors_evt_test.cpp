// Byte-exact vectors for mgmt events, written out by hand from
// mgmt-api.txt (BlueZ 5.82) and the kernel's struct mgmt_ev_* layouts;
// several are complete frames (6-octet header + parameters) that go
// through decode_frame() and decode_event().
#include <doctest/doctest.h>

#include <variant>

#include "gen/mgmt_types.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/mgmt/dispatch.hpp"
#include "protocol/mgmt/frame.hpp"
#include "tests/unit/mgmt_test_util.hpp"

using namespace bcms;
using namespace bcms::mgmt;
using bcms::mgmt::test::cat;
using bcms::mgmt::test::hx;

namespace {

const bytes kAddrWire = hx("22 11 00 EE FF C0");  // C0:FF:EE:00:11:22
Address addr() { return *Address::parse("C0:FF:EE:00:11:22"); }

template <class T>
void both_ways(const T& value, const bytes& wire) {
  auto d = T::decode(wire);
  REQUIRE(d.has_value());
  CHECK(*d == value);
  bytes out;
  REQUIRE_FALSE(encode(value, out));
  CHECK(out == wire);
}

/// Frame -> typed event through the dispatch table.
template <class T>
T via_frame(const bytes& frame, std::uint16_t index) {
  auto f = decode_frame(frame);
  REQUIRE(f.has_value());
  CHECK(f->code == static_cast<std::uint16_t>(T::code));
  CHECK(f->index == index);
  auto ev = decode_event(*f);
  REQUIRE(ev.has_value());
  REQUIRE(std::holds_alternative<T>(*ev));
  return std::get<T>(*ev);
}

}  // namespace

TEST_CASE("Device Found (0x0012) frame with 31 octets of advertising data") {
  // Flags, complete local name "bcms-sensor", 16-bit service data for
  // 0x180F (battery 0x5A), manufacturer data 0x004C + 6 octets.
  const bytes ad = hx(
      "02 01 06"
      "0C 09 62 63 6D 73 2D 73 65 6E 73 6F 72"
      "04 16 0F 18 5A"
      "09 FF 4C 00 01 02 03 04 05 06");
  REQUIRE(ad.size() == 31);
  const bytes frame = cat(cat(hx("12 00  00 00  2D 00"), kAddrWire), cat(hx("01 C4 00 00 00 00 1F 00"), ad));
  REQUIRE(frame.size() == 6 + 14 + 31);
  auto e = via_frame<DeviceFoundEvent>(frame, 0);
  CHECK(e.address == addr());
  CHECK(e.address_type == AddressType::le_public);
  CHECK(e.rssi == -60);
  CHECK(e.flags == 0);
  CHECK(e.eir_data == DataView(ad));
  // The data view points into the frame: no copy was made.
  CHECK(e.eir_data.data.data() == frame.data() + 6 + 14);
  both_ways(e, bytes(frame.begin() + 6, frame.end()));
}

TEST_CASE("Device Found: EIR_Data_Length larger than the data") {
  bytes p = cat(kAddrWire, hx("01 C4 00 00 00 00 05 00 02 01 06"));
  CHECK(DeviceFoundEvent::decode(p).error() == codec_errc::truncated);
  CHECK(decode_event(0x0012, p).error() == codec_errc::truncated);
}

TEST_CASE("User Confirmation Request (0x000F)") {
  UserConfirmationRequestEvent v{.address = addr(), .address_type = AddressType::le_public, .confirm_hint = 0,
                                 .value = 123456};
  const bytes frame = cat(cat(hx("0F 00 01 00 0C 00"), kAddrWire), hx("01 00 40 E2 01 00"));
  CHECK(via_frame<UserConfirmationRequestEvent>(frame, 1) == v);
  both_ways(v, bytes(frame.begin() + 6, frame.end()));
}

TEST_CASE("New Long Term Key (0x000A): store hint + 36-octet key") {
  NewLongTermKeyEvent v;
  v.store_hint = 1;
  v.address = addr();
  v.address_type = AddressType::le_random;
  v.key_type = 0x03;  // authenticated key from P-256
  v.central = 0;
  v.encryption_size = 16;
  v.enc_diversifier = 0;
  v.random_number = 0;
  for (std::uint8_t i = 0; i < 16; ++i) v.value[i] = i;
  const bytes wire = cat(cat(hx("01"), kAddrWire),
                         hx("02 03 00 10 00 00 00 00 00 00 00 00 00 00"
                            "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F"));
  REQUIRE(wire.size() == 37);
  both_ways(v, wire);
}

TEST_CASE("New Link Key (0x0009)") {
  NewLinkKeyEvent v{.store_hint = 1, .address = addr(), .address_type = AddressType::bredr, .key_type = 0x05,
                    .value = {}, .pin_length = 0};
  v.value.fill(0x77);
  both_ways(v, cat(cat(hx("01"), kAddrWire), cat(cat(hx("00 05"), bytes(16, 0x77)), hx("00"))));
}

TEST_CASE("New Connection Parameter (0x001C): kernel order, address first") {
  // struct mgmt_ev_new_conn_param: addr, store_hint, min, max, latency, timeout
  NewConnectionParameterEvent v{.address = addr(), .address_type = AddressType::le_public, .store_hint = 1,
                                .min_connection_interval = 0x0018, .max_connection_interval = 0x0028,
                                .connection_latency = 0, .supervision_timeout = 0x002A};
  both_ways(v, cat(kAddrWire, hx("01 01 18 00 28 00 00 00 2A 00")));
}

TEST_CASE("Device Connected (0x000B) with EIR name") {
  const bytes eir = hx("05 09 74 61 67 31");
  DeviceConnectedEvent v{.address = addr(), .address_type = AddressType::le_random, .flags = 0x00000008,
                         .eir_data = eir};
  both_ways(v, cat(kAddrWire, cat(hx("02 08 00 00 00 06 00"), eir)));
}

TEST_CASE("Device Disconnected (0x000C): remote") {
  both_ways(DeviceDisconnectedEvent{.address = addr(), .address_type = AddressType::le_public, .reason = 3},
            cat(kAddrWire, hx("01 03")));
}

TEST_CASE("Passkey Notify (0x0017)") {
  both_ways(PasskeyNotifyEvent{.address = addr(), .address_type = AddressType::le_public, .passkey = 999999, .entered = 2},
            cat(kAddrWire, hx("01 3F 42 0F 00 02")));
}

TEST_CASE("New Settings (0x0006) frame") {
  auto e = via_frame<NewSettingsEvent>(hx("06 00 00 00 04 00 C1 0A 00 00"), 0);
  CHECK(e.current_settings == 0x00000AC1);
}

TEST_CASE("Index Added (0x0004): empty; trailing octets rejected") {
  auto e = via_frame<IndexAddedEvent>(hx("04 00 02 00 00 00"), 2);
  (void)e;
  CHECK(decode_event(0x0004, hx("00")).error() == codec_errc::trailing_bytes);
}

TEST_CASE("Controller Resume (0x002E)") {
  both_ways(ControllerResumeEvent{.wake_reason = 2, .address = addr(), .address_type = AddressType::le_public},
            cat(hx("02"), cat(kAddrWire, hx("01"))));
}

TEST_CASE("Mesh Device Found (0x0031): instant is 8 octets") {
  const bytes ad = hx("03 2A 00 11");
  MeshDeviceFoundEvent v{.address = addr(), .address_type = AddressType::le_random, .rssi = -40,
                         .instant = 0x0000000012345678ull, .flags = 0, .ad_data = ad};
  both_ways(v, cat(kAddrWire, cat(hx("02 D8 78 56 34 12 00 00 00 00 00 00 00 00 04 00"), ad)));
}

TEST_CASE("Command Complete (0x0001) frame: Read Version reply, non-controller") {
  const bytes frame = hx("01 00  FF FF  06 00  01 00  00  01 16 00");
  auto f = decode_frame(frame);
  REQUIRE(f);
  CHECK(f->index == kNonController);
  auto cc = parse_command_complete(f->params);
  REQUIRE(cc);
  CHECK(cc->opcode == 0x0001);
  CHECK(cc->status == Status::Success);
  auto r = decode_reply<ReadManagementVersionInformation>(*cc);
  REQUIRE(r);
  CHECK(r->version == 1);
  CHECK(r->revision == 22);
  // also the typed event
  auto e = via_frame<CommandCompleteEvent>(frame, kNonController);
  CHECK(e.command_opcode == 0x0001);
  CHECK(e.status == 0);
  CHECK(e.return_parameters == DataView(hx("01 16 00")));
}

TEST_CASE("Command Status (0x0002) frame: Set Powered -> Busy") {
  const bytes frame = hx("02 00 00 00 03 00 05 00 0A");
  auto f = decode_frame(frame);
  REQUIRE(f);
  auto cs = parse_command_status(f->params);
  REQUIRE(cs);
  CHECK(cs->opcode == 0x0005);
  CHECK(cs->status == Status::Busy);
  CHECK(command_result(*cs) == make_error_code(Status::Busy));
  auto e = via_frame<CommandStatusEvent>(frame, 0);
  CHECK(e.status == 0x0A);
}
