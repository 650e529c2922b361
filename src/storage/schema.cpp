#include "src/storage/schema.hpp"

#include <array>
#include <string>

namespace bcms::storage {
namespace {

// Addresses are stored in their written form ("00:11:22:33:44:55") so that
// the file can be inspected with the sqlite3 shell; address types are the
// mgmt numbers (0 BR/EDR, 1 LE public, 2 LE random).  `local` is the
// controller's public address.
constexpr const char* v1 = R"sql(
CREATE TABLE ltks (
  local     TEXT    NOT NULL,
  peer      TEXT    NOT NULL,
  peer_type INTEGER NOT NULL,
  central   INTEGER NOT NULL,
  key_type  INTEGER NOT NULL,
  enc_size  INTEGER NOT NULL,
  ediv      INTEGER NOT NULL,
  rand      INTEGER NOT NULL,   -- u64 stored as its two's complement int64
  value     BLOB    NOT NULL CHECK (length(value) = 16),
  PRIMARY KEY (local, peer, peer_type, central)
) WITHOUT ROWID;

CREATE TABLE irks (
  local     TEXT    NOT NULL,
  peer      TEXT    NOT NULL,
  peer_type INTEGER NOT NULL,
  value     BLOB    NOT NULL CHECK (length(value) = 16),
  PRIMARY KEY (local, peer, peer_type)
) WITHOUT ROWID;

CREATE TABLE csrks (
  local     TEXT    NOT NULL,
  peer      TEXT    NOT NULL,
  peer_type INTEGER NOT NULL,
  remote    INTEGER NOT NULL,   -- key_type & 1
  key_type  INTEGER NOT NULL,
  value     BLOB    NOT NULL CHECK (length(value) = 16),
  PRIMARY KEY (local, peer, peer_type, remote)
) WITHOUT ROWID;

CREATE TABLE link_keys (
  local      TEXT    NOT NULL,
  peer       TEXT    NOT NULL,
  peer_type  INTEGER NOT NULL,
  key_type   INTEGER NOT NULL,
  value      BLOB    NOT NULL CHECK (length(value) = 16),
  pin_length INTEGER NOT NULL,
  PRIMARY KEY (local, peer, peer_type)
) WITHOUT ROWID;

CREATE TABLE cccds (
  local     TEXT    NOT NULL,
  peer      TEXT    NOT NULL,
  peer_type INTEGER NOT NULL,
  handle    INTEGER NOT NULL,
  value     INTEGER NOT NULL,
  PRIMARY KEY (local, peer, peer_type, handle)
) WITHOUT ROWID;

CREATE TABLE devices (
  local     TEXT    NOT NULL,
  peer      TEXT    NOT NULL,
  peer_type INTEGER NOT NULL,
  name      TEXT    NOT NULL DEFAULT '',
  approved  INTEGER NOT NULL DEFAULT 0,
  paired    INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER NOT NULL DEFAULT 0,   -- seconds since the Unix epoch
  PRIMARY KEY (local, peer, peer_type)
) WITHOUT ROWID;

CREATE TABLE settings (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// v2: what the GATT server keeps per bonded client (Core v5.4 Vol 3 Part G
// 2.5.2 robust caching, 3.3.3.3 CCCDs, Part H 2.4.5 SignCounter).  The
// CCCD rows of a client are valid only for the database its db_hash
// names; a client without a row here has none that apply (rows from v1
// are dropped at their next load, never applied to a changed database).
constexpr const char* v2 = R"sql(
CREATE TABLE gatt_clients (
  local           TEXT    NOT NULL,
  peer            TEXT    NOT NULL,
  peer_type       INTEGER NOT NULL,
  db_hash         BLOB    NOT NULL CHECK (length(db_hash) = 16),  -- the database the client knows
  service_changed INTEGER NOT NULL DEFAULT 0,   -- subscribed to Service Changed indications
  features        INTEGER NOT NULL DEFAULT 0,   -- Client Supported Features (0x2B29), octet 0
  sign_counter    INTEGER NOT NULL DEFAULT 0,   -- lowest SignCounter still acceptable
  PRIMARY KEY (local, peer, peer_type)
) WITHOUT ROWID;
)sql";

// v3: what GATT discovery found on a bonded peer (the client side's
// discovery cache, Core v5.4 Vol 3 Part G 2.5.2), keyed by the peer's
// identity address so that it survives address rotation.  `db` is the
// versioned blob of src/att/discovery_cache.cpp; one that does not decode
// is a cache miss.  Removed with the bond.
constexpr const char* v3 = R"sql(
CREATE TABLE gatt_cache (
  local     TEXT    NOT NULL,
  peer      TEXT    NOT NULL,   -- identity address
  peer_type INTEGER NOT NULL,
  db        BLOB    NOT NULL,   -- att::encode(RemoteDatabase)
  PRIMARY KEY (local, peer, peer_type)
) WITHOUT ROWID;
)sql";

constexpr std::array migrations{
    Migration{1, v1},
    Migration{2, v2},
    Migration{3, v3},
};

}  // namespace

std::span<const Migration> schema_migrations() noexcept { return migrations; }

expected<int> schema_version(Connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  if (!st) return unexpected(st.error());
  auto row = st->step();
  if (!row) return unexpected(row.error());
  return *row ? static_cast<int>(st->int64(0)) : 0;
}

expected<int> migrate(Connection& c, std::span<const Migration> steps) {
  auto version = schema_version(c);
  if (!version) return version;
  const int latest = steps.empty() ? 0 : steps.back().version;
  if (*version > latest) {
    return unexpected(c.fail(make_error_code(errc::schema_too_new),
                             "database schema version " + std::to_string(*version) +
                                 " is newer than the newest known (" + std::to_string(latest) + ")"));
  }
  for (const auto& m : steps) {
    if (m.version <= *version) continue;
    auto tx = Transaction::begin(c, Transaction::Kind::immediate);
    if (!tx) return unexpected(tx.error());
    // PRAGMA takes no bound parameters; the version is our own integer.
    const std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);
    auto r = c.exec(m.sql);
    if (r) r = c.exec(set_version.c_str());
    if (r) r = tx->commit();
    if (!r) {
      return unexpected(c.fail(make_error_code(errc::migration_failed),
                               "migration to schema version " + std::to_string(m.version) + ": " +
                                   c.last_error()));
    }
    *version = m.version;
  }
  return version;
}

}  // namespace bcms::storage
