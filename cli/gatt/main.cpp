// bcms-gatt: gatttool-style GATT client straight on an L2CAP LE socket (no
// bluetoothd).  Output lines match BlueZ gatttool's for the same commands;
// --json prints one JSON document per result instead.  See --help and
// README "bcms-gatt".
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "cli/gatt/format.hpp"
#include "cli/gatt/interactive.hpp"
#include "cli/gatt/session.hpp"
#include "protocol/hex.hpp"
#include "gen/mgmt_types.hpp"
#include "src/mgmt/sync.hpp"

using namespace bcms;
using namespace bcms::cli::gatt;
using json = nlohmann::ordered_json;

namespace {

struct Options {
  std::string address;
  std::string addr_type = "public";
  std::string sec_level = "low";
  int index = -1;
  std::uint16_t mtu = 0;
  double timeout_s = 10;
  bool json_output = false;
  // command arguments
  std::string uuid;
  std::uint16_t start = 0x0001, end = 0xFFFF, handle = 0;
  std::string value;
  bytes parsed_value;
};

void emit(const json& j) { std::printf("%s\n", j.dump().c_str()); }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bcms-gatt: GATT client on the kernel's L2CAP LE sockets (gatttool-style)", "bcms-gatt"};
  app.set_help_all_flag("--help-all");
  app.add_option("-b,--address", o.address, "Remote device address (XX:XX:XX:XX:XX:XX)");
  app.add_option("-t,--addr-type", o.addr_type, "Remote address type")->check(CLI::IsMember({"public", "random"}));
  app.add_option("-l,--sec-level", o.sec_level, "Security level")->check(CLI::IsMember({"low", "medium", "high", "fips"}));
  app.add_option("-i,--index", o.index, "Controller index (default: the kernel picks)");
  app.add_option("-m,--mtu", o.mtu, "Exchange MTU with this Client Rx MTU first")->check(CLI::Range(23, 517));
  app.add_option("--timeout", o.timeout_s, "Seconds to wait for the connection")->check(CLI::Range(0.1, 3600.0));
  app.add_flag("--json", o.json_output, "One JSON document per result");
  bool listen_flag = false;
  app.add_flag("--listen", listen_flag, "After the command, print notifications and indications until interrupted");
  bool interactive = false;
  app.add_flag("-I,--interactive", interactive,
               "Use interactive mode (gatttool -I's commands; -b/-t/-l are the defaults of `connect`)");
  app.require_subcommand(0, 1);
  app.footer("Exit codes: 0 success; 1 the peer refused (ATT error by name); 2 bad usage; "
             "3 no Bluetooth socket; 4 timed out or disconnected.");

  std::function<asio::awaitable<int>(att::GattClient&)> proc;
  bool listen_after = false;
  auto handle_opt = [&](CLI::App* sub) { sub->add_option("handle", o.handle, "Attribute handle")->required(); };
  auto range_opts = [&](CLI::App* sub) {
    sub->add_option("-s,--start", o.start, "First handle");
    sub->add_option("-e,--end", o.end, "Last handle");
  };

  auto* primary = app.add_subcommand("primary", "Primary service discovery");
  primary->add_option("-u,--uuid", o.uuid, "Only services of this UUID");
  primary->callback([&] {
    proc = [&o](att::GattClient& c) -> asio::awaitable<int> {
      std::optional<att::Uuid> u;
      if (!o.uuid.empty()) u = att::Uuid::parse(o.uuid).value();
      auto s = co_await c.discover_services(u);
      if (!s) co_return failed("Discover all primary services", s.error());
      for (const auto& x : *s) {
        if (o.json_output) emit({{"start", x.start}, {"end", x.end}, {"uuid", x.uuid.to_string128()}});
        else if (u) std::printf("Starting handle: %04x Ending handle: %04x\n", x.start, x.end);  // gatttool: no 0x
        else std::printf("attr handle = %s, end grp handle = %s uuid: %s\n", h4(x.start).c_str(), h4(x.end).c_str(),
                         x.uuid.to_string128().c_str());
      }
      co_return kOk;
    };
  });
  auto* chars = app.add_subcommand("characteristics", "Characteristics discovery");
  range_opts(chars);
  chars->add_option("-u,--uuid", o.uuid, "Only characteristics of this UUID");
  chars->callback([&] {
    proc = [&o](att::GattClient& c) -> asio::awaitable<int> {
      auto r = co_await c.discover_characteristics(o.start, o.end);
      if (!r) co_return failed("Discover all characteristics", r.error());
      for (const auto& x : *r) {
        if (!o.uuid.empty() && x.uuid != att::Uuid::parse(o.uuid).value()) continue;
        if (o.json_output)
          emit({{"handle", x.declaration}, {"properties", x.properties}, {"value_handle", x.value_handle},
                {"uuid", x.uuid.to_string128()}});
        else
          std::printf("handle = %s, char properties = 0x%02x, char value handle = %s, uuid = %s\n",
                      h4(x.declaration).c_str(), x.properties, h4(x.value_handle).c_str(), x.uuid.to_string128().c_str());
      }
      co_return kOk;
    };
  });
  auto* desc = app.add_subcommand("char-desc", "Characteristic descriptors discovery (every attribute in the range)");
  range_opts(desc);
  desc->callback([&] {
    proc = [&o](att::GattClient& c) -> asio::awaitable<int> {
      auto r = co_await c.discover_descriptors(o.start, o.end);
      if (!r) co_return failed("Discover descriptors", r.error());
      for (const auto& x : *r) {
        if (o.json_output) emit({{"handle", x.handle}, {"uuid", x.type.to_string128()}});
        else std::printf("handle = %s, uuid = %s\n", h4(x.handle).c_str(), x.type.to_string128().c_str());
      }
      co_return kOk;
    };
  });
  auto* rd = app.add_subcommand("char-read-hnd", "Characteristics value/descriptor read by handle");
  handle_opt(rd);
  rd->callback([&] {
    proc = [&o](att::GattClient& c) -> asio::awaitable<int> {
      auto v = co_await c.read(o.handle);
      if (!v) co_return failed("Characteristic value/descriptor read", v.error());
      if (o.json_output) emit({{"handle", o.handle}, {"value", hex_bytes(*v)}});
      else std::printf("Characteristic value/descriptor: %s\n", spaced(*v).c_str());
      co_return kOk;
    };
  });
  auto* rdu = app.add_subcommand("char-read-uuid", "Characteristics value read by UUID");
  rdu->add_option("uuid", o.uuid, "Characteristic UUID")->required();
  range_opts(rdu);
  rdu->callback([&] {
    proc = [&o](att::GattClient& c) -> asio::awaitable<int> {
      auto r = co_await c.read_by_type(o.start, o.end, att::Uuid::parse(o.uuid).value());
      if (!r) co_return failed("Read characteristics by UUID", r.error());
      for (const auto& [h, v] : *r) {
        if (o.json_output) emit({{"handle", h}, {"value", hex_bytes(v)}});
        else std::printf("handle: %s \t value: %s\n", h4(h).c_str(), spaced(v).c_str());
      }
      co_return kOk;
    };
  });
  for (const bool req : {true, false}) {
    auto* wr = app.add_subcommand(req ? "char-write-req" : "char-write-cmd",
                                  req ? "Characteristic value write (Write Request)"
                                      : "Characteristic value write (Write Without Response)");
    handle_opt(wr);
    wr->add_option("value", o.value, "New value, hex octets (e.g. 0100)")->required();
    wr->callback([&, req] {
      proc = [&o, req](att::GattClient& c) -> asio::awaitable<int> {
        if (!req) {
          if (auto ec = c.write_without_response(o.handle, o.parsed_value))
            co_return failed("Characteristic Write Command", ec);
          co_return kOk;
        }
        auto w = co_await c.write(o.handle, o.parsed_value);
        if (!w) co_return failed("Characteristic Write Request", w.error());
        if (o.json_output) emit({{"handle", o.handle}, {"written", true}});
        else std::printf("Characteristic value was written successfully\n");
        co_return kOk;
      };
    });
  }
  auto* listen = app.add_subcommand("listen", "Print notifications and indications until interrupted (decoded where known)");
  listen->callback([&] { listen_after = true; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  if (!interactive && app.get_subcommands().empty()) {
    std::fprintf(stderr, "a command is required (or -I for interactive mode); see --help\n");
    return kUsage;
  }
  if (interactive && o.json_output) {
    std::fprintf(stderr, "--json is not available in interactive mode\n");
    return kUsage;
  }
  if (interactive && o.address.empty()) o.address = "00:00:00:00:00:00";  // `connect ADDRESS` gives it
  const bool have_address = !o.address.empty() && o.address != "00:00:00:00:00:00";
  auto addr = Address::parse(o.address);
  if (!addr) {
    std::fprintf(stderr, "invalid address: '%s' (XX:XX:XX:XX:XX:XX expected)\n", o.address.c_str());
    return kUsage;
  }
  if (!o.value.empty()) {
    // Refused before anything is sent.
    // Hex octets as gatttool takes them ("0100"), or separated ("01:00").
    auto v = parse_hex(o.value);
    if (!v) {
      std::fprintf(stderr, "invalid value: '%s' (hex octets expected, e.g. 0100)\n", o.value.c_str());
      return kUsage;
    }
    o.parsed_value = std::move(*v);
  }
  if (!o.uuid.empty() && !att::Uuid::parse(o.uuid)) {
    std::fprintf(stderr, "invalid UUID: '%s'\n", o.uuid.c_str());
    return kUsage;
  }
  Target t;
  t.peer = Peer{*addr, o.addr_type == "random" ? AddressType::le_random : AddressType::le_public};
  t.security = o.sec_level == "medium" ? att::SecurityLevel::medium
               : o.sec_level == "high" ? att::SecurityLevel::high
               : o.sec_level == "fips" ? att::SecurityLevel::fips
                                       : att::SecurityLevel::low;
  if (o.mtu) t.mtu = o.mtu;
  t.timeout = std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
  if (o.index >= 0) {
    // The controller's own address to bind to (mgmt Read Controller Information).
    auto m = mgmt::MgmtSync::open();
    if (!m) {
      std::fprintf(stderr, "cannot open the management socket for --index: %s\n", m.error().message().c_str());
      return kUnavailable;
    }
    auto info = (*m)->command(mgmt::ReadControllerInformation{}, static_cast<std::uint16_t>(o.index));
    if (!info) {
      std::fprintf(stderr, "hci%d: %s\n", o.index, info.error().message().c_str());
      return kRefused;
    }
    t.local = info->value.address;
  }
  if (interactive) return run_interactive(t, have_address);
  int rc = kOk;
  auto session = Session::connect(t, rc);
  if (!session) return rc;
  if (listen_flag) listen_after = true;
  if (proc) {
    rc = session->run(proc);
    if (rc != kOk || !listen_after) return rc;
  }
  // listen: map value handles to characteristic UUIDs to decode what arrives.
  auto handles = std::make_shared<std::map<std::uint16_t, std::uint16_t>>();
  session->run([handles](att::GattClient& c) -> asio::awaitable<int> {
    auto r = co_await c.discover_characteristics(0x0001, 0xFFFF);
    if (r)
      for (const auto& x : *r)
        if (x.uuid.is16()) (*handles)[x.value_handle] = x.uuid.as16();
    co_return kOk;
  });
  session->client().on_any_value([&o, handles](std::uint16_t h, byte_span v, bool ind) {
    auto it = handles->find(h);
    const std::string d = it == handles->end() ? std::string() : decoded(it->second, v);
    if (o.json_output) {
      json j{{"kind", ind ? "indication" : "notification"}, {"handle", h}, {"value", hex_bytes(v)}};
      if (!d.empty()) j["decoded"] = d;
      emit(j);
    } else {
      std::printf("%s handle = %s value: %s\n", ind ? "Indication  " : "Notification", h4(h).c_str(), spaced(v).c_str());
      if (!d.empty()) std::printf("  %s\n", d.c_str());
    }
    std::fflush(stdout);
  });
  return session->run_until_signal();
}
