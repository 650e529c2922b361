// Storage: the GATT client's discovery cache per bonded peer (gatt_cache
// table, schema v3).  Written when a discovery completes (once per
// connection at most, outside any ATT request), so each write commits on
// its own (synchronous=FULL); losing one costs a discovery, never data.
#include "src/storage/rows.hpp"
#include "src/storage/storage.hpp"

namespace bcms::storage {

expected<std::optional<bytes>> Storage::gatt_cache(const Address& local, const Peer& identity) {
  auto q = db_->query("SELECT db FROM gatt_cache WHERE local = ?1 AND peer = ?2 AND peer_type = ?3");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, identity);
  auto row = (*q)->step();
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<bytes>();
  return std::optional<bytes>((*q)->blob(0));
}

expected<void> Storage::store_gatt_cache(const Address& local, const Peer& identity, byte_span blob) {
  auto q = db_->query("INSERT OR REPLACE INTO gatt_cache (local, peer, peer_type, db) VALUES (?1, ?2, ?3, ?4)");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, identity);
  (*q)->bind_blob(4, blob);
  return (*q)->run();
}

expected<void> Storage::remove_gatt_cache(const Address& local, const Peer& identity) {
  auto q = db_->query("DELETE FROM gatt_cache WHERE local = ?1 AND peer = ?2 AND peer_type = ?3");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, identity);
  return (*q)->run();
}

}  // namespace bcms::storage
