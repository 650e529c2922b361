// libFuzzer: the ATT PDU codec.  decode() must never read out of bounds;
// whatever it accepts must encode back to the same octets.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "protocol/att/pdu.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bcms::byte_span in(data, size);
  auto pdu = bcms::att::decode(in);
  if (!pdu) return 0;
  auto out = bcms::att::encode(*pdu);
  // Read Multiple Variable responses may legally end inside a Length
  // field that decode() drops; everything else round-trips exactly.
  if (bcms::att::opcode_of(*pdu) == bcms::att::Opcode::read_multiple_variable_rsp) return 0;
  if (!out || out->size() != size || !std::equal(out->begin(), out->end(), data)) __builtin_trap();
  return 0;
}
