// Registry: devices seen (name, RSSI, last seen, advertising interval),
// RPAs merged under their identity by IRK (Core v5.4 Vol 3 Part H 2.2.2),
// list/approve/remove with the original's error texts, mode enforcement,
// persistence across reopen, batched writes.
#include "src/daemon/registry.hpp"

#include <doctest/doctest.h>

#include "gen/mgmt_types.hpp"
#include "src/gap/rpa.hpp"
#include "tests/engine/daemon_fixture.hpp"

using namespace bcms;
using namespace bcms::daemon;
using namespace std::chrono_literals;
using bcms::test::TestClock;

namespace {

const Peer kA{Address::parse("11:22:33:44:55:66").value(), AddressType::le_public};
const Peer kB{Address::parse("C0:00:00:00:00:0B").value(), AddressType::le_random};  // static random

struct Rig {
  asio::io_context io;
  test::TempDir dir;
  TestClock clock;
  std::optional<storage::Storage> store;
  std::unique_ptr<Registry> reg;
  Registry::Options opts;

  Rig() { open(); }
  void open() {
    reg.reset();
    store.reset();
    store.emplace(storage::Storage::open(dir.path / "bcms.db").value());
    reg = std::make_unique<Registry>(io.get_executor(), *store, test::kLocal, opts, clock.fn());
    REQUIRE(reg->load());
  }
  void run() {
    io.restart();
    io.poll();
  }
  void seen(const Peer& p, std::int8_t rssi = -60, const std::string& name = {}) {
    auto eir = name.empty() ? bytes{} : test::name_ad(name);
    reg->report(p, rssi, eir);
  }
};

}  // namespace

TEST_CASE("ah: the Core spec's sample data, and RPA recognition") {
  CHECK(gap::rpa_hash(test::kSampleIrk, 0x708194) == std::optional<std::uint32_t>(0x0dfbaa));
  CHECK(gap::rpa_matches(test::kSampleIrk, test::kSampleRpa.addr));
  CHECK(gap::is_resolvable_private(test::kSampleRpa));
  auto other = test::kSampleRpa.addr;
  other.b[0] ^= 1;  // hash off by one bit
  CHECK_FALSE(gap::rpa_matches(test::kSampleIrk, other));
  CHECK_FALSE(gap::is_resolvable_private(kA));
  CHECK_FALSE(gap::is_resolvable_private(kB));  // static random: top bits 11
}

TEST_CASE("Reports: name, RSSI, last seen, count, advertising interval from the smallest gap") {
  Rig r;
  std::vector<Event> events;
  auto sub = r.reg->events().subscribe([&](const Event& e) { events.push_back(e); });
  r.seen(kA, -70, "Thermo");
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == Event::Kind::device_new);
  CHECK(events[0].address == "11:22:33:44:55:66");
  // Gaps of 205, 100 (the interval), 300 (a missed report) ms; then 30 s
  // (out of the 10.24 s range, not counted).
  for (auto gap : {205ms, 100ms, 300ms}) {
    r.clock.t += gap;
    r.seen(kA, -50);
  }
  auto d = r.reg->info(kA).value();
  CHECK(d.name == "Thermo");
  CHECK(d.rssi == std::optional<std::int8_t>(-50));
  CHECK(d.reports == 4);
  CHECK(d.last_seen == std::optional<Clock::time_point>(r.clock.t));
  CHECK(d.adv_interval == std::optional<std::chrono::milliseconds>(100ms));
  r.clock.t += 30s;
  r.seen(kA, -40);
  CHECK(r.reg->info(kA)->adv_interval == std::optional<std::chrono::milliseconds>(100ms));
  CHECK(events.size() == 1);  // no second device_new
}

TEST_CASE("A complete name wins over a shortened one") {
  Rig r;
  const bytes shortened{0x03, 0x08, 'T', 'h'};
  r.reg->report(kA, -60, shortened);
  CHECK(r.reg->info(kA)->name == "Th");
  r.seen(kA, -60, "Thermo");
  r.reg->report(kA, -60, shortened);
  CHECK(r.reg->info(kA)->name == "Thermo");
  r.seen(kA, -60, "Thermo 2");
  CHECK(r.reg->info(kA)->name == "Thermo 2");
}

TEST_CASE("Interval unknown until three gaps") {
  Rig r;
  r.seen(kA);
  r.clock.t += 100ms;
  r.seen(kA);
  r.clock.t += 100ms;
  r.seen(kA);
  CHECK_FALSE(r.reg->info(kA)->adv_interval.has_value());
  r.clock.t += 100ms;
  r.seen(kA);
  CHECK(r.reg->info(kA)->adv_interval.has_value());
}

TEST_CASE("list: seen in the last 60 s, or approved, or paired; only_approved includes paired") {
  Rig r;
  const Peer c{Address::parse("22:22:22:22:22:22").value(), AddressType::le_public};
  r.seen(kA);
  r.seen(kB);
  r.seen(c);
  REQUIRE(r.reg->approve(kA));
  r.reg->set_paired(kB, true);
  r.clock.t += 61s;  // nobody seen for 61 s
  auto all = r.reg->list(false);
  REQUIRE(all.size() == 2);
  CHECK(all[0].address == "11:22:33:44:55:66");
  CHECK(all[0].approved);
  CHECK_FALSE(all[0].paired);
  CHECK(all[1].address == "C0:00:00:00:00:0B");
  CHECK(all[1].paired);
  CHECK(all[1].approved);  // pairing implies approval
  auto approved = r.reg->list(true);
  CHECK(approved.size() == 2);  // the original dropped the paired one
  r.seen(c);
  CHECK(r.reg->list(false).size() == 3);
  CHECK(r.reg->list(true).size() == 2);
  r.clock.t += 60s;
  CHECK(r.reg->list(false).size() == 3);  // exactly 60 s ago still counts
  r.clock.t += 1s;
  CHECK(r.reg->list(false).size() == 2);
}

TEST_CASE("approve and remove: the original's error texts") {
  Rig r;
  auto e = r.reg->approve(kA);
  REQUIRE_FALSE(e);
  CHECK(e.error().text == "Device not found");
  CHECK(e.error().code == errc::device_not_found);
  r.seen(kA);
  CHECK(r.reg->approve(kA));
  e = r.reg->approve(kA);
  REQUIRE_FALSE(e);
  CHECK(e.error().text == "Device already approved");
  r.reg->set_paired(kB, true);
  e = r.reg->approve(kB);
  REQUIRE_FALSE(e);
  CHECK(e.error().text == "Device already approved");

  e = r.reg->remove(kB);
  REQUIRE_FALSE(e);
  CHECK(e.error().text == "Cannot remove paired device. Unpair first.");
  const Peer unknown{Address::parse("99:99:99:99:99:99").value(), AddressType::le_public};
  e = r.reg->remove(unknown);
  REQUIRE_FALSE(e);
  CHECK(e.error().text == "Device not found");
  CHECK(r.reg->remove(kA));
  CHECK_FALSE(r.reg->info(kA).has_value());
  r.seen(kA);  // reappears, unapproved
  CHECK_FALSE(r.reg->info(kA)->approved);
}

TEST_CASE("Mode: default approved, enforced on readings, persisted") {
  Rig r;
  CHECK(r.reg->mode() == Mode::approved);
  r.seen(kA);
  r.seen(kB);
  REQUIRE(r.reg->approve(kA));
  CHECK(r.reg->accepts_readings_from(kA));
  CHECK_FALSE(r.reg->accepts_readings_from(kB));
  const Peer never{Address::parse("33:33:33:33:33:33").value(), AddressType::le_public};
  CHECK_FALSE(r.reg->accepts_readings_from(never));
  sensor::Reading hr{"heart_rate", "rate", 67, "bpm", {}};
  r.reg->add_reading(kA, hr, r.clock.t);
  r.reg->add_reading(kB, hr, r.clock.t);
  CHECK(r.reg->readings(kA, 10).size() == 1);
  CHECK(r.reg->readings(kB, 10).empty());
  CHECK(r.reg->stats().readings_refused == 1);

  r.reg->set_mode(Mode::any);
  CHECK(r.reg->accepts_readings_from(kB));
  CHECK(r.reg->accepts_readings_from(never));
  r.reg->add_reading(kB, hr, r.clock.t);
  CHECK(r.reg->readings(kB, 10).size() == 1);
  r.run();  // the batched write
  r.open();
  CHECK(r.reg->mode() == Mode::any);
  r.reg->set_mode(Mode::approved);
  r.open();  // the destructor writes what is dirty
  CHECK(r.reg->mode() == Mode::approved);
}

TEST_CASE("Readings: the latest N per device, newest last") {
  Rig r;
  r.opts.readings_per_device = 3;
  r.open();
  r.reg->set_mode(Mode::any);
  for (int i = 0; i < 5; ++i) {
    sensor::Reading t{"temperature", "level", 20.0 + i, "°C", {}};
    r.reg->add_reading(kA, t, r.clock.t + std::chrono::seconds(i));
  }
  auto v = r.reg->readings(kA, 10);
  REQUIRE(v.size() == 3);
  CHECK(v[0].reading.value == 22.0);
  CHECK(v[2].reading.value == 24.0);
  CHECK(r.reg->readings(kA, 1).at(0).reading.value == 24.0);
}

TEST_CASE("Persistence: approvals, pairing, names and registration survive a reopen; passers-by are not written") {
  Rig r;
  r.seen(kA, -61, "Cuff");
  r.seen(kB, -62);
  const Peer passer{Address::parse("44:44:44:44:44:44").value(), AddressType::le_public};
  r.seen(passer);
  REQUIRE(r.reg->approve(kA));
  r.reg->set_paired(kB, true);
  r.reg->set_registration(kA, "cd553938-8960-4e70-864a-a7fba06578c0", r.clock.t);
  auto written = test::await_on(r.io, r.reg->commit());
  REQUIRE(written);
  CHECK(r.reg->stats().commits == 1);  // one transaction for all of it
  CHECK(r.store->devices(test::kLocal)->size() == 2);
  r.open();
  auto a = r.reg->info(kA);
  REQUIRE(a);
  CHECK(a->approved);
  CHECK(a->name == "Cuff");
  CHECK(a->rssi == std::optional<std::int8_t>(-61));
  CHECK(a->registration_id == std::optional<std::string>("cd553938-8960-4e70-864a-a7fba06578c0"));
  CHECK(r.reg->info(kB)->paired);
  CHECK_FALSE(r.reg->info(passer).has_value());

  // Removed and unpaired devices leave the file.
  REQUIRE(r.reg->remove(kA));
  r.reg->set_paired(kB, false);
  r.reg->revoke(kB);
  REQUIRE(test::await_on(r.io, r.reg->commit()));
  CHECK(r.store->devices(test::kLocal)->empty());
}

TEST_CASE("Batching: a burst of reports costs no write; last seen of a remembered device at most once a minute") {
  Rig r;
  r.seen(kA);
  REQUIRE(r.reg->approve(kA));
  r.run();
  const auto commits = r.reg->stats().commits;
  CHECK(commits == 1);
  const Peer passer{Address::parse("44:44:44:44:44:44").value(), AddressType::le_public};
  for (int i = 0; i < 1000; ++i) {
    r.clock.t += 10ms;
    r.seen(passer);
    r.seen(kA);
  }
  r.run();
  CHECK(r.reg->stats().commits == commits);  // 10 s of reports: nothing written
  r.clock.t += 60s;
  r.seen(kA);
  r.seen(kA);
  r.run();
  CHECK(r.reg->stats().commits == commits + 1);
  CHECK(r.store->device(test::kLocal, kA).value()->last_seen ==
        std::chrono::time_point_cast<std::chrono::seconds>(r.clock.t));
}

TEST_CASE("RPA merge: reports from two RPAs of one device become one entry once its IRK is known") {
  Rig r;
  // A second RPA from the same IRK: prand 0x4A1234 (top bits 01), hash = ah(irk, prand).
  const std::uint32_t prand2 = 0x4A1234;
  const auto hash2 = gap::rpa_hash(test::kSampleIrk, prand2).value();
  Peer rpa2{{}, AddressType::le_random};
  rpa2.addr.b = {static_cast<std::uint8_t>(hash2), static_cast<std::uint8_t>(hash2 >> 8),
                 static_cast<std::uint8_t>(hash2 >> 16), 0x34, 0x12, 0x4A};
  const Peer identity{Address::parse("C1:23:45:67:89:AB").value(), AddressType::le_random};
  std::vector<Event> events;
  auto sub = r.reg->events().subscribe([&](const Event& e) { events.push_back(e); });

  r.seen(test::kSampleRpa, -70, "Band");
  REQUIRE(r.reg->approve(test::kSampleRpa));
  r.clock.t += 5s;
  r.seen(rpa2, -55);
  r.seen(kA);
  CHECK(r.reg->list(false).size() == 3);

  r.reg->identity_resolved(test::kSampleRpa.addr, identity, test::kSampleIrk);
  auto list = r.reg->list(false);
  REQUIRE(list.size() == 2);
  auto d = r.reg->info(identity);
  REQUIRE(d);
  CHECK(d->approved);  // the approval given to the RPA carries over
  CHECK(d->name == "Band");
  CHECK(d->rssi == std::optional<std::int8_t>(-55));  // the newest report's
  CHECK(d->current_address == std::optional<std::string>(rpa2.addr.to_string()));
  CHECK(d->reports == 2);
  CHECK(r.reg->stats().rpas_merged == 2);
  CHECK(r.reg->find(test::kSampleRpa.addr) == std::optional<Peer>(identity));
  CHECK(r.reg->find(rpa2.addr) == std::optional<Peer>(identity));
  CHECK(std::count_if(events.begin(), events.end(),
                      [](const Event& e) { return e.kind == Event::Kind::identity_resolved; }) == 2);

  // A later, never-seen RPA of the same device lands on the identity.
  const std::uint32_t prand3 = 0x555555;
  const auto hash3 = gap::rpa_hash(test::kSampleIrk, prand3).value();
  Peer rpa3{{}, AddressType::le_random};
  rpa3.addr.b = {static_cast<std::uint8_t>(hash3), static_cast<std::uint8_t>(hash3 >> 8),
                 static_cast<std::uint8_t>(hash3 >> 16), 0x55, 0x55, 0x55};
  r.seen(rpa3, -40);
  CHECK(r.reg->list(false).size() == 2);
  CHECK(r.reg->info(identity)->reports == 3);
  CHECK(r.reg->accepts_readings_from(rpa3));

  // The approval row moved from the RPA to the identity.
  r.run();
  auto rows = r.store->devices(test::kLocal).value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].peer == identity);
}

TEST_CASE("attach: Device Found and New Identity Resolving Key from the kernel") {
  Rig r;
  test::ScriptedKernel kernel(r.io);
  mgmt::MgmtChannel ch(kernel.channel_socket());
  r.reg->attach(ch, 0);
  const Peer identity{Address::parse("C1:23:45:67:89:AB").value(), AddressType::le_random};
  kernel.event(0x0012, 0, test::device_found(test::kSampleRpa, -48, test::name_ad("Band")));
  kernel.event(0x0012, 1, test::device_found(kA, -48, {}));  // another controller: not ours
  REQUIRE(test::run_until(r.io, [&] { return r.reg->size() == 1; }));
  CHECK(r.reg->info(test::kSampleRpa)->name == "Band");
  kernel.event(0x0018, 0, test::new_irk(1, test::kSampleRpa.addr, identity, test::kSampleIrk));
  REQUIRE(test::run_until(r.io, [&] { return r.reg->info(identity).has_value(); }));
  CHECK(r.reg->size() == 1);
  CHECK(r.reg->info(identity)->name == "Band");
  // The kernel now reports the identity itself.
  kernel.event(0x0012, 0, test::device_found(identity, -45, {}));
  REQUIRE(test::run_until(r.io, [&] { return r.reg->info(identity)->reports == 2; }));
  CHECK(r.reg->size() == 1);
}

TEST_CASE("Eviction: beyond max_tracked the devices not seen for longest go, remembered ones stay") {
  Rig r;
  r.opts.max_tracked = 10;
  r.open();
  r.seen(kA);
  REQUIRE(r.reg->approve(kA));
  for (std::uint8_t i = 0; i < 10; ++i) {
    r.clock.t += 1s;
    Peer p{Address{}, AddressType::le_public};
    p.addr.b = {i, 0, 0, 0, 0, 0x22};
    r.seen(p);
  }
  CHECK(r.reg->size() == 9);  // 11 > 10: down to 90%
  CHECK(r.reg->stats().evicted == 2);
  CHECK(r.reg->info(kA).has_value());
  Peer newest{Address{}, AddressType::le_public};
  newest.addr.b = {9, 0, 0, 0, 0, 0x22};
  CHECK(r.reg->info(newest).has_value());
}

TEST_CASE("Events: a subscription dropped inside its own callback gets no more calls") {
  EventHub hub;
  int a = 0, b = 0;
  EventSubscription sa;
  sa = hub.subscribe([&](const Event&) {
    ++a;
    sa.reset();
  });
  auto sb = hub.subscribe([&](const Event&) { ++b; });
  hub.publish({});
  hub.publish({});
  CHECK(a == 1);
  CHECK(b == 2);
  CHECK(hub.subscribers() == 1);
  CHECK_FALSE(sa.active());
  CHECK(sb.active());
}
