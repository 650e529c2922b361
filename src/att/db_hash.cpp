#include "src/att/db_hash.hpp"

#include <algorithm>

#include "src/att/signing.hpp"

namespace bcms::att {

bytes database_hash_input(const GattDb& db) {
  bytes m;
  ByteWriter w(m);
  for (const Attribute& a : db.all()) {
    if (!a.type.is16()) continue;
    const std::uint16_t t = a.type.as16();
    const bool with_value = (t >= primary_service_uuid && t <= characteristic_uuid) || t == ext_properties_uuid;
    const bool without_value = t >= user_description_uuid && t <= 0x2905;
    if (!with_value && !without_value) continue;
    w.u16(a.handle);
    w.u16(t);
    if (with_value) w.raw(a.value);
  }
  return m;
}

std::optional<DbHash> database_hash(const GattDb& db) {
  const bytes m = database_hash_input(db);
  DbHash mac{};
  if (!aes_cmac(DbHash{}, m, mac)) return std::nullopt;
  std::reverse(mac.begin(), mac.end());
  return mac;
}

}  // namespace bcms::att
