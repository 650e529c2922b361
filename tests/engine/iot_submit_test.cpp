// Engine tests of IoT submission against the real bcms-test-backend
// process over loopback HTTP: registration, payload shape (the seed's
// example), OAuth2, timeouts, garbage, 4xx batches, a long outage.
#include <doctest/doctest.h>

#include <link.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/sys_error.hpp"
#include "src/daemon/iot/curl_lib.hpp"
#include "src/daemon/iot/iot_error.hpp"
#include "src/daemon/iot/outbox.hpp"
#include "src/daemon/iot/payload.hpp"
#include "src/daemon/iot/submitter.hpp"
#include "tests/engine/iot_fixture.hpp"

using namespace bcms;
using namespace bcms::iot;
using bcms::testing::IotFixture;
using bcms::testing::run_co;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Seed 000 ("Spec"), verbatim: the payload the backend takes.
constexpr const char* seed_example = R"json({
    "data": [
        {
            "iotDeviceId": "cd553938-8960-4e70-864a-a7fba06578c0",
            "dataType": "heart_rate",
            "data": [
                {
                    "timestamp": "1642694304",
                    "data": {
                        "rate": "67"
                    }
                },
                {
                    "timestamp": "1642694364",
                    "data": {
                        "rate": "66"
                    }
                }
            ]
        },
        {
            "iotDeviceId": "cd553938-8960-4e70-864a-a7fba06578c0",
            "dataType": "battery_level",
            "data": [
                {
                    "timestamp": "1642694364",
                    "data": {
                        "level": "22"
                    }
                }
            ]
        }
    ]
})json";

constexpr const char* dev_a = "C0:00:00:00:00:0A";
constexpr const char* dev_b = "C0:00:00:00:00:0B";

Clock::time_point at(std::int64_t s) { return Clock::time_point(std::chrono::seconds(s)); }

sensor::Reading hr(double v) { return {"heart_rate", "rate", v, "bpm", {}}; }
sensor::Reading battery(double v) { return {"battery_level", "level", v, "%", {}}; }

struct Setup : IotFixture {
  Outbox outbox = *Outbox::open(dir.path() / "outbox.db");
  Backend api{http, backend_options()};
  SubmitterOptions sopts = [] {
    SubmitterOptions o;
    o.backoff_min = 10ms;
    o.backoff_max = 80ms;
    o.interval = 20ms;
    return o;
  }();

  void add(const char* device, std::int64_t t, sensor::Reading r) {
    const sensor::Reading rs[] = {std::move(r)};
    outbox.add(device, at(t), rs);
    REQUIRE(outbox.flush());
  }
  std::size_t received_count() { return received()["data"].size(); }
  std::uint64_t requests(const std::string& what) { return received()["requests"].value(what, std::uint64_t{0}); }
};

// The descriptors of this program's ELF notes of owner `owner` and type
// `type` (PT_NOTE segments of the executable, as the loader mapped them).
std::vector<std::string> elf_notes(const std::string& owner, std::uint32_t type) {
  struct Want {
    std::string owner;
    std::uint32_t type;
    std::vector<std::string> found;
  } want{owner, type, {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto& w = *static_cast<Want*>(data);
        if (info->dlpi_name && info->dlpi_name[0]) return 0;  // the executable only
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
          const unsigned char* end = p + ph.p_memsz;
          const std::size_t align = ph.p_align > 4 ? ph.p_align : 4;
          auto pad = [align](std::size_t n) { return (n + align - 1) / align * align; };
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            const auto* nh = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const auto* name = reinterpret_cast<const char*>(p + sizeof(ElfW(Nhdr)));
            const auto* desc = reinterpret_cast<const char*>(p + sizeof(ElfW(Nhdr)) + pad(nh->n_namesz));
            if (nh->n_namesz == w.owner.size() + 1 && w.owner == name && nh->n_type == w.type)
              w.found.emplace_back(desc, ::strnlen(desc, nh->n_descsz));
            p += sizeof(ElfW(Nhdr)) + pad(nh->n_namesz) + pad(nh->n_descsz);
          }
        }
        return 0;
      },
      &want);
  return want.found;
}

}  // namespace

TEST_CASE("libcurl: loaded on demand, and declared as the ELF dlopen note (systemd.io/ELF_DLOPEN_METADATA)") {
  std::string why;
  const CurlLib* c = curl_lib(&why);
  REQUIRE_MESSAGE(c != nullptr, why);
  CHECK(curl_lib() == c);  // loaded once
  // What tools that collect a program's libraries read (scripts/vm-lib's
  // copy_elf_deps): owner "FDO", type 0x407c0c0a, a JSON array of features.
  const auto notes = elf_notes("FDO", 0x407c0c0a);
  REQUIRE(notes.size() == 1);
  const json features = json::parse(notes[0]);
  REQUIRE(features.is_array());
  REQUIRE(features.size() == 1);
  CHECK(features[0]["soname"] == json::array({"libcurl.so.4"}));
  CHECK(features[0]["priority"] == "recommended");  // the daemon runs without; submission needs it
}

TEST_CASE("payload: the client-credentials grant is form-encoded (RFC 6749 4.4.2, RFC 3986 unreserved kept)") {
  asio::io_context io;
  const HttpClient http(io.get_executor(), bcms::testing::curl());
  CHECK(token_request_body(http, "gw 1&x", "p@ss=1/2~._-", "") ==
        "grant_type=client_credentials&client_id=gw%201%26x&client_secret=p%40ss%3D1%2F2~._-");
  CHECK(token_request_body(http, "a", "b", "read write") ==
        "grant_type=client_credentials&client_id=a&client_secret=b&scope=read%20write");
}

TEST_CASE("payload: the seed's example, byte for byte as JSON, in the strings style") {
  const std::vector<Sample> samples{
      {"AA:BB:CC:DD:EE:FF", "heart_rate", 1642694304, R"({"rate":67})", 1},
      {"AA:BB:CC:DD:EE:FF", "heart_rate", 1642694364, R"({"rate":66})", 2},
      {"AA:BB:CC:DD:EE:FF", "battery_level", 1642694364, R"({"level":22})", 3},
  };
  const std::string body = submit_body("cd553938-8960-4e70-864a-a7fba06578c0", samples, ValueStyle::strings);
  CHECK(json::parse(body) == json::parse(seed_example));
  // The numbers style (what the original client sent): same shape, numbers.
  const json n = json::parse(submit_body("cd553938-8960-4e70-864a-a7fba06578c0", samples, ValueStyle::numbers));
  CHECK(n["data"][0]["data"][1]["timestamp"] == 1642694364);
  CHECK(n["data"][0]["data"][1]["data"]["rate"] == 66);
  CHECK(n["data"][1]["data"][0]["data"]["level"] == 22);
}

TEST_CASE("payload: sample data from readings: blood pressure is one sample, fractions kept, text as text") {
  const sensor::Reading sys{"blood_pressure", "sys", 120, "mmHg", {}}, dias{"blood_pressure", "dias", 80, "mmHg", {}};
  const sensor::Reading* bp[] = {&sys, &dias};
  CHECK(json::parse(sample_data(bp)) == json{{"sys", 120}, {"dias", 80}});
  const sensor::Reading t{"temperature", "level", 36.6, "°C", {}};
  const sensor::Reading* tp[] = {&t};
  CHECK(json::parse(sample_data(tp))["level"].get<double>() == doctest::Approx(36.6));
  const sensor::Reading a{"alert", "id", 0, "", "door-open"};
  const sensor::Reading* ap[] = {&a};
  CHECK(json::parse(sample_data(ap)) == json{{"id", "door-open"}});
}

TEST_CASE("payload: the original's data types carry exactly their fields (a blood pressure's map stays home)") {
  const std::vector<Sample> samples{
      {"AA:BB:CC:DD:EE:FF", "blood_pressure", 1642694304, R"({"sys":120,"dias":80,"map":93.3})", 1},
      {"AA:BB:CC:DD:EE:FF", "weight", 1642694304, R"({"level":72.5})", 2},
  };
  const json n = json::parse(submit_body("id-1", samples, ValueStyle::numbers));
  CHECK(n["data"][0]["data"][0]["data"] == json{{"sys", 120}, {"dias", 80}});
  CHECK(n["data"][1]["data"][0]["data"] == json{{"level", 72.5}});  // a new type goes as it is
}

TEST_CASE("payload: responses are validated") {
  CHECK(parse_exists(R"({"exists":true,"rememberDevice":true,"id":"x"})")->id == "x");
  CHECK_FALSE(parse_exists(R"({"exists":true,"rememberDevice":true})"));  // exists without id
  CHECK_FALSE(parse_exists(R"({"exists":"yes","id":"x"})"));
  CHECK_FALSE(parse_exists("<html>"));
  CHECK_FALSE(parse_created(R"({"createdAt":"now"})"));
  CHECK(parse_created(R"({"id":"abc","revision":1})").value() == "abc");
  CHECK(parse_last_submission(R"({"timestamp":null})").value() == std::nullopt);
  CHECK(parse_last_submission(R"({"timestamp":17})").value() == 17);
  CHECK_FALSE(parse_last_submission(R"({"timestamp":"17"})"));
  CHECK(parse_token(R"({"access_token":"t","expires_in":60})")->expires_in == 60s);
  CHECK_FALSE(parse_token(R"({"token":"t"})"));
  CHECK(parse_submit_answer(""));
  CHECK(parse_submit_answer(R"({"accepted":3})"));
  CHECK_FALSE(parse_submit_answer("<html>oops"));
}

TEST_CASE("registration: exists, then create, then submit; the answer is reused within the hour") {
  Setup s;
  s.add(dev_a, 1700000000, hr(67));
  s.add(dev_a, 1700000060, battery(22));
  std::vector<std::pair<std::string, std::string>> told;  // on_registered
  s.sopts.on_registered = [&](const std::string& d, const std::string& id) { told.emplace_back(d, id); };
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  REQUIRE(run_co(s.io, sub.round()));
  const json r = s.received();
  REQUIRE(r["devices"].size() == 1);
  CHECK(r["devices"][0]["hardwareIdentifier"] == dev_a);
  const std::string id = r["devices"][0]["id"];
  CHECK(r["requests"]["POST /api/iot-devices/exists"] == 1);
  CHECK(r["requests"]["POST /api/iot-devices"] == 1);
  REQUIRE(r["data"].size() == 2);
  CHECK(r["data"][0] == json{{"iotDeviceId", id}, {"dataType", "heart_rate"}, {"timestamp", 1700000000},
                             {"data", {{"rate", 67}}}});
  CHECK(r["data"][1]["dataType"] == "battery_level");
  CHECK(s.outbox.size() == 0);
  CHECK(sub.counters().registrations == 1);
  REQUIRE(told.size() == 1);
  CHECK(told[0] == std::pair<std::string, std::string>{dev_a, id});

  // More data: no new lookup within the hour (and nothing new to tell).
  s.add(dev_a, 1700000120, hr(70));
  REQUIRE(run_co(s.io, sub.round()));
  CHECK(s.requests("POST /api/iot-devices/exists") == 1);
  CHECK(s.received_count() == 3);
  CHECK(told.size() == 1);

  // recheck(): looked up again, found, not created again.
  sub.recheck(dev_a);
  s.add(dev_a, 1700000180, hr(71));
  REQUIRE(run_co(s.io, sub.round()));
  CHECK(s.requests("POST /api/iot-devices/exists") == 2);
  CHECK(s.requests("POST /api/iot-devices") == 1);
  CHECK(s.received_count() == 4);
  REQUIRE(told.size() == 2);  // found by `exists` this time: the same id
  CHECK(told[1] == std::pair<std::string, std::string>{dev_a, id});

  // last-data-submission reports the newest timestamp.
  auto last = run_co(s.io, s.api.last_submission(id));
  REQUIRE(last);
  CHECK(*last == 1700000180);
}

TEST_CASE("registration: a device that may not be registered is not submitted; its samples expire after 180 s") {
  Setup s;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  s.add(dev_a, now - 200, hr(60));  // older than the expiry
  s.add(dev_a, now, hr(61));        // recent: kept until it is old
  s.sopts.may_register = [](std::string_view d) { return d != dev_a; };
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  REQUIRE(run_co(s.io, sub.round()));
  CHECK(s.requests("POST /api/iot-devices/exists") == 0);
  CHECK(s.received_count() == 0);
  CHECK(s.outbox.size() == 1);
  CHECK(s.outbox.counters().expired == 1);
}

TEST_CASE("registration: the backend refuses to create the device (4xx): samples expire, nothing blocks") {
  Setup s;
  s.control({{"mode", "reject"}, {"path", "/api/iot-devices"}, {"count", 2}});  // exists is fine, create refused
  s.control({{"mode", "ok"}, {"path", "/api/iot-devices/exists"}});
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  s.add(dev_a, now - 500, hr(60));
  s.add(dev_b, now - 400, hr(62));
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  REQUIRE(run_co(s.io, sub.round()));
  CHECK(s.outbox.size() == 0);
  CHECK(s.outbox.counters().expired == 2);
  auto reg = s.outbox.registration(dev_a);
  REQUIRE(reg);
  REQUIRE(*reg);
  CHECK((*reg)->iot_id.empty());
}

TEST_CASE("submission: a 4xx for one device's batch is logged, dropped and does not block the others") {
  Setup s;
  s.add(dev_a, 1700000000, hr(60));
  s.add(dev_b, 1700000001, hr(61));
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  // Register both first (by submitting nothing: a round with empty batches is not possible, so register via API).
  const std::string a = dev_a;
  auto ida = run_co(s.io, s.api.create(a));
  REQUIRE(ida);
  s.control({{"mode", "reject"}, {"device", *ida}});
  REQUIRE(run_co(s.io, sub.round()));
  const json r = s.received();
  REQUIRE(r["data"].size() == 1);
  CHECK(r["data"][0]["data"]["rate"] == 61);
  CHECK(sub.counters().batches_rejected == 1);
  CHECK(sub.counters().batches_sent == 1);
  CHECK(s.outbox.counters().rejected == 1);
  CHECK(s.outbox.size() == 0);
}

TEST_CASE("submission: garbage and 5xx answers are retried; nothing is lost or sent twice") {
  Setup s;
  for (int i = 0; i < 5; ++i) s.add(dev_a, 1700000000 + 2 * i, hr(60 + i));
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  s.control({{"mode", "garbage"}, {"path", "/data/submit"}, {"count", 1}});
  auto r1 = run_co(s.io, sub.round());
  REQUIRE_FALSE(r1);
  CHECK(r1.error() == errc::bad_response);
  CHECK(s.outbox.size() == 5);
  s.control({{"mode", "fail"}, {"path", "/data/submit"}, {"count", 1}});
  auto r2 = run_co(s.io, sub.round());
  REQUIRE_FALSE(r2);
  CHECK(r2.error() == errc::server_error);
  CHECK(s.outbox.size() == 5);
  REQUIRE(run_co(s.io, sub.round()));
  CHECK(s.outbox.size() == 0);
  const json r = s.received();
  CHECK(r["data"].size() == 5);
  CHECK(r["duplicates"] == 0);
}

TEST_CASE("submission: a backend that hangs times out (the timeout configured), then the data goes through") {
  Setup s;
  Backend api(s.http, s.backend_options(300ms));
  s.add(dev_a, 1700000000, hr(60));
  Submitter sub(s.io.get_executor(), api, s.outbox, s.sopts);
  s.control({{"mode", "hang"}, {"count", 1}});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_co(s.io, sub.round());
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r);
  CHECK(r.error() == timeout_error());
  CHECK(took >= 300ms);
  CHECK(took < 3s);
  REQUIRE(run_co(s.io, sub.round()));
  CHECK(s.received_count() == 1);
}

TEST_CASE("credentials: a wrong bearer token is refused (401) and retried; OAuth2 client credentials are cached") {
  Setup s;
  s.add(dev_a, 1700000000, hr(60));
  {
    FILE* f = std::fopen((s.dir.path() / "token").c_str(), "w");
    std::fputs("wrong\n", f);
    std::fclose(f);
  }
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  auto r = run_co(s.io, sub.round());
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::unauthorized);
  CHECK(is_transient(r.error()));
  {
    FILE* f = std::fopen((s.dir.path() / "token").c_str(), "w");
    std::fputs("test-token\n", f);
    std::fclose(f);
  }
  REQUIRE(run_co(s.io, sub.round()));  // the file is read again after the 401
  CHECK(s.received_count() == 1);

  BackendOptions o = s.backend_options();
  o.credentials = {};
  o.credentials.token_url = s.backend.url() + "/oauth/token";
  o.credentials.client_id = "test-client";
  o.credentials.client_secret = "test-secret";
  Backend oauth(s.http, o);
  const std::string b = dev_b;
  for (int i = 0; i < 3; ++i) REQUIRE(run_co(s.io, oauth.exists(b)));
  CHECK(s.requests("POST /oauth/token") == 1);

  o.credentials.client_secret = "nope";
  Backend refused(s.http, o);
  auto e = run_co(s.io, refused.exists(b));
  REQUIRE_FALSE(e);
  CHECK(e.error() == errc::no_credentials);
}

TEST_CASE("submission: an empty outbox costs no round until the writer wakes the submitter; a wake during a round is kept") {
  Setup s;
  auto run_for = [&](std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    s.io.restart();
    while (std::chrono::steady_clock::now() < end) s.io.run_one_for(10ms);
  };
  {
    Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);  // interval 20 ms
    sub.start();
    run_for(200ms);  // ten intervals
    CHECK(sub.counters().rounds == 1);  // the first round, then nothing to do

    s.add(dev_a, 1700000000, hr(60));
    sub.wake();
    for (int i = 0; i < 200 && s.outbox.size() > 0; ++i) s.io.run_one_for(20ms);
    CHECK(s.outbox.size() == 0);
    CHECK(s.received_count() == 1);
    const auto after = sub.counters().rounds;
    CHECK(after >= 2);
    run_for(200ms);
    CHECK(sub.counters().rounds == after);  // asleep again
    sub.stop();
    run_for(20ms);
  }
  // A wake() while a round is in flight: the round took its device list
  // (dev_b) before dev_a's sample was committed; the next round runs as
  // soon as this one ends, not an interval (an hour here) later.
  s.sopts.interval = std::chrono::hours(1);
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  sub.start();
  run_for(50ms);
  const auto base = sub.counters().rounds;
  s.add(dev_b, 1700000002, hr(62));
  sub.wake();
  bool added = false;
  s.io.restart();
  for (int i = 0; i < 400 && (s.outbox.size() > 0 || !added); ++i) {
    s.io.run_one_for(5ms);
    if (!added && sub.counters().rounds > base) {  // dev_b's round has begun
      s.add(dev_a, 1700000004, hr(64));
      sub.wake();
      added = true;
    }
  }
  sub.stop();
  CHECK(added);
  CHECK(s.outbox.size() == 0);
  CHECK(s.received_count() == 3);
  CHECK(s.received()["duplicates"] == 0);
}

TEST_CASE("outage: the backend is down for a long time: retried with backoff, bounded, counted; all arrives after") {
  Setup s;
  s.outbox = *Outbox::open(s.dir.path() / "bounded.db", OutboxOptions{20, 180s, 2000ms});
  Submitter sub(s.io.get_executor(), s.api, s.outbox, s.sopts);
  s.backend.stop();  // connections refused from now on
  sub.start();
  for (int i = 1; i <= 30; ++i) s.add(dev_a, 1700000000 + 2 * i, hr(60 + i));
  asio::steady_timer t(s.io, 400ms);
  t.async_wait([](std::error_code) {});
  s.io.restart();
  while (t.expiry() > std::chrono::steady_clock::now()) s.io.run_one_for(50ms);
  CHECK(sub.counters().failures >= 4);
  CHECK(sub.counters().backoff == 80ms);    // grew to the maximum
  CHECK(s.outbox.size() == 20);             // the bound
  CHECK(s.outbox.counters().dropped_full == 10);  // the 10 oldest, counted

  s.backend.restart();  // same port
  s.io.restart();
  for (int i = 0; i < 200 && s.outbox.size() > 0; ++i) s.io.run_one_for(20ms);
  sub.stop();
  CHECK(s.outbox.size() == 0);
  const json r = s.received();
  REQUIRE(r["data"].size() == 20);
  CHECK(r["data"][0]["data"]["rate"] == 71);   // the oldest kept: sample 11
  CHECK(r["data"][19]["data"]["rate"] == 90);
  CHECK(r["duplicates"] == 0);
}

TEST_CASE("payload: in the strings style the backend receives the seed's shape and values") {
  Setup s;
  BackendOptions o = s.backend_options();
  o.style = ValueStyle::strings;
  Backend api(s.http, o);
  s.add(dev_a, 1642694304, hr(67));
  s.add(dev_a, 1642694364, hr(66));
  s.add(dev_a, 1642694364, battery(22));
  Submitter sub(s.io.get_executor(), api, s.outbox, s.sopts);
  REQUIRE(run_co(s.io, sub.round()));
  const json r = s.received();
  const std::string id = r["devices"][0]["id"];
  // What the backend stored, regrouped as the seed shows it.
  json expected = json::parse(seed_example);
  for (auto& e : expected["data"]) e["iotDeviceId"] = id;
  json got = {{"data", json::array()}};
  for (const auto& d : r["data"]) {
    json* entry = nullptr;
    for (auto& e : got["data"]) {
      if (e["dataType"] == d["dataType"]) entry = &e;
    }
    if (!entry) {
      got["data"].push_back({{"iotDeviceId", d["iotDeviceId"]}, {"dataType", d["dataType"]}, {"data", json::array()}});
      entry = &got["data"].back();
    }
    (*entry)["data"].push_back({{"timestamp", d["timestamp"]}, {"data", d["data"]}});
  }
  CHECK(got == expected);
}
