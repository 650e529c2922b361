// BondManager against a scripted kernel and a real SQLite store: key events
// (mgmt-api.txt "New Long Term Key Event", "New Identity Resolving Key
// Event", "New Signature Resolving Key Event", "Device Unpaired Event")
// become storage rows, and a restart loads them back with the exact Load
// Long Term Keys / Load Identity Resolving Keys parameters.
#include "src/gap/bonds.hpp"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "protocol/mgmt/status.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace bcms::gap;
using bcms::test::Answer;
using bcms::test::Command;
using bcms::test::ScriptedKernel;

namespace {

const Address kLocal = Address::parse("00:AA:01:00:00:00").value();
const Address kPeer = Address::parse("11:22:33:44:55:66").value();
const storage::Peer kPeerId{kPeer, AddressType::le_public};
const bytes kPeerWire{0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01};  // address + LE public

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/bcms-bonds-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

bytes seq16(std::uint8_t start) {
  bytes b;
  for (std::uint8_t i = 0; i < 16; ++i) b.push_back(static_cast<std::uint8_t>(start + i));
  return b;
}
storage::Key128 key16(std::uint8_t start) {
  storage::Key128 k{};
  for (std::uint8_t i = 0; i < 16; ++i) k[i] = static_cast<std::uint8_t>(start + i);
  return k;
}
bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// New Long Term Key (0x000A), 37 octets: Store_Hint, Address, Type,
/// Key_Type, Central, Encryption Size, EDIV, Rand, Value.
bytes ltk_event(std::uint8_t hint, const bytes& who, std::uint8_t key_type, std::uint8_t central, std::uint16_t ediv,
                std::uint64_t rand, std::uint8_t key_start) {
  bytes p{hint};
  p.insert(p.end(), who.begin(), who.end());
  p.push_back(key_type);
  p.push_back(central);
  p.push_back(16);
  test::le(p, ediv, 2);
  test::le(p, rand, 8);
  auto v = seq16(key_start);
  p.insert(p.end(), v.begin(), v.end());
  return p;
}

struct Rig {
  asio::io_context io;
  ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  TempDir dir;
  storage::Storage store = storage::Storage::open(dir.path / "bonds.db").value();
  std::unique_ptr<BondManager> bonds = std::make_unique<BondManager>(ch, 0, store, kLocal);

  void event(std::uint16_t code, const bytes& p) { kernel.event(code, 0, p); }
  void settle() { test::run_until(io, [] { return false; }, std::chrono::milliseconds(30)); }
};

}  // namespace

TEST_CASE("New Long Term Key with Store_Hint 1 is stored; the peer is bonded") {
  Rig r;
  std::vector<std::pair<storage::Peer, bool>> seen;
  r.bonds->on_bonded([&](const storage::Peer& p, bool first) { seen.emplace_back(p, first); });
  r.event(0x000A, ltk_event(0x01, kPeerWire, 0x00, 0x00, 0x1234, 0x0102030405060708, 0x00));
  r.event(0x000A, ltk_event(0x01, kPeerWire, 0x00, 0x01, 0x9714, 0x1111111111111111, 0x10));
  REQUIRE(test::run_until(r.io, [&] { return r.bonds->stats().ltks_stored == 2; }));
  auto ltks = r.store.ltks(kLocal).value();
  REQUIRE(ltks.size() == 2);
  storage::LongTermKey responder{kPeerId, 0x00, false, 16, 0x1234, 0x0102030405060708, key16(0x00)};
  storage::LongTermKey central{kPeerId, 0x00, true, 16, 0x9714, 0x1111111111111111, key16(0x10)};
  CHECK(std::find(ltks.begin(), ltks.end(), responder) != ltks.end());
  CHECK(std::find(ltks.begin(), ltks.end(), central) != ltks.end());
  CHECK(r.bonds->bonded(kPeerId));
  CHECK(seen == std::vector<std::pair<storage::Peer, bool>>{{kPeerId, true}, {kPeerId, false}});
  auto dev = r.store.device(kLocal, kPeerId).value();
  REQUIRE(dev.has_value());
  CHECK(dev->paired);
}

TEST_CASE("Store_Hint 0 (no bonding on one side): nothing is written") {
  Rig r;
  r.event(0x000A, ltk_event(0x00, kPeerWire, 0x00, 0x00, 0, 0, 0x00));
  REQUIRE(test::run_until(r.io, [&] { return r.bonds->stats().not_stored == 1; }));
  CHECK(r.store.ltks(kLocal).value().empty());
  CHECK_FALSE(r.bonds->bonded(kPeerId));
}

TEST_CASE("New Identity Resolving Key and New Signature Resolving Key are stored") {
  Rig r;
  // IRK: Store_Hint, Random_Address (an RPA), identity Address + type, Value.
  r.event(0x0018, cat({bytes{0x01}, bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x4A}, kPeerWire, seq16(0x20)}));
  // CSRK: Store_Hint, Address + type, Type 0x01 (remote, unauthenticated), Value.
  r.event(0x0019, cat({bytes{0x01}, kPeerWire, bytes{0x01}, seq16(0x30)}));
  r.event(0x0019, cat({bytes{0x01}, kPeerWire, bytes{0x00}, seq16(0x40)}));  // local
  REQUIRE(test::run_until(r.io, [&] { return r.bonds->stats().csrks_stored == 2; }));
  CHECK(r.store.irks(kLocal).value() == std::vector<storage::IdentityResolvingKey>{{kPeerId, key16(0x20)}});
  CHECK(r.store.csrks(kLocal).value().size() == 2);
  auto csrk = r.bonds->remote_csrk(kPeerId);
  REQUIRE(csrk);
  CHECK(csrk->key == key16(0x30));
  CHECK_FALSE(csrk->authenticated);
}

TEST_CASE("restart: Load Long Term Keys and Load Identity Resolving Keys carry the stored keys (exact bytes)") {
  Rig r;
  REQUIRE(r.store.store_ltk(kLocal, {kPeerId, 0x01, false, 16, 0x1234, 0x0102030405060708, key16(0x00)}));
  // A static random identity (top bits 11) is loadable; an RPA (01) is not.
  const Address stat = Address::parse("C1:00:00:00:00:01").value();
  REQUIRE(r.store.store_ltk(kLocal, {{stat, AddressType::le_random}, 0x02, false, 16, 0, 0, key16(0x10)}));
  const Address rpa = Address::parse("41:00:00:00:00:02").value();
  REQUIRE(r.store.store_ltk(kLocal, {{rpa, AddressType::le_random}, 0x00, false, 16, 0, 0, key16(0x20)}));
  REQUIRE(r.store.store_irk(kLocal, {kPeerId, key16(0x30)}));
  r.bonds = std::make_unique<BondManager>(r.ch, 0, r.store, kLocal);  // as after a restart
  CHECK_FALSE(test::await_on(r.io, r.bonds->load_into_kernel()));
  auto ltk = r.kernel.params(0x0013).value();
  // Key_Count 2, then 36 octets per key: Address, Address_Type, Key_Type,
  // Central, Encryption_Size, EDIV, Rand, Value.
  const bytes key_public = cat({kPeerWire, bytes{0x01, 0x00, 0x10, 0x34, 0x12, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03,
                                                 0x02, 0x01},
                                seq16(0x00)});
  const bytes key_static = cat({bytes{0x01, 0x00, 0x00, 0x00, 0x00, 0xC1, 0x02}, bytes{0x02, 0x00, 0x10, 0x00, 0x00},
                                bytes(8, 0x00), seq16(0x10)});
  REQUIRE(ltk.size() == 2 + 2 * 36);
  CHECK(ltk[0] == 0x02);
  CHECK(ltk[1] == 0x00);
  const bytes k1(ltk.begin() + 2, ltk.begin() + 38), k2(ltk.begin() + 38, ltk.end());
  CHECK(((k1 == key_public && k2 == key_static) || (k1 == key_static && k2 == key_public)));
  // Key_Count 1; Address, Address_Type, Value.
  CHECK(r.kernel.params(0x0030) == cat({bytes{0x01, 0x00}, kPeerWire, seq16(0x30)}));
  CHECK(r.bonds->bonded(kPeerId));
}

TEST_CASE("a refused Load Long Term Keys is reported") {
  Rig r;
  r.kernel.on(0x0013, [](const Command&) { return Answer{0x0D, {}}; });
  CHECK(test::await_on(r.io, r.bonds->load_into_kernel()) == make_error_code(mgmt::Status::InvalidParameters));
  CHECK(r.kernel.count(0x0030) == 0);
}

TEST_CASE("Device Unpaired removes the peer's keys and CCCDs") {
  Rig r;
  r.event(0x000A, ltk_event(0x01, kPeerWire, 0x00, 0x00, 0, 0, 0x00));
  REQUIRE(test::run_until(r.io, [&] { return r.bonds->bonded(kPeerId); }));
  att::ClientRecord rec;
  rec.cccds = {{0x000D, 0x0001}};
  r.bonds->save(kPeerId, rec);
  r.settle();
  REQUIRE(r.store.gatt_client(kLocal, kPeerId).value());
  std::optional<storage::Peer> unpaired;
  r.bonds->on_unpaired([&](const storage::Peer& p) { unpaired = p; });
  r.event(0x0016, kPeerWire);
  REQUIRE(test::run_until(r.io, [&] { return unpaired.has_value(); }));
  CHECK(*unpaired == kPeerId);
  CHECK_FALSE(r.bonds->bonded(kPeerId));
  CHECK(r.store.ltks(kLocal).value().empty());
  CHECK(r.store.cccds(kLocal, kPeerId).value().empty());
  CHECK_FALSE(r.store.gatt_client(kLocal, kPeerId).value());
}

TEST_CASE("ClientStore over storage: records are batched into one commit per loop turn and survive a new manager") {
  Rig r;
  REQUIRE(r.store.store_ltk(kLocal, storage::LongTermKey{kPeerId, 0, false, 16, 0, 0, key16(0)}));
  r.bonds = std::make_unique<BondManager>(r.ch, 0, r.store, kLocal);
  att::ClientRecord rec;
  rec.db_hash = key16(0x50);
  rec.service_changed = true;
  rec.features = 0x01;
  rec.sign_counter = 42;
  rec.cccds = {{0x0009, 0x0002}, {0x000D, 0x0001}};
  r.bonds->save(kPeerId, rec);
  rec.sign_counter = 43;
  r.bonds->save(kPeerId, rec);  // same loop turn: coalesced
  CHECK(r.bonds->load(kPeerId) == rec);  // visible before the commit
  CHECK_FALSE(r.store.gatt_client(kLocal, kPeerId).value());
  r.settle();
  CHECK(r.bonds->stats().client_commits == 1);
  CHECK(r.bonds->stats().client_records == 1);
  r.bonds = std::make_unique<BondManager>(r.ch, 0, r.store, kLocal);
  CHECK(r.bonds->load(kPeerId) == rec);
  // Not bonded: nothing is kept.
  const storage::Peer stranger{Address::parse("11:22:33:44:55:67").value(), AddressType::le_public};
  r.bonds->save(stranger, rec);
  r.settle();
  CHECK_FALSE(r.bonds->load(stranger));
}

TEST_CASE("a new remote CSRK restarts the SignCounter sequence (Vol 3 Part H 2.4.5)") {
  Rig r;
  REQUIRE(r.store.store_ltk(kLocal, storage::LongTermKey{kPeerId, 0, false, 16, 0, 0, key16(0)}));
  r.bonds = std::make_unique<BondManager>(r.ch, 0, r.store, kLocal);
  att::ClientRecord rec;
  rec.sign_counter = 1000;
  r.bonds->save(kPeerId, rec);
  r.settle();
  r.event(0x0019, cat({bytes{0x01}, kPeerWire, bytes{0x01}, seq16(0x30)}));
  REQUIRE(test::run_until(r.io, [&] { return r.bonds->stats().csrks_stored == 1; }));
  CHECK(r.bonds->load(kPeerId).value().sign_counter == 0);
}

TEST_CASE("keys for another controller index are not ours") {
  Rig r;
  r.kernel.event(0x000A, 1, ltk_event(0x01, kPeerWire, 0x00, 0x00, 0, 0, 0x00));
  r.settle();
  CHECK(r.store.ltks(kLocal).value().empty());
}
