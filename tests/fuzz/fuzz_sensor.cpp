// libFuzzer target: every decoder a collector applies to sensor data
// (protocol/gatt records by UUID, Date Time / Current Time, the original
// BCMS's passive service data, BTHome v2 plain and encrypted, iBeacon,
// Eddystone).  The first octet picks the decoder, the rest is its input.
// Properties: no crash, no read past the input (ASan), no UB (UBSan),
// time values that decode re-encode to the same octets, and decoded
// objects/readings stay consistent.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "protocol/gatt/time.hpp"
#include "protocol/sensor/beacon.hpp"
#include "protocol/sensor/bthome_crypto.hpp"
#include "protocol/sensor/gatt_readings.hpp"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::uint16_t kCharacteristics[] = {0x2A37, 0x2A35, 0x2A36, 0x2A1C, 0x2A19, 0x2A9D,
                                              0x2A5E, 0x2A5F, 0x2A18, 0x2A6E, 0x2A6F, 0x2A6D};
constexpr std::uint16_t kPassive[] = {0x2A37, 0x2A6D, 0x2A6E, 0x180F, 0x2A46};
const bcms::Key128 kKey{0x23, 0x1d, 0x39, 0xc1, 0xd7, 0xcc, 0x1a, 0xb1, 0xae, 0xe2, 0x24, 0xcd, 0x09, 0x6d, 0xb9, 0x32};
const bcms::Address kMac{{0xA5, 0x80, 0x8F, 0xE6, 0x48, 0x54}};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bcms;
  using namespace bcms::sensor;
  if (size == 0) return 0;
  const byte_span in(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      for (auto uuid : kCharacteristics) (void)decode_characteristic(uuid, in);
      break;
    case 1: {
      if (auto t = gatt::decode_date_time(in)) check(gatt::encode_date_time(*t).value() == bytes(in.begin(), in.end()));
      if (auto t = gatt::decode_current_time(in)) {
        auto again = gatt::encode_current_time(*t);  // RFU adjust-reason bits are refused on encode
        check(again.has_value() == ((t->adjust_reason & 0xF0) == 0));
        if (again) check(*again == bytes(in.begin(), in.end()));
      }
      break;
    }
    case 2:
      for (auto uuid : kPassive) (void)decode_passive_service_data(uuid, in);
      break;
    case 3: {
      if (auto p = decode_bthome(in)) check(readings(*p).size() <= p->objects.size());
      // The encrypted path: this key's MIC will almost never match random
      // input, so also decrypt-then-decode the same octets as plaintext.
      BthomeReceiver rx(kMac, kKey);
      const auto now = PacketIdFilter::clock::time_point{};
      (void)rx.receive(in, now);
      if (!in.empty() && (in[0] & (bthome_info::encrypted | bthome_info::mac_included)) == 0) {
        const bytes sealed = bthome_encrypt(kKey, kMac, in[0], 1, in.subspan(1));
        auto p = rx.receive(sealed, now);
        auto plain = decode_bthome(in);
        check(p.has_value() == plain.has_value() || (!p && p.error().code == bthome_errc::duplicate_packet));
      }
      break;
    }
    case 4: (void)decode_ibeacon(apple_company_id, in); break;
    case 5:
      if (auto e = decode_eddystone(in); e && std::holds_alternative<EddystoneTlm>(*e))
        check(!readings(std::get<EddystoneTlm>(*e)).empty());
      break;
  }
  return 0;
}
