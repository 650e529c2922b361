// libFuzzer: the discovery cache blob (src/att/discovery_cache.cpp).  A
// stored blob is untrusted input (a corrupt or foreign file): decode must
// never read out of bounds or crash; what it accepts re-encodes to a blob
// that decodes to the same database (16-bit UUIDs written in 16 octets
// come back in 2, so the octets themselves may differ once), and the
// lookups stay within it.
#include <cstddef>
#include <cstdint>

#include "src/att/discovery_cache.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bcms::att;
  auto db = decode_remote_database(bcms::byte_span(data, size));
  if (!db) return 0;
  const bcms::bytes once = encode(*db);
  auto again = decode_remote_database(once);
  if (!again || encode(*again) != once || again->hash != db->hash) __builtin_trap();
  for (const auto& c : db->characteristics) {
    auto cccd = db->cccd(c.value_handle);
    if (cccd && *cccd <= c.value_handle) __builtin_trap();
    if (db->find(c.uuid) == nullptr) __builtin_trap();
  }
  return 0;
}
