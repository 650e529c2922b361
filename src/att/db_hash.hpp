// The Database Hash (Core v5.4 Vol 3 Part G 7.3.1): AES-CMAC with a key of
// all zeros over, in ascending handle order,
//   Primary Service 0x2800, Secondary Service 0x2801, Include 0x2802,
//   Characteristic 0x2803 and Characteristic Extended Properties 0x2900:
//     Attribute Handle || Attribute Type || Attribute Value
//   Characteristic User Description 0x2901, Client Characteristic
//   Configuration 0x2902, Server Characteristic Configuration 0x2903,
//   Characteristic Presentation Format 0x2904, Characteristic Aggregate
//   Format 0x2905:
//     Attribute Handle || Attribute Type
// with handles and 16-bit types little-endian as on the wire; no other
// attribute takes part.  The characteristic value (0x2B2A) is the 128-bit
// CMAC least significant octet first (Vol 3 Part F 3.3.1, as Zephyr and
// the PTS expect).
#pragma once

#include <optional>

#include "protocol/bytes.hpp"
#include "src/att/client_store.hpp"
#include "src/att/gatt_db.hpp"

namespace bcms::att {

/// The octets the hash is computed over (exposed for tests).
bytes database_hash_input(const GattDb& db);
/// The hash as the Database Hash characteristic carries it; nullopt when
/// AES-CMAC is unavailable.
std::optional<DbHash> database_hash(const GattDb& db);

}  // namespace bcms::att
