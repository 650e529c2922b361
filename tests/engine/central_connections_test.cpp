// ConnectionManager and ScanPolicy over a scripted mgmt kernel
// (gap_kernel.hpp) and a socketpair connector: the slot bound, FIFO, the
// per-request deadline, the slot returned on every exit path, busy
// retries, the power cycle of a silent controller, Load Connection
// Parameters frames byte-exact, discovery stopped and restarted around a
// connect.
#include "src/central/connections.hpp"

#include <doctest/doctest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <memory>
#include <optional>

#include "protocol/sys_error.hpp"
#include "src/central/central_error.hpp"
#include "tests/engine/gap_kernel.hpp"

using namespace bcms;
using namespace std::chrono_literals;
using central::ConnectionManager;
using central::Link;
using test::Answer;
using test::Command;

namespace {

constexpr std::uint16_t op_disconnect = 0x0014;
constexpr std::uint16_t op_start_discovery = 0x0023;
constexpr std::uint16_t op_stop_discovery = 0x0024;
constexpr std::uint16_t op_load_conn_param = 0x0035;
constexpr std::uint16_t op_set_powered = 0x0005;

Peer peer(std::uint8_t n) { return Peer{Address{{n, 0x00, 0x00, 0x01, 0xAA, 0x00}}, AddressType::le_public}; }

// The connector of the tests: each connect() is recorded; the test (or a
// script) answers it with the near end of a socketpair or an error.
class PairConnector final : public central::Connector {
 public:
  struct Call {
    Peer peer{};
    std::chrono::steady_clock::duration timeout{};
    Done done;
    bool answered = false;
    bool cancelled = false;  // the manager dropped the attempt unanswered
    std::chrono::steady_clock::time_point at{};
    std::size_t stops_before = 0;  // Stop Discovery commands sent before this call
  };
  PairConnector(asio::io_context& io, test::ScriptedKernel& k) : io_(io), kernel_(k) {}

  std::vector<std::shared_ptr<Call>> calls;
  std::vector<std::unique_ptr<test::FakePeer>> peers;  // far ends of connected sockets
  /// When set, answers call n (posted): {} connects, an error fails, nullopt leaves it pending.
  std::function<std::optional<std::error_code>(std::size_t n)> script;

  std::unique_ptr<Attempt> connect(const Peer& p, std::chrono::steady_clock::duration t, Done done) override {
    auto c = std::make_shared<Call>();
    c->peer = p;
    c->timeout = t;
    c->done = std::move(done);
    c->at = std::chrono::steady_clock::now();
    c->stops_before = kernel_.count(op_stop_discovery);
    calls.push_back(c);
    if (script) {
      asio::post(io_, [this, c, n = calls.size() - 1] {
        if (c->answered || c->cancelled) return;
        if (auto o = script(n)) {
          if (*o) fail(*c, *o);
          else succeed(*c);
        }
      });
    }
    struct A final : Attempt {
      std::shared_ptr<Call> c;
      ~A() override {
        if (!c->answered) c->cancelled = true;
      }
    };
    auto a = std::make_unique<A>();
    a->c = c;
    return a;
  }
  void succeed(Call& c) {
    auto [near, far] = test::seqpacket_pair();
    l2cap::Socket s(io_);
    s.assign(l2cap::Protocol(AF_UNIX, 0), near);
    peers.push_back(std::make_unique<test::FakePeer>(far));
    c.answered = true;
    auto d = std::move(c.done);
    d(std::move(s));
  }
  void fail(Call& c, std::error_code ec) {
    c.answered = true;
    auto d = std::move(c.done);
    d(unexpected(ec));
  }
  [[nodiscard]] std::size_t pending() const {
    std::size_t n = 0;
    for (const auto& c : calls) n += !c->answered && !c->cancelled;
    return n;
  }

 private:
  asio::io_context& io_;
  test::ScriptedKernel& kernel_;
};

using Result = std::shared_ptr<std::optional<expected<Link>>>;

struct Fixture {
  asio::io_context io;
  test::ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  PairConnector connector{io, kernel};
  central::ScanPolicy scan{ch, 0};
  std::unique_ptr<ConnectionManager> mgr;

  explicit Fixture(ConnectionManager::Options o = {}) {
    // Linux: Discovering events around the Start/Stop Discovery replies.
    kernel.on(op_start_discovery, [this](const Command& c) {
      kernel.event(0x0013, c.index, {c.params[0], 0x01});
      return Answer{0, {c.params[0]}};
    });
    kernel.on(op_stop_discovery, [this](const Command& c) {
      kernel.event(0x0013, c.index, {c.params[0], 0x00});
      return Answer{0, {c.params[0]}};
    });
    // Disconnect of a peer with no connection: Not Connected, address back.
    kernel.on(op_disconnect, [](const Command& c) { return Answer{0x02, c.params}; });
    o.busy_backoff = o.busy_backoff == ConnectionManager::Options{}.busy_backoff ? 10ms : o.busy_backoff;
    mgr = std::make_unique<ConnectionManager>(ch, connector, scan, o);
  }
  ~Fixture() {
    mgr.reset();
    io.restart();
    io.run_for(20ms);
  }
  void start_discovery() {
    const std::error_code ec = test::await_on(io, scan.start());
    REQUIRE(!ec);
    REQUIRE(test::run_until(io, [&] { return scan.discovering(); }));
  }
  Result connect(Peer p, ConnectionManager::ConnectOptions o = {}) {
    auto out = std::make_shared<std::optional<expected<Link>>>();
    asio::co_spawn(io, mgr->async_connect(p, o), [out](std::exception_ptr e, expected<Link> r) {
      if (e) out->emplace(unexpected(std::error_code(asio::error::fault)));
      else out->emplace(std::move(r));
    });
    return out;
  }
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 2000ms) {
    return test::run_until(io, pred, limit);
  }
  void settle(std::chrono::milliseconds d = 20ms) {
    io.restart();
    io.run_for(d);
  }
  [[nodiscard]] ConnectionManager::Stats stats() const { return mgr->stats(); }
};

bytes load_frame(std::uint8_t n, std::uint16_t min, std::uint16_t max, std::uint16_t lat, std::uint16_t to) {
  bytes b{0x01, 0x00, n, 0x00, 0x00, 0x01, 0xAA, 0x00, 0x01};
  test::le(b, min, 2);
  test::le(b, max, 2);
  test::le(b, lat, 2);
  test::le(b, to, 2);
  return b;
}

}  // namespace

TEST_CASE("connect: fast parameters loaded, discovery stopped for the attempt and restarted, relaxed afterwards") {
  Fixture f;
  f.start_discovery();
  f.connector.script = [](std::size_t) { return std::optional<std::error_code>(std::error_code{}); };
  auto r = f.connect(peer(1));
  REQUIRE(f.run_until([&] { return r->has_value(); }));
  REQUIRE(**r);
  // Mgmt traffic: Start (ours), Load Connection Parameters, Stop, then
  // Start again once the attempt is over.
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start_discovery) == 2; }));
  CHECK(f.kernel.opcodes() ==
        std::vector<std::uint16_t>{op_start_discovery, op_load_conn_param, op_stop_discovery, op_start_discovery});
  // Load Connection Parameters (mgmt-api.txt 0x0035): Param_Count 1, the
  // peer's address (wire order) and type, 7.5-15 ms, latency 0, 5 s.
  CHECK(f.kernel.params(op_load_conn_param) == load_frame(1, 0x0006, 0x000C, 0x0000, 0x01F4));
  CHECK(f.kernel.params(op_stop_discovery) == bytes{0x06});
  // The connector was called with discovery stopped.
  REQUIRE(f.connector.calls.size() == 1);
  CHECK(f.connector.calls[0]->stops_before == 1);
  CHECK(f.connector.calls[0]->peer == peer(1));
  CHECK(f.connector.calls[0]->timeout <= ConnectionManager::Options{}.connect_timeout);
  CHECK(f.scan.discovering());
  CHECK(f.scan.stats().restarts == 1);

  Link link = std::move(***r);
  CHECK(link.peer == peer(1));
  REQUIRE(link.bearer);
  CHECK(link.bearer->state().security != nullptr);  // the client can raise the link's security
  CHECK(link.bearer->state().peer == peer(1));
  CHECK(link.slot.held());
  CHECK(f.stats().in_use == 1);
  CHECK(f.stats().connecting == 0);
  // relax(): the relaxed set, 100-200 ms, latency 4, 6 s.
  const std::error_code ec = test::await_on(f.io, f.mgr->relax(peer(1)));
  CHECK(!ec);
  CHECK(f.kernel.params(op_load_conn_param, 1) == load_frame(1, 0x0050, 0x00A0, 0x0004, 0x0258));
  CHECK(f.stats().params_loaded == 2);
  // The kernel refuses (Invalid Parameters): reported and counted.
  f.kernel.on(op_load_conn_param, [](const Command&) { return Answer{0x0D, {}}; });
  const std::error_code refused = test::await_on(f.io, f.mgr->relax(peer(1)));
  CHECK(refused == mgmt::Status::InvalidParameters);
  CHECK(f.stats().params_refused == 1);
  link = Link{};
  CHECK(f.stats().in_use == 0);
  CHECK(f.stats().slots_returned == 1);
}

TEST_CASE("a refused connect also restarts discovery; a refused parameter load does not stop the connect") {
  Fixture f;
  f.start_discovery();
  f.kernel.on(op_load_conn_param, [](const Command&) { return Answer{0x0D, {}}; });
  f.connector.script = [](std::size_t) { return std::optional<std::error_code>(errno_code(ECONNREFUSED)); };
  auto r = f.connect(peer(2));
  REQUIRE(f.run_until([&] { return r->has_value(); }));
  CHECK((*r)->error() == std::errc::connection_refused);
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start_discovery) == 2; }));
  CHECK(f.scan.discovering());
  CHECK(f.stats().params_refused == 1);
  CHECK(f.stats().in_use == 0);
  CHECK(f.stats().failed == 1);
}

TEST_CASE("bounded: one attempt at a time, at most max_links slots, requests served FIFO") {
  ConnectionManager::Options o;
  o.max_links = 2;
  o.max_attempts = 1;
  Fixture f(o);
  std::vector<Result> r;
  for (std::uint8_t i = 1; i <= 4; ++i) r.push_back(f.connect(peer(i)));
  REQUIRE(f.run_until([&] { return f.connector.calls.size() == 1; }));
  f.settle();
  CHECK(f.connector.calls.size() == 1);  // one attempt at a time
  CHECK(f.stats().queued == 3);
  CHECK(f.connector.calls[0]->peer == peer(1));
  f.connector.succeed(*f.connector.calls[0]);
  REQUIRE(f.run_until([&] { return f.connector.calls.size() == 2; }));
  CHECK(f.connector.calls[1]->peer == peer(2));
  f.connector.succeed(*f.connector.calls[1]);
  REQUIRE(f.run_until([&] { return r[1]->has_value(); }));
  f.settle();
  // Two links hold both slots: peers 3 and 4 wait.
  CHECK(f.connector.calls.size() == 2);
  CHECK(f.stats().in_use == 2);
  CHECK(f.stats().queued == 2);
  // Dropping the first link lets the head of the queue (peer 3) go.
  REQUIRE(r[0]->has_value());
  **r[0] = expected<Link>(Link{});
  REQUIRE(f.run_until([&] { return f.connector.calls.size() == 3; }));
  CHECK(f.connector.calls[2]->peer == peer(3));
  f.connector.fail(*f.connector.calls[2], errno_code(EHOSTDOWN));
  REQUIRE(f.run_until([&] { return f.connector.calls.size() == 4; }));
  CHECK(f.connector.calls[3]->peer == peer(4));
  f.connector.succeed(*f.connector.calls[3]);
  REQUIRE(f.run_until([&] { return r[3]->has_value(); }));
  CHECK((*r[2])->error() == errno_code(EHOSTDOWN));
  CHECK(f.stats().peak_in_use == 2);
  CHECK(f.stats().peak_connecting == 1);
  CHECK(f.stats().in_use == 2);
  r.clear();
  CHECK(f.stats().in_use == 0);
  CHECK(f.stats().slots_taken == f.stats().slots_returned);
}

TEST_CASE("deadline: in the queue and during the attempt; the attempt is cancelled and the slot returned") {
  ConnectionManager::Options o;
  o.max_links = 1;
  Fixture f(o);
  ConnectionManager::ConnectOptions c;
  c.deadline = 150ms;
  auto a = f.connect(peer(1), c);  // its attempt never completes
  c.deadline = 80ms;
  auto b = f.connect(peer(2), c);  // waits for the slot behind it
  REQUIRE(f.run_until([&] { return a->has_value() && b->has_value(); }));
  CHECK((*a)->error() == timeout_error());
  CHECK((*b)->error() == timeout_error());
  REQUIRE(f.connector.calls.size() == 1);
  CHECK(f.connector.calls[0]->cancelled);
  CHECK(f.connector.calls[0]->timeout <= 150ms);
  CHECK(f.stats().timeouts == 2);
  CHECK(f.stats().in_use == 0);
  CHECK(f.stats().queued == 0);
  CHECK(f.stats().connecting == 0);
}

TEST_CASE("a failure at the Nth operation returns the slot and restarts discovery") {
  // The operations of one connect: 0 Load Connection Parameters, 1 Stop
  // Discovery, 2 the connect, 3 the link (the peer closes it).  Each
  // fails in turn, as an error status (or refused connect) and, for the
  // mgmt commands, as no answer at all.
  for (int n = 0; n <= 3; ++n) {
    for (bool silent : {false, true}) {
      if (silent && n >= 2) continue;
      CAPTURE(n);
      CAPTURE(silent);
      ConnectionManager::Options o;
      o.max_links = 1;
      o.busy_retries = 0;  // a silent controller fails the request after one power cycle
      Fixture f(o);
      f.ch.set_default_timeout(60ms);
      f.start_discovery();
      const std::uint16_t op = n == 0 ? op_load_conn_param : op_stop_discovery;
      if (n <= 1 && silent) f.kernel.silence(op, 1);
      if (n <= 1 && !silent) f.kernel.on(op, [](const Command&) { return Answer{0x03, {}}; });
      f.connector.script = [n](std::size_t) {
        return std::optional<std::error_code>(n == 2 ? errno_code(ECONNREFUSED) : std::error_code{});
      };
      auto r = f.connect(peer(7));
      REQUIRE(f.run_until([&] { return r->has_value(); }));
      if (n <= 1 && silent) {
        CHECK((*r)->error() == central::errc::controller_silent);
        CHECK(f.kernel.count(op_set_powered) == 0);  // no retry left: no cycle
      } else if (n == 2) {
        CHECK((*r)->error() == std::errc::connection_refused);
      } else {
        REQUIRE(**r);  // error statuses of the mgmt steps are not fatal
        Link link = std::move(***r);
        link.bearer->start();
        CHECK(f.stats().in_use == 1);
        f.connector.peers.back()->close();
        REQUIRE(f.run_until([&] { return f.stats().in_use == 0; }));
        CHECK(link.slot.held() == false);
      }
      f.settle();
      CHECK(f.stats().in_use == 0);
      CHECK(f.stats().connecting == 0);
      CHECK(f.stats().slots_taken == f.stats().slots_returned);
      // Discovery runs again whatever the outcome (restarted by the pause's end).
      if (!(n == 1 && silent)) {
        REQUIRE(f.run_until([&] { return f.scan.discovering() && !f.scan.paused(); }));
      } else {
        CHECK_FALSE(f.scan.paused());
      }
      // The slot is free: the next request gets it.
      f.kernel.on(op_load_conn_param, [](const Command&) { return Answer{0, {}}; });
      f.kernel.on(op_stop_discovery, [&f](const Command& c) {
        f.kernel.event(0x0013, c.index, {c.params[0], 0x00});
        return Answer{0, {c.params[0]}};
      });
      f.connector.script = [](std::size_t) { return std::optional<std::error_code>(std::error_code{}); };
      auto again = f.connect(peer(8));
      REQUIRE(f.run_until([&] { return again->has_value(); }, 3000ms));
      CHECK(**again);
    }
  }
}

TEST_CASE("cancelled request: the attempt is cancelled and the slot returned; a finished requester returns its link's slot") {
  ConnectionManager::Options o;
  o.max_links = 1;
  Fixture f(o);
  f.start_discovery();
  asio::cancellation_signal sig;
  std::optional<expected<Link>> got;
  asio::co_spawn(f.io, f.mgr->async_connect(peer(1)),
                 asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e, expected<Link> r) {
                   if (e) got.emplace(unexpected(std::error_code(asio::error::fault)));
                   else got.emplace(std::move(r));
                 }));
  REQUIRE(f.run_until([&] { return f.connector.calls.size() == 1; }));
  CHECK(f.stats().in_use == 1);
  CHECK(f.scan.paused());
  sig.emit(asio::cancellation_type::terminal);
  REQUIRE(f.run_until([&] { return got.has_value(); }));
  CHECK(got->error() == asio::error::operation_aborted);
  CHECK(f.connector.calls[0]->cancelled);
  CHECK(f.stats().cancelled == 1);
  CHECK(f.stats().in_use == 0);
  REQUIRE(f.run_until([&] { return f.scan.discovering(); }));

  // A requester coroutine that holds its Link in its frame: the slot is
  // returned (and the bearer closed) when the frame goes.
  f.connector.script = [](std::size_t) { return std::optional<std::error_code>(std::error_code{}); };
  bool held_inside = false;
  bool done = false;
  ConnectionManager& mgr = *f.mgr;
  asio::co_spawn(
      f.io,
      [&]() -> asio::awaitable<void> {
        auto link = co_await mgr.async_connect(peer(2));
        held_inside = link && link->slot.held() && mgr.stats().in_use == 1;
      },
      [&](std::exception_ptr) { done = true; });
  REQUIRE(f.run_until([&] { return done; }));
  CHECK(held_inside);
  CHECK(f.stats().in_use == 0);
  REQUIRE(f.connector.peers.size() == 1);
  // The far end sees the bearer's socket closed (end of file).
  CHECK(f.run_until([&] {
    auto p = f.connector.peers[0]->try_read();
    return p && p->empty();
  }));
}

TEST_CASE("the peer closes the link: the slot is returned and Link::on_closed runs") {
  Fixture f;
  f.connector.script = [](std::size_t) { return std::optional<std::error_code>(std::error_code{}); };
  auto r = f.connect(peer(3));
  REQUIRE(f.run_until([&] { return r->has_value(); }));
  REQUIRE(**r);
  Link link = std::move(***r);
  std::optional<std::error_code> closed;
  std::size_t in_use_at_close = 99;
  link.on_closed([&](std::error_code why) {
    closed = why;
    in_use_at_close = f.stats().in_use;
  });
  link.bearer->start();
  f.connector.peers.back()->close();
  REQUIRE(f.run_until([&] { return closed.has_value(); }));
  CHECK(in_use_at_close == 0);
  CHECK_FALSE(link.slot.held());
  CHECK(link.bearer->state().security == nullptr);  // the security object went with the link
  CHECK(f.stats().slots_returned == 1);
}

TEST_CASE("manager destroyed: waiting and connecting requests end with shut_down; a link outliving it is safe") {
  ConnectionManager::Options o;
  o.max_links = 2;
  Fixture f(o);
  f.connector.script = [](std::size_t n) {
    return n == 0 ? std::optional<std::error_code>(std::error_code{}) : std::nullopt;
  };
  auto a = f.connect(peer(1));
  auto b = f.connect(peer(2));  // connecting, never answered
  auto c = f.connect(peer(3));  // waiting for a slot
  REQUIRE(f.run_until([&] { return a->has_value() && f.connector.calls.size() == 2; }));
  REQUIRE(**a);
  Link link = std::move(***a);
  f.mgr.reset();
  REQUIRE(f.run_until([&] { return b->has_value() && c->has_value(); }));
  CHECK((*b)->error() == central::errc::shut_down);
  CHECK((*c)->error() == central::errc::shut_down);
  CHECK(f.connector.calls[1]->cancelled);
  CHECK(link.slot.held());
  link = Link{};  // returns its slot to nobody: no crash, no leak (ASan)
  CHECK_FALSE(link.slot.held());
}

TEST_CASE("busy: the attempt is cancelled, the peer disconnected, and the connect retried with a doubling backoff") {
  ConnectionManager::Options o;
  o.busy_retries = 3;
  o.busy_backoff = 20ms;
  Fixture f(o);
  f.start_discovery();
  f.connector.script = [](std::size_t n) {
    if (n == 0) return std::optional<std::error_code>(errno_code(EBUSY));
    if (n == 1) return std::optional<std::error_code>(std::error_code(asio::error::already_started));  // EALREADY
    return std::optional<std::error_code>(std::error_code{});
  };
  auto r = f.connect(peer(4));
  REQUIRE(f.run_until([&] { return r->has_value(); }));
  REQUIRE(**r);
  REQUIRE(f.connector.calls.size() == 3);
  CHECK(f.stats().busy_retries == 2);
  // mgmt Disconnect of that peer before each retry (mgmt-api.txt 0x0014).
  REQUIRE(f.kernel.count(op_disconnect) == 2);
  CHECK(f.kernel.params(op_disconnect) == bytes{0x04, 0x00, 0x00, 0x01, 0xAA, 0x00, 0x01});
  // Backoff 20 ms, then 40 ms.
  CHECK(f.connector.calls[1]->at - f.connector.calls[0]->at >= 20ms);
  CHECK(f.connector.calls[2]->at - f.connector.calls[1]->at >= 40ms);
  // Every attempt paused discovery and its end restarted it.
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start_discovery) == 4; }));
  CHECK(f.kernel.count(op_stop_discovery) == 3);

  // Always busy: exhausted after busy_retries retries, slot returned.
  f.connector.script = [](std::size_t) { return std::optional<std::error_code>(errno_code(EBUSY)); };
  const std::size_t before = f.connector.calls.size();
  auto e = f.connect(peer(5));
  REQUIRE(f.run_until([&] { return e->has_value(); }));
  CHECK((*e)->error() == central::errc::busy_exhausted);
  CHECK(f.connector.calls.size() - before == 4);
  CHECK(f.stats().in_use == 1);  // the first link only
}

TEST_CASE("silent controller: a command without answer power-cycles it through mgmt and the connect goes on") {
  Fixture f;
  f.ch.set_default_timeout(80ms);
  // Answered at 120 ms: the channel gave up at 80 ms (its late reply clears
  // the channel's tombstone and lets the retry's command out).
  f.kernel.delay(op_load_conn_param, 120ms);
  f.connector.script = [](std::size_t) { return std::optional<std::error_code>(std::error_code{}); };
  auto r = f.connect(peer(6));
  REQUIRE(f.run_until([&] { return r->has_value(); }, 3000ms));
  REQUIRE(**r);
  CHECK(f.stats().power_cycles == 1);
  CHECK(f.stats().power_cycle_failures == 0);
  // Load (no answer), Set Powered off, Set Powered on, Load again, Stop...
  const auto ops = f.kernel.opcodes();
  REQUIRE(ops.size() >= 4);
  CHECK(std::vector<std::uint16_t>(ops.begin(), ops.begin() + 4) ==
        std::vector<std::uint16_t>{op_load_conn_param, op_set_powered, op_set_powered, op_load_conn_param});
  CHECK(f.kernel.params(op_set_powered, 0) == bytes{0x00});
  CHECK(f.kernel.params(op_set_powered, 1) == bytes{0x01});
  CHECK(f.connector.calls.size() == 1);

  // Set Powered unanswered too: the request fails, counted, slot back.
  f.kernel.silence(op_load_conn_param, 1);
  f.kernel.silence(op_set_powered, 2);
  auto s = f.connect(peer(7));
  REQUIRE(f.run_until([&] { return s->has_value(); }, 3000ms));
  CHECK((*s)->error() == central::errc::controller_silent);
  CHECK(f.stats().power_cycle_failures == 1);
  CHECK(f.stats().in_use == 1);
}

TEST_CASE("ScanPolicy: discovery the kernel ends is restarted unless paused; the last pause restarts it") {
  Fixture f;
  f.start_discovery();
  // LE discovery ends on its own after 10.24 s (Discovering 0 from the kernel).
  f.kernel.event(0x0013, 0, {0x06, 0x00});
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start_discovery) == 2; }));
  REQUIRE(f.run_until([&] { return f.scan.discovering(); }));
  CHECK(f.scan.stats().kernel_stops == 1);
  // Two nested pauses: one Stop Discovery; the kernel's own Discovering 0
  // while paused restarts nothing; only the last release does.
  auto p1 = test::await_on(f.io, f.scan.pause());
  auto p2 = test::await_on(f.io, f.scan.pause());
  REQUIRE(p1);
  REQUIRE(p2);
  CHECK(f.kernel.count(op_stop_discovery) == 1);
  f.kernel.event(0x0013, 0, {0x06, 0x00});
  f.settle(50ms);
  CHECK(f.kernel.count(op_start_discovery) == 2);
  p1->reset();
  f.settle(50ms);
  CHECK(f.kernel.count(op_start_discovery) == 2);
  p2->reset();
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start_discovery) == 3; }));
  // Not wanted: no restart after a stop.
  const std::error_code ec = test::await_on(f.io, f.scan.stop());
  CHECK(!ec);
  f.kernel.event(0x0013, 0, {0x06, 0x00});
  f.settle(50ms);
  CHECK(f.kernel.count(op_start_discovery) == 3);
  CHECK_FALSE(f.scan.discovering());
}

TEST_CASE("ScanPolicy: a pause taken while Start Discovery is on its way stops discovery once it has started") {
  Fixture f;
  bool started = false;
  asio::co_spawn(
      f.io, [&]() -> asio::awaitable<void> { co_await f.scan.start(); }, [&](std::exception_ptr) { started = true; });
  std::optional<expected<central::ScanPolicy::Pause>> pause;
  asio::co_spawn(
      f.io, [&]() -> asio::awaitable<void> { pause.emplace(co_await f.scan.pause()); }, asio::detached);
  REQUIRE(f.run_until([&] { return started && pause.has_value(); }));
  REQUIRE(*pause);
  REQUIRE(f.run_until([&] { return f.kernel.count(op_stop_discovery) == 1; }));
  f.settle();
  CHECK_FALSE(f.scan.discovering());
  CHECK(f.kernel.opcodes() == std::vector<std::uint16_t>{op_start_discovery, op_stop_discovery});
  (*pause)->reset();
  REQUIRE(f.run_until([&] { return f.kernel.count(op_start_discovery) == 2 && f.scan.discovering(); }));
}

TEST_CASE("bounded: max_attempts 2 runs two attempts at once, the third waits for one of them") {
  ConnectionManager::Options o;
  o.max_links = 3;
  o.max_attempts = 2;
  Fixture f(o);
  std::vector<Result> r;
  for (std::uint8_t i = 1; i <= 3; ++i) r.push_back(f.connect(peer(i)));
  REQUIRE(f.run_until([&] { return f.connector.calls.size() == 2; }));
  f.settle();
  CHECK(f.connector.calls.size() == 2);
  CHECK(f.stats().connecting == 2);
  CHECK(f.stats().queued == 1);
  f.connector.fail(*f.connector.calls[1], errno_code(ECONNREFUSED));
  REQUIRE(f.run_until([&] { return f.connector.calls.size() == 3; }));
  CHECK(f.connector.calls[2]->peer == peer(3));
  f.connector.succeed(*f.connector.calls[0]);
  f.connector.succeed(*f.connector.calls[2]);
  REQUIRE(f.run_until([&] { return r[0]->has_value() && r[2]->has_value(); }));
  CHECK(f.stats().peak_connecting == 2);
  CHECK(f.stats().in_use == 2);
}
