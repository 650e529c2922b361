// ControllerSupervisor (src/daemon/runtime/controller.hpp) against a
// scripted kernel: the controller choice, configure()'s steps in the order
// mgmt-api.txt needs them (Set Privacy only while powered off), the scan
// cycle (a restart only when the period saw reports), the stall watch's
// two recovery steps with a failure at the power cycle, and a controller
// that is removed and added again (configured again, keys reloaded).
// Frames are built by hand (mgmt-api.txt "Packet Structures").
#include "src/daemon/runtime/controller.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "src/central/scan_policy.hpp"
#include "src/gap/bonds.hpp"
#include "src/gap/pairing.hpp"
#include "src/storage/storage.hpp"
#include "tests/engine/daemon_fixture.hpp"

using namespace bcms;
using namespace std::chrono_literals;
using bcms::daemon::ControllerSupervisor;
using bcms::test::Answer;
using bcms::test::Command;

namespace {

// mgmt-api.txt opcodes and event codes, written out (not the codec's).
constexpr std::uint16_t op_index_list = 0x0003, op_info = 0x0004, op_powered = 0x0005, op_bondable = 0x0009,
                        op_le = 0x000D, op_load_ltks = 0x0013, op_io_cap = 0x0018, op_start = 0x0023,
                        op_stop = 0x0024, op_privacy = 0x002F, op_load_irks = 0x0030;
constexpr std::uint16_t ev_index_added = 0x0004, ev_index_removed = 0x0005, ev_discovering = 0x0013;
// Current_Settings bits (mgmt-api.txt "Read Controller Information").
constexpr std::uint32_t s_powered = 1u << 0, s_le = 1u << 9, s_privacy = 1u << 13;

bytes settings(std::uint32_t v) {
  bytes b;
  test::le(b, v, 4);
  return b;
}

struct Fixture {
  asio::io_context io;
  test::ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  test::TempDir dir;
  storage::Storage store = storage::Storage::open(dir.path / "bcms.db").value();
  gap::BondManager bonds{ch, 0, store, test::kLocal};
  std::unique_ptr<gap::PairingAgent> agent = gap::auto_accept_agent();
  gap::PairingResponder pairing{ch, 0, *agent};
  central::ScanPolicy scan{ch, 0};
  std::vector<std::string> events;
  std::uint32_t current = s_le;  // the controller's settings as the kernel reports them
  std::uint32_t supported = s_powered | s_le | s_privacy;
  bool discovering = false;  // as the fake kernel runs it
  bool removed = false;
  int refuse_starts = 0;     // the next Start Discovery commands answered Failed
  std::unique_ptr<ControllerSupervisor> sup;

  explicit Fixture(ControllerSupervisor::Options o = {}) {
    kernel.on(op_info, [this](const Command&) {
      bytes addr(test::kLocal.b.begin(), test::kLocal.b.end());
      return Answer{0, test::controller_info(addr, supported, current)};
    });
    // Linux: powering off ends a running discovery (Discovering 0 first).
    kernel.on(op_powered, [this](const Command& c) {
      if (removed) return Answer{0x11, {}};  // Invalid Index
      if (!c.params[0] && discovering) {
        discovering = false;
        kernel.event(ev_discovering, c.index, {0x06, 0x00});
      }
      current = c.params[0] ? current | s_powered : current & ~s_powered;
      return Answer{0, settings(current)};
    });
    kernel.on(op_privacy, [this](const Command&) {
      if (current & s_powered) return Answer{0x0A, {}};  // Rejected while powered (mgmt-api.txt)
      current |= s_privacy;
      return Answer{0, settings(current)};
    });
    kernel.on(op_le, [this](const Command&) {
      current |= s_le;
      return Answer{0, settings(current)};
    });
    // Discovering events around the Start/Stop Discovery replies; Start
    // Discovery needs a powered controller that is there.
    kernel.on(op_start, [this](const Command& c) {
      if (removed) return Answer{0x11, {}};                  // Invalid Index
      if (refuse_starts > 0) {
        --refuse_starts;
        return Answer{0x03, {}};                             // Failed
      }
      if (!(current & s_powered)) return Answer{0x0F, {}};   // Not Powered
      discovering = true;
      kernel.event(ev_discovering, c.index, {c.params[0], 0x01});
      return Answer{0, {c.params[0]}};
    });
    kernel.on(op_stop, [this](const Command& c) {
      if (!discovering) return Answer{0x0A, {c.params[0]}};  // Rejected: not discovering
      discovering = false;
      kernel.event(ev_discovering, c.index, {c.params[0], 0x00});
      return Answer{0, {c.params[0]}};
    });
    if (o.irk_file.empty()) o.irk_file = dir.path / "local-irk";
    sup = std::make_unique<ControllerSupervisor>(ch, 0, pairing, bonds, scan, o,
                                                 [this](const std::string& what) { events.push_back(what); });
  }
  ~Fixture() {
    sup.reset();
    io.restart();
    io.run_for(20ms);
  }
  void configure() {
    std::string why;
    const std::error_code ec = test::await_on(io, sup->configure(&why));
    INFO(why);
    REQUIRE(!ec);
    REQUIRE(test::run_until(io, [&] { return scan.discovering(); }));
  }
  void settle(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 2000ms) {
    return test::run_until(io, pred, limit);
  }
  bool saw(const std::string& part) const {
    for (const auto& e : events)
      if (e.find(part) != std::string::npos) return true;
    return false;
  }
  /// Position of the first command with `opcode` at or after `from`.
  std::size_t pos(std::uint16_t opcode, std::size_t from = 0) const {
    for (std::size_t i = from; i < kernel.commands.size(); ++i)
      if (kernel.commands[i].opcode == opcode) return i;
    return kernel.commands.size();
  }
};

bytes index_list(std::initializer_list<std::uint16_t> ids) {
  bytes b;
  test::le(b, ids.size(), 2);
  for (auto i : ids) test::le(b, i, 2);
  return b;
}

}  // namespace

TEST_CASE("choose: --index must be present and one bcms may take; else the first LE controller bcms may take") {
  asio::io_context io;
  test::ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  kernel.on(op_index_list, [](const Command&) { return Answer{0, index_list({0, 1, 2})}; });
  // hci0 is BR/EDR only; hci1 and hci2 support LE.
  kernel.on(op_info, [](const Command& c) {
    bytes addr(test::kLocal.b.begin(), test::kLocal.b.end());
    return Answer{0, test::controller_info(addr, c.index == 0 ? s_powered : s_powered | s_le, 0)};
  });
  std::string why;
  ControllerSupervisor::Options o;
  auto first = test::await_on(io, ControllerSupervisor::choose(ch, o, &why));
  REQUIRE(first);
  CHECK(*first == 1);

  o.allowed = {2};
  auto allowed = test::await_on(io, ControllerSupervisor::choose(ch, o, &why));
  REQUIRE(allowed);
  CHECK(*allowed == 2);

  o.index = 1;  // present but not in the allowed list
  auto refused = test::await_on(io, ControllerSupervisor::choose(ch, o, &why));
  REQUIRE_FALSE(refused);
  CHECK(why == "controller hci1 is not one bcms may take");

  o.allowed.clear();
  o.index = 7;
  auto absent = test::await_on(io, ControllerSupervisor::choose(ch, o, &why));
  REQUIRE_FALSE(absent);
  CHECK(why == "controller hci7 is not present");

  o.index.reset();
  o.allowed = {0};  // only the BR/EDR one may be taken
  auto none = test::await_on(io, ControllerSupervisor::choose(ch, o, &why));
  REQUIRE_FALSE(none);
  CHECK(why == "no LE controller that bcms may take");
}

TEST_CASE("configure: privacy while powered off with our IRK (made once, 0600), LE, bondable, IO capability, powered, keys, discovery") {
  Fixture f;
  f.current = s_le | s_powered;  // powered already: Set Privacy needs it off first
  f.configure();
  const std::size_t off = f.pos(op_powered);
  const std::size_t priv = f.pos(op_privacy);
  const std::size_t bondable = f.pos(op_bondable);
  const std::size_t io_cap = f.pos(op_io_cap);
  const std::size_t on = f.pos(op_powered, off + 1);
  const std::size_t ltks = f.pos(op_load_ltks);
  const std::size_t irks = f.pos(op_load_irks);
  const std::size_t start = f.pos(op_start);
  const std::size_t n = f.kernel.commands.size();
  REQUIRE(start < n);
  CHECK(f.kernel.commands[off].params == bytes{0x00});
  CHECK(f.kernel.commands[on].params == bytes{0x01});
  CHECK(off < priv);
  CHECK(priv < bondable);
  CHECK(bondable < io_cap);
  CHECK(io_cap < on);
  CHECK(on < ltks);
  CHECK(ltks < irks);
  CHECK(irks < start);
  CHECK(f.kernel.count(op_le) == 0);  // LE was on
  // Set Privacy: Privacy 0x01 and the IRK kept in the state directory.
  std::ifstream in(f.dir.path / "local-irk", std::ios::binary);
  const bytes irk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(irk.size() == 16);
  bytes expect{0x01};
  expect.insert(expect.end(), irk.begin(), irk.end());
  CHECK(f.kernel.commands[priv].params == expect);
  struct stat st{};
  REQUIRE(::stat((f.dir.path / "local-irk").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(f.sup->powered());
  CHECK(f.sup->stats().configured == 1);

  // Configured again (a restart): the same IRK, no second file.
  f.current = s_le | s_powered;
  f.configure();
  CHECK(f.kernel.params(op_privacy, 1) == expect);
}

TEST_CASE("configure: the failing step is named; a privacy IRK that cannot be read only turns privacy off") {
  Fixture f;
  {
    std::ofstream bad(f.dir.path / "local-irk", std::ios::binary);
    bad << "short";  // not 16 octets
  }
  f.kernel.on(op_load_ltks, [](const Command&) { return Answer{0x03, {}}; });  // Failed
  std::string why;
  const std::error_code ec = test::await_on(f.io, f.sup->configure(&why));
  CHECK(ec);
  CHECK(why.rfind("loading the bonds into the kernel: ", 0) == 0);
  CHECK(f.kernel.count(op_privacy) == 0);
  CHECK(f.kernel.count(op_le) == 0);
  CHECK(f.kernel.count(op_start) == 0);  // no discovery on a half-configured controller
  CHECK(f.sup->stats().configured == 0);
}

TEST_CASE("scan cycle: discovery is restarted each period that saw reports, left alone when nothing was reported, started when it is not running") {
  ControllerSupervisor::Options o;
  o.privacy = false;
  o.scan_period = 100ms;
  o.stall_window = 60s;  // out of the way
  Fixture f(o);
  f.configure();
  f.sup->start();
  // Nothing advertising: the periods pass without a command, and after
  // the first quiet one the cycle is parked (no wake-up each period).
  f.settle(450ms);
  CHECK(f.kernel.count(op_stop) == 0);
  CHECK(f.kernel.count(op_start) == 1);
  CHECK(f.sup->stats().scan_cycles == 0);
  CHECK(f.sup->stats().scan_cycles_skipped == 1);

  // A report: the next period restarts discovery (Stop, then Start).
  f.sup->on_report();
  REQUIRE(f.run_until([&] { return f.sup->stats().scan_cycles == 1; }, 500ms));
  CHECK(f.kernel.count(op_start) == 2);
  CHECK(f.kernel.count(op_stop) == 1);
  CHECK(f.pos(op_stop) < f.pos(op_start, f.pos(op_stop)));
  // Quiet again: no more restarts.
  f.settle(350ms);
  CHECK(f.kernel.count(op_start) == 2);

  // Paused by a connection: reports or not, the cycle leaves it stopped.
  auto pause = test::await_on(f.io, f.scan.pause());
  REQUIRE(pause);
  f.sup->on_report();
  f.settle(250ms);
  CHECK(f.kernel.count(op_start) == 2);
  pause->reset();
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start) == 3; }, 500ms));

  // The kernel ends discovery (10.24 s) and refuses the policy's restart:
  // the next period starts it, reports or not.
  REQUIRE(f.run_until([&] { return f.scan.discovering(); }));
  f.settle(250ms);
  const std::size_t starts = f.kernel.count(op_start);
  f.refuse_starts = 1;
  f.discovering = false;
  f.kernel.event(ev_discovering, 0, {0x06, 0x00});
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start) == starts + 2; }, 500ms));
  REQUIRE(f.run_until([&] { return f.scan.discovering() && f.discovering; }));
  CHECK(f.sup->stats().scan_resumed == 1);
}

TEST_CASE("stall watch: restart discovery, then power-cycle through mgmt with the keys reloaded; each step counted and published") {
  ControllerSupervisor::Options o;
  o.privacy = false;
  o.scan_period = 60s;  // out of the way
  o.stall_window = 150ms;
  Fixture f(o);
  f.configure();
  f.sup->start();
  // A quiet start is not a stall.
  f.settle(400ms);
  CHECK(f.sup->stats().stalls == 0);
  CHECK(f.events.empty());

  // Reports, then none while discovery should run: step 1.
  f.sup->on_report();
  REQUIRE(f.run_until([&] { return f.sup->stats().discovery_restarts == 1; }, 1000ms));
  CHECK(f.saw("no reports for 150 ms: restarting discovery"));
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start) == 2; }));
  const std::size_t ltks = f.kernel.count(op_load_ltks), irks = f.kernel.count(op_load_irks);
  const std::size_t powered = f.kernel.count(op_powered);
  // Still nothing: step 2, Set Powered off and on, keys loaded, discovery
  // running again (the policy's restart while off is answered Not Powered).
  REQUIRE(f.run_until([&] { return f.sup->stats().power_cycles == 1; }, 1000ms));
  CHECK(f.saw("still no reports: power-cycling the controller"));
  REQUIRE(f.run_until([&] { return f.kernel.count(op_load_irks) == irks + 1 && f.discovering && f.scan.discovering(); }));
  CHECK(f.kernel.count(op_powered) == powered + 2);
  CHECK(f.kernel.count(op_load_ltks) == ltks + 1);
  CHECK(f.sup->stats().recovery_failures == 0);
  // Both steps taken: further quiet windows are counted, not acted on.
  const std::size_t commands = f.kernel.commands.size();
  f.settle(400ms);
  CHECK(f.kernel.commands.size() == commands);
  CHECK(f.sup->stats().power_cycles == 1);

  // Reports again: the steps start over; this time Set Powered fails.
  f.sup->on_report();
  f.kernel.on(op_powered, [](const Command&) { return Answer{0x03, {}}; });  // Failed
  REQUIRE(f.run_until([&] { return f.sup->stats().discovery_restarts == 2; }, 1000ms));
  REQUIRE(f.run_until([&] { return f.sup->stats().power_cycles == 2; }, 1000ms));
  REQUIRE(f.run_until([&] { return f.sup->stats().recovery_failures == 1; }));
  CHECK(f.saw("power cycle failed: "));
}

TEST_CASE("removed and added again: marked absent, the cycle idles, then configured again with the keys reloaded") {
  ControllerSupervisor::Options o;
  o.privacy = false;
  o.scan_period = 100ms;
  o.stall_window = 60s;
  Fixture f(o);
  f.configure();
  f.sup->start();
  // Linux: the closing controller ends discovery, then the index goes.
  f.removed = true;
  f.discovering = false;
  f.kernel.event(ev_discovering, 0, {0x06, 0x00});
  f.kernel.event(ev_index_removed, 0, {});
  REQUIRE(f.run_until([&] { return !f.sup->present(); }));
  CHECK_FALSE(f.sup->powered());
  CHECK(f.saw("removed"));
  f.settle(50ms);  // the policy's one restart attempt, answered Invalid Index
  const std::size_t commands = f.kernel.commands.size();
  f.sup->on_report();
  f.settle(300ms);
  CHECK(f.kernel.commands.size() == commands);  // the cycle sends nothing to an absent controller

  f.current = s_le;  // a new controller comes up unpowered
  f.removed = false;
  const std::size_t info = f.kernel.count(op_info), ltks = f.kernel.count(op_load_ltks);
  f.kernel.event(ev_index_added, 0, {});
  REQUIRE(f.run_until([&] { return f.saw("configured again; keys reloaded"); }));
  CHECK(f.sup->present());
  CHECK(f.sup->powered());
  CHECK(f.kernel.count(op_info) == info + 1);
  CHECK(f.kernel.count(op_load_ltks) == ltks + 1);
  CHECK(f.sup->stats().removed == 1);
  CHECK(f.sup->stats().added == 1);
  CHECK(f.sup->stats().configured == 2);
  REQUIRE(f.run_until([&] { return f.scan.discovering() && f.discovering; }));
  // Another controller's events are not ours.
  f.kernel.event(ev_index_removed, 3, {});
  f.settle(50ms);
  CHECK(f.sup->present());
}
