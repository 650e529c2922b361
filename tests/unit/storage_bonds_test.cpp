// Storage: bond keys (mgmt-api.txt New Long Term Key / New Identity
// Resolving Key / New Signature Resolving Key / New Link Key event fields),
// CCCD persistence (Core v5.4 Vol 3 Part G 3.3.3.3), devices and settings.
#include "src/storage/storage.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "tests/unit/storage_fixture.hpp"

using namespace bcms;
using namespace bcms::storage;
using namespace bcms::storage::test;

namespace {

struct Fixture {
  TempDir tmp;
  Storage s = open();
  Storage open() {
    auto r = Storage::open(tmp / "bcms.db");
    REQUIRE(r);
    return std::move(*r);
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "LTK round trip: all fields, both roles, u64 Rand with the top bit set") {
  const LongTermKey as_central{peer_a, 0x03, true, 16, 0xbeef, 0xfedcba9876543210ull, key(0x10)};
  const LongTermKey as_peripheral{peer_a, 0x00, false, 7, 0x0001, 0x0000000000000001ull, key(0x20)};
  REQUIRE(s.store_ltk(local, as_central));
  REQUIRE(s.store_ltk(local, as_peripheral));
  auto keys = s.ltks(local);
  REQUIRE(keys);
  // Ordered by peer, type, role (central = 0 first).
  CHECK(*keys == std::vector<LongTermKey>{as_peripheral, as_central});
  CHECK(s.ltks(addr("00:00:00:00:00:01"))->empty());  // another controller
}

TEST_CASE_FIXTURE(Fixture, "Upsert: a new key for the same peer and role replaces the old one") {
  LongTermKey k{peer_a, 0x00, true, 16, 1, 2, key(0x00)};
  REQUIRE(s.store_ltk(local, k));
  k.key_type = 0x01;
  k.ediv = 0x7777;
  k.value = key(0x80);
  REQUIRE(s.store_ltk(local, k));
  CHECK(*s.ltks(local) == std::vector<LongTermKey>{k});

  REQUIRE(s.store_irk(local, {peer_a, key(1)}));
  REQUIRE(s.store_irk(local, {peer_a, key(2)}));
  CHECK(*s.irks(local) == std::vector<IdentityResolvingKey>{{peer_a, key(2)}});

  REQUIRE(s.store_link_key(local, {peer_b, 0x04, key(3), 0}));
  REQUIRE(s.store_link_key(local, {peer_b, 0x05, key(4), 4}));
  CHECK(*s.link_keys(local) == std::vector<LinkKey>{{peer_b, 0x05, key(4), 4}});
}

TEST_CASE_FIXTURE(Fixture, "The same address with another address type is another peer") {
  const Peer other_type{peer_a.addr, AddressType::le_public};
  REQUIRE(s.store_irk(local, {peer_a, key(1)}));
  REQUIRE(s.store_irk(local, {other_type, key(2)}));
  CHECK(s.irks(local)->size() == 2);
}

TEST_CASE_FIXTURE(Fixture, "CSRK: one local and one remote key per peer") {
  REQUIRE(s.store_csrk(local, {peer_a, 0x00, key(1)}));  // unauthenticated local
  REQUIRE(s.store_csrk(local, {peer_a, 0x01, key(2)}));  // unauthenticated remote
  REQUIRE(s.store_csrk(local, {peer_a, 0x02, key(3)}));  // authenticated local replaces 0x00
  CHECK(*s.csrks(local) == std::vector<SignatureKey>{{peer_a, 0x02, key(3)}, {peer_a, 0x01, key(2)}});
}

TEST_CASE_FIXTURE(Fixture, "remove_bond removes every key and CCCD of one peer only") {
  for (const Peer& p : {peer_a, peer_b}) {
    REQUIRE(s.store_ltk(local, {p, 0, true, 16, 0, 0, key(1)}));
    REQUIRE(s.store_irk(local, {p, key(2)}));
    REQUIRE(s.store_csrk(local, {p, 0x01, key(3)}));
    REQUIRE(s.store_link_key(local, {p, 0x04, key(4), 0}));
    REQUIRE(s.store_cccd(local, p, 0x0010, 0x0002));
    REQUIRE(s.upsert_device(local, {p, "dev", true, true, {}}));
  }
  REQUIRE(s.remove_bond(local, peer_a));
  CHECK(s.ltks(local)->size() == 1);
  CHECK((*s.ltks(local))[0].peer == peer_b);
  CHECK(s.irks(local)->size() == 1);
  CHECK(s.csrks(local)->size() == 1);
  CHECK(s.link_keys(local)->size() == 1);
  CHECK(s.cccds(local, peer_a)->empty());
  CHECK(s.cccds(local, peer_b)->size() == 1);
  CHECK_FALSE((*s.device(local, peer_a))->paired);  // the device stays, unpaired
  CHECK((*s.device(local, peer_b))->paired);
  CHECK(s.remove_bond(local, peer_a));  // removing nothing is fine
}

TEST_CASE_FIXTURE(Fixture, "remove_bond inside a caller's transaction, and rollback") {
  REQUIRE(s.store_irk(local, {peer_a, key(1)}));
  {
    auto tx = s.transaction();
    REQUIRE(tx);
    REQUIRE(s.remove_bond(local, peer_a));  // a nested savepoint
    CHECK(s.irks(local)->empty());
  }  // rolled back
  CHECK(s.irks(local)->size() == 1);
  {
    auto tx = s.transaction();
    REQUIRE(tx);
    REQUIRE(s.remove_bond(local, peer_a));
    REQUIRE(tx->commit());
  }
  CHECK(s.irks(local)->empty());
}

TEST_CASE_FIXTURE(Fixture, "Vol3 PartG 3.3.3.3: CCCD values persist per bonded client") {
  REQUIRE(s.store_cccd(local, peer_a, 0x0020, 0x0001));  // notifications
  REQUIRE(s.store_cccd(local, peer_a, 0x000c, 0x0002));  // indications
  REQUIRE(s.store_cccd(local, peer_b, 0x0020, 0x0003));
  CHECK(*s.cccds(local, peer_a) == std::vector<Cccd>{{0x000c, 0x0002}, {0x0020, 0x0001}});
  REQUIRE(s.store_cccd(local, peer_a, 0x0020, 0x0003));  // overwrite
  CHECK(*s.cccds(local, peer_a) == std::vector<Cccd>{{0x000c, 0x0002}, {0x0020, 0x0003}});
  REQUIRE(s.store_cccd(local, peer_a, 0x000c, 0x0000));  // disabled: removed
  CHECK(*s.cccds(local, peer_a) == std::vector<Cccd>{{0x0020, 0x0003}});
  CHECK(*s.cccds(local, peer_b) == std::vector<Cccd>{{0x0020, 0x0003}});
  CHECK(s.cccds(addr("00:00:00:00:00:02"), peer_a)->empty());
}

TEST_CASE_FIXTURE(Fixture, "GATT discovery cache: per identity, replaced, removed, removed with the bond, kept on reopen") {
  const bytes a{0x01, 0x00, 0x00, 0x00}, b{0x01, 0x01, 0xAA};
  CHECK(*s.gatt_cache(local, peer_a) == std::nullopt);
  REQUIRE(s.store_gatt_cache(local, peer_a, a));
  REQUIRE(s.store_gatt_cache(local, peer_b, b));
  CHECK(*s.gatt_cache(local, peer_a) == std::optional<bytes>(a));
  CHECK(*s.gatt_cache(addr("00:00:00:00:00:02"), peer_a) == std::nullopt);  // another controller
  CHECK(*s.gatt_cache(local, Peer{peer_a.addr, AddressType::le_public}) == std::nullopt);  // another type
  REQUIRE(s.store_gatt_cache(local, peer_a, b));  // replaced
  CHECK(*s.gatt_cache(local, peer_a) == std::optional<bytes>(b));
  s = open();  // on disk
  CHECK(*s.gatt_cache(local, peer_a) == std::optional<bytes>(b));
  REQUIRE(s.remove_gatt_cache(local, peer_a));
  CHECK(*s.gatt_cache(local, peer_a) == std::nullopt);
  REQUIRE(s.store_gatt_cache(local, peer_a, a));
  REQUIRE(s.remove_bond(local, peer_a));
  CHECK(*s.gatt_cache(local, peer_a) == std::nullopt);
  CHECK(*s.gatt_cache(local, peer_b) == std::optional<bytes>(b));  // the other peer's is kept
}

TEST_CASE_FIXTURE(Fixture, "Devices: upsert, get, list, remove") {
  using namespace std::chrono;
  const Device a{peer_a, "Thermometer \xc3\xa9", true, false, sys_seconds(seconds(1700000000))};
  Device b{peer_b, "", false, true, sys_seconds(seconds(0))};
  REQUIRE(s.upsert_device(local, a));
  REQUIRE(s.upsert_device(local, b));
  CHECK(*s.device(local, peer_a) == std::optional<Device>(a));
  b.name = "renamed";
  b.last_seen = sys_seconds(seconds(1700000100));
  REQUIRE(s.upsert_device(local, b));
  CHECK(*s.devices(local) == std::vector<Device>{b, a});  // ordered by address text
  REQUIRE(s.remove_device(local, peer_a));
  CHECK(*s.device(local, peer_a) == std::nullopt);
  CHECK(s.devices(local)->size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "Settings: set, overwrite, read, remove") {
  CHECK(*s.setting("missing") == std::nullopt);
  REQUIRE(s.set_setting("alias", "gw-1"));
  REQUIRE(s.set_setting("alias", "gw-2"));
  REQUIRE(s.set_setting("empty", ""));
  REQUIRE(s.set_setting(std::string_view("nul\0key", 7), std::string_view("a\0b", 3)));
  CHECK(*s.setting("alias") == std::optional<std::string>("gw-2"));
  CHECK(*s.setting("empty") == std::optional<std::string>(""));
  CHECK(*s.setting(std::string_view("nul\0key", 7)) == std::optional<std::string>(std::string("a\0b", 3)));
  REQUIRE(s.remove_setting("alias"));
  CHECK(*s.setting("alias") == std::nullopt);
}

TEST_CASE_FIXTURE(Fixture, "A row that does not decode is errc::invalid_row") {
  REQUIRE(s.store_irk(local, {peer_a, key(1)}));
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((tmp / "bcms.db").c_str(), &db) == SQLITE_OK);
  const std::string sql = "INSERT INTO irks VALUES ('" + local.to_string() + "', 'not an address', 1, zeroblob(16))";
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  // The schema itself refuses keys of the wrong size.
  CHECK(sqlite3_exec(db, "INSERT INTO irks VALUES ('x', 'y', 1, zeroblob(15))", nullptr, nullptr, nullptr) ==
        SQLITE_CONSTRAINT);
  sqlite3_close(db);
  auto keys = s.irks(local);
  REQUIRE_FALSE(keys);
  CHECK(keys.error() == errc::invalid_row);
}
