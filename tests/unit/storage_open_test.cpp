// Storage: opening, file permissions, durability across reopen, schema
// migrations, bad files, and WAL concurrency.
#include "src/storage/storage.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "src/storage/schema.hpp"
#include "tests/unit/storage_fixture.hpp"

using namespace bcms;
using namespace bcms::storage;
using namespace bcms::storage::test;

namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Raw SQL on a file, outside Storage (to build fixtures).
void raw_exec(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

LongTermKey ltk(const Peer& p, std::uint8_t seed) {
  return LongTermKey{p, 0x01, true, 16, 0x1234, 0x0102030405060708ull, key(seed)};
}

}  // namespace

TEST_CASE("Open creates the directory 0700 and the database, -wal and -shm files 0600") {
  TempDir tmp;
  const auto dir = tmp / "state";
  const auto file = dir / "bcms.db";
  auto s = Storage::open(file);
  REQUIRE(s);
  REQUIRE(s->store_ltk(local, ltk(peer_a, 1)));
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(file) == 0600);
  CHECK(mode_of(file.string() + "-wal") == 0600);
  CHECK(mode_of(file.string() + "-shm") == 0600);
}

TEST_CASE("Open tightens an existing database file to 0600 and keeps the caller's umask") {
  TempDir tmp;
  const auto file = tmp / "bcms.db";
  std::ofstream(file).close();
  REQUIRE(::chmod(file.c_str(), 0644) == 0);
  const mode_t before = ::umask(022);
  {
    auto s = Storage::open(file);
    REQUIRE(s);
  }
  CHECK(::umask(before) == 022);  // restored after open()
  CHECK(mode_of(file) == 0600);
}

TEST_CASE("Open refuses a symlink and a directory writable by others") {
  TempDir tmp;
  const auto target = tmp / "real.db";
  const auto link = tmp / "link.db";
  std::filesystem::create_symlink(target, link);
  auto s = Storage::open(link);
  REQUIRE_FALSE(s);
  CHECK(s.error() == errc::bad_path);
  CHECK_FALSE(std::filesystem::exists(target));

  const auto open_dir = tmp / "shared";
  std::filesystem::create_directory(open_dir);
  REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
  std::string detail;
  auto w = Storage::open(open_dir / "bcms.db", {}, &detail);
  REQUIRE_FALSE(w);
  CHECK(w.error() == errc::insecure_permissions);
  CHECK(detail.find("writable") != std::string::npos);
}

TEST_CASE("Data survives closing and reopening the database") {
  TempDir tmp;
  const auto file = tmp / "bcms.db";
  {
    auto s = Storage::open(file);
    REQUIRE(s);
    REQUIRE(s->store_ltk(local, ltk(peer_a, 0x10)));
    REQUIRE(s->set_setting("alias", "gateway"));
    REQUIRE(s->store_cccd(local, peer_a, 0x002a, 0x0001));
  }
  auto s = Storage::open(file);
  REQUIRE(s);
  auto keys = s->ltks(local);
  REQUIRE(keys);
  REQUIRE(keys->size() == 1);
  CHECK((*keys)[0] == ltk(peer_a, 0x10));
  CHECK(*s->setting("alias") == std::optional<std::string>("gateway"));
  CHECK(*s->cccds(local, peer_a) == std::vector<Cccd>{{0x002a, 0x0001}});
}

TEST_CASE("Migration from version 0: a fresh file and an existing version-0 database") {
  TempDir tmp;
  auto fresh = Storage::open(tmp / "fresh.db");
  REQUIRE(fresh);
  CHECK(fresh->schema_version() == schema_migrations().back().version);
  CHECK(fresh->schema_version() == 3);

  // A database someone created before any bcms schema: user_version 0.
  const auto old = tmp / "old.db";
  raw_exec(old, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('kept');");
  auto s = Storage::open(old);
  REQUIRE(s);
  CHECK(s->schema_version() == 3);
  REQUIRE(s->set_setting("k", "v"));
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(old.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT t FROM notes", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "kept");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_CASE("migrate(): steps in order, a failing step rolls back, a newer file is refused") {
  TempDir tmp;
  const auto file = tmp / "m.db";
  auto c = Connection::open(file.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  REQUIRE(c);
  const Migration good[] = {{1, "CREATE TABLE a (x INTEGER)"}, {2, "CREATE TABLE b (y INTEGER)"}};
  CHECK(*migrate(**c, std::span(good, 1)) == 1);
  CHECK(*migrate(**c, good) == 2);
  CHECK(*migrate(**c, good) == 2);  // idempotent

  const Migration bad[] = {good[0], good[1], {3, "CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1)"}};
  auto r = migrate(**c, bad);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::migration_failed);
  CHECK((*c)->last_error().find("no such table: nowhere") != std::string::npos);
  CHECK(*schema_version(**c) == 2);
  CHECK(*(*c)->scalar("SELECT count(*) FROM sqlite_master WHERE name = 'c'") == "0");

  auto too_new = migrate(**c, std::span(good, 1));
  REQUIRE_FALSE(too_new);
  CHECK(too_new.error() == errc::schema_too_new);
  c->reset();

  raw_exec(file, "PRAGMA user_version = 99");
  auto s = Storage::open(file);
  REQUIRE_FALSE(s);
  CHECK(s.error() == errc::schema_too_new);
}

TEST_CASE("A file that is not a database gives errc::notadb, not a crash") {
  TempDir tmp;
  const auto file = tmp / "junk.db";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not an SQLite database ";
  }
  std::string detail;
  auto s = Storage::open(file, {}, &detail);
  REQUIRE_FALSE(s);
  CHECK(s.error() == errc::notadb);
  CHECK(s.error().message() == "file is not a database");
  CHECK(std::string(s.error().category().name()) == "bcms.storage");
  CHECK(detail == "file is not a database");
}

TEST_CASE("A database with corrupted pages gives errc::corrupt at open") {
  TempDir tmp;
  const auto file = tmp / "bcms.db";
  {
    auto s = Storage::open(file);
    REQUIRE(s);
    auto tx = s->transaction();
    REQUIRE(tx);
    for (int i = 0; i < 600; ++i) {
      Device d{{addr("00:00:00:00:00:00"), AddressType::le_public}, std::string(100, 'n'), true, false, {}};
      d.peer.addr.b[0] = static_cast<std::uint8_t>(i);
      d.peer.addr.b[1] = static_cast<std::uint8_t>(i >> 8);
      REQUIRE(s->upsert_device(local, d));
    }
    REQUIRE(tx->commit());
  }  // closing checkpoints the WAL into the file
  const auto size = std::filesystem::file_size(file);
  REQUIRE(size > 8 * 4096);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * 4096);
    const std::string garbage(4 * 4096, '\x55');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  std::string detail;
  auto s = Storage::open(file, {}, &detail);
  REQUIRE_FALSE(s);
  CHECK(s.error() == errc::corrupt);
  CHECK_FALSE(detail.empty());
}

TEST_CASE("WAL: a reader is not blocked by an open write transaction and sees only commits") {
  TempDir tmp;
  const auto file = tmp / "bcms.db";
  auto writer = Storage::open(file);
  auto reader = Storage::open(file);
  REQUIRE(writer);
  REQUIRE(reader);
  {
    auto tx = writer->transaction();
    REQUIRE(tx);
    REQUIRE(writer->store_ltk(local, ltk(peer_a, 1)));
    auto during = reader->ltks(local);
    REQUIRE(during);  // no SQLITE_BUSY
    CHECK(during->empty());
    REQUIRE(tx->commit());
  }
  CHECK(reader->ltks(local)->size() == 1);

  // A transaction destroyed without commit() leaves nothing behind.
  {
    auto tx = writer->transaction();
    REQUIRE(tx);
    REQUIRE(writer->store_ltk(local, ltk(peer_b, 2)));
  }
  CHECK(reader->ltks(local)->size() == 1);
}

TEST_CASE("WAL: concurrent reader thread while a writer thread commits") {
  TempDir tmp;
  const auto file = tmp / "bcms.db";
  REQUIRE(Storage::open(file));  // create and migrate first
  constexpr int n = 150;
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    auto s = Storage::open(file);
    if (!s) {
      ++read_errors;
      return;
    }
    std::size_t last = 0;
    while (!done) {
      auto keys = s->ltks(local);
      if (!keys || keys->size() < last) ++read_errors;
      if (keys) last = keys->size();
      ++reads;
    }
  });
  int write_errors = 0;
  {
    auto s = Storage::open(file);
    REQUIRE(s);
    for (int i = 0; i < n; ++i) {
      Peer p{addr("00:00:00:00:00:00"), AddressType::le_random};
      p.addr.b[0] = static_cast<std::uint8_t>(i);
      if (!s->store_ltk(local, ltk(p, static_cast<std::uint8_t>(i)))) ++write_errors;
    }
  }
  done = true;
  reader.join();
  CHECK(write_errors == 0);
  CHECK(read_errors == 0);
  CHECK(reads > 0);
  auto s = Storage::open(file);
  REQUIRE(s);
  CHECK(s->ltks(local)->size() == n);
}

TEST_CASE("bcms.storage error category") {
  const std::error_code busy = errc::busy;
  CHECK(std::string(busy.category().name()) == "bcms.storage");
  CHECK(busy.message() == "database is locked");
  CHECK(std::error_code(errc::corrupt).message() == "database disk image is malformed");
  CHECK(std::error_code(errc::schema_too_new).message() == "database schema is newer than this program");
  CHECK(sqlite_error_code(SQLITE_IOERR_FSYNC) == errc::ioerr);  // extended -> primary
}
