// bcms-collect: the collector on its own, no daemon.  Scans with mgmt
// Start Discovery on its own management socket (LE public + random,
// restarted whenever the kernel ends it) and prints every reading the
// collector (src/collector) takes: passively from advertisements (the
// original's service data, BTHome v2 plain and encrypted with --bind-key,
// Eddystone-TLM) and, with --active, by connecting to devices a profile
// matches (blood-pressure monitors, Heart Rate / Environmental Sensing /
// Battery devices).
//
//   bcms-collect [--index N] [--bind-key ADDR=HEX32]... [--duration S] [--json] [--active]
//
// Output: one reading per line on stdout,
//   54:48:E6:8F:80:A5 (le_public) bthome: temperature level=21.5 °C
// or with --json one JSON object per line,
//   {"time":1796000000.25,"address":"54:48:E6:8F:80:A5","address_type":"le_public",
//    "source":"bthome","type":"temperature","field":"level","value":21.5,"unit":"°C"}
// Progress ("Discovery started"), rejected packets and the closing
// counters ("stats: ...") go to stderr.
//
// Exit codes as bcms-mgmt's: 0 success; 1 the kernel refused (e.g. the
// controller is not powered); 2 bad usage; 3 no Bluetooth management socket.
//
// A hidden helper for the VM scenario builds encrypted BTHome service data:
//   bcms-collect --encrypt-bthome --key HEX32 --mac ADDR --counter N --objects HEX
// prints the service data (after the UUID 0xFCD2) as hex.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <string>

#include "gen/mgmt_types.hpp"
#include "protocol/hex.hpp"
#include "protocol/sensor/bthome_crypto.hpp"
#include "src/collector/collector.hpp"
#include "src/l2cap/socket.hpp"
#include "src/mgmt/call.hpp"
#include "src/mgmt/control_socket.hpp"

using namespace bcms;
using json = nlohmann::ordered_json;

namespace {

constexpr int kOk = 0, kRefused = 1, kUsage = 2, kUnavailable = 3;
constexpr std::uint8_t kLe = mgmt::discovery_type::le_public | mgmt::discovery_type::le_random;

struct Options {
  int index = 0;
  std::vector<std::string> bind_keys;
  double duration = 0;  // 0: until SIGINT/SIGTERM
  bool json_output = false;
  bool active = false;
  bool verbose = false;
  double listen = 10;
  // --encrypt-bthome
  bool encrypt = false;
  std::string key, mac, objects;
  std::uint32_t counter = 0;
  std::uint8_t device_info = sensor::bthome_info::version_2;
};

expected<Key128> parse_key(const std::string& text) {
  auto b = parse_hex(text);
  if (!b || b->size() != 16) return tl::unexpected(std::make_error_code(std::errc::invalid_argument));
  Key128 k{};
  std::copy(b->begin(), b->end(), k.begin());
  return k;
}

int encrypt_bthome(const Options& o) {
  auto key = parse_key(o.key);
  auto mac = Address::parse(o.mac);
  auto objects = parse_hex(o.objects);
  if (!key || !mac || !objects) {
    std::fprintf(stderr, "--encrypt-bthome needs --key HEX32 --mac ADDR --objects HEX [--counter N]\n");
    return kUsage;
  }
  std::printf("%s\n", hex_bytes(sensor::bthome_encrypt(*key, *mac, o.device_info, o.counter, *objects)).c_str());
  return kOk;
}

void print(const collector::Collected& c, bool as_json) {
  const auto& r = c.reading;
  if (as_json) {
    json j{{"time", std::chrono::duration<double>(c.time.time_since_epoch()).count()},
           {"address", c.device.addr.to_string()},
           {"address_type", std::string(to_string(c.device.type))},
           {"source", std::string(c.source)},
           {"type", std::string(r.type)},
           {"field", std::string(r.field)},
           {"value", r.value},
           {"unit", std::string(r.unit)}};
    if (!r.text.empty()) j["text"] = r.text;
    std::printf("%s\n", j.dump().c_str());
  } else if (!r.text.empty()) {
    std::printf("%s %.*s: %.*s %.*s=%s\n", c.device.to_string().c_str(), static_cast<int>(c.source.size()),
                c.source.data(), static_cast<int>(r.type.size()), r.type.data(), static_cast<int>(r.field.size()),
                r.field.data(), r.text.c_str());
  } else {
    std::printf("%s %.*s: %.*s %.*s=%g%s%.*s\n", c.device.to_string().c_str(), static_cast<int>(c.source.size()),
                c.source.data(), static_cast<int>(r.type.size()), r.type.data(), static_cast<int>(r.field.size()),
                r.field.data(), r.value, r.unit.empty() ? "" : " ", static_cast<int>(r.unit.size()), r.unit.data());
  }
  std::fflush(stdout);
}

void print_stats(const collector::Collector& c) {
  const auto& p = c.passive_stats();
  const auto& s = c.stats();
  std::fprintf(stderr,
               "stats: adverts=%llu readings=%llu sampled_out=%llu service_data_errors=%llu bthome_packets=%llu "
               "bthome_duplicates=%llu bthome_repeats=%llu bthome_replays=%llu bthome_auth_failures=%llu "
               "bthome_no_key=%llu bthome_downgrades=%llu bthome_errors=%llu eddystone_tlm=%llu "
               "procedures_started=%llu procedures_failed=%llu\n",
               static_cast<unsigned long long>(p.adverts), static_cast<unsigned long long>(s.delivered),
               static_cast<unsigned long long>(s.sampled_out), static_cast<unsigned long long>(p.service_data_errors),
               static_cast<unsigned long long>(p.bthome_packets), static_cast<unsigned long long>(p.bthome_duplicates),
               static_cast<unsigned long long>(p.bthome_repeats), static_cast<unsigned long long>(p.bthome_replays),
               static_cast<unsigned long long>(p.bthome_auth_failures),
               static_cast<unsigned long long>(p.bthome_no_key), static_cast<unsigned long long>(p.bthome_downgrades),
               static_cast<unsigned long long>(p.bthome_errors), static_cast<unsigned long long>(p.eddystone_tlm),
               static_cast<unsigned long long>(s.procedures_started),
               static_cast<unsigned long long>(s.procedures_failed));
}

/// The ATT channel to `peer` from the controller with address `local`
/// (the kernel creates the LE connection on connect()).
asio::awaitable<expected<std::shared_ptr<att::AttBearer>>> connect_att(asio::io_context& io, Address local,
                                                                        Peer peer) {
  auto sock = l2cap::open_bound(io, l2cap::Endpoint{local, AddressType::le_public, 0, l2cap::att_cid});
  if (!sock) co_return tl::unexpected(sock.error());
  l2cap::Socket s = std::move(*sock);
  const l2cap::Endpoint remote{peer.addr, peer.type, 0, l2cap::att_cid};
  std::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  auto initiate = [&s, remote](auto handler) {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    l2cap::async_connect(s, remote, std::chrono::seconds(10), [h](std::error_code e) { (*h)(e); });
  };
  co_await asio::async_initiate<decltype(token), void(std::error_code)>(initiate, token);
  if (ec) {
    spdlog::warn("connecting to {} failed: {}", peer.to_string(), ec.message());
    co_return tl::unexpected(ec);
  }
  att::ConnState st;
  st.id = 1;
  st.peer = peer;
  att::AttBearer::Options bo;
  bo.raise_security = false;
  auto b = att::AttBearer::create(std::move(s), std::move(st), bo);
  b->start();
  co_return b;
}

struct Run {
  asio::io_context io;
  Options o;
  std::uint16_t index = 0;
  std::unique_ptr<mgmt::MgmtChannel> ch;
  std::unique_ptr<collector::Collector> col;
  std::vector<collector::Profile> profiles;
  mgmt::Subscription found, discovering;
  bool stopping = false;
  int connecting = 0;  // connects in progress (discovery is stopped meanwhile)
  int rc = kOk;

  asio::awaitable<bool> start_discovery() {
    mgmt::StartDiscovery cmd;
    cmd.address_type = kLe;
    auto r = co_await mgmt::call(*ch, cmd, index);
    if (!r) {
      std::fprintf(stderr, "Start Discovery failed: %s\n", r.error().message().c_str());
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<void> main() {
    auto info = co_await mgmt::call(*ch, mgmt::ReadControllerInformation{}, index);
    if (!info) {
      std::fprintf(stderr, "Read Controller Information on hci%u failed: %s\n", index, info.error().message().c_str());
      rc = kRefused;
      io.stop();
      co_return;
    }
    if (!(info->current_settings & mgmt::setting::powered)) {
      std::fprintf(stderr, "hci%u is not powered (bcms-mgmt --index %u power on)\n", index, index);
      rc = kRefused;
      io.stop();
      co_return;
    }
    const Address local = info->address;
    if (o.active) col->set_connect([this, local](Peer p) { return connect(local, p); });
    found = col->attach(*ch, index);
    // The kernel ends LE discovery by itself (about 10 s): start it again.
    discovering = ch->subscribe<mgmt::DiscoveringEvent>(index, [this](std::uint16_t, const mgmt::DiscoveringEvent& ev) {
      if (ev.discovering || stopping || connecting > 0) return;
      asio::co_spawn(io, restart(), asio::detached);
    });
    if (!co_await start_discovery()) {
      rc = kRefused;
      io.stop();
      co_return;
    }
    std::fprintf(stderr, "Discovery started on hci%u\n", index);
  }

  /// Discovery is stopped while a connection is made, and started again
  /// once it is up (or failed): Linux connects by scanning for the peer's
  /// next advertisement itself, and that scan is only (re)started when no
  /// discovery holds the scanner (btvirt, which reports an advertiser
  /// only when scanning is enabled, never connects otherwise).
  asio::awaitable<expected<std::shared_ptr<att::AttBearer>>> connect(Address local, Peer peer) {
    if (connecting++ == 0) {
      mgmt::StopDiscovery cmd;
      cmd.address_type = kLe;
      auto r = co_await mgmt::call(*ch, cmd, index);
      (void)r;  // Rejected when the kernel had ended it already
    }
    auto link = co_await connect_att(io, local, peer);
    if (--connecting == 0 && !stopping) co_await start_discovery();
    co_return link;
  }

  asio::awaitable<void> restart() {
    asio::steady_timer t(io, std::chrono::milliseconds(100));
    std::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!stopping) co_await start_discovery();
  }

  asio::awaitable<void> stop() {
    if (stopping) co_return;
    stopping = true;
    mgmt::StopDiscovery cmd;
    cmd.address_type = kLe;
    auto r = co_await mgmt::call(*ch, cmd, index);
    (void)r;  // Rejected when the kernel had ended it meanwhile
    std::fprintf(stderr, "Discovery stopped\n");
    print_stats(*col);
    io.stop();
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bcms-collect: sensor readings from advertisements and connections (no daemon)", "bcms-collect"};
  app.add_option("--index", o.index, "Controller index (default 0)")->check(CLI::Range(0, 0xFFFE));
  app.add_option("--bind-key", o.bind_keys, "ADDR=HEX32: a device's BTHome bind key (repeatable)");
  app.add_option("--duration", o.duration, "Seconds to collect (default: until SIGINT/SIGTERM)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", o.json_output, "One JSON object per reading");
  app.add_flag("--active", o.active, "Connect to devices a profile matches and run its procedure");
  app.add_option("--listen", o.listen, "With --active: seconds to keep subscriptions (default 10)")
      ->check(CLI::PositiveNumber);
  app.add_flag("-v,--verbose", o.verbose, "Debug logging on stderr");
  // Hidden: the VM scenario's encrypted BTHome payloads.
  app.add_flag("--encrypt-bthome", o.encrypt)->group("");
  app.add_option("--key", o.key)->group("");
  app.add_option("--mac", o.mac)->group("");
  app.add_option("--counter", o.counter)->group("");
  app.add_option("--objects", o.objects)->group("");
  app.add_option("--device-info", o.device_info)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int r = app.exit(e);
    return r == 0 ? kOk : kUsage;
  }
  if (o.encrypt) return encrypt_bthome(o);

  spdlog::set_default_logger(spdlog::stderr_color_st("bcms-collect"));
  spdlog::set_pattern("%v");
  if (o.verbose) spdlog::set_level(spdlog::level::debug);

  Run run;
  run.o = o;
  run.index = static_cast<std::uint16_t>(o.index);
  run.profiles.assign(collector::default_profiles().begin(), collector::default_profiles().end());
  for (auto& p : run.profiles)
    p.procedure.listen = std::chrono::milliseconds(static_cast<std::int64_t>(o.listen * 1000));
  collector::Collector::Options co;
  co.active = o.active;
  co.profiles = run.profiles;
  const bool as_json = o.json_output;
  run.col = std::make_unique<collector::Collector>(
      run.io.get_executor(), [as_json](const collector::Collected& c) { print(c, as_json); }, co);
  for (const auto& bk : o.bind_keys) {
    const auto eq = bk.find('=');
    auto addr = Address::parse(bk.substr(0, eq == std::string::npos ? 0 : eq));
    auto key = eq == std::string::npos ? expected<Key128>(tl::unexpected(std::error_code{})) : parse_key(bk.substr(eq + 1));
    if (!addr || !key) {
      std::fprintf(stderr, "--bind-key takes ADDR=HEX32, e.g. 54:48:E6:8F:80:A5=231d39c1d7cc1ab1aee224cd096db932\n");
      return kUsage;
    }
    run.col->set_bind_key(*addr, *key);
  }

  auto sock = mgmt::open_control_socket(run.io.get_executor());
  if (!sock) {
    std::fprintf(stderr, "cannot open the Bluetooth management socket: %s\n", sock.error().message().c_str());
    return kUnavailable;
  }
  run.ch = std::make_unique<mgmt::MgmtChannel>(std::move(*sock));

  asio::signal_set signals(run.io, SIGINT, SIGTERM);
  signals.async_wait([&run](std::error_code ec, int) {
    if (!ec) asio::co_spawn(run.io, run.stop(), asio::detached);
  });
  asio::steady_timer until(run.io);
  if (o.duration > 0) {
    until.expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(o.duration * 1000)));
    until.async_wait([&run](std::error_code ec) {
      if (!ec) asio::co_spawn(run.io, run.stop(), asio::detached);
    });
  }
  asio::co_spawn(run.io, run.main(), asio::detached);
  run.io.run();
  return run.rc;
}
