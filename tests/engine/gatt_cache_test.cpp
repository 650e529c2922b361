// The discovery cache end to end (src/att/discovery_cache.hpp): our
// GattClient against a REAL GattServer over socketpair(AF_UNIX,
// SOCK_SEQPACKET), the cache in a real SQLite store behind gap::BondManager.
// The server is wrapped in a recorder that counts the opcodes it received
// (and passes every PDU on), so "no discovery" is what the peer saw: no
// Read By Group Type (0x10).  Core v5.4 Vol 3 Part G 2.5.2 (caching), 7.1
// (Service Changed), 7.2 (Client Supported Features), 7.3 (Database Hash).
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <filesystem>
#include <map>

#include "protocol/att/att_error.hpp"
#include "src/att/discovery_cache.hpp"
#include "src/att/gatt_client.hpp"
#include "src/att/gatt_server.hpp"
#include "src/gap/bonds.hpp"
#include "src/gap/rpa.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace bcms::att;

namespace {

const Address kLocal = Address::parse("00:AA:01:00:00:00").value();
const Address kPeerLocal = Address::parse("00:BB:02:00:00:00").value();  // the peer's own controller
const Peer kId{Address::parse("C1:22:33:44:55:66").value(), AddressType::le_random};  // static identity
const Key128 kIrk{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
constexpr std::uint8_t op_read_by_group_type = 0x10;
constexpr std::uint8_t op_write_req = 0x12;

/// An RPA of kIrk with this prand (top bits forced to 0b01).
Peer rpa(std::uint32_t prand) {
  prand = (prand & 0x3FFFFF) | 0x400000;
  const std::uint32_t hash = gap::rpa_hash(kIrk, prand).value();
  Peer p{{}, AddressType::le_random};
  for (int i = 0; i < 3; ++i) {
    p.addr.b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hash >> (8 * i));
    p.addr.b[static_cast<std::size_t>(i + 3)] = static_cast<std::uint8_t>(prand >> (8 * i));
  }
  return p;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/bcms-gcache-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

enum class Core { robust, no_hash, none };

/// The peer's database: Generic Access/Attribute (as `core` says), a
/// Battery service and a Heart Rate service; version 2 inserts a service
/// before them (every later handle moves, the hash changes).
void build(GattDb& db, int version, Core core = Core::robust) {
  if (core != Core::none) add_core_services(db, "peer", 0, core == Core::robust);
  if (version == 2) {
    db.begin_service(Uuid(0xFFE0));
    db.add_characteristic(Uuid(0xFFE1), prop::read, AttributeSpec{});
    db.end_service();
  }
  db.begin_service(Uuid(0x180F));
  AttributeSpec level;
  level.perms = perm::read;
  level.value = bytes{0x64};
  db.add_characteristic(Uuid(0x2A19), prop::read | prop::notify, std::move(level));
  db.end_service();
  db.begin_service(Uuid(0x180D));
  db.add_characteristic(Uuid(0x2A37), prop::notify, AttributeSpec{});
  AttributeSpec location;
  location.perms = perm::read;
  location.value = bytes{0x01};
  db.add_characteristic(Uuid(0x2A38), prop::read, std::move(location));
  db.end_service();
}

/// The peer device: a real GattServer; the recorder counts what reached it.
struct Device final : ServerRole {
  GattDb db;
  GattServer server;
  std::map<std::uint8_t, int> received;
  std::vector<bytes> writes;  // Write Request PDUs
  int out_of_sync = 0;        // the next N requests are answered Database Out Of Sync (injected)
  explicit Device(int version, Core core = Core::robust) : server((build(db, version, core), db)) {}
  void connect(ConnState& c) override { server.connect(c); }
  void disconnect(ConnState& c) override { server.disconnect(c); }
  void security_changed(ConnState& c) override { server.security_changed(c); }
  void handle(byte_span pdu, ConnState& c, Respond r) override {
    if (!pdu.empty()) {
      ++received[pdu[0]];
      if (pdu[0] == op_write_req) writes.emplace_back(pdu.begin(), pdu.end());
      if (out_of_sync > 0 && r) {
        --out_of_sync;  // Vol 3 Part F 3.4.1.1: Error Response, handle 0x0000
        r(Response{bytes{0x01, pdu[0], 0x00, 0x00, static_cast<std::uint8_t>(att_errc::database_out_of_sync)}});
        return;
      }
    }
    server.handle(pdu, c, std::move(r));
  }
  int count(std::uint8_t op) const {
    auto it = received.find(op);
    return it == received.end() ? 0 : it->second;
  }
};

AttBearer::Socket wrap(asio::io_context& io, int fd) {
  return AttBearer::Socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fd);
}

/// One connection: the device's bearer and ours on one socketpair.
struct Link {
  StaticLinkSecurity sec{SecurityLevel::medium, 16};
  std::shared_ptr<AttBearer> device_bearer, our_bearer;
  std::unique_ptr<GattClient> client;
  Link(asio::io_context& io, Device& dev, bool bonded_to_device = false) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    ConnState s;
    s.id = 1;
    s.peer = Peer{kLocal, AddressType::le_public};
    s.bonded = bonded_to_device;
    s.security = &sec;
    device_bearer = AttBearer::create(wrap(io, sv[0]), dev, std::move(s));
    std::weak_ptr<AttBearer> weak = device_bearer;
    dev.server.set_indicate_sink([weak](ConnState&, std::uint16_t h, bytes v, std::function<void(std::error_code)> done) {
      if (auto b = weak.lock()) b->send_indication(h, std::move(v), std::move(done));
    });
    ConnState c;
    c.id = 2;
    our_bearer = AttBearer::create(wrap(io, sv[1]), std::move(c), AttBearer::Options{});
    client = std::make_unique<GattClient>(our_bearer);
    device_bearer->start();
    our_bearer->start();
  }
  ~Link() {
    client.reset();
    our_bearer->close();
    device_bearer->close();
  }
};

/// Our side: the mgmt channel (scripted kernel), the SQLite file and the
/// BondManager over it, with kId bonded (an LTK and its IRK stored).
struct Rig {
  asio::io_context io;
  test::ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  TempDir dir;
  std::optional<storage::Storage> store;
  std::unique_ptr<gap::BondManager> bonds;

  Rig() {
    open();
    REQUIRE(store->store_ltk(kLocal, storage::LongTermKey{kId, 0, false, 16, 0, 0, {}}));
    REQUIRE(store->store_irk(kLocal, storage::IdentityResolvingKey{kId, kIrk}));
    bonds = std::make_unique<gap::BondManager>(ch, 0, *store, kLocal);
  }
  void open() { store.emplace(storage::Storage::open(dir.path / "bonds.db").value()); }
  /// Closes the manager and the file, opens both again (a restart).
  void reopen() {
    bonds.reset();
    store.reset();
    open();
    bonds = std::make_unique<gap::BondManager>(ch, 0, *store, kLocal);
  }

  expected<RemoteDatabase> resolve(Link& l, const Peer& identity, ResolveStats& st, bool with_store = true) {
    return test::await_on(io, resolve_database(*l.client, with_store ? bonds.get() : nullptr, identity, &st));
  }
  /// A whole connection: connect, resolve, disconnect; what it found, and
  /// how many Read By Group Type requests the device received.
  struct Outcome {
    RemoteDatabase db;
    ResolveStats st;
    int group_reads = 0;
  };
  Outcome connect_and_resolve(Device& dev, const Peer& identity = kId, bool with_store = true) {
    dev.received.clear();
    Link l(io, dev);
    Outcome o;
    auto db = resolve(l, identity, o.st, with_store);
    REQUIRE(db);
    o.db = std::move(*db);
    o.group_reads = dev.count(op_read_by_group_type);
    return o;
  }
  std::optional<RemoteDatabase> cached(const Peer& identity) {
    auto blob = store->gatt_cache(kLocal, identity).value();
    if (!blob) return std::nullopt;
    return decode_remote_database(*blob).value();
  }
  void settle() { test::run_until(io, [] { return false; }, std::chrono::milliseconds(20)); }
};

/// The Battery Level read through the handle `db` gives (empty on failure).
bytes battery_level(Rig& rig, Link& l, const RemoteDatabase& db) {
  const CharacteristicInfo* c = db.find(Uuid(0x2A19));
  REQUIRE(c);
  auto v = test::await_on(rig.io, l.client->read(c->value_handle));
  return v ? *v : bytes{};
}

/// Two connections, both discovering, nothing stored.
void never_cached(Rig& rig, Device& dev, bool with_store = true) {
  for (int i = 0; i < 2; ++i) {
    const auto o = rig.connect_and_resolve(dev, kId, with_store);
    CHECK_FALSE(o.st.cache_hit);
    CHECK(o.group_reads > 0);
    CHECK_FALSE(rig.cached(kId));
  }
}

bool has_service(const RemoteDatabase& db, Uuid u) {
  for (const auto& s : db.services)
    if (s.uuid == u) return true;
  return false;
}

}  // namespace

TEST_CASE("First connection discovers and stores; the second, same hash, sends no Read By Group Type") {
  Rig rig;
  Device dev(1);
  RemoteDatabase first;
  {
    Link l(rig.io, dev);
    ResolveStats st;
    auto db = rig.resolve(l, kId, st);
    REQUIRE(db);
    CHECK_FALSE(st.cache_hit);
    CHECK(dev.count(op_read_by_group_type) > 0);
    CHECK(db->hash == dev.server.hash());
    CHECK(has_service(*db, Uuid(0x180F)));
    CHECK(has_service(*db, Uuid(0x180D)));
    REQUIRE(db->find(Uuid(0x2A37)));
    CHECK(db->cccd(db->find(Uuid(0x2A37))->value_handle));
    auto stored = rig.cached(kId);
    REQUIRE(stored);
    CHECK(encode(*stored) == encode(*db));
    first = *db;
  }
  dev.received.clear();
  Link l(rig.io, dev);
  ResolveStats st;
  auto db = rig.resolve(l, kId, st);
  REQUIRE(db);
  CHECK(st.cache_hit);
  CHECK(dev.count(op_read_by_group_type) == 0);
  CHECK(dev.count(0x08) == 1);  // the one Read By Type: the Database Hash
  CHECK(dev.count(0x04) == 0);  // no Find Information
  CHECK(encode(*db) == encode(first));
  CHECK(st.requests == 2);  // the hash read and the Client Supported Features write
  CHECK(battery_level(rig, l, *db) == bytes{0x64});  // the cached handles are the device's
}

TEST_CASE("Vol 3 Part G 7.2: Client Supported Features written with bit 0 (Robust Caching), cache hit or not") {
  Rig rig;
  Device dev(1);
  for (int i = 0; i < 2; ++i) {
    dev.writes.clear();
    Link l(rig.io, dev);
    ResolveStats st;
    auto db = rig.resolve(l, kId, st);
    REQUIRE(db);
    CHECK(st.cache_hit == (i == 1));
    CHECK(st.features_written);
    const std::uint16_t h = db->find(Uuid(client_features_uuid))->value_handle;
    REQUIRE(dev.writes.size() == 1);
    CHECK(dev.writes[0] == bytes{op_write_req, static_cast<std::uint8_t>(h), static_cast<std::uint8_t>(h >> 8), 0x01});
    CHECK(l.device_bearer->state().client_features == client_feature_robust_caching);
  }
}

TEST_CASE("A changed database (another hash) is discovered again and the entry replaced") {
  Rig rig;
  Device v1(1);
  rig.connect_and_resolve(v1);
  const DbHash old_hash = rig.cached(kId)->hash.value();
  Device v2(2);
  Link l(rig.io, v2);
  ResolveStats st;
  auto db = rig.resolve(l, kId, st);
  REQUIRE(db);
  CHECK_FALSE(st.cache_hit);
  CHECK(st.dropped);
  CHECK(v2.count(op_read_by_group_type) > 0);
  CHECK(has_service(*db, Uuid(0xFFE0)));
  CHECK(db->hash == v2.server.hash());
  CHECK(db->hash != old_hash);
  CHECK(rig.cached(kId)->hash == v2.server.hash());
  CHECK(battery_level(rig, l, *db) == bytes{0x64});  // the battery level moved: the new handle reads
}

TEST_CASE("Vol 3 Part G 7.1: a Service Changed indication drops the cache") {
  Rig rig;
  Device dev(1);
  Link l(rig.io, dev);
  ResolveStats st;
  auto db = rig.resolve(l, kId, st);
  REQUIRE(db);
  REQUIRE(rig.cached(kId));
  std::optional<std::pair<std::uint16_t, std::uint16_t>> changed;
  auto sub = test::await_on(rig.io, watch_service_changed(*l.client, *db, rig.bonds.get(), kId,
                                                          [&](std::uint16_t s, std::uint16_t e) { changed.emplace(s, e); }));
  REQUIRE(sub);
  CHECK(sub->value_handle() == db->find(Uuid(service_changed_uuid))->value_handle);
  // The device adds a service while we are connected.
  dev.db.begin_service(Uuid(0xFFD0));
  const auto added = dev.db.add_characteristic(Uuid(0xFFD1), prop::read, AttributeSpec{});
  dev.db.end_service();
  REQUIRE(test::run_until(rig.io, [&] { return changed.has_value(); }, std::chrono::milliseconds(2000)));
  CHECK(changed->first <= added.value);
  CHECK(changed->second >= added.value);
  CHECK_FALSE(rig.cached(kId));
  CHECK_FALSE(rig.bonds->load_cache(kId));
  // Resolving again discovers the new service.
  dev.received.clear();
  auto again = rig.resolve(l, kId, st);
  REQUIRE(again);
  CHECK_FALSE(st.cache_hit);
  CHECK(dev.count(op_read_by_group_type) > 0);
  CHECK(has_service(*again, Uuid(0xFFD0)));
}

TEST_CASE("A database without Service Changed and CCCD: no subscription") {
  Rig rig;
  Device dev(1, Core::none);
  Link l(rig.io, dev);
  ResolveStats st;
  auto db = rig.resolve(l, kId, st);
  REQUIRE(db);
  auto sub = test::await_on(rig.io, watch_service_changed(*l.client, *db, rig.bonds.get(), kId));
  REQUIRE(sub);
  CHECK(sub->value_handle() == 0);
}

TEST_CASE("The cache survives closing and reopening the SQLite file") {
  Rig rig;
  Device dev(1);
  CHECK_FALSE(rig.connect_and_resolve(dev).st.cache_hit);
  rig.reopen();
  const auto o = rig.connect_and_resolve(dev);
  CHECK(o.st.cache_hit);
  CHECK(o.group_reads == 0);
}

TEST_CASE("Vol 6 Part B 1.3.2.3: two RPAs of one identity find the same entry") {
  Rig rig;
  const Peer a = rpa(0x123456), b = rpa(0x2ABCDE);
  REQUIRE(a.addr != b.addr);
  CHECK(rig.bonds->identity_of(a) == kId);
  CHECK(rig.bonds->identity_of(b) == kId);
  // An RPA of another IRK, and a non-resolvable address, stay themselves.
  Peer other = a;
  other.addr.b[0] ^= 0x01;
  CHECK(rig.bonds->identity_of(other) == other);
  CHECK(rig.bonds->identity_of(kId) == kId);

  Device dev(1);
  CHECK_FALSE(rig.connect_and_resolve(dev, rig.bonds->identity_of(a)).st.cache_hit);
  const auto o = rig.connect_and_resolve(dev, rig.bonds->identity_of(b));
  CHECK(o.st.cache_hit);
  CHECK(o.group_reads == 0);
  CHECK_FALSE(rig.store->gatt_cache(kLocal, a).value());  // nothing under an RPA
}

TEST_CASE("Device Unpaired drops the cache with the bond; a peer that is not bonded gets none") {
  Rig rig;
  Device dev(1);
  rig.connect_and_resolve(dev);
  REQUIRE(rig.cached(kId));
  // mgmt-api.txt Device Unpaired Event: Address, Address_Type (2: LE random).
  bytes ev(kId.addr.b.begin(), kId.addr.b.end());
  ev.push_back(0x02);
  rig.kernel.event(0x0016, 0, ev);
  REQUIRE(test::run_until(rig.io, [&] { return !rig.bonds->bonded(kId); }, std::chrono::milliseconds(1000)));
  CHECK_FALSE(rig.cached(kId));
  // Not bonded any more: discovery every time, nothing stored.
  never_cached(rig, dev);
}

TEST_CASE("Vol 3 Part G 2.5.2: a peer without a Database Hash is cached only when it has Service Changed") {
  Rig rig;
  SUBCASE("Service Changed, no hash: the second connection uses the cache") {
    Device dev(1, Core::no_hash);
    for (int i = 0; i < 2; ++i) {
      const auto o = rig.connect_and_resolve(dev);
      CHECK_FALSE(o.db.hash);
      CHECK_FALSE(o.st.features_written);  // no Client Supported Features either
      CHECK(o.st.cache_hit == (i == 1));
      CHECK((o.group_reads == 0) == (i == 1));
    }
  }
  SUBCASE("neither: every connection discovers, nothing is stored") {
    Device dev(1, Core::none);
    never_cached(rig, dev);
  }
  SUBCASE("a cached peer that lost its hash is discovered again") {
    Device had_hash(1);
    rig.connect_and_resolve(had_hash);
    Device dev(1, Core::no_hash);
    const auto o = rig.connect_and_resolve(dev);
    CHECK_FALSE(o.st.cache_hit);
    CHECK(o.group_reads > 0);
  }
}

TEST_CASE("Without a store: always discovers") {
  Rig rig;
  Device dev(1);
  never_cached(rig, dev, false);
}

TEST_CASE("A stored blob that does not decode is a cache miss, dropped, then replaced") {
  Rig rig;
  REQUIRE(rig.store->store_gatt_cache(kLocal, kId, bytes{0x01, 0x01, 0x02}));
  Device dev(1);
  Link l(rig.io, dev);
  ResolveStats st;
  auto db = rig.resolve(l, kId, st);
  REQUIRE(db);
  CHECK_FALSE(st.cache_hit);
  CHECK(st.dropped);
  CHECK(dev.count(op_read_by_group_type) > 0);
  REQUIRE(rig.cached(kId));
  CHECK(encode(*rig.cached(kId)) == encode(*db));
}

TEST_CASE("Vol 3 Part G 2.5.2.1: Database Out Of Sync drops the cache; resolving again rediscovers") {
  // The device keeps its bonded client's record (our Client Supported
  // Features, the hash we knew) in its own BondManager: after its database
  // changed while we were away, our first request with old handles is
  // answered Database Out Of Sync.
  Rig rig;
  TempDir peer_dir;
  storage::Storage peer_store = storage::Storage::open(peer_dir.path / "peer.db").value();
  REQUIRE(peer_store.store_ltk(kPeerLocal, storage::LongTermKey{Peer{kLocal, AddressType::le_public}, 0, false, 16, 0, 0, {}}));
  gap::BondManager peer_bonds(rig.ch, 1, peer_store, kPeerLocal);
  RemoteDatabase old;
  {
    Device v1(1);
    v1.server.set_client_store(&peer_bonds);
    Link l(rig.io, v1, true);
    ResolveStats st;
    auto db = rig.resolve(l, kId, st);
    REQUIRE(db);
    CHECK(st.features_written);
    old = *db;
    rig.settle();
  }
  Device v2(2);
  v2.server.set_client_store(&peer_bonds);
  Link l(rig.io, v2, true);
  rig.settle();
  const std::uint16_t stale = old.find(Uuid(0x2A19))->value_handle;
  auto r = test::await_on(rig.io, l.client->read(stale));
  REQUIRE_FALSE(r);
  CHECK(r.error() == make_error_code(att_errc::database_out_of_sync));
  CHECK(v2.server.stats().out_of_sync == 1);
  CHECK(drop_if_out_of_sync(r.error(), rig.bonds.get(), kId));
  CHECK_FALSE(rig.cached(kId));
  CHECK_FALSE(drop_if_out_of_sync(make_error_code(att_errc::attribute_not_found), rig.bonds.get(), kId));

  ResolveStats st;
  auto db = rig.resolve(l, kId, st);
  REQUIRE(db);
  CHECK_FALSE(st.cache_hit);
  CHECK(v2.count(op_read_by_group_type) > 0);
  CHECK(has_service(*db, Uuid(0xFFE0)));
  CHECK(rig.cached(kId)->hash == v2.server.hash());
}

TEST_CASE("Database Out Of Sync during resolve_database: the entry is dropped and discovery runs, once") {
  Rig rig;
  Device dev(1);
  rig.connect_and_resolve(dev);
  REQUIRE(rig.cached(kId));
  dev.out_of_sync = 1;  // the hash read at the cached handle
  auto o = rig.connect_and_resolve(dev);
  CHECK_FALSE(o.st.cache_hit);
  CHECK(o.st.dropped);
  CHECK(o.group_reads > 0);
  CHECK(o.st.features_written);
  REQUIRE(rig.cached(kId));
  CHECK(rig.cached(kId)->hash == dev.server.hash());
  // Out Of Sync again after the retry: the error is the caller's.
  dev.out_of_sync = 2;
  dev.received.clear();
  Link l(rig.io, dev);
  ResolveStats st;
  auto r = rig.resolve(l, kId, st);
  REQUIRE_FALSE(r);
  CHECK(r.error() == make_error_code(att_errc::database_out_of_sync));
  CHECK_FALSE(rig.cached(kId));
  CHECK(dev.count(op_read_by_group_type) == 0);
}
