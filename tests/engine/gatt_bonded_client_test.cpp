// What the GATT server keeps for a bonded client, end to end through the
// real store (BondManager over SQLite) and across restarts of the server:
// SignCounter replay protection (Core v5.4 Vol 3 Part H 2.4.5), signed
// writes under the attribute's permissions (Part C 10.4.2), CCCDs applied
// only on an encrypted link and only to the database they were written
// for, Database Hash / Client Supported Features and Service Changed for a
// client that missed a change (robust caching, Part G 2.5.2, 7.2, 7.3).
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>

#include "protocol/att/pdu.hpp"
#include "src/att/db_hash.hpp"
#include "src/att/signing.hpp"
#include "src/gap/bonds.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace bcms::att;

namespace {

const Address kLocal = Address::parse("00:AA:01:00:00:00").value();
const Peer kPeer{Address::parse("11:22:33:44:55:66").value(), AddressType::le_public};
const Key128 kCsrk{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F};

bytes B(std::initializer_list<int> v) {
  bytes b;
  for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
  return b;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/bcms-gattc-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// The database: core services with robust caching, then (version 2 only)
// a service inserted before ours, so that every handle of ours moves and
// the old CCCD handle lands on the new service's characteristic.
struct Handles {
  std::uint16_t signed_open = 0, signed_authz = 0, sensor = 0, sensor_cccd = 0, sc_cccd = 0, hash = 0;
};
Handles build(GattDb& db, int version) {
  Handles h;
  auto core = add_core_services(db, "bcms", 0);
  h.sc_cccd = core.service_changed_cccd;
  h.hash = core.database_hash;
  if (version == 2) {
    // Laid out like ours, so that its CCCD takes our old CCCD's handle.
    db.begin_service(Uuid(0xFFE0));
    db.add_characteristic(Uuid(0xFFE1), prop::read, AttributeSpec{});
    db.add_characteristic(Uuid(0xFFE2), prop::read, AttributeSpec{});
    db.add_characteristic(Uuid(0xFFE3), prop::read | prop::notify, AttributeSpec{});
    db.end_service();
  }
  db.begin_service(Uuid(0xFFF0));
  AttributeSpec a;
  a.perms = perm::rw;
  a.value = B({0x00});
  h.signed_open = db.add_characteristic(Uuid(0xFFA1), prop::read | prop::authenticated_signed_writes, std::move(a)).value;
  AttributeSpec b;
  b.perms = perm::rw | perm::write_authorized;
  b.value = B({0x00});
  h.signed_authz = db.add_characteristic(Uuid(0xFFA2), prop::read | prop::authenticated_signed_writes, std::move(b)).value;
  AttributeSpec c;
  auto ch = db.add_characteristic(Uuid(0xFFA3), prop::read | prop::notify, std::move(c));
  h.sensor = ch.value;
  h.sensor_cccd = ch.cccd;
  db.end_service();
  return h;
}

bytes signed_write(std::uint16_t handle, bytes value, std::uint32_t counter, const Key128& key = kCsrk) {
  SignedWriteCmd cmd;
  cmd.handle = handle;
  cmd.value = std::move(value);
  cmd.signature = att_signature(key, signed_message(cmd), counter).value();
  return encode(Pdu{cmd}).value();
}

/// One "run" of the peripheral: a database, a server and a BondManager on
/// a store that outlives it (a restart builds a new Run on the same file).
struct Run {
  GattDb db;
  Handles h;
  GattServer server;
  std::unique_ptr<gap::BondManager> bonds;
  std::vector<std::pair<std::uint16_t, bytes>> indications;
  Run(mgmt::MgmtChannel& ch, storage::Storage& store, int version) : h(build(db, version)), server(db) {
    bonds = std::make_unique<gap::BondManager>(ch, 0, store, kLocal);
    server.set_client_store(bonds.get());
    server.set_authorizer([](const ConnState&, std::uint16_t, Access) { return false; });
    server.set_indicate_sink([this](ConnState&, std::uint16_t handle, bytes v, std::function<void(std::error_code)> done) {
      indications.emplace_back(handle, std::move(v));
      if (done) done({});
    });
  }
};

struct Conn {
  StaticLinkSecurity sec;
  ConnState st;
  Conn(Run& run, SecurityLevel level = SecurityLevel::low) : sec(level, level >= SecurityLevel::medium ? 16 : 0) {
    st.id = 1;
    st.peer = kPeer;
    st.bonded = run.bonds->bonded(kPeer);
    st.security = &sec;
    st.peer_csrk = kCsrk;
    run.server.connect(st);
  }
};

struct Rig {
  asio::io_context io;
  test::ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  TempDir dir;
  storage::Storage store = storage::Storage::open(dir.path / "bonds.db").value();

  Rig() {
    // Bonded: the store holds an LTK of the peer.
    storage::LongTermKey k{kPeer, 0, false, 16, 0, 0, {}};
    REQUIRE(store.store_ltk(kLocal, k));
  }
  void settle() { test::run_until(io, [] { return false; }, std::chrono::milliseconds(20)); }
};

bytes value_of(Run& run, Conn& c, std::uint16_t handle) {
  bytes rsp = run.server.handle(B({0x0A, handle & 0xFF, handle >> 8}), c.st);
  REQUIRE(!rsp.empty());
  REQUIRE(rsp[0] == 0x0B);
  return bytes(rsp.begin() + 1, rsp.end());
}

}  // namespace

TEST_CASE("Vol 3 Part H 2.4.5: a signed write replayed on a later connection, or after a restart, is refused") {
  Rig rig;
  {
    Run run(rig.ch, rig.store, 1);
    Conn c1(run);
    run.server.handle(signed_write(run.h.signed_open, B({0x05}), 5), c1.st);
    CHECK(value_of(run, c1, run.h.signed_open) == B({0x05}));
    run.server.handle(signed_write(run.h.signed_open, B({0x04}), 4), c1.st);  // older counter
    CHECK(value_of(run, c1, run.h.signed_open) == B({0x05}));
    run.server.disconnect(c1.st);
    rig.settle();  // the record is committed after the loop turn

    Conn c2(run);
    run.server.handle(signed_write(run.h.signed_open, B({0x55}), 5), c2.st);  // the captured write, replayed
    CHECK(value_of(run, c2, run.h.signed_open) == B({0x05}));
    CHECK(run.server.stats().signed_writes_rejected == 2);
    run.server.handle(signed_write(run.h.signed_open, B({0x06}), 6), c2.st);
    CHECK(value_of(run, c2, run.h.signed_open) == B({0x06}));
    run.server.disconnect(c2.st);
    rig.settle();
  }
  Run restarted(rig.ch, rig.store, 1);
  Conn c3(restarted);
  restarted.server.handle(signed_write(restarted.h.signed_open, B({0x66}), 6), c3.st);
  CHECK(restarted.server.stats().signed_writes_rejected == 1);
  restarted.server.handle(signed_write(restarted.h.signed_open, B({0x07}), 7), c3.st);
  CHECK(value_of(restarted, c3, restarted.h.signed_open) == B({0x07}));
}

TEST_CASE("Vol 3 Part C 10.4.2: signed writes pass the attribute's permission checks; a bad MAC is dropped") {
  Rig rig;
  Run run(rig.ch, rig.store, 1);
  Conn c(run);
  run.server.handle(signed_write(run.h.signed_authz, B({0x01}), 1), c.st);  // authorization refused
  CHECK(value_of(run, c, run.h.signed_authz) == B({0x00}));
  Key128 other = kCsrk;
  other[0] ^= 1;
  run.server.handle(signed_write(run.h.signed_open, B({0x01}), 2, other), c.st);
  CHECK(value_of(run, c, run.h.signed_open) == B({0x00}));
  CHECK(run.server.stats().signed_writes_rejected == 2);
}

TEST_CASE("Vol 3 Part G 3.3.3.3: a bonded client's CCCDs come back only on an encrypted link") {
  Rig rig;
  Run run(rig.ch, rig.store, 1);
  {
    Conn c(run, SecurityLevel::medium);
    CHECK(run.server.handle(B({0x12, run.h.sensor_cccd & 0xFF, run.h.sensor_cccd >> 8, 0x01, 0x00}), c.st) == B({0x13}));
    run.server.disconnect(c.st);
    rig.settle();
  }
  // Same address, link not encrypted (a device spoofing the address):
  // nothing of the bonded peer's, and what it writes is not kept.
  Conn spoof(run, SecurityLevel::low);
  CHECK(run.server.subscription(spoof.st, run.h.sensor) == 0);
  CHECK_FALSE(run.server.notification(spoof.st, run.h.sensor, B({0x01}), false));
  CHECK(run.server.handle(B({0x12, run.h.sensor_cccd & 0xFF, run.h.sensor_cccd >> 8, 0x00, 0x00}), spoof.st) == B({0x13}));
  run.server.disconnect(spoof.st);
  rig.settle();
  // The real peer encrypts with the bond's key: its subscription is back.
  Conn real(run, SecurityLevel::low);
  CHECK(run.server.subscription(real.st, run.h.sensor) == 0);
  real.sec.set(SecurityLevel::medium);
  run.server.refresh(real.st);
  CHECK(run.server.subscription(real.st, run.h.sensor) == cccd_notify);
  CHECK(run.server.notification(real.st, run.h.sensor, B({0x2A}), false) ==
        B({0x1B, run.h.sensor & 0xFF, run.h.sensor >> 8, 0x2A}));
}

TEST_CASE("Vol 3 Part G 7.3: the Database Hash characteristic carries the hash of the database") {
  Rig rig;
  Run run(rig.ch, rig.store, 1);
  Conn c(run);
  const DbHash h = database_hash(run.db).value();
  const bytes rsp = value_of(run, c, run.h.hash);
  CHECK(rsp == bytes(h.begin(), h.end()));
  GattDb other;
  build(other, 2);
  CHECK(database_hash(other).value() != h);
}

TEST_CASE("Service Changed after a database change across a restart; stale CCCDs dropped, not misapplied") {
  Rig rig;
  std::uint16_t old_cccd = 0;
  {
    Run run(rig.ch, rig.store, 1);
    Conn c(run, SecurityLevel::medium);
    old_cccd = run.h.sensor_cccd;
    CHECK(run.server.handle(B({0x12, run.h.sc_cccd & 0xFF, run.h.sc_cccd >> 8, 0x02, 0x00}), c.st) == B({0x13}));
    CHECK(run.server.handle(B({0x12, old_cccd & 0xFF, old_cccd >> 8, 0x01, 0x00}), c.st) == B({0x13}));
    run.server.disconnect(c.st);
    rig.settle();
    CHECK(run.indications.empty());
  }
  // Restart with another database: a new service before ours.
  Run run(rig.ch, rig.store, 2);
  REQUIRE(run.h.sensor_cccd != old_cccd);
  const Attribute* moved = run.db.find(old_cccd);
  REQUIRE(moved);
  REQUIRE(moved->kind == AttrKind::cccd);  // the old handle is now another characteristic's CCCD
  Conn c(run, SecurityLevel::low);
  CHECK(run.indications.empty());  // not before the link is encrypted
  c.sec.set(SecurityLevel::medium);
  run.server.refresh(c.st);
  REQUIRE(run.indications.size() == 1);
  CHECK(run.indications[0].first == run.db.find_type(Uuid(0x2A05)));
  CHECK(run.indications[0].second == B({0x01, 0x00, 0xFF, 0xFF}));
  CHECK(c.st.cccd.count(old_cccd) == 0);
  CHECK(run.server.subscription(c.st, moved->value_handle) == 0);
  CHECK(run.server.subscription(c.st, run.h.sensor) == 0);
  CHECK(run.server.stats().stale_cccds_dropped == 1);
  CHECK(c.st.change_aware);  // confirmed
  run.server.disconnect(c.st);
  rig.settle();
  // Next connection, same database: nothing owed.
  Conn again(run, SecurityLevel::medium);
  CHECK(run.indications.size() == 1);
}

TEST_CASE("Vol 3 Part G 2.5.2.1: a change-unaware robust-caching client gets Database Out Of Sync once") {
  Rig rig;
  {
    Run run(rig.ch, rig.store, 1);
    Conn c(run, SecurityLevel::medium);
    const std::uint16_t csf = run.db.find_type(Uuid(0x2B29));
    CHECK(run.server.handle(B({0x12, csf & 0xFF, csf >> 8, 0x01}), c.st) == B({0x13}));
    CHECK(run.server.handle(B({0x12, csf & 0xFF, csf >> 8, 0x00}), c.st) == B({0x01, 0x12, csf & 0xFF, csf >> 8, 0x13}));
    run.server.disconnect(c.st);
    rig.settle();
  }
  Run run(rig.ch, rig.store, 2);
  Conn c(run, SecurityLevel::low);
  CHECK_FALSE(c.st.change_aware);
  // Any request but reading the hash: Database Out Of Sync.
  CHECK(run.server.handle(B({0x0A, 0x03, 0x00}), c.st) == B({0x01, 0x0A, 0x00, 0x00, 0x12}));
  // Read By Type of the Database Hash is answered, and makes it aware.
  const bytes rsp = run.server.handle(B({0x08, 0x01, 0x00, 0xFF, 0xFF, 0x2A, 0x2B}), c.st);
  REQUIRE(!rsp.empty());
  CHECK(rsp[0] == 0x09);
  CHECK(c.st.change_aware);
  CHECK(run.server.handle(B({0x0A, 0x03, 0x00}), c.st).at(0) == 0x0B);
  CHECK(run.server.stats().out_of_sync == 1);
}
