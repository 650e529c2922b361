// Engine tests: MgmtChannel against a scripted fake kernel over
// socketpair(AF_UNIX, SOCK_SEQPACKET).
#include "src/mgmt/channel.hpp"

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "protocol/mgmt/status.hpp"
#include "tests/engine/fake_kernel.hpp"

using namespace bcms;
using namespace bcms::mgmt;
using bcms::test::cmd_complete;
using bcms::test::cmd_status;
using bcms::test::FakePeer;
using bcms::test::mgmt_packet;
using bcms::test::op_index;
using bcms::test::run_until;

namespace {

constexpr std::uint16_t kReadInfo = 0x0004, kSetPowered = 0x0005, kPairDevice = 0x0019,
                        kUserConfirmReply = 0x001C, kReadVersion = 0x0001;

struct Fixture {
  asio::io_context io;
  std::unique_ptr<MgmtChannel> ch;
  std::unique_ptr<FakePeer> kernel;
  Fixture() {
    auto [a, b] = bcms::test::seqpacket_pair();
    MgmtChannel::socket_type s(io);
    s.assign(asio::generic::raw_protocol(AF_UNIX, 0), a);
    ch = std::make_unique<MgmtChannel>(std::move(s));
    kernel = std::make_unique<FakePeer>(b);
  }
};

struct Result {
  bool done = false;
  std::error_code ec;
  bytes data;
  CommandHandler handler() {
    return [this](std::error_code e, bytes d) {
      done = true;
      ec = e;
      data = std::move(d);
    };
  }
};

}  // namespace

TEST_CASE("a command is framed with opcode, index and length, and completed by Command Complete") {
  Fixture f;
  Result r;
  f.ch->send(kSetPowered, 0, {0x01}, r.handler());
  CHECK(f.kernel->read(f.io) == bytes{0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
  f.kernel->write(cmd_complete(0, kSetPowered, 0x00, {0x81, 0x0a, 0x00, 0x00}));
  REQUIRE(run_until(f.io, [&] { return r.done; }));
  CHECK_FALSE(r.ec);
  CHECK(r.data == bytes{0x81, 0x0a, 0x00, 0x00});
}

TEST_CASE("a failed status completes with the mgmt error, by name and code") {
  Fixture f;
  Result r;
  f.ch->send(kSetPowered, 0, {0x01}, r.handler());
  f.kernel->read(f.io);
  f.kernel->write(cmd_status(0, kSetPowered, 0x0a));
  REQUIRE(run_until(f.io, [&] { return r.done; }));
  CHECK(r.ec == make_error_code(Status::Busy));
  CHECK(r.ec.message() == "Busy (0x0a)");
}

TEST_CASE("interleaved replies for two controllers complete the right commands") {
  Fixture f;
  Result r0, r1;
  f.ch->send(kReadInfo, 0, {}, r0.handler());
  f.ch->send(kReadInfo, 1, {}, r1.handler());
  // Both are in flight at once: different (opcode, index) keys.
  auto p0 = f.kernel->read(f.io);
  auto p1 = f.kernel->read(f.io);
  CHECK(op_index(p0) == std::pair<std::uint16_t, std::uint16_t>{kReadInfo, 0});
  CHECK(op_index(p1) == std::pair<std::uint16_t, std::uint16_t>{kReadInfo, 1});
  f.kernel->write(cmd_complete(1, kReadInfo, 0, {0x11}));
  f.kernel->write(cmd_complete(0, kReadInfo, 0, {0x00}));
  REQUIRE(run_until(f.io, [&] { return r0.done && r1.done; }));
  CHECK(r0.data == bytes{0x00});
  CHECK(r1.data == bytes{0x11});
}

TEST_CASE("a second command with the same (opcode, index) waits for the first reply") {
  Fixture f;
  Result a, b;
  f.ch->send(kSetPowered, 0, {0x01}, a.handler());
  f.ch->send(kSetPowered, 0, {0x00}, b.handler());
  auto first = f.kernel->read(f.io);
  CHECK(first.back() == 0x01);
  f.io.restart();
  f.io.run_for(std::chrono::milliseconds(20));
  CHECK_FALSE(f.kernel->try_read());  // not sent while the first is in flight
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {1, 0, 0, 0}));
  auto second = f.kernel->read(f.io);
  CHECK(second.back() == 0x00);
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {0, 0, 0, 0}));
  REQUIRE(run_until(f.io, [&] { return a.done && b.done; }));
  CHECK(a.data[0] == 1);
  CHECK(b.data[0] == 0);
}

TEST_CASE("a reply command is not blocked by a pending Pair Device (BlueZ mgmt.c reply queue)") {
  Fixture f;
  Result pair, confirm;
  f.ch->send(kPairDevice, 0, bytes(8, 0), pair.handler());
  f.kernel->read(f.io);
  f.ch->send(kUserConfirmReply, 0, bytes(7, 0), confirm.handler());
  CHECK(op_index(f.kernel->read(f.io)).first == kUserConfirmReply);
  f.kernel->write(cmd_complete(0, kUserConfirmReply, 0, bytes(7, 0)));
  f.kernel->write(cmd_complete(0, kPairDevice, 0, bytes(7, 0)));
  REQUIRE(run_until(f.io, [&] { return pair.done && confirm.done; }));
}

TEST_CASE("an event arriving between a command and its reply is delivered first") {
  Fixture f;
  std::vector<std::string> order;
  auto sub = f.ch->subscribe(0x0006, 0, [&](std::uint16_t idx, byte_span p) {
    CHECK(idx == 0);
    CHECK(p.size() == 4);
    order.push_back("event");
  });
  f.ch->send(kSetPowered, 0, {1}, [&](std::error_code ec, bytes) {
    CHECK_FALSE(ec);
    order.push_back("reply");
  });
  f.kernel->read(f.io);
  f.kernel->write(mgmt_packet(0x0006, 0, {0x81, 0, 0, 0}));  // New Settings
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {0x81, 0, 0, 0}));
  REQUIRE(run_until(f.io, [&] { return order.size() == 2; }));
  CHECK(order == std::vector<std::string>{"event", "reply"});
}

TEST_CASE("subscriptions filter by index; kAnyIndex sees all") {
  Fixture f;
  int on0 = 0, on1 = 0, any = 0, none = 0;
  auto s0 = f.ch->subscribe(0x0006, 0, [&](std::uint16_t, byte_span) { ++on0; });
  auto s1 = f.ch->subscribe(0x0006, 1, [&](std::uint16_t, byte_span) { ++on1; });
  auto sa = f.ch->subscribe(0x0006, kAnyIndex, [&](std::uint16_t, byte_span) { ++any; });
  auto sn = f.ch->subscribe(0x0004, kNonController, [&](std::uint16_t, byte_span) { ++none; });
  f.kernel->write(mgmt_packet(0x0006, 1, {0, 0, 0, 0}));
  f.kernel->write(mgmt_packet(0x0004, 0xFFFF, {}));  // Index Added on... (non-controller for the test)
  REQUIRE(run_until(f.io, [&] { return any == 1 && none == 1; }));
  CHECK(on0 == 0);
  CHECK(on1 == 1);
}

TEST_CASE("a subscription dropped inside its own callback is not called again; others still are") {
  Fixture f;
  int self_calls = 0, other_calls = 0;
  Subscription self;
  self = f.ch->subscribe(0x0006, kAnyIndex, [&](std::uint16_t, byte_span) {
    ++self_calls;
    self.reset();  // destroy own subscription during dispatch
  });
  auto other = f.ch->subscribe(0x0006, kAnyIndex, [&](std::uint16_t, byte_span) { ++other_calls; });
  f.kernel->write(mgmt_packet(0x0006, 0, {0, 0, 0, 0}));
  f.kernel->write(mgmt_packet(0x0006, 0, {0, 0, 0, 0}));
  REQUIRE(run_until(f.io, [&] { return other_calls == 2; }));
  CHECK(self_calls == 1);
  CHECK_FALSE(self.active());
  CHECK(other.active());
}

TEST_CASE("a callback may subscribe anew and drop another subscription during dispatch") {
  Fixture f;
  int late = 0, victim_calls = 0, first_calls = 0;
  Subscription victim, added;
  auto first = f.ch->subscribe(0x0006, kAnyIndex, [&](std::uint16_t, byte_span) {
    ++first_calls;
    victim.reset();
    if (!added.active()) added = f.ch->subscribe(0x0006, kAnyIndex, [&](std::uint16_t, byte_span) { ++late; });
  });
  victim = f.ch->subscribe(0x0006, kAnyIndex, [&](std::uint16_t, byte_span) { ++victim_calls; });
  f.kernel->write(mgmt_packet(0x0006, 0, {0, 0, 0, 0}));
  f.kernel->write(mgmt_packet(0x0006, 0, {0, 0, 0, 0}));
  REQUIRE(run_until(f.io, [&] { return first_calls == 2; }));
  CHECK(victim_calls == 0);  // dropped before its turn in the same dispatch
  CHECK(late == 1);          // added during the first event, sees only the second
}

TEST_CASE("a timeout completes with timed_out; the late reply does not complete the next command") {
  Fixture f;
  Result a, b;
  f.ch->set_default_timeout(std::chrono::milliseconds(300));
  f.ch->send(kSetPowered, 0, {1}, a.handler(), std::chrono::milliseconds(30));
  f.kernel->read(f.io);
  REQUIRE(run_until(f.io, [&] { return a.done; }));
  CHECK(a.ec == std::errc::timed_out);
  f.ch->send(kSetPowered, 0, {0}, b.handler());
  f.io.restart();
  f.io.run_for(std::chrono::milliseconds(20));
  CHECK_FALSE(f.kernel->try_read());  // the key is held by the tombstone
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {1, 0, 0, 0}));  // the late reply
  auto second = f.kernel->read(f.io);
  CHECK(second.back() == 0x00);
  CHECK_FALSE(b.done);
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {0, 0, 0, 0}));
  REQUIRE(run_until(f.io, [&] { return b.done; }));
  CHECK(b.data[0] == 0);
  CHECK(f.ch->stats().replies_unmatched == 1);
}

TEST_CASE("a tombstone whose reply never comes frees its key after another period") {
  Fixture f;
  Result a, b;
  f.ch->set_default_timeout(std::chrono::milliseconds(40));
  f.ch->send(kSetPowered, 0, {1}, a.handler());
  f.kernel->read(f.io);
  REQUIRE(run_until(f.io, [&] { return a.done; }));
  f.ch->send(kSetPowered, 0, {0}, b.handler(), std::chrono::seconds(2));
  auto second = f.kernel->read(f.io);  // sent once the tombstone expires
  CHECK(second.back() == 0x00);
}

TEST_CASE("cancel before the reply completes with operation_aborted, once") {
  Fixture f;
  int calls = 0;
  std::error_code got;
  auto h = f.ch->send(kSetPowered, 0, {1}, [&](std::error_code ec, bytes) {
    ++calls;
    got = ec;
  });
  f.kernel->read(f.io);
  h.cancel();
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {1, 0, 0, 0}));
  f.io.restart();
  f.io.run_for(std::chrono::milliseconds(30));
  CHECK(calls == 1);
  CHECK(got == asio::error::operation_aborted);
}

TEST_CASE("a truncated event is dropped and counted; the channel keeps working") {
  Fixture f;
  int events = 0;
  auto sub = f.ch->subscribe(0x0006, kAnyIndex, [&](std::uint16_t, byte_span) { ++events; });
  bytes truncated = mgmt_packet(0x0006, 0, {0, 0, 0, 0});
  truncated[4] = 10;  // length says 10, 4 present
  f.kernel->write(truncated);
  f.kernel->write(bytes{0x06, 0x00, 0x00});  // shorter than the header
  f.kernel->write(mgmt_packet(0x0001, 0, {0x05}));  // Command Complete without status
  Result r;
  f.ch->send(kReadVersion, kNonController, {}, r.handler());
  f.kernel->read(f.io);
  f.kernel->write(cmd_complete(0xFFFF, kReadVersion, 0, {0x01, 0x17, 0x00}));
  REQUIRE(run_until(f.io, [&] { return r.done; }));
  CHECK(r.data == bytes{0x01, 0x17, 0x00});
  CHECK(events == 0);
  CHECK(f.ch->stats().malformed == 3);
}

TEST_CASE("the socket closing mid-command fails pending commands and reports the close once") {
  Fixture f;
  Result a, b;
  int closed = 0;
  f.ch->on_closed([&](std::error_code) { ++closed; });
  f.ch->send(kSetPowered, 0, {1}, a.handler());
  f.ch->send(kSetPowered, 0, {0}, b.handler());  // still queued
  f.kernel->read(f.io);
  f.kernel->close();
  REQUIRE(run_until(f.io, [&] { return a.done && b.done; }));
  CHECK(a.ec == asio::error::eof);
  CHECK(b.ec == asio::error::eof);
  CHECK(closed == 1);
  Result c;
  f.ch->send(kSetPowered, 0, {1}, c.handler());  // after close: fails, never hangs
  REQUIRE(run_until(f.io, [&] { return c.done; }));
  CHECK(c.ec == asio::error::operation_aborted);
}

TEST_CASE("Index Removed fails the commands pending on that controller only") {
  Fixture f;
  Result r0, r1;
  int removed = 0;
  auto sub = f.ch->subscribe(0x0005, kAnyIndex, [&](std::uint16_t idx, byte_span) { removed = idx + 100; });
  f.ch->send(kSetPowered, 0, {1}, r0.handler());
  f.ch->send(kSetPowered, 1, {1}, r1.handler());
  f.kernel->read(f.io);
  f.kernel->read(f.io);
  f.kernel->write(mgmt_packet(0x0005, 1, {}));
  REQUIRE(run_until(f.io, [&] { return r1.done; }));
  CHECK(r1.ec == std::errc::no_such_device);
  CHECK_FALSE(r0.done);
  CHECK(removed == 101);
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {1, 0, 0, 0}));
  REQUIRE(run_until(f.io, [&] { return r0.done; }));
  CHECK_FALSE(r0.ec);
}

TEST_CASE("async_send works as a coroutine (asio::use_awaitable)") {
  Fixture f;
  bool done = false;
  asio::co_spawn(
      f.io,
      [&]() -> asio::awaitable<void> {
        auto [ec, reply] = co_await f.ch->async_send(kReadVersion, kNonController, {},
                                                     asio::experimental::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(reply == bytes{0x01, 0x17, 0x00});
        done = true;
      },
      asio::detached);
  f.kernel->read(f.io);
  f.kernel->write(cmd_complete(0xFFFF, kReadVersion, 0, {0x01, 0x17, 0x00}));
  REQUIRE(run_until(f.io, [&] { return done; }));
}

TEST_CASE("destroying the channel inside a command handler is safe") {
  Fixture f;
  bool called = false;
  f.ch->send(kSetPowered, 0, {1}, [&](std::error_code, bytes) {
    called = true;
    f.ch.reset();
  });
  f.kernel->read(f.io);
  f.kernel->write(cmd_complete(0, kSetPowered, 0, {1, 0, 0, 0}));
  f.kernel->write(mgmt_packet(0x0006, 0, {0, 0, 0, 0}));
  REQUIRE(run_until(f.io, [&] { return called; }));
  f.io.restart();
  f.io.run_for(std::chrono::milliseconds(10));
}
