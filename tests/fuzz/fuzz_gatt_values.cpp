// libFuzzer target: the GATT characteristic value decoders a central applies
// to values read or notified by remote devices (protocol/gatt: Heart Rate
// Measurement, Blood Pressure Measurement with IEEE-11073 SFLOAT, Date Time,
// temperature, humidity, battery level).  Properties: no crash, no read
// past the input (ASan), and every value that decodes re-encodes to a value
// that decodes equal.
#include <cstddef>
#include <cstdint>

#include "protocol/gatt/environment.hpp"
#include "protocol/gatt/health.hpp"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bcms;
  using namespace bcms::gatt;
  const byte_span in(data, size);

  if (auto hr = decode_heart_rate_measurement(in)) {
    // Encoding keeps at most max_len octets (the oldest RR-Intervals are
    // dropped beyond it), so give it room for everything that was decoded.
    auto again = encode(*hr, size + 2);
    check(again.has_value() && again->size() <= size + 2);
    auto back = decode_heart_rate_measurement(*again);
    check(back.has_value() && *back == *hr);
  }
  if (auto bp = decode_blood_pressure_measurement(in)) {
    auto back = decode_blood_pressure_measurement(encode(*bp));
    check(back.has_value() && *back == *bp);
  }
  (void)decode_temperature(in);
  (void)decode_humidity(in);
  (void)decode_battery_level(in);
  return 0;
}
