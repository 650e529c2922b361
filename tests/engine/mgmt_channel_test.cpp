// Engine tests: MgmtChannel against a scripted fake kernel over
// socketpair(AF_UNIX, SOCK_SEQPACKET).
#include "src/mgmt/channel.hpp"

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "gen/mgmt_types.hpp"
#include "protocol/mgmt/status.hpp"
#include "protocol/sys_error.hpp"
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

TEST_CASE("a timeout completes with the one timeout code; the late reply does not complete the next command") {
  Fixture f;
  Result a, b;
  f.ch->set_default_timeout(std::chrono::milliseconds(300));
  f.ch->send(kSetPowered, 0, {1}, a.handler(), std::chrono::milliseconds(30));
  f.kernel->read(f.io);
  REQUIRE(run_until(f.io, [&] { return a.done; }));
  CHECK(a.ec == timeout_error());  // exactly: ETIMEDOUT, system category
  CHECK(a.ec == std::errc::timed_out);  // the portable condition matches too
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
  CHECK(r1.ec == errno_code(ENODEV));  // errno values: system category
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

// ---------------------------------------------------------------- typed events
// Events built byte by byte (mgmt-api.txt "New Long Term Key Event",
// "Device Found Event"), not by the codec under test.
namespace {

constexpr std::uint16_t kNewLongTermKey = 0x000A, kDeviceFound = 0x0012, kNewSettings = 0x0006;

// Store_Hint 1; Key: Address 11:22:33:44:55:66 (wire order reversed), LE
// random, Key_Type 0x02, Central 1, Encryption Size 16, EDIV 0x1234, Rand
// 0x0807060504030201, Value 0xA0..0xAF: 37 octets.
bytes ltk_params() {
  bytes p{0x01, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x02, 0x02, 0x01, 0x10, 0x34, 0x12,
          0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  for (std::uint8_t v = 0xA0; v <= 0xAF; ++v) p.push_back(v);
  return p;
}

// A write that is sure to have been read: a New Settings event behind it
// on a raw subscription.
struct Barrier {
  int seen = 0;
  Subscription sub;
  explicit Barrier(MgmtChannel& ch) : sub(ch.subscribe(kNewSettings, kAnyIndex, [this](std::uint16_t, byte_span) { ++seen; })) {}
  void pass(Fixture& f) {
    const int want = seen + 1;
    f.kernel->write(mgmt_packet(kNewSettings, 0, {0, 0, 0, 0}));
    REQUIRE(run_until(f.io, [&] { return seen == want; }));
  }
};

}  // namespace

TEST_CASE("a typed subscription receives the decoded event on its index") {
  Fixture f;
  std::vector<NewLongTermKeyEvent> got;
  std::vector<std::uint16_t> indexes;
  auto sub = f.ch->subscribe<NewLongTermKeyEvent>(1, [&](std::uint16_t index, const NewLongTermKeyEvent& ev) {
    indexes.push_back(index);
    got.push_back(ev);
  });
  f.kernel->write(mgmt_packet(kNewLongTermKey, 0, ltk_params()));  // other index: not ours
  f.kernel->write(mgmt_packet(kNewLongTermKey, 1, ltk_params()));
  REQUIRE(run_until(f.io, [&] { return got.size() == 1; }));
  Barrier b(*f.ch);
  b.pass(f);
  REQUIRE(got.size() == 1);
  CHECK(indexes[0] == 1);
  const auto& ev = got[0];
  CHECK(ev.store_hint == 1);
  CHECK(ev.address.to_string() == "11:22:33:44:55:66");
  CHECK(ev.address_type == AddressType::le_random);
  CHECK(ev.key_type == 0x02);
  CHECK(ev.central == 1);
  CHECK(ev.encryption_size == 16);
  CHECK(ev.enc_diversifier == 0x1234);
  CHECK(ev.random_number == 0x0807060504030201ull);
  CHECK(ev.value[0] == 0xA0);
  CHECK(ev.value[15] == 0xAF);
  CHECK(f.ch->stats().events_dropped == 0);
}

TEST_CASE("a truncated event is dropped and counted once, never delivered to typed subscriptions") {
  Fixture f;
  int typed_a = 0, typed_b = 0, raw = 0;
  auto sa = f.ch->subscribe<NewLongTermKeyEvent>(kAnyIndex, [&](std::uint16_t, const auto&) { ++typed_a; });
  auto sb = f.ch->subscribe<NewLongTermKeyEvent>(0, [&](std::uint16_t, const auto&) { ++typed_b; });
  auto sr = f.ch->subscribe(kNewLongTermKey, 0, [&](std::uint16_t, byte_span) { ++raw; });
  bytes shortp = ltk_params();
  shortp.pop_back();  // 36 of 37 octets: a well-framed packet, a short event
  f.kernel->write(mgmt_packet(kNewLongTermKey, 0, shortp));
  bytes longp = ltk_params();
  longp.push_back(0);  // 38 octets: a fixed-size event with trailing bytes
  f.kernel->write(mgmt_packet(kNewLongTermKey, 0, longp));
  REQUIRE(run_until(f.io, [&] { return raw == 2; }));  // raw subscriptions see the bytes
  CHECK(typed_a == 0);
  CHECK(typed_b == 0);
  CHECK(f.ch->stats().events_dropped == 2);  // once per event, not per subscription
  CHECK(f.ch->stats().malformed == 0);       // the frames themselves were sound
  // The channel goes on: a good event is delivered to both.
  f.kernel->write(mgmt_packet(kNewLongTermKey, 0, ltk_params()));
  REQUIRE(run_until(f.io, [&] { return typed_a == 1 && typed_b == 1; }));
  CHECK(f.ch->stats().events_dropped == 2);
}

TEST_CASE("a variable event whose inner length disagrees with its size is dropped by the decoder") {
  Fixture f;
  int found = 0;
  auto sub = f.ch->subscribe<DeviceFoundEvent>(0, [&](std::uint16_t, const DeviceFoundEvent&) { ++found; });
  // Address, Address_Type, RSSI, Flags, EIR_Data_Length 5 but 2 octets of EIR data.
  const bytes bad{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01, 0xC4, 0, 0, 0, 0, 0x05, 0x00, 0x02, 0x01};
  f.kernel->write(mgmt_packet(kDeviceFound, 0, bad));
  Barrier b(*f.ch);
  b.pass(f);
  CHECK(found == 0);
  CHECK(f.ch->stats().events_dropped == 1);
  // The same event with a consistent length is delivered, EIR data included.
  bytes good = bad;
  good[12] = 0x02;
  f.kernel->write(mgmt_packet(kDeviceFound, 0, good));
  REQUIRE(run_until(f.io, [&] { return found == 1; }));
}

TEST_CASE("a typed subscription dropped inside its own callback is not called again") {
  Fixture f;
  int self_calls = 0, other_calls = 0;
  Subscription self;
  self = f.ch->subscribe<NewLongTermKeyEvent>(kAnyIndex, [&](std::uint16_t, const NewLongTermKeyEvent& ev) {
    ++self_calls;
    CHECK(ev.encryption_size == 16);
    self.reset();  // destroys the handler that is running
  });
  auto other = f.ch->subscribe<NewLongTermKeyEvent>(kAnyIndex, [&](std::uint16_t, const auto&) { ++other_calls; });
  f.kernel->write(mgmt_packet(kNewLongTermKey, 0, ltk_params()));
  f.kernel->write(mgmt_packet(kNewLongTermKey, 0, ltk_params()));
  REQUIRE(run_until(f.io, [&] { return other_calls == 2; }));
  CHECK(self_calls == 1);
  CHECK_FALSE(self.active());
  CHECK(other.active());
}
