// Storage: what the GATT server keeps per bonded client (gatt_clients and
// cccds tables, schema v2).
//
// Durability decision for writes made on the ATT request path (CCCD
// writes, Client Supported Features, SignCounters, a client becoming
// change-aware): they are not committed inside the request.  The GATT
// server hands changed records to its ClientStore (gap::BondManager),
// which marks them dirty and commits all dirty records in ONE transaction
// posted to the loop after the current handler has returned: the response
// has already been handed to the socket (asio sends speculatively at
// initiation), so no client waits on an fsync, and a burst of writes in
// one loop turn costs one commit.  The commit itself still runs on the
// loop with synchronous=FULL (one WAL fsync, ~1-5 ms on flash); the
// daemon's outbox, which writes far more often, gets a writer thread of its
// own rather than sharing this path.  What a crash can lose: changes made
// in the same loop turn as the crash (never an acknowledged bond key:
// those are committed synchronously, see bonds.hpp).
#include "src/storage/rows.hpp"
#include "src/storage/storage.hpp"

namespace bcms::storage {

expected<std::optional<GattClient>> Storage::gatt_client(const Address& local, const Peer& peer) {
  auto q = db_->query(
      "SELECT db_hash, service_changed, features, sign_counter FROM gatt_clients"
      " WHERE local = ?1 AND peer = ?2 AND peer_type = ?3");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, peer);
  auto row = (*q)->step();
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<GattClient>();
  GattClient c;
  c.peer = peer;
  const bytes hash = (*q)->blob(0);
  if (hash.size() != c.db_hash.size()) return unexpected(make_error_code(errc::corrupt));
  std::copy(hash.begin(), hash.end(), c.db_hash.begin());
  c.service_changed = (*q)->int64(1) != 0;
  c.features = static_cast<std::uint8_t>((*q)->int64(2));
  c.sign_counter = static_cast<std::uint32_t>((*q)->int64(3));
  auto cccds = this->cccds(local, peer);
  if (!cccds) return unexpected(cccds.error());
  c.cccds = std::move(*cccds);
  return std::optional<GattClient>(std::move(c));
}

expected<void> Storage::store_gatt_clients(const Address& local, const std::vector<GattClient>& clients) {
  auto tx = Transaction::begin(*db_, Transaction::Kind::savepoint);
  if (!tx) return unexpected(tx.error());
  for (const auto& c : clients) {
    auto q = db_->query(
        "INSERT OR REPLACE INTO gatt_clients (local, peer, peer_type, db_hash, service_changed, features,"
        " sign_counter) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!q) return unexpected(q.error());
    rows::bind_peer(**q, 1, local, c.peer);
    (*q)->bind_blob(4, c.db_hash).bind(5, std::int64_t{c.service_changed}).bind(6, std::int64_t{c.features});
    (*q)->bind(7, std::int64_t{c.sign_counter});
    if (auto r = (*q)->run(); !r) return r;
    auto del = db_->query("DELETE FROM cccds WHERE local = ?1 AND peer = ?2 AND peer_type = ?3");
    if (!del) return unexpected(del.error());
    rows::bind_peer(**del, 1, local, c.peer);
    if (auto r = (*del)->run(); !r) return r;
    for (const auto& x : c.cccds)
      if (auto r = store_cccd(local, c.peer, x.handle, x.value); !r) return r;
  }
  return tx->commit();
}

}  // namespace bcms::storage
