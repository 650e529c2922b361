// Engine tests of the durable outbox: sampling, batching per loop turn,
// the size bound, expiry, files, SIGKILL while writing, a crash between
// the backend's receipt and the acknowledgement (against the real
// bcms-test-backend), and a failure at each SQLite write/sync of a flush.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>

#include "src/daemon/iot/outbox.hpp"
#include "src/daemon/iot/outbox_writer.hpp"
#include "src/daemon/iot/submitter.hpp"
#include "src/storage/sqlite.hpp"
#include "tests/engine/iot_fixture.hpp"
#include "tests/engine/sqlite_fault.hpp"

using namespace bcms;
using namespace bcms::iot;
using bcms::testing::IotFixture;
using bcms::testing::run_co;
using bcms::testing::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* dev = "C0:00:00:00:00:01";
Clock::time_point at(std::int64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }
sensor::Reading hr(double v) { return {"heart_rate", "rate", v, "bpm", {}}; }

Outbox open(const std::filesystem::path& f, OutboxOptions o = {}) {
  std::string why;
  auto ob = Outbox::open(f, o, &why);
  INFO(why);
  REQUIRE(ob);
  return std::move(*ob);
}

// `n` samples with distinct timestamps (2 s apart, from `from` s).
void add_samples(Outbox& ob, int n, std::int64_t from = 1'700'000'000) {
  for (int i = 0; i < n; ++i) {
    const sensor::Reading r[] = {hr(60 + i % 50)};
    REQUIRE(ob.add(dev, at((from + 2 * i) * 1000), r) == 1);
  }
}

}  // namespace

TEST_CASE("sampling: at most one sample per device and type per 2 s; blood pressure is one sample") {
  TempDir d;
  Outbox ob = open(d.path() / "o.db");
  const sensor::Reading h[] = {hr(60)};
  CHECK(ob.add(dev, at(10'000), h) == 1);
  CHECK(ob.add(dev, at(11'999), h) == 0);  // within 2 s
  CHECK(ob.add("C0:00:00:00:00:02", at(11'999), h) == 1);  // another device
  CHECK(ob.add(dev, at(12'000), h) == 1);  // 2 s later
  const sensor::Reading bp[] = {{"blood_pressure", "sys", 120, "mmHg", {}},
                                {"blood_pressure", "dias", 80, "mmHg", {}},
                                {"battery_level", "level", 90, "%", {}}};
  CHECK(ob.add(dev, at(12'500), bp) == 2);  // blood pressure (both fields) and battery
  CHECK(ob.add(dev, at(13'000), bp) == 0);
  CHECK(ob.counters().sampled_out == 3);
  REQUIRE(ob.flush());
  CHECK(ob.size() == 5);
  auto b = ob.batch(dev, 10);
  REQUIRE(b);
  REQUIRE(b->size() == 4);
  CHECK((*b)[2].type == "blood_pressure");
  CHECK(json::parse((*b)[2].data) == json{{"sys", 120}, {"dias", 80}});
  CHECK((*b)[2].timestamp == 12);
}

TEST_CASE("files: samples survive closing; the file and its WAL are 0600; a repeated sample is stored once") {
  TempDir d;
  const auto f = d.path() / "state" / "outbox.db";
  {
    Outbox ob = open(f);
    add_samples(ob, 10);
    REQUIRE(ob.flush());
    ob.add(Sample{dev, "heart_rate", 1'700'000'000, R"({"rate":1})", 0});  // same key as the first
    REQUIRE(ob.flush());
    CHECK(ob.counters().duplicates == 1);
    CHECK(ob.counters().accepted == 10);
    struct stat st {};
    REQUIRE(::stat((f.string() + "-wal").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  struct stat st {};
  REQUIRE(::stat(f.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(f.parent_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  Outbox ob = open(f);
  CHECK(ob.size() == 10);
  auto devs = ob.devices();
  REQUIRE(devs);
  CHECK(*devs == std::vector<std::string>{dev});
  auto b = ob.batch(dev, 3);
  REQUIRE(b);
  REQUIRE(b->size() == 3);
  CHECK(json::parse((*b)[0].data)["rate"] == 60);  // the first, not the repeat
  const std::int64_t ids[] = {(*b)[0].id, (*b)[1].id};
  REQUIRE(ob.remove(ids));
  CHECK(ob.size() == 8);
  CHECK(ob.counters().submitted == 2);
}

TEST_CASE("size bound: the oldest samples are dropped first, counted") {
  TempDir d;
  Outbox ob = open(d.path() / "o.db", OutboxOptions{25, 180s, 2000ms});
  add_samples(ob, 20);
  REQUIRE(ob.flush());
  add_samples(ob, 20, 1'800'000'000);
  REQUIRE(ob.flush());
  CHECK(ob.size() == 25);
  CHECK(ob.counters().dropped_full == 15);
  auto b = ob.batch(dev, 100);
  REQUIRE(b);
  REQUIRE(b->size() == 25);
  CHECK(b->front().timestamp == 1'700'000'000 + 2 * 15);  // samples 0..14 gone
  CHECK(b->back().timestamp == 1'800'000'000 + 2 * 19);
  Outbox again = open(d.path() / "o.db", OutboxOptions{25, 180s, 2000ms});
  CHECK(again.size() == 25);  // the count is read back at open
}

TEST_CASE("expiry: only samples older than the unregistered expiry go") {
  TempDir d;
  Outbox ob = open(d.path() / "o.db");
  const std::int64_t now = 1'700'000'000;
  ob.add(Sample{dev, "heart_rate", now - 181, "{\"rate\":1}", 0});
  ob.add(Sample{dev, "heart_rate", now - 179, "{\"rate\":2}", 0});
  ob.add(Sample{"C0:00:00:00:00:02", "heart_rate", now - 500, "{\"rate\":3}", 0});
  REQUIRE(ob.flush());
  auto n = ob.expire(dev, Clock::time_point(std::chrono::seconds(now)));
  REQUIRE(n);
  CHECK(*n == 1);
  CHECK(ob.size() == 2);  // the other device's sample is not this device's business
  CHECK(ob.counters().expired == 1);
}

TEST_CASE("OutboxWriter: one commit per window; a full batch commits at the end of its loop turn") {
  TempDir d;
  Outbox ob = open(d.path() / "o.db");
  asio::io_context io;
  int flushes = 0;
  OutboxWriter w(io.get_executor(), ob, [&] { ++flushes; }, WriterOptions{50ms, 40, 1000ms});
  auto burst = [&](int n, std::int64_t t) {
    for (int i = 0; i < n; ++i) {
      const sensor::Reading r[] = {hr(60)};
      w.add("C0:00:00:00:01:" + std::to_string(10 + i), at(t), r);
    }
  };
  // 30 readings, one per loop turn: nothing written until the window ends.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) {
    const sensor::Reading r[] = {hr(60)};
    w.add("C0:00:00:00:02:" + std::to_string(10 + i), at(1'000'000), r);
    io.restart();
    io.poll();
  }
  CHECK(ob.size() == 0);
  CHECK(ob.buffered() == 30);
  io.restart();
  io.run_one();  // the window's end
  CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
  CHECK(flushes == 1);
  CHECK(ob.size() == 30);

  // A burst past max_batch within one turn: one commit at the end of that turn.
  burst(100, 2'000'000);
  CHECK(ob.size() == 30);
  io.restart();
  io.poll();
  CHECK(flushes == 2);
  CHECK(ob.buffered() == 0);
  CHECK(ob.size() == 130);

  // flush_now (shutdown) writes what is buffered.
  burst(5, 3'000'000);
  REQUIRE(w.flush_now());
  CHECK(ob.size() == 135);
  CHECK(flushes == 3);
}

TEST_CASE("failure at the Nth write or sync of a flush: the flush fails whole, is retried, nothing lost or doubled") {
  TempDir d;
  testing::FaultVfs vfs;
  int failed = 0;
  for (int n = 0; n < 200; ++n) {
    const auto f = d.path() / ("o" + std::to_string(n) + ".db");
    Outbox ob = open(f);
    add_samples(ob, 5);
    REQUIRE(ob.flush());
    add_samples(ob, 50, 1'800'000'000);
    vfs.fail_after(n);
    auto r = ob.flush();
    vfs.disarm();
    if (r) {
      CHECK_FALSE(vfs.tripped());
      break;  // n is beyond the flush's operations: every point was covered
    }
    ++failed;
    CHECK(ob.buffered() == 50);
    CHECK(ob.counters().write_failures == 1);
    REQUIRE(ob.flush());  // the retry
    CHECK(ob.size() == 55);
    Outbox again = open(f);  // quick_check at open
    CHECK(again.size() == 55);
  }
  INFO("failure points covered: " << failed);
  CHECK(failed >= 2);  // at least a WAL write and the commit's sync
}

TEST_CASE("SIGKILL while writing: every committed sample survives, the file is intact") {
  TempDir d;
  const auto f = d.path() / "o.db";
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    auto ob = Outbox::open(f);
    if (!ob) ::_exit(1);
    for (int round = 0;; ++round) {
      for (int i = 0; i < 10; ++i) {
        const std::int64_t ts = 1'700'000'000 + 2 * (round * 10 + i);
        ob->add(Sample{dev, "heart_rate", ts, "{\"rate\":60}", 0});
      }
      if (!ob->flush()) ::_exit(2);
      const std::uint64_t committed = ob->size();
      if (::write(fds[1], &committed, sizeof committed) != sizeof committed) ::_exit(3);
    }
  }
  ::close(fds[1]);
  std::uint64_t committed = 0;
  while (committed < 300) REQUIRE(::read(fds[0], &committed, sizeof committed) == sizeof committed);
  ::kill(pid, SIGKILL);
  // What the child reported before the kill is the floor.
  std::uint64_t more = 0;
  while (::read(fds[0], &more, sizeof more) == sizeof more) committed = more;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  Outbox ob = open(f);  // quick_check passes
  CHECK(ob.size() >= committed);
  CHECK(ob.size() % 10 == 0);  // whole transactions only
  auto b = ob.batch(dev, 1'000'000);
  REQUIRE(b);
  for (std::size_t i = 0; i < b->size(); ++i) {
    REQUIRE((*b)[i].timestamp == 1'700'000'000 + 2 * static_cast<std::int64_t>(i));  // a gap-free prefix
  }
}

TEST_CASE("crash between the backend's receipt and the acknowledgement: nothing lost, the repeat de-duplicated") {
  IotFixture fx;
  const auto f = fx.dir.path() / "o.db";
  {
    Outbox ob = open(f);
    add_samples(ob, 30);
    REQUIRE(ob.flush());
  }  // closed before fork: no SQLite connection crosses it
  fx.control({{"mode", "hang_after_record"}, {"path", "/data/submit"}});
  const BackendOptions bo = fx.backend_options();
  const pid_t pid = ::fork();
  if (pid == 0) {
    asio::io_context io;
    HttpClient http(io.get_executor(), bcms::testing::curl());
    Backend api(http, bo);
    auto ob = Outbox::open(f);
    if (!ob) ::_exit(1);
    Submitter sub(io.get_executor(), api, *ob, SubmitterOptions{});
    (void)run_co(io, sub.round());  // hangs: the backend never answers
    ::_exit(0);
  }
  json r;
  for (int i = 0; i < 200; ++i) {
    r = fx.received();
    if (r["data"].size() == 30) break;
    ::usleep(20'000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  REQUIRE(r["data"].size() == 30);  // the backend has it all ...
  Outbox ob = open(f);
  CHECK(ob.size() == 30);  // ... and the outbox still has it all: not acknowledged

  fx.control({{"mode", "ok"}, {"clear", true}});
  Backend api(fx.http, bo);
  Submitter sub(fx.io.get_executor(), api, ob, SubmitterOptions{});
  REQUIRE(run_co(fx.io, sub.round()));
  CHECK(ob.size() == 0);
  r = fx.received();
  CHECK(r["data"].size() == 30);
  CHECK(r["duplicates"] == 30);  // at-least-once: sent again, dropped by the backend's key
  CHECK(r["requests"]["POST /api/iot-devices"] == 1);  // registered once (the child's, found by exists)
}
