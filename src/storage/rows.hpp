// Internal to src/storage: binding and decoding the columns every table
// shares (local controller address, peer address, peer address type).
#pragma once

#include <cstdint>

#include "protocol/address.hpp"
#include "protocol/expected.hpp"
#include "src/storage/records.hpp"
#include "src/storage/sqlite.hpp"

namespace bcms::storage::rows {

/// Binds ?i = local, ?i+1 = peer address, ?i+2 = peer address type.
inline void bind_peer(Statement& s, int i, const Address& local, const Peer& p) {
  s.bind(i, local.to_string());
  s.bind(i + 1, p.addr.to_string());
  s.bind(i + 2, static_cast<std::int64_t>(p.type));
}

/// Peer from columns (addr_col, addr_col + 1); errc::invalid_row when the
/// stored text or type is not valid.
inline expected<Peer> peer(const Statement& s, int addr_col) {
  auto a = Address::parse(s.text(addr_col));
  const auto t = s.int64(addr_col + 1);
  if (!a || t < 0 || t > 2) return unexpected(make_error_code(errc::invalid_row));
  return Peer{*a, static_cast<AddressType>(t)};
}

/// A 16-octet key from a BLOB column.
inline expected<Key128> key(const Statement& s, int col) {
  const bytes b = s.blob(col);
  if (b.size() != 16) return unexpected(make_error_code(errc::invalid_row));
  Key128 k{};
  for (std::size_t i = 0; i < 16; ++i) k[i] = b[i];
  return k;
}

inline std::uint8_t u8(const Statement& s, int col) { return static_cast<std::uint8_t>(s.int64(col)); }

}  // namespace bcms::storage::rows
