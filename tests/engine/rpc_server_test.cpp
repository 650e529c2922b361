// The BCMS RPC server (rpc/server.hpp, rpc/bcms_impl.hpp) on the real
// daemon::Service over a scripted mgmt kernel: the original methods with
// the original's error texts, the new BCMSGateway capabilities, listening
// rules, a client compiled from the ORIGINAL schema (tests/rpc/), and the
// bcms CLI against a running server.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <asio/local/stream_protocol.hpp>

#include <cstdlib>

#include "tests/engine/rpc_fixture.hpp"

using namespace bcms;
using namespace bcms::test;

namespace {

const Peer kA{Address::parse("11:22:33:44:55:01").value(), AddressType::le_public};
const Peer kB{Address::parse("11:22:33:44:55:02").value(), AddressType::le_public};
const Peer kUnknown{Address::parse("11:22:33:44:55:99").value(), AddressType::le_public};

std::string text(daemon::errc e) { return daemon::Error(e).text; }

std::vector<std::string> errors(capnp::List<capnp::Text>::Reader l) {
  std::vector<std::string> out;
  for (auto e : l) out.emplace_back(e.cStr());
  return out;
}

template <class Req>
auto call(RpcRig& rig, Req&& req) {
  return req.send().wait(rig.port.wait_scope());
}

template <class Req>
std::pair<bool, std::vector<std::string>> status_call(RpcRig& rig, Req req, const Peer& p) {
  req.setAddress(p.addr.to_string());
  auto r = call(rig, req);
  return {r.getStatus(), errors(r.getErrors())};
}

const char* env_or(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, name << " is set by meson (tests/engine/meson.build)");
  return v;
}

}  // namespace

TEST_CASE("list, approve, remove: results and the original's error texts") {
  RpcRig rig;
  rig.registry.report(kA, -40, name_ad("Heart"));
  rig.registry.report(kB, -70, name_ad("Scale"));
  RpcClient c(rig.port, rig.where());

  auto req = c.bcms.listRequest();
  req.setOnlyApproved(false);
  auto all = call(rig, req);
  CHECK(errors(all.getErrors()).empty());
  REQUIRE(all.getDevices().size() == 2);
  CHECK(std::string(all.getDevices()[0].getAddress().cStr()) == kA.addr.to_string());
  CHECK(std::string(all.getDevices()[0].getName().cStr()) == "Heart");
  CHECK_FALSE(all.getDevices()[0].getApproved());
  CHECK(std::string(all.getDevices()[1].getName().cStr()) == "Scale");

  CHECK(status_call(rig, c.bcms.approveRequest(), kA) == std::pair{true, std::vector<std::string>{}});
  CHECK(status_call(rig, c.bcms.approveRequest(), kA) ==
        std::pair{false, std::vector<std::string>{text(daemon::errc::already_approved)}});
  CHECK(text(daemon::errc::already_approved) == "Device already approved");
  CHECK(status_call(rig, c.bcms.approveRequest(), kUnknown) ==
        std::pair{false, std::vector<std::string>{"Device not found"}});

  auto only = c.bcms.listRequest();
  only.setOnlyApproved(true);
  auto approved = call(rig, only);
  REQUIRE(approved.getDevices().size() == 1);
  CHECK(std::string(approved.getDevices()[0].getAddress().cStr()) == kA.addr.to_string());
  CHECK(approved.getDevices()[0].getApproved());

  // remove: unknown, paired, then an approved one
  CHECK(status_call(rig, c.bcms.removeRequest(), kUnknown) ==
        std::pair{false, std::vector<std::string>{"Device not found"}});
  rig.registry.set_paired(kB, true);
  CHECK(status_call(rig, c.bcms.removeRequest(), kB) ==
        std::pair{false, std::vector<std::string>{"Cannot remove paired device. Unpair first."}});
  CHECK(status_call(rig, c.bcms.removeRequest(), kA) == std::pair{true, std::vector<std::string>{}});
  CHECK_FALSE(rig.registry.find(kA.addr).has_value());
}

TEST_CASE("mode and setMode are the service's (persisted in the registry)") {
  RpcRig rig;
  RpcClient c(rig.port, rig.where());
  CHECK(call(rig, c.bcms.modeRequest()).getMode() == BCMSWorkingMode::APPROVED);
  auto set = c.bcms.setModeRequest();
  set.setMode(BCMSWorkingMode::ANY);
  auto r = call(rig, set);
  CHECK(r.getStatus());
  CHECK(errors(r.getErrors()).empty());
  CHECK(rig.registry.mode() == daemon::Mode::any);
  CHECK(call(rig, c.bcms.modeRequest()).getMode() == BCMSWorkingMode::ANY);
}

TEST_CASE("isPaired, unpair of an unpaired device, a malformed address: status false with the service's text") {
  RpcRig rig;
  rig.registry.report(kA, -40, name_ad("Heart"));
  RpcClient c(rig.port, rig.where());
  auto is = status_call(rig, c.bcms.isPairedRequest(), kA);
  CHECK(is == std::pair{false, std::vector<std::string>{}});
  CHECK(status_call(rig, c.bcms.unpairRequest(), kA) ==
        std::pair{false, std::vector<std::string>{text(daemon::errc::not_paired)}});
  auto bad = c.bcms.approveRequest();
  bad.setAddress("00:11:22:33:44");
  auto r = call(rig, bad);
  CHECK_FALSE(r.getStatus());
  CHECK(errors(r.getErrors()) == std::vector<std::string>{text(daemon::errc::invalid_address)});
}

TEST_CASE("pair answers with the outcome: the kernel's refusal comes back as status false and a reason") {
  RpcRig rig;
  rig.registry.report(kA, -40, name_ad("Heart"));
  // Pair Device (0x0019) fails: Connect Failed (0x04), address echoed.
  rig.kernel.on(0x0019, [](const Command& cmd) {
    return Answer{0x04, bytes(cmd.params.begin(), cmd.params.begin() + 7)};
  });
  RpcClient c(rig.port, rig.where());
  auto [ok, errs] = status_call(rig, c.bcms.pairRequest(), kA);
  CHECK_FALSE(ok);
  REQUIRE(errs.size() == 1);
  CHECK_FALSE(errs[0].empty());
  CHECK(rig.kernel.count(0x0019) == 1);
  CHECK(status_call(rig, c.bcms.isPairedRequest(), kA) == std::pair{false, std::vector<std::string>{}});
}

TEST_CASE("a client that goes away while pair is in progress: the pairing completes, nothing is answered") {
  RpcRig rig;
  rig.registry.report(kA, -40, name_ad("Heart"));
  rig.kernel.on(0x0019, [](const Command&) { return Answer{0, {}, true}; });  // held
  {
    RpcClient c(rig.port, rig.where());
    auto req = c.bcms.pairRequest();
    req.setAddress(kA.addr.to_string());
    auto pending = req.send();
    REQUIRE(run_until(rig.io, [&] { return rig.kernel.count(0x0019) == 1; }));
  }  // the client (promise, connection) is dropped before the kernel answers
  run_until(rig.io, [] { return false; }, std::chrono::milliseconds(50));
  // The kernel refuses now; the service completes the call for nobody.
  const auto params = rig.kernel.params(0x0019).value();
  rig.kernel.reply(0, 0x0019, 0x04, bytes(params.begin(), params.begin() + 7));
  run_until(rig.io, [] { return false; }, std::chrono::milliseconds(100));
  CHECK(rig.service.stats().pair_attempts == 1);
  CHECK(rig.service.stats().pair_failures == 1);
  // and the server still answers others
  RpcClient d(rig.port, rig.where());
  CHECK(status_call(rig, d.bcms.isPairedRequest(), kA) == std::pair{false, std::vector<std::string>{}});
}

TEST_CASE("gateway: status, diagnostics, readings, devices and events by callback") {
  RpcRig rig;
  rig.registry.report(kA, -42, name_ad("Heart"));
  daemon::ControllerStatus cs;
  cs.present = true;
  cs.submission = "unavailable: libcurl: libcurl.so.4: cannot open shared object file";
  rig.service.set_controller(cs);
  RpcClient c(rig.port, rig.where());
  auto gw = c.bcms.gatewayRequest().send().getGateway();

  auto status = call(rig, gw.statusRequest());  // the reader borrows the response
  auto st = status.getStatus();
  CHECK(st.getPresent());
  CHECK(st.getDevicesTracked() == 1);
  CHECK(st.getMode() == BCMSWorkingMode::APPROVED);
  CHECK(std::string(st.getSubmission().cStr()) == cs.submission);

  auto diag = call(rig, gw.diagnosticsRequest());
  CHECK(diag.getCounters().size() > 0);

  rig.registry.set_mode(daemon::Mode::any);  // readings from every device (kA is not approved)
  sensor::Reading hr{"heart_rate", "rate", 67, "bpm", {}};
  const auto at = daemon::Clock::now();
  rig.registry.add_reading(kA, hr, at);
  auto rq = gw.readingsRequest();
  rq.setAddress(kA.addr.to_string());
  auto rs = call(rig, rq);
  CHECK(errors(rs.getErrors()).empty());
  REQUIRE(rs.getReadings().size() == 1);
  CHECK(std::string(rs.getReadings()[0].getDataType().cStr()) == "heart_rate");
  CHECK(std::string(rs.getReadings()[0].getField().cStr()) == "rate");
  CHECK(rs.getReadings()[0].getValue() == 67);
  CHECK(rs.getReadings()[0].getTimestamp() ==
        std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count());

  auto dv = gw.devicesRequest();
  dv.setOnlyApproved(false);
  auto devs = call(rig, dv);
  REQUIRE(devs.getDevices().size() == 1);
  CHECK(devs.getDevices()[0].getHasRssi());
  CHECK(devs.getDevices()[0].getRssi() == -42);
  CHECK(devs.getDevices()[0].getLastSeen() > 0);
  CHECK(std::string(devs.getDevices()[0].getInfo().getName().cStr()) == "Heart");

  // events: a callback capability served by this client
  struct Collector final : BCMSEventCallback::Server {
    std::vector<std::pair<std::string, std::string>>* seen;
    explicit Collector(std::vector<std::pair<std::string, std::string>>* s) : seen(s) {}
    kj::Promise<void> event(EventContext ctx) override {
      auto e = ctx.getParams().getEvent();
      seen->emplace_back(e.getKind().cStr(), e.getAddress().cStr());
      return kj::READY_NOW;
    }
  };
  std::vector<std::pair<std::string, std::string>> seen;
  auto sub = gw.subscribeRequest();
  sub.setCallback(kj::heap<Collector>(&seen));
  auto subscription = call(rig, sub).getSubscription();
  CHECK(status_call(rig, c.bcms.approveRequest(), kA).first);
  REQUIRE(run_until(rig.io, [&] { return !seen.empty(); }));
  CHECK(seen.front() == std::pair<std::string, std::string>{"device_approved", kA.addr.to_string()});

  // a mode change is an event while subscribed ...
  auto set_mode = [&](BCMSWorkingMode m) {
    auto set = c.bcms.setModeRequest();
    set.setMode(m);
    CHECK(call(rig, set).getStatus());
  };
  set_mode(BCMSWorkingMode::APPROVED);
  REQUIRE(run_until(rig.io, [&] { return seen.back().first == "mode_changed"; }));
  // ... and not after the subscription was dropped
  { auto dropped = kj::mv(subscription); }
  call(rig, c.bcms.modeRequest());  // a round trip: the drop has reached the server
  const auto before = seen.size();
  set_mode(BCMSWorkingMode::ANY);
  run_until(rig.io, [] { return false; }, std::chrono::milliseconds(50));
  CHECK(seen.size() == before);
}

TEST_CASE("listening: non-loopback refused unless allowed; a Unix socket with its file mode") {
  {
    rpc::Server::Options o;
    o.listen = {"0.0.0.0:0"};
    try {
      RpcRig rig(o);
      FAIL("a non-loopback address was accepted without allow_remote");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("0.0.0.0:0") != std::string::npos);
      CHECK(std::string(e.what()).find("not a loopback address") != std::string::npos);
    }
    o.allow_remote = true;
    RpcRig rig(o);
    CHECK(rig.server->endpoints().front().port != 0);
  }
  TempDir dir;
  const auto path = (dir.path / "bcms.sock").string();
  for (unsigned mode : {0600u, 0660u}) {
    rpc::Server::Options o;
    o.listen = {"unix:" + path};
    o.unix_mode = mode;
    RpcRig rig(o);
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == mode);
    RpcClient c(rig.port, "unix:" + path);
    CHECK(call(rig, c.bcms.modeRequest()).getMode() == BCMSWorkingMode::APPROVED);
  }
  CHECK_FALSE(std::filesystem::exists(path));  // removed with the server

  // A stale socket file (a daemon killed) is replaced; a live one is not taken.
  {
    asio::io_context io;
    asio::local::stream_protocol::acceptor live(io, asio::local::stream_protocol::endpoint(path));
    rpc::Server::Options o;
    o.listen = {"unix:" + path};
    CHECK_THROWS_WITH_AS(RpcRig{o}, doctest::Contains("another process is listening there"), std::runtime_error);
    live.close();  // the file stays, nobody listens: stale
    REQUIRE(std::filesystem::exists(path));
    RpcRig rig(o);
    RpcClient c(rig.port, "unix:" + path);
    CHECK(call(rig, c.bcms.modeRequest()).getMode() == BCMSWorkingMode::APPROVED);
  }
}

TEST_CASE("compatibility: a client compiled from the ORIGINAL schema calls every method") {
  RpcRig rig;
  rig.registry.report(kA, -40, name_ad("Heart"));
  rig.registry.report(kB, -50, name_ad("Scale"));
  rig.kernel.on(0x0019, [](const Command& cmd) { return Answer{0x04, bytes(cmd.params.begin(), cmd.params.begin() + 7)}; });
  const std::string a = kA.addr.to_string(), b = kB.addr.to_string(), u = kUnknown.addr.to_string();
  auto r = run_child(rig.io,
                     {env_or("ORIGINAL_CLIENT"), rig.where(), "list", "approve=" + a, "approve=" + a, "approve=" + u,
                      "list-approved", "remove=" + u, "remove=" + b, "mode", "setMode=any", "mode", "isPaired=" + a,
                      "unpair=" + a, "pair=" + a, "list"},
                     rig.dir.path);
  INFO(r.err);
  CHECK(r.exit == 0);
  std::istringstream lines(r.out);
  std::vector<std::string> got;
  for (std::string l; std::getline(lines, l);) got.push_back(l);
  REQUIRE(got.size() == 14);
  CHECK(got[0] == "list " + a + "/Heart/0/0 " + b + "/Scale/0/0 errors: ");
  CHECK(got[1] == "approve 1 errors: ");
  CHECK(got[2] == "approve 0 errors: Device already approved");
  CHECK(got[3] == "approve 0 errors: Device not found");
  CHECK(got[4] == "list-approved " + a + "/Heart/1/0 errors: ");
  CHECK(got[5] == "remove 0 errors: Device not found");
  CHECK(got[6] == "remove 1 errors: ");
  CHECK(got[7] == "mode approved");
  CHECK(got[8] == "setMode 1 errors: ");
  CHECK(got[9] == "mode any");
  CHECK(got[10] == "isPaired 0 errors: ");
  CHECK(got[11] == "unpair 0 errors: " + text(daemon::errc::not_paired));
  CHECK(got[12].starts_with("pair 0 errors: "));
  CHECK(got[12].size() > std::string("pair 0 errors: ").size());
  CHECK(got[13] == "list " + a + "/Heart/1/0 errors: ");
}

TEST_CASE("the bcms CLI against the server: tables, JSON, the daemon's errors with exit 1") {
  RpcRig rig;
  rig.registry.report(kA, -40, name_ad("Heart"));
  daemon::ControllerStatus cs;
  cs.submission = "off (no api_url)";
  rig.service.set_controller(cs);
  const std::string cli = env_or("BCMS_CLI"), a = kA.addr.to_string();
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {cli, "--connect", rig.where()});
    return run_child(rig.io, args, rig.dir.path);
  };
  auto list = run({"list"});
  CHECK(list.exit == 0);
  CHECK(list.out.find("ADDRESS") != std::string::npos);
  CHECK(list.out.find(a + "  Heart  no        no") != std::string::npos);

  auto approve = run({"approve", "--address", a});
  CHECK(approve.exit == 0);
  auto again = run({"approve", "--address", a});
  CHECK(again.exit == 1);
  CHECK(again.err.find("Device already approved") != std::string::npos);
  auto unknown = run({"remove", "--address", kUnknown.addr.to_string()});
  CHECK(unknown.exit == 1);
  CHECK(unknown.err.find("Device not found") != std::string::npos);

  auto json = run({"list", "--only_approved", "--json"});
  CHECK(json.exit == 0);
  CHECK(json.out == "{\"devices\":[{\"address\":\"" + a + "\",\"approved\":true,\"name\":\"Heart\",\"paired\":false}],"
                    "\"errors\":[]}\n");
  auto mode = run({"set_mode", "--mode", "any"});
  CHECK(mode.exit == 0);
  CHECK(run({"mode"}).out == "any\n");
  CHECK(run({"is_paired", "--address", a}).out == a + " is not paired\n");
  auto st = run({"status", "--json"});
  CHECK(st.exit == 0);
  CHECK(st.out.find("\"devices_tracked\":1") != std::string::npos);
  CHECK(st.out.find("\"submission\":\"off (no api_url)\"") != std::string::npos);
  auto table = run({"status"});
  CHECK(table.exit == 0);
  CHECK(table.out.find("submission: off (no api_url)\n") != std::string::npos);

  rig.registry.add_reading(kA, sensor::Reading{"heart_rate", "rate", 67, "bpm", {}}, daemon::Clock::time_point(std::chrono::seconds(1642694304)));
  auto readings = run({"readings", a, "--json"});
  CHECK(readings.exit == 0);
  CHECK(readings.out == "{\"address\":\"" + a + "\",\"readings\":[{\"dataType\":\"heart_rate\",\"field\":\"rate\","
                        "\"timestamp\":1642694304000,\"unit\":\"bpm\",\"value\":67.0}]}\n");
}

TEST_CASE("bcms watch: events as JSON lines until SIGINT (exit 0); the daemon going away ends it with exit 4") {
  RpcRig rig;
  rig.registry.report(kA, -40, name_ad("Heart"));
  const std::string a = kA.addr.to_string();
  {
    Child watch({env_or("BCMS_CLI"), "--connect", rig.where(), "watch", "--json"}, rig.dir.path);
    // subscribed once the server has accepted it and the subscription is in place
    REQUIRE(run_until(rig.io, [&] { return rig.registry.events().subscribers() > 0; }, std::chrono::seconds(10)));
    RpcClient c(rig.port, rig.where());
    CHECK(status_call(rig, c.bcms.approveRequest(), kA).first);
    REQUIRE(run_until(rig.io, [&] { return Child::slurp(watch.out).find("device_approved") != std::string::npos; },
                      std::chrono::seconds(10)));
    ::kill(watch.pid, SIGINT);
    auto r = watch.wait(rig.io);
    CHECK(r.exit == 0);
    CHECK(r.out.starts_with("{\"address\":\"" + a + "\",\"kind\":\"device_approved\""));
  }
  {
    // A client of this thread waited for an answer just before (the
    // kj/asio bridge once left work queued after such a wait unrun).
    RpcClient c2(rig.port, rig.where());
    CHECK(call(rig, c2.bcms.modeRequest()).getMode() == BCMSWorkingMode::APPROVED);
    Child watch({env_or("BCMS_CLI"), "--connect", rig.where(), "watch"}, rig.dir.path);
    const bool subscribed = run_until(
        rig.io, [&] { return Child::slurp(watch.err).find("watching events") != std::string::npos; }, std::chrono::seconds(10));
    INFO("stderr: " << Child::slurp(watch.err) << " stdout: " << Child::slurp(watch.out));
    REQUIRE(subscribed);
    rig.server.reset();  // the daemon goes away
    auto r = watch.wait(rig.io);
    CHECK(r.exit == 4);
    CHECK(r.err.find("closed the connection") != std::string::npos);
  }
}
