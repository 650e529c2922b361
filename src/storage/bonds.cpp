// Storage: bond keys (LTK, IRK, CSRK, link keys) and persisted CCCD values.
#include "src/storage/rows.hpp"
#include "src/storage/storage.hpp"

namespace bcms::storage {
namespace {

// Reads every row of a query whose first columns are (peer, peer_type),
// decoding each with `decode(statement, peer)`.
template <class T, class Decode>
expected<std::vector<T>> collect(Statement& s, Decode decode) {
  std::vector<T> out;
  for (;;) {
    auto row = s.step();
    if (!row) return unexpected(row.error());
    if (!*row) return out;
    auto p = rows::peer(s, 0);
    if (!p) return unexpected(p.error());
    auto v = decode(s, *p);
    if (!v) return unexpected(v.error());
    out.push_back(std::move(*v));
  }
}

}  // namespace

// ---------------------------------------------------------------- LTK

expected<void> Storage::store_ltk(const Address& local, const LongTermKey& k) {
  auto q = db_->query(
      "INSERT OR REPLACE INTO ltks (local, peer, peer_type, central, key_type, enc_size, ediv, rand, value)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, k.peer);
  (*q)->bind(4, std::int64_t{k.central}).bind(5, std::int64_t{k.key_type}).bind(6, std::int64_t{k.enc_size});
  (*q)->bind(7, std::int64_t{k.ediv}).bind(8, static_cast<std::int64_t>(k.rand)).bind_blob(9, k.value);
  return (*q)->run();
}

expected<std::vector<LongTermKey>> Storage::ltks(const Address& local) {
  auto q = db_->query(
      "SELECT peer, peer_type, central, key_type, enc_size, ediv, rand, value FROM ltks"
      " WHERE local = ?1 ORDER BY peer, peer_type, central");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, local.to_string());
  return collect<LongTermKey>(**q, [](const Statement& s, const Peer& p) -> expected<LongTermKey> {
    auto value = rows::key(s, 7);
    if (!value) return unexpected(value.error());
    LongTermKey k;
    k.peer = p;
    k.central = s.int64(2) != 0;
    k.key_type = rows::u8(s, 3);
    k.enc_size = rows::u8(s, 4);
    k.ediv = static_cast<std::uint16_t>(s.int64(5));
    k.rand = static_cast<std::uint64_t>(s.int64(6));
    k.value = *value;
    return k;
  });
}

// ---------------------------------------------------------------- IRK

expected<void> Storage::store_irk(const Address& local, const IdentityResolvingKey& k) {
  auto q = db_->query("INSERT OR REPLACE INTO irks (local, peer, peer_type, value) VALUES (?1, ?2, ?3, ?4)");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, k.peer);
  (*q)->bind_blob(4, k.value);
  return (*q)->run();
}

expected<std::vector<IdentityResolvingKey>> Storage::irks(const Address& local) {
  auto q = db_->query("SELECT peer, peer_type, value FROM irks WHERE local = ?1 ORDER BY peer, peer_type");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, local.to_string());
  return collect<IdentityResolvingKey>(**q, [](const Statement& s, const Peer& p) -> expected<IdentityResolvingKey> {
    auto value = rows::key(s, 2);
    if (!value) return unexpected(value.error());
    return IdentityResolvingKey{p, *value};
  });
}

// ---------------------------------------------------------------- CSRK

expected<void> Storage::store_csrk(const Address& local, const SignatureKey& k) {
  auto q = db_->query(
      "INSERT OR REPLACE INTO csrks (local, peer, peer_type, remote, key_type, value)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, k.peer);
  (*q)->bind(4, std::int64_t{k.remote()}).bind(5, std::int64_t{k.key_type}).bind_blob(6, k.value);
  auto r = (*q)->run();
  if (!r || !k.remote()) return r;
  // A new remote CSRK starts a new SignCounter sequence (Vol 3 Part H 2.4.5).
  auto reset = db_->query("UPDATE gatt_clients SET sign_counter = 0 WHERE local = ?1 AND peer = ?2 AND peer_type = ?3");
  if (!reset) return unexpected(reset.error());
  rows::bind_peer(**reset, 1, local, k.peer);
  return (*reset)->run();
}

expected<std::vector<SignatureKey>> Storage::csrks(const Address& local) {
  auto q = db_->query(
      "SELECT peer, peer_type, key_type, value FROM csrks WHERE local = ?1 ORDER BY peer, peer_type, remote");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, local.to_string());
  return collect<SignatureKey>(**q, [](const Statement& s, const Peer& p) -> expected<SignatureKey> {
    auto value = rows::key(s, 3);
    if (!value) return unexpected(value.error());
    return SignatureKey{p, rows::u8(s, 2), *value};
  });
}

// ---------------------------------------------------------------- link keys

expected<void> Storage::store_link_key(const Address& local, const LinkKey& k) {
  auto q = db_->query(
      "INSERT OR REPLACE INTO link_keys (local, peer, peer_type, key_type, value, pin_length)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, k.peer);
  (*q)->bind(4, std::int64_t{k.key_type}).bind_blob(5, k.value).bind(6, std::int64_t{k.pin_length});
  return (*q)->run();
}

expected<std::vector<LinkKey>> Storage::link_keys(const Address& local) {
  auto q = db_->query(
      "SELECT peer, peer_type, key_type, value, pin_length FROM link_keys WHERE local = ?1"
      " ORDER BY peer, peer_type");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, local.to_string());
  return collect<LinkKey>(**q, [](const Statement& s, const Peer& p) -> expected<LinkKey> {
    auto value = rows::key(s, 3);
    if (!value) return unexpected(value.error());
    return LinkKey{p, rows::u8(s, 2), *value, rows::u8(s, 4)};
  });
}

// ---------------------------------------------------------------- removal

expected<void> Storage::remove_bond(const Address& local, const Peer& peer) {
  // A savepoint, so that this also works inside a caller's transaction().
  auto tx = Transaction::begin(*db_, Transaction::Kind::savepoint);
  if (!tx) return unexpected(tx.error());
  static constexpr const char* statements[] = {
      "DELETE FROM ltks WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
      "DELETE FROM irks WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
      "DELETE FROM csrks WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
      "DELETE FROM link_keys WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
      "DELETE FROM cccds WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
      "DELETE FROM gatt_clients WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
      "DELETE FROM gatt_cache WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
      "UPDATE devices SET paired = 0 WHERE local = ?1 AND peer = ?2 AND peer_type = ?3",
  };
  for (const char* sql : statements) {
    auto q = db_->query(sql);
    if (!q) return unexpected(q.error());
    rows::bind_peer(**q, 1, local, peer);
    if (auto r = (*q)->run(); !r) return r;
  }
  return tx->commit();
}

// ---------------------------------------------------------------- CCCDs

expected<void> Storage::store_cccd(const Address& local, const Peer& peer, std::uint16_t handle,
                                   std::uint16_t value) {
  auto q = value == 0 ? db_->query("DELETE FROM cccds WHERE local = ?1 AND peer = ?2 AND peer_type = ?3"
                                   " AND handle = ?4")
                      : db_->query("INSERT OR REPLACE INTO cccds (local, peer, peer_type, handle, value)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, peer);
  (*q)->bind(4, std::int64_t{handle});
  if (value != 0) (*q)->bind(5, std::int64_t{value});
  return (*q)->run();
}

expected<std::vector<Cccd>> Storage::cccds(const Address& local, const Peer& peer) {
  auto q = db_->query(
      "SELECT handle, value FROM cccds WHERE local = ?1 AND peer = ?2 AND peer_type = ?3 ORDER BY handle");
  if (!q) return unexpected(q.error());
  rows::bind_peer(**q, 1, local, peer);
  std::vector<Cccd> out;
  for (;;) {
    auto row = (*q)->step();
    if (!row) return unexpected(row.error());
    if (!*row) return out;
    out.push_back({static_cast<std::uint16_t>((*q)->int64(0)), static_cast<std::uint16_t>((*q)->int64(1))});
  }
}

}  // namespace bcms::storage
