// Durable storage for the stack and the gateway daemon: bonds (LTK, IRK,
// CSRK, link keys), persisted CCCD values, known devices and settings, in
// one SQLite database.
//
// Durability: WAL journal with synchronous=FULL.  In WAL mode NORMAL only
// loses transactions on power loss or an OS crash, but it does lose them
// (the WAL is not fsynced at each commit); FULL fsyncs the WAL on every
// commit, so a call that returned success survives any crash.  Writes are
// rare (pairing, CCCD writes, device updates) so the fsync cost does not
// matter; losing a bond after the peer stored its side would.
//
// Confidentiality: the directory is created 0700 and the database file
// 0600 (created by us with O_NOFOLLOW before SQLite opens it; an existing
// file with looser bits is tightened).  SQLite gives its -wal and -shm
// files the mode of the database file; open() additionally runs under
// umask 077.  umask is process-wide: open storage at startup, before other
// threads create files.  An existing directory writable by group or others
// is refused (errc::insecure_permissions): they could swap the file.
// secure_delete is on so removed keys are overwritten in the file.
//
// Concurrency: one Storage per thread (a connection is not shared).  WAL
// lets other connections (another Storage on the same file, the sqlite3
// shell) read while one writes; writers wait up to busy_timeout.
//
// Errors: std::error_code in the "bcms.storage" category
// (storage_error.hpp); last_error_detail() has SQLite's message for the
// most recent failure.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/expected.hpp"
#include "src/storage/records.hpp"
#include "src/storage/sqlite.hpp"
#include "src/storage/storage_error.hpp"

namespace bcms::storage {

struct Options {
  int busy_timeout_ms = 1000;  // how long a write waits for another writer
  bool quick_check = true;     // PRAGMA quick_check at open: corruption -> errc::corrupt
};

class Storage {
 public:
  /// Opens (creating if needed) the database file and migrates its schema.
  /// On failure *detail (if given) receives SQLite's or our explanation,
  /// e.g. "file is not a database" or "quick_check: ...".
  static expected<Storage> open(const std::filesystem::path& file, const Options& options = {},
                                std::string* detail = nullptr);

  Storage(Storage&&) noexcept = default;
  Storage& operator=(Storage&&) noexcept = default;
  ~Storage();

  [[nodiscard]] int schema_version() const noexcept { return version_; }
  [[nodiscard]] const std::string& last_error_detail() const noexcept;

  /// Groups several writes into one atomic, durable commit (BEGIN
  /// IMMEDIATE): e.g. the LTK, IRK and CSRK of one pairing.
  expected<Transaction> transaction();

  // ------------------------------------------------------------ bonds
  // store_*() insert or replace the key for the same peer (and role).
  expected<void> store_ltk(const Address& local, const LongTermKey& k);
  expected<std::vector<LongTermKey>> ltks(const Address& local);
  expected<void> store_irk(const Address& local, const IdentityResolvingKey& k);
  expected<std::vector<IdentityResolvingKey>> irks(const Address& local);
  expected<void> store_csrk(const Address& local, const SignatureKey& k);
  expected<std::vector<SignatureKey>> csrks(const Address& local);
  expected<void> store_link_key(const Address& local, const LinkKey& k);
  expected<std::vector<LinkKey>> link_keys(const Address& local);
  /// Removes every key, CCCD, GATT client record and discovery cache of the
  /// peer and clears its paired flag.
  expected<void> remove_bond(const Address& local, const Peer& peer);

  // ------------------------------------------------------------ CCCDs
  /// Stores the value a bonded client wrote; 0 (nothing enabled) removes
  /// the row.
  expected<void> store_cccd(const Address& local, const Peer& peer, std::uint16_t handle, std::uint16_t value);
  expected<std::vector<Cccd>> cccds(const Address& local, const Peer& peer);

  // ------------------------------------------------------------ GATT clients
  /// The record of a bonded client (nullopt: none), with its CCCDs.
  expected<std::optional<GattClient>> gatt_client(const Address& local, const Peer& peer);
  /// Replaces the records of these clients (row and CCCDs) in one
  /// transaction.
  expected<void> store_gatt_clients(const Address& local, const std::vector<GattClient>& clients);

  // ------------------------------------------------------------ GATT discovery cache
  /// The discovery cache blob of a peer (by identity address), nullopt:
  /// none.  The blob is opaque here (src/att/discovery_cache.cpp).
  expected<std::optional<bytes>> gatt_cache(const Address& local, const Peer& identity);
  expected<void> store_gatt_cache(const Address& local, const Peer& identity, byte_span blob);
  expected<void> remove_gatt_cache(const Address& local, const Peer& identity);

  // ------------------------------------------------------------ devices
  expected<void> upsert_device(const Address& local, const Device& d);
  expected<std::optional<Device>> device(const Address& local, const Peer& peer);
  expected<std::vector<Device>> devices(const Address& local);
  expected<void> remove_device(const Address& local, const Peer& peer);

  // ------------------------------------------------------------ settings
  expected<void> set_setting(std::string_view key, std::string_view value);
  expected<std::optional<std::string>> setting(std::string_view key);
  expected<void> remove_setting(std::string_view key);

 private:
  explicit Storage(std::unique_ptr<Connection> c, int version) noexcept : db_(std::move(c)), version_(version) {}
  std::unique_ptr<Connection> db_;
  int version_ = 0;
};

}  // namespace bcms::storage
