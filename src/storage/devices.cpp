// Storage: the devices the gateway remembers (devices table, schema v1 +
// v3 columns) and the daemon's settings (settings table: key/value text,
// e.g. "mode").
//
// The daemon's registry calls store_devices() once per loop turn with
// everything that changed in it (one transaction, one WAL fsync), never
// per advertising report; see src/daemon/registry.hpp.
#include "src/storage/rows.hpp"
#include "src/storage/storage.hpp"

namespace bcms::storage {
namespace {

constexpr std::int64_t seconds(std::chrono::sys_seconds t) { return t.time_since_epoch().count(); }

expected<Device> device_row(const Statement& s) {
  // Columns: peer, peer_type, name, approved, paired, last_seen, rssi,
  // adv_interval_ms, registration_id, registered_at.
  auto p = rows::peer(s, 0);
  if (!p) return unexpected(p.error());
  Device d;
  d.peer = *p;
  d.name = s.text(2);
  d.approved = s.int64(3) != 0;
  d.paired = s.int64(4) != 0;
  d.last_seen = std::chrono::sys_seconds(std::chrono::seconds(s.int64(5)));
  if (!s.is_null(6)) {
    const auto rssi = s.int64(6);
    if (rssi < -128 || rssi > 127) return unexpected(make_error_code(errc::invalid_row));
    d.rssi = static_cast<std::int8_t>(rssi);
  }
  d.adv_interval_ms = static_cast<std::uint32_t>(s.int64(7));
  if (!s.is_null(8)) d.registration_id = s.text(8);
  d.registered_at = std::chrono::sys_seconds(std::chrono::seconds(s.int64(9)));
  return d;
}

}  // namespace

expected<void> Storage::upsert_device(const Address& local, const Device& d) {
  auto q = db_->query(
      "INSERT OR REPLACE INTO devices (local, peer, peer_type, name, approved, paired, last_seen, rssi,"
      " adv_interval_ms, registration_id, registered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!q) return unexpected(q.error());
  auto& s = **q;
  rows::bind_peer(s, 1, local, d.peer);
  s.bind(4, d.name).bind(5, std::int64_t{d.approved}).bind(6, std::int64_t{d.paired}).bind(7, seconds(d.last_seen));
  if (d.rssi) s.bind(8, std::int64_t{*d.rssi});
  else s.bind_null(8);
  s.bind(9, std::int64_t{d.adv_interval_ms});
  if (d.registration_id) s.bind(10, *d.registration_id);
  else s.bind_null(10);
  s.bind(11, seconds(d.registered_at));
  return s.run();
}

expected<void> Storage::store_devices(const Address& local, const std::vector<Device>& upserts,
                                      const std::vector<Peer>& removals) {
  auto tx = Transaction::begin(*db_, Transaction::Kind::savepoint);
  if (!tx) return unexpected(tx.error());
  for (const auto& p : removals)
    if (auto r = remove_device(local, p); !r) return r;
  for (const auto& d : upserts)
    if (auto r = upsert_device(local, d); !r) return r;
  return tx->commit();
}

expected<std::optional<Device>> Storage::device(const Address& local, const Peer& peer) {
  auto q = db_->query(
      "SELECT peer, peer_type, name, approved, paired, last_seen, rssi, adv_interval_ms, registration_id,"
      " registered_at FROM devices WHERE local = ?1 AND peer = ?2 AND peer_type = ?3");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, peer);
  auto row = (*q)->step();
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<Device>();
  auto d = device_row(**q);
  if (!d) return unexpected(d.error());
  return std::optional<Device>(std::move(*d));
}

expected<std::vector<Device>> Storage::devices(const Address& local) {
  auto q = db_->query(
      "SELECT peer, peer_type, name, approved, paired, last_seen, rssi, adv_interval_ms, registration_id,"
      " registered_at FROM devices WHERE local = ?1 ORDER BY peer, peer_type");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, local.to_string());
  std::vector<Device> out;
  for (;;) {
    auto row = (*q)->step();
    if (!row) return unexpected(row.error());
    if (!*row) break;
    auto d = device_row(**q);
    if (!d) return unexpected(d.error());
    out.push_back(std::move(*d));
  }
  return out;
}

expected<void> Storage::remove_device(const Address& local, const Peer& peer) {
  auto q = db_->query("DELETE FROM devices WHERE local = ?1 AND peer = ?2 AND peer_type = ?3");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, peer);
  return (*q)->run();
}

// ---------------------------------------------------------------- settings

expected<void> Storage::set_setting(std::string_view key, std::string_view value) {
  auto q = db_->query("INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, key).bind(2, value);
  return (*q)->run();
}

expected<std::optional<std::string>> Storage::setting(std::string_view key) {
  auto q = db_->query("SELECT value FROM settings WHERE key = ?1");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, key);
  auto row = (*q)->step();
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((*q)->text(0));
}

expected<void> Storage::remove_setting(std::string_view key) {
  auto q = db_->query("DELETE FROM settings WHERE key = ?1");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, key);
  return (*q)->run();
}

}  // namespace bcms::storage
