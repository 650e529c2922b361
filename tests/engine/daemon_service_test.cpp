// daemon::Service against a scripted kernel, a real SQLite store, the real
// BondManager and the real pairing agent (PairingResponder with the
// NoInputNoOutput PromptAgent): the original interface's semantics and
// error texts, pair replying with the outcome (success, failure, timeout,
// out of range), unpair removing the kernel's keys (Unpair Device) and
// ours, and calls for one device serialised.
#include "src/daemon/service.hpp"

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "gen/mgmt_types.hpp"
#include "src/gap/bonds.hpp"
#include "src/gap/pairing.hpp"
#include "tests/engine/daemon_fixture.hpp"

using namespace bcms;
using namespace bcms::daemon;
using namespace std::chrono_literals;
using bcms::test::Answer;
using bcms::test::Command;

namespace {

const Peer kA{Address::parse("11:22:33:44:55:66").value(), AddressType::le_public};
const Peer kB{Address::parse("C0:00:00:00:00:0B").value(), AddressType::le_random};
constexpr std::uint16_t kPairDevice = 0x0019, kCancelPair = 0x001A, kUnpairDevice = 0x001B, kUserConfirmReply = 0x001C;

struct Rig {
  asio::io_context io;
  test::TempDir dir;
  test::TestClock clock;
  test::ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  std::optional<storage::Storage> store;
  std::unique_ptr<gap::BondManager> bonds;
  std::unique_ptr<Registry> reg;
  std::unique_ptr<gap::PairingAgent> agent = gap::auto_accept_agent();
  gap::PairingResponder responder{ch, 0, *agent};
  Service::Options opts;
  std::unique_ptr<Service> svc;

  Rig() {
    opts.pair_timeout = 400ms;
    // Unpair Device returns the address (7 octets).
    kernel.on(kUnpairDevice, [](const Command& c) { return Answer{0, bytes(c.params.begin(), c.params.begin() + 7)}; });
    open();
  }
  void open() {
    svc.reset();
    reg.reset();
    bonds.reset();
    store.reset();
    store.emplace(storage::Storage::open(dir.path / "bcms.db").value());
    bonds = std::make_unique<gap::BondManager>(ch, 0, *store, test::kLocal);
    reg = std::make_unique<Registry>(io.get_executor(), *store, test::kLocal, Registry::Options{}, clock.fn());
    REQUIRE(reg->load());
    reg->attach(ch, 0);
    svc = std::make_unique<Service>(ch, *reg, *bonds, opts);
  }
  template <class T>
  T run(asio::awaitable<T> aw, std::chrono::milliseconds limit = 3000ms) {
    return test::await_on(io, std::move(aw), limit);
  }
  void seen(const Peer& p) {
    kernel.event(0x0012, 0, test::device_found(p, -50, test::name_ad("Dev")));
    REQUIRE(test::run_until(io, [&] { return reg->info(p).has_value(); }));
  }
  /// A kernel whose Pair Device asks the agent (User Confirmation
  /// Request, Just Works), and on the agent's reply distributes an LTK and
  /// completes Pair Device with `status`.
  void pairing_kernel(std::uint8_t status) {
    kernel.on(kPairDevice, [this](const Command& c) {
      bytes ev(c.params.begin(), c.params.begin() + 7);
      ev.push_back(1);      // Confirm_Hint: Just Works
      test::le(ev, 0, 4);   // Value
      kernel.event(0x000F, 0, ev);
      return Answer{0, {}, true};
    });
    kernel.on(kUserConfirmReply, [this, status](const Command& c) {
      const Peer p{Address{{c.params[0], c.params[1], c.params[2], c.params[3], c.params[4], c.params[5]}},
                   static_cast<AddressType>(c.params[6])};
      if (status == 0) kernel.event(0x000A, 0, test::new_ltk(p, 0x40));
      kernel.reply(0, kPairDevice, status, test::wire(p));
      return Answer{0, bytes(c.params.begin(), c.params.begin() + 7)};
    });
  }
};

}  // namespace

TEST_CASE("list, approve, remove through the service: the original's texts; malformed addresses refused") {
  Rig r;
  r.seen(kA);
  auto list = r.run(r.svc->list(false));
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).address == "11:22:33:44:55:66");
  CHECK(list->at(0).name == "Dev");
  CHECK(list->at(0).rssi == std::optional<std::int8_t>(-50));
  CHECK(r.run(r.svc->list(true))->empty());

  CHECK(r.run(r.svc->approve("11:22:33:44:55:66")));
  CHECK(r.run(r.svc->approve("11:22:33:44:55:66")).error().text == "Device already approved");
  CHECK(r.run(r.svc->approve("66:55:44:33:22:11")).error().text == "Device not found");
  CHECK(r.run(r.svc->approve("11:22:33:44:55")).error().code == errc::invalid_address);
  CHECK(r.run(r.svc->list(true))->size() == 1);
  CHECK(r.run(r.svc->remove("66:55:44:33:22:11")).error().text == "Device not found");
  CHECK(r.run(r.svc->remove("11:22:33:44:55:66")));
  CHECK(r.run(r.svc->list(false))->empty());
}

TEST_CASE("mode / set_mode persisted across a restart") {
  Rig r;
  CHECK(r.run(r.svc->mode()) == Mode::approved);
  REQUIRE(r.run(r.svc->set_mode(Mode::any)));
  CHECK(r.run(r.svc->mode()) == Mode::any);
  CHECK(r.store->setting("mode").value() == std::optional<std::string>("any"));  // on disk when the call returned
  r.open();
  CHECK(r.run(r.svc->mode()) == Mode::any);
  CHECK(r.run(r.svc->set_mode(static_cast<Mode>(7))).error().code == errc::invalid_mode);
}

TEST_CASE("approve is durable when it returns; the approval survives a restart") {
  Rig r;
  r.seen(kA);
  REQUIRE(r.run(r.svc->approve("11:22:33:44:55:66")));
  CHECK(r.store->device(test::kLocal, kA).value().value().approved);
  r.open();
  auto list = r.run(r.svc->list(true));
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).approved);
}

TEST_CASE("pair: the agent answers the kernel, the reply is the outcome, pairing implies approval") {
  Rig r;
  r.pairing_kernel(0);
  r.seen(kA);
  std::vector<Event> events;
  auto sub = r.svc->subscribe([&](const Event& e) { events.push_back(e); });
  auto res = r.run(r.svc->pair("11:22:33:44:55:66"));
  REQUIRE(res);
  // Pair Device for the LE public address with NoInputNoOutput.
  CHECK(r.kernel.params(kPairDevice) == std::optional<bytes>(bytes{0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01, 0x03}));
  CHECK(r.kernel.count(kUserConfirmReply) == 1);  // the agent accepted
  CHECK(r.bonds->bonded(kA));
  CHECK(r.store->ltks(test::kLocal)->size() == 1);
  auto d = r.reg->info(kA).value();
  CHECK(d.paired);
  CHECK(d.approved);
  CHECK(r.run(r.svc->is_paired("11:22:33:44:55:66")).value());
  CHECK(r.run(r.svc->list(true))->size() == 1);
  CHECK(std::any_of(events.begin(), events.end(), [](const Event& e) { return e.kind == Event::Kind::device_paired; }));
  CHECK(r.run(r.svc->pair("11:22:33:44:55:66")).error().text == "Device already paired");
  CHECK(r.run(r.svc->remove("11:22:33:44:55:66")).error().text == "Cannot remove paired device. Unpair first.");
  CHECK(r.svc->stats().pair_successes == 1);
  // Paired survives a restart (registry row and keys).
  r.open();
  CHECK(r.run(r.svc->is_paired("11:22:33:44:55:66")).value());
}

TEST_CASE("pair a device known by its RPA: the IRK merges it, one paired entry under its identity") {
  Rig r;
  const Peer identity{Address::parse("C1:23:45:67:89:AB").value(), AddressType::le_random};
  r.kernel.on(kPairDevice, [&](const Command& c) {
    // SMP key distribution: the IRK (naming the RPA used) and the LTK, for the identity.
    r.kernel.event(0x0018, 0, test::new_irk(1, test::kSampleRpa.addr, identity, test::kSampleIrk));
    r.kernel.event(0x000A, 0, test::new_ltk(identity, 0x60));
    return Answer{0, bytes(c.params.begin(), c.params.begin() + 7)};
  });
  r.seen(test::kSampleRpa);
  REQUIRE(r.run(r.svc->pair(test::kSampleRpa.addr.to_string())));
  CHECK(r.kernel.params(kPairDevice).value().at(6) == 0x02);  // Pair Device to the RPA (LE random)
  auto list = r.run(r.svc->list(false)).value();
  REQUIRE(list.size() == 1);
  CHECK(list[0].address == "C1:23:45:67:89:AB");
  CHECK(list[0].paired);
  CHECK(list[0].current_address == std::optional<std::string>("70:81:94:0D:FB:AA"));
  CHECK(r.run(r.svc->is_paired("C1:23:45:67:89:AB")).value());
  CHECK(r.run(r.svc->is_paired("70:81:94:0D:FB:AA")).value());  // the RPA names the same device
  CHECK(r.bonds->bonded(identity));
}

TEST_CASE("pair: a kernel failure is the reply, nothing approved") {
  Rig r;
  r.pairing_kernel(0x05);  // Authentication Failed
  r.seen(kA);
  auto res = r.run(r.svc->pair("11:22:33:44:55:66"));
  REQUIRE_FALSE(res);
  CHECK(res.error().text == "Pairing failed: Authentication Failed (0x05)");
  CHECK(res.error().code == mgmt::Status::AuthenticationFailed);
  CHECK_FALSE(r.reg->info(kA)->approved);
  CHECK_FALSE(r.run(r.svc->is_paired("11:22:33:44:55:66")).value());
  CHECK(r.svc->stats().pair_failures == 1);
}

TEST_CASE("pair: out of range fails clearly: Connect Failed, or the pair timeout with Cancel Pair Device") {
  Rig r;
  r.seen(kA);
  r.kernel.on(kPairDevice, [](const Command& c) { return Answer{0x04, bytes(c.params.begin(), c.params.begin() + 7)}; });
  auto res = r.run(r.svc->pair("11:22:33:44:55:66"));
  REQUIRE_FALSE(res);
  CHECK(res.error().text == "Pairing failed: device not reachable (Connect Failed (0x04))");

  r.kernel.on(kPairDevice, [](const Command&) { return Answer{0, {}, true}; });  // never answers
  const auto start = std::chrono::steady_clock::now();
  res = r.run(r.svc->pair("11:22:33:44:55:66"));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::pair_timeout);
  CHECK(res.error().text == "Pairing timed out after 0.4 s: device out of range or not connectable");
  CHECK(took >= 400ms);
  CHECK(took < 2s);
  CHECK(r.kernel.count(kCancelPair) == 1);
  CHECK(r.svc->stats().pair_timeouts == 1);
  CHECK_FALSE(r.reg->info(kA)->approved);
}

TEST_CASE("pair and approve of unknown or malformed addresses") {
  Rig r;
  CHECK(r.run(r.svc->pair("11:22:33:44:55:66")).error().text == "Device not found");
  CHECK(r.run(r.svc->pair("nonsense")).error().code == errc::invalid_address);
  CHECK(r.kernel.count(kPairDevice) == 0);
  CHECK_FALSE(r.run(r.svc->is_paired("11:22:33:44:55:66")).value());
  CHECK(r.run(r.svc->is_paired("11-22")).error().code == errc::invalid_address);
}

TEST_CASE("unpair: Unpair Device to the kernel, our keys and the approval gone") {
  Rig r;
  r.pairing_kernel(0);
  r.seen(kA);
  REQUIRE(r.run(r.svc->pair("11:22:33:44:55:66")));
  REQUIRE(r.bonds->bonded(kA));
  auto res = r.run(r.svc->unpair("11:22:33:44:55:66"));
  REQUIRE(res);
  // Address, LE public, Disconnect 1.
  CHECK(r.kernel.params(kUnpairDevice) == std::optional<bytes>(bytes{0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x01, 0x01}));
  CHECK_FALSE(r.bonds->bonded(kA));
  CHECK(r.store->ltks(test::kLocal)->empty());
  CHECK_FALSE(r.run(r.svc->is_paired("11:22:33:44:55:66")).value());
  auto d = r.reg->info(kA).value();
  CHECK_FALSE(d.paired);
  CHECK_FALSE(d.approved);
  CHECK(r.run(r.svc->unpair("11:22:33:44:55:66")).error().text == "Device not paired");
  CHECK(r.run(r.svc->remove("11:22:33:44:55:66")));  // now allowed
  r.open();
  CHECK_FALSE(r.run(r.svc->is_paired("11:22:33:44:55:66")).value());
  CHECK(r.store->devices(test::kLocal)->empty());
}

TEST_CASE("Calls for one device are serialised; another device is not held up") {
  Rig r;
  r.opts.pair_timeout = 5s;
  r.open();
  r.pairing_kernel(0);
  r.seen(kA);
  r.seen(kB);
  // Pair Device for kA waits for a reply the test sends later.
  r.kernel.on(kPairDevice, [](const Command&) { return Answer{0, {}, true}; });
  std::vector<std::string> order;
  asio::co_spawn(r.io, r.svc->pair("11:22:33:44:55:66"), [&](std::exception_ptr, expected<void, Error> v) {
    order.push_back(v ? "pair ok" : "pair " + v.error().text);
  });
  asio::co_spawn(r.io, r.svc->unpair("11:22:33:44:55:66"), [&](std::exception_ptr, expected<void, Error> v) {
    order.push_back(v ? "unpair ok" : "unpair " + v.error().text);
  });
  REQUIRE(test::run_until(r.io, [&] { return r.kernel.count(kPairDevice) == 1; }));
  // kB is free: its approval completes while kA's pair is pending.
  CHECK(r.run(r.svc->approve("C0:00:00:00:00:0B")));
  r.io.restart();
  r.io.run_for(50ms);
  CHECK(order.empty());
  CHECK(r.kernel.count(kUnpairDevice) == 0);  // unpair waits behind pair
  CHECK(r.svc->stats().calls_queued == 1);
  // The kernel completes the pairing (keys, then the reply).
  r.kernel.event(0x000A, 0, test::new_ltk(kA, 0x50));
  r.kernel.reply(0, kPairDevice, 0, test::wire(kA));
  REQUIRE(test::run_until(r.io, [&] { return order.size() == 2; }));
  CHECK(order == std::vector<std::string>{"pair ok", "unpair ok"});
  CHECK(r.kernel.count(kUnpairDevice) == 1);
  CHECK_FALSE(r.bonds->bonded(kA));
}

TEST_CASE("A device unpaired by another mgmt client (Device Unpaired event) is no longer paired here") {
  Rig r;
  r.pairing_kernel(0);
  r.seen(kA);
  REQUIRE(r.run(r.svc->pair("11:22:33:44:55:66")));
  r.kernel.event(0x0016, 0, test::wire(kA));
  REQUIRE(test::run_until(r.io, [&] { return !r.reg->info(kA)->paired; }));
  CHECK_FALSE(r.run(r.svc->is_paired("11:22:33:44:55:66")).value());
}

TEST_CASE("readings, status, diagnostics") {
  Rig r;
  r.seen(kA);
  REQUIRE(r.run(r.svc->approve("11:22:33:44:55:66")));
  sensor::Reading hr{"heart_rate", "rate", 67, "bpm", {}};
  for (int i = 0; i < 30; ++i) r.reg->add_reading(kA, hr, r.clock.t + std::chrono::seconds(i));
  auto v = r.run(r.svc->readings("11:22:33:44:55:66", 0));
  REQUIRE(v);
  CHECK(v->size() == 20);  // the default
  CHECK(r.run(r.svc->readings("11:22:33:44:55:66", 5))->size() == 5);
  CHECK(r.run(r.svc->readings("66:55:44:33:22:11", 5)).error().text == "Device not found");

  ControllerStatus cs;
  cs.present = true;
  cs.powered = true;
  cs.address = "00:AA:01:00:00:00";
  r.svc->set_controller(cs);
  auto s = r.run(r.svc->status());
  CHECK(s.present);
  CHECK(s.address == "00:AA:01:00:00:00");
  CHECK(s.devices_tracked == 1);
  CHECK(s.devices_approved == 1);
  CHECK(s.devices_paired == 0);
  CHECK(s.mode == Mode::approved);

  auto d = r.run(r.svc->diagnostics());
  auto counter = [&](const std::string& name) {
    for (const auto& [n, v] : d.counters)
      if (n == name) return v;
    FAIL("no counter " << name);
    return std::uint64_t{0};
  };
  CHECK(counter("reports") == 1);
  CHECK(counter("readings") == 30);
  CHECK(counter("devices_tracked") == 1);
  CHECK(counter("mgmt_events") >= 1);

  // The daemon's other parts add theirs, read at every call, after the service's own.
  std::uint64_t stalls = 0;
  r.svc->add_counters([&](auto& out) { out.emplace_back("stalls", stalls); });
  stalls = 2;
  d = r.run(r.svc->diagnostics());
  CHECK(counter("stalls") == 2);
  CHECK(d.counters.back().first == "stalls");
  CHECK(counter("reports") == 1);
}

TEST_CASE("A call parked behind another may outlive the service (its frame goes with the io_context)") {
  Rig r;
  r.opts.pair_timeout = 5s;
  r.open();
  r.seen(kA);
  r.kernel.on(kPairDevice, [](const Command&) { return Answer{0, {}, true}; });
  asio::co_spawn(r.io, r.svc->pair("11:22:33:44:55:66"), asio::detached);
  asio::co_spawn(r.io, r.svc->approve("11:22:33:44:55:66"), asio::detached);
  REQUIRE(test::run_until(r.io, [&] { return r.svc->stats().calls_queued == 1; }));
  r.svc.reset();  // both frames still hold or wait for the device's lock
  // Rig's io_context is destroyed last: the frames' locks find no queue.
}
