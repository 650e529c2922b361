// Byte-exact vectors for mgmt commands and their Return Parameters, written
// out by hand from the layouts in mgmt-api.txt (BlueZ 5.82) and the
// kernel's include/net/bluetooth/mgmt.h (struct mgmt_cp_* / mgmt_rp_*).
// Each vector is checked both ways: decode(bytes) == value, and
// encode(value) == bytes.
#include <doctest/doctest.h>

#include "gen/mgmt_types.hpp"
#include "protocol/codec_error.hpp"
#include "tests/unit/mgmt_test_util.hpp"

using namespace bcms;
using namespace bcms::mgmt;
using bcms::mgmt::test::cat;
using bcms::mgmt::test::hx;
using bcms::mgmt::test::zeros;

namespace {

// C0:FF:EE:00:11:22 written order; on the wire the last octet comes first.
const bytes kAddrWire = hx("22 11 00 EE FF C0");
Address addr() { return *Address::parse("C0:FF:EE:00:11:22"); }
Address addr2() { return *Address::parse("12:34:56:78:9A:BC"); }

template <class T>
void both_ways(const T& value, const bytes& wire) {
  auto d = T::decode(wire);
  REQUIRE(d.has_value());
  CHECK(*d == value);
  bytes out;
  REQUIRE_FALSE(encode(value, out));
  CHECK(out == wire);
}

}  // namespace

TEST_CASE("Read Management Version Information reply (0x0001)") {
  ReadManagementVersionInformationReply v{.version = 1, .revision = 22};
  both_ways(v, hx("01 16 00"));
}

TEST_CASE("Read Management Supported Commands reply (0x0002): two counted lists") {
  ReadManagementSupportedCommandsReply v;
  v.commands = {0x0003, 0x0004};
  v.events = {0x0004};
  // Num_Of_Commands=2, Num_Of_Events=1, commands..., events...
  both_ways(v, hx("02 00 01 00  03 00 04 00  04 00"));
  CHECK(ReadManagementSupportedCommandsReply::decode(hx("02 00 01 00 03 00 04 00")).error() ==
        codec_errc::truncated);
}

TEST_CASE("Read Controller Index List reply (0x0003)") {
  ReadControllerIndexListReply v;
  v.controllers = {0x0000, 0x0001};
  both_ways(v, hx("02 00 00 00 01 00"));
}

TEST_CASE("Read Controller Information reply (0x0004): 280 octets") {
  ReadControllerInformationReply v;
  v.address = addr();
  v.bluetooth_version = 0x09;          // Core 5.0
  v.manufacturer = 0x0002;             // Intel
  v.supported_settings = 0x0001BFFF;
  v.current_settings = 0x00000AC1;     // powered, ssp, br/edr, le, secure-conn
  v.class_of_device = {0x0C, 0x01, 0x1C};
  v.name = "bcms";
  v.short_name = "bc";
  bytes wire = cat(cat(kAddrWire, hx("09 02 00 FF BF 01 00 C1 0A 00 00 0C 01 1C")),
                   cat(cat(hx("62 63 6D 73"), zeros(245)), cat(hx("62 63"), zeros(9))));
  REQUIRE(wire.size() == 280);
  both_ways(v, wire);
  wire.pop_back();
  CHECK(ReadControllerInformationReply::decode(wire).error() == codec_errc::truncated);
}

TEST_CASE("Set Powered (0x0005) and its Current_Settings reply") {
  both_ways(SetPowered{.powered = 1}, hx("01"));
  both_ways(SetPoweredReply{.current_settings = 0x00000AC1}, hx("C1 0A 00 00"));
}

TEST_CASE("Set Discoverable (0x0006): general, 60 s") {
  both_ways(SetDiscoverable{.discoverable = 1, .timeout = 60}, hx("01 3C 00"));
}

TEST_CASE("Set Local Name (0x000F): 249 + 11 NUL-padded octets") {
  SetLocalName v{.name = "hub", .short_name = ""};
  both_ways(v, cat(cat(hx("68 75 62"), zeros(246)), zeros(11)));
}

TEST_CASE("Add UUID (0x0010): 16-octet UUID + SVC_Hint") {
  AddUuid v{.uuid = {0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00, 0x0D, 0x18, 0x00, 0x00},
            .svc_hint = 0};
  both_ways(v, hx("FB 34 9B 5F 80 00 00 80 00 10 00 00 0D 18 00 00 00"));
}

TEST_CASE("Load Link Keys (0x0012): one key") {
  LoadLinkKeys v;
  v.debug_keys = 0;
  LoadLinkKeys::Key k;
  k.address = addr();
  k.address_type = AddressType::bredr;
  k.key_type = 0x04;  // Unauthenticated Combination key from P-192
  for (std::uint8_t i = 0; i < 16; ++i) k.value[i] = static_cast<std::uint8_t>(0xA0 + i);
  k.pin_length = 0;
  v.keys = {k};
  both_ways(v, cat(cat(hx("00 01 00"), kAddrWire),
                   hx("00 04 A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB AC AD AE AF 00")));
}

TEST_CASE("Load Long Term Keys (0x0013): two keys (36 octets each)") {
  LoadLongTermKeys v;
  LoadLongTermKeys::Key a;
  a.address = addr();
  a.address_type = AddressType::le_public;
  a.key_type = 0x01;            // authenticated legacy key
  a.central = 1;
  a.encryption_size = 16;
  a.encryption_diversifier = 0x1234;
  a.random_number = 0x0102030405060708ull;
  a.value.fill(0x11);
  LoadLongTermKeys::Key b = a;
  b.address = addr2();
  b.address_type = AddressType::le_random;
  b.key_type = 0x03;            // authenticated P-256
  b.central = 0;
  b.encryption_size = 7;
  b.encryption_diversifier = 0;
  b.random_number = 0;
  b.value.fill(0xEE);
  v.keys = {a, b};
  bytes wire = hx(
      "02 00"
      "22 11 00 EE FF C0  01  01 01 10  34 12  08 07 06 05 04 03 02 01"
      "11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11"
      "BC 9A 78 56 34 12  02  03 00 07  00 00  00 00 00 00 00 00 00 00"
      "EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE");
  REQUIRE(wire.size() == 2 + 2 * 36);
  both_ways(v, wire);
  // a count that promises a third key
  wire[0] = 3;
  CHECK(LoadLongTermKeys::decode(wire).error() == codec_errc::truncated);
  // one octet too many
  wire[0] = 2;
  wire.push_back(0);
  CHECK(LoadLongTermKeys::decode(wire).error() == codec_errc::trailing_bytes);
}

TEST_CASE("Disconnect (0x0014) and reply") {
  Disconnect v{.address = addr(), .address_type = AddressType::le_random};
  both_ways(v, cat(kAddrWire, hx("02")));
  both_ways(DisconnectReply{.address = addr(), .address_type = AddressType::le_random}, cat(kAddrWire, hx("02")));
}

TEST_CASE("Get Connections reply (0x0015): two address records") {
  GetConnectionsReply v;
  v.connections = {{addr(), AddressType::bredr}, {addr2(), AddressType::le_public}};
  both_ways(v, hx("02 00  22 11 00 EE FF C0 00  BC 9A 78 56 34 12 01"));
}

TEST_CASE("PIN Code Reply (0x0016): 16-octet PIN field") {
  PinCodeReply v{.address = addr(), .address_type = AddressType::bredr, .pin_length = 4, .pin_code = {'1', '2', '3', '4'}};
  both_ways(v, cat(cat(kAddrWire, hx("00 04 31 32 33 34")), zeros(12)));
}

TEST_CASE("Pair Device (0x0019): LE public, KeyboardDisplay; reply") {
  PairDevice v{.address = addr(), .address_type = AddressType::le_public, .io_capability = 0x04};
  both_ways(v, cat(kAddrWire, hx("01 04")));
  both_ways(PairDeviceReply{.address = addr(), .address_type = AddressType::le_public}, cat(kAddrWire, hx("01")));
  CHECK(PairDevice::decode(cat(kAddrWire, hx("01"))).error() == codec_errc::truncated);
}

TEST_CASE("User Confirmation Reply (0x001C) and User Passkey Reply (0x001E)") {
  both_ways(UserConfirmationReply{.address = addr(), .address_type = AddressType::le_public}, cat(kAddrWire, hx("01")));
  UserPasskeyReply p{.address = addr(), .address_type = AddressType::le_random, .passkey = 123456};
  both_ways(p, cat(kAddrWire, hx("02 40 E2 01 00")));
}

TEST_CASE("Read Local Out Of Band Data reply (0x0020): optional P-256 values") {
  ReadLocalOutOfBandDataReply v;
  v.hash_192.fill(0x19);
  v.randomizer_192.fill(0x92);
  bytes wire = cat(bytes(16, 0x19), bytes(16, 0x92));
  both_ways(v, wire);  // 32 octets: P-192 only
  v.hash_256 = std::array<std::uint8_t, 16>{};
  v.hash_256->fill(0x25);
  v.randomizer_256 = std::array<std::uint8_t, 16>{};
  v.randomizer_256->fill(0x56);
  both_ways(v, cat(wire, cat(bytes(16, 0x25), bytes(16, 0x56))));  // 64 octets
  // 48 octets: the optional group is all or none
  CHECK(ReadLocalOutOfBandDataReply::decode(cat(wire, bytes(16, 0x25))).error() == codec_errc::truncated);
}

TEST_CASE("Start Discovery (0x0023): BR/EDR + LE") {
  both_ways(StartDiscovery{.address_type = 0x07}, hx("07"));
}

TEST_CASE("Get Connection Information reply (0x0031): signed RSSI and TX power") {
  GetConnectionInformationReply v{.address = addr(), .address_type = AddressType::le_public, .rssi = -60, .tx_power = 4, .max_tx_power = 10};
  both_ways(v, cat(kAddrWire, hx("01 C4 04 0A")));
}

TEST_CASE("Add Device (0x0033): auto-connect") {
  both_ways(AddDevice{.address = addr(), .address_type = AddressType::le_public, .action = 2}, cat(kAddrWire, hx("01 02")));
}

TEST_CASE("Read Extended Controller Index List reply (0x003C): interleaved records") {
  ReadExtendedControllerIndexListReply v;
  v.controllers = {{0x0000, 0x00, 0x01}, {0x0001, 0x01, 0x03}};
  both_ways(v, hx("02 00  00 00 00 01  01 00 01 03"));
}

TEST_CASE("Read Advertising Features reply (0x003D)") {
  ReadAdvertisingFeaturesReply v{.supported_flags = 0x0000007F, .max_adv_data_len = 31, .max_scan_rsp_len = 31,
                                 .max_instances = 5, .instances = {1, 3}};
  both_ways(v, hx("7F 00 00 00 1F 1F 05 02 01 03"));
}

TEST_CASE("Add Advertising (0x003E): flags AD, no scan response") {
  const bytes ad = hx("02 01 06");
  AddAdvertising v{.instance = 1, .flags = 0x00000003, .duration = 0, .timeout = 10, .adv_data = ad, .scan_rsp = {}};
  both_ways(v, hx("01 03 00 00 00 00 00 0A 00 03 00 02 01 06"));
  both_ways(AddAdvertisingReply{.instance = 1}, hx("01"));
  // Adv_Data_Len says 4, only 3 octets follow
  CHECK(AddAdvertising::decode(hx("01 03 00 00 00 00 00 0A 00 04 00 02 01 06")).error() == codec_errc::truncated);
}

TEST_CASE("Set Device Flags (0x0050)") {
  both_ways(SetDeviceFlags{.address = addr(), .address_type = AddressType::le_public, .current_flags = 0x00000001},
            cat(kAddrWire, hx("01 01 00 00 00")));
}

TEST_CASE("Set Default System Configuration (0x004C): TLV list to the end") {
  const bytes v1 = hx("18 00"), v2 = hx("28 00");
  SetDefaultSystemConfiguration v;
  v.parameters = {{.parameter_type = 0x0017, .value = v1}, {.parameter_type = 0x0018, .value = v2}};
  both_ways(v, hx("17 00 02 18 00  18 00 02 28 00"));
  CHECK(SetDefaultSystemConfiguration::decode(hx("17 00 03 18 00")).error() == codec_errc::truncated);
}

TEST_CASE("Add Advertisement Patterns Monitor (0x0052): one pattern") {
  AddAdvertisementPatternsMonitor v;
  AddAdvertisementPatternsMonitor::Pattern p{};
  p.ad_type = 0x16;
  p.offset = 0;
  p.length = 2;
  p.value[0] = 0x0F;
  p.value[1] = 0x18;
  v.patterns = {p};
  both_ways(v, cat(hx("01 16 00 02 0F 18"), zeros(29)));
}

TEST_CASE("Add Extended Advertising Parameters (0x0054): 18 octets, signed TX power") {
  AddExtendedAdvertisingParameters v{.instance = 2, .flags = 0x0000F001, .duration = 0, .timeout = 0,
                                     .min_interval = 0x000000A0, .max_interval = 0x000000F0, .tx_power = -7};
  both_ways(v, hx("02 01 F0 00 00 00 00 00 00 A0 00 00 00 F0 00 00 00 F9"));
}

TEST_CASE("Transmit Mesh Packet (0x0059)") {
  const bytes data = hx("2B 00 11");
  TransmitMeshPacket v{.addr = addr(), .addr_type = AddressType::le_random, .instant = 0, .delay = 0, .count = 1,
                       .data = data};
  both_ways(v, cat(kAddrWire, hx("02 00 00 00 00 00 00 00 00 00 00 01 03 2B 00 11")));
  both_ways(TransmitMeshPacketReply{.handle = 1}, hx("01"));
}

TEST_CASE("Set Mesh Receiver (0x0057): AD types counted by Num AD Types") {
  SetMeshReceiver v{.enable = 1, .window = 0x0030, .period = 0x0060, .ad_types = {0x2A, 0x2B}};
  both_ways(v, hx("01 30 00 60 00 02 2A 2B"));
}

TEST_CASE("Send HCI command and wait for event (0x005B): reply needs 1 octet") {
  const bytes p = hx("01");
  SendHciCommandAndWaitForEvent v{.opcode_ = 0x0C03, .event = 0x0E, .timeout = 2, .parameter = p};
  both_ways(v, hx("03 0C 0E 02 01 00 01"));
  CHECK(SendHciCommandAndWaitForEventReply::decode({}).error() == codec_errc::truncated);
}
