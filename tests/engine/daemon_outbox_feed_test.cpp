// OutboxFeed (src/daemon/runtime/outbox_feed.hpp): the readings of one
// loop turn grouped per device and second, handed to a real OutboxWriter
// on a real outbox file at the end of the turn.
#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <optional>

#include "src/daemon/runtime/outbox_feed.hpp"
#include "tests/engine/iot_fixture.hpp"

using namespace bcms;
using namespace bcms::iot;
using bcms::daemon::OutboxFeed;
using bcms::testing::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr const char* dev = "C0:00:00:00:00:01";
constexpr const char* other = "C0:00:00:00:00:02";
Clock::time_point at(std::int64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }

struct Fixture {
  TempDir d;
  std::optional<Outbox> ob;
  asio::io_context io;
  std::optional<OutboxWriter> writer;
  Fixture() {
    std::string why;
    auto o = Outbox::open(d.path() / "o.db", {}, &why);
    INFO(why);
    REQUIRE(o);
    ob.emplace(std::move(*o));
    // Window 0: what the writer is given commits at the end of the turn.
    writer.emplace(io.get_executor(), *ob, std::function<void()>{}, WriterOptions{0ms, 1000, 1000ms});
  }
  void turn() {
    io.restart();
    io.poll();
  }
  std::vector<Sample> samples(const char* device) {
    auto b = ob->batch(device, 100);
    REQUIRE(b);
    return *b;
  }
};

}  // namespace

TEST_CASE("OutboxFeed: the readings of one value in one turn are one sample; the writer gets them at the turn's end") {
  Fixture f;
  OutboxFeed feed(f.io.get_executor(), *f.writer);
  // A blood pressure measurement, stamped as the collector hands each field over.
  feed.add(dev, at(1'700'000'000'100), {"blood_pressure", "sys", 120, "mmHg", {}});
  feed.add(dev, at(1'700'000'000'101), {"blood_pressure", "dias", 80, "mmHg", {}});
  feed.add(other, at(1'700'000'000'102), {"temperature", "level", 21.5, "°C", {}});
  CHECK(feed.pending() == 3);
  CHECK(f.ob->buffered() == 0);  // nothing handed over within the turn
  f.turn();
  CHECK(feed.pending() == 0);
  CHECK(f.ob->size() == 2);
  CHECK(f.ob->counters().sampled_out == 0);  // sys and dias one sample, not two
  auto s = f.samples(dev);
  REQUIRE(s.size() == 1);
  CHECK(s[0].type == "blood_pressure");
  CHECK(s[0].timestamp == 1'700'000'000);
  CHECK(s[0].data == R"({"dias":80,"sys":120})");
}

TEST_CASE("OutboxFeed: another second of the same device is another group") {
  Fixture f;
  OutboxFeed feed(f.io.get_executor(), *f.writer);
  // 100 ms apart, across a second's boundary: two samples, each with its own second.
  feed.add(dev, at(1'700'000'000'950), {"heart_rate", "rate", 60, "bpm", {}});
  feed.add(dev, at(1'700'000'001'050), {"temperature", "level", 36.6, "°C", {}});
  f.turn();
  auto s = f.samples(dev);
  REQUIRE(s.size() == 2);
  CHECK(s[0].type == "heart_rate");
  CHECK(s[0].timestamp == 1'700'000'000);
  CHECK(s[1].type == "temperature");
  CHECK(s[1].timestamp == 1'700'000'001);
}

TEST_CASE("OutboxFeed: flush() hands over now; a feed destroyed with a hand-over posted leaves the writer alone") {
  Fixture f;
  {
    OutboxFeed feed(f.io.get_executor(), *f.writer);
    feed.add(dev, at(1'700'000'000'000), {"heart_rate", "rate", 60, "bpm", {}});
    feed.flush();  // shutdown: before OutboxWriter::flush_now
    CHECK(f.ob->buffered() == 1);
    REQUIRE(f.writer->flush_now());
    CHECK(f.ob->size() == 1);
    feed.add(dev, at(1'700'000'004'000), {"heart_rate", "rate", 62, "bpm", {}});
  }
  f.turn();  // the posted hand-over of the destroyed feed: nothing
  CHECK(f.ob->buffered() == 0);
  CHECK(f.ob->size() == 1);
}
