// bcms-mgmt: find, find-service, stop-find.
//
// Device Found can arrive before the Start Discovery reply (Linux 6.12
// sends the first advertising report as soon as scanning starts), so the
// events are watched BEFORE the command is sent; btmgmt drops those early
// events, which is why it misses devices that we report.
#include <asio/signal_set.hpp>
#include <iostream>

#include "cli/mgmt/common.hpp"
#include "protocol/hex.hpp"
#include "protocol/att/uuid.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

// Address_Type bits of Start Discovery (mgmt-api.txt).
constexpr std::uint8_t kBredr = discovery_type::br_edr, kLePublic = discovery_type::le_public,
                       kLeRandom = discovery_type::le_random;

std::string type_name(std::uint8_t bits) {
  std::string s;
  if (bits & kBredr) s += "BR/EDR ";
  if (bits & kLePublic) s += "LE-public ";
  if (bits & kLeRandom) s += "LE-random ";
  return s.empty() ? "none" : s.substr(0, s.size() - 1);
}

struct FindOpts {
  bool le = false, bredr = false, limited = false;
  std::vector<std::string> uuids;
  int rssi = 127;
};

// The Address_Type of Start/Stop Discovery: -l / -b, else what the
// controller has enabled.  btmgmt always asks for BR/EDR + LE, which the
// kernel refuses with Not Supported on an LE-only controller (and Stop
// Discovery must repeat the type discovery was started with), so `find`
// and `stop-find` without -l/-b work on any controller.
std::uint8_t discovery_type(Ctx& ctx, const FindOpts& o) {
  if (o.le || o.bredr) return (o.le ? kLePublic | kLeRandom : 0) | (o.bredr ? kBredr : 0);
  const std::uint32_t s = run(ctx, ReadControllerInformation{})->current_settings;
  std::uint8_t type = 0;
  if (s & setting::br_edr) type |= kBredr;
  if (s & setting::le) type |= kLePublic | kLeRandom;
  return type ? type : kBredr | kLePublic | kLeRandom;  // neither: let the kernel say why
}

// Prints Device Found events until discovery stops, --timeout passes, or
// SIGINT/SIGTERM; then stops discovery if it is still running.
int discover(Ctx& ctx, const FindOpts& o, bool service) {
  const std::uint8_t type = discovery_type(ctx, o);
  auto& m = ctx.mgmt();
  auto watch = m.watch({static_cast<std::uint16_t>(EventCode::DeviceFound), static_cast<std::uint16_t>(EventCode::Discovering)},
                       ctx.idx());
  std::error_code ec;
  if (service) {
    StartServiceDiscovery cmd;
    cmd.address_type = type;
    cmd.rssi_threshold = static_cast<std::int8_t>(o.rssi);
    for (auto& u : o.uuids) {
      auto uuid = att::Uuid::parse(u);
      if (!uuid) return ctx.usage("invalid UUID '" + u + "' (e.g. 0x180d or 0000180d-0000-1000-8000-00805f9b34fb)");
      cmd.uuids.push_back(uuid->le());
    }
    run(ctx, cmd);
  } else if (o.limited) {
    StartLimitedDiscovery cmd;
    cmd.address_type = type;
    run(ctx, cmd);
  } else {
    StartDiscovery cmd;
    cmd.address_type = type;
    run(ctx, cmd);
  }
  if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"event", "Discovery Started"}, {"address_type", type}});
  else std::cout << "Discovery started (" << type_name(type) << ")\n" << std::flush;

  asio::signal_set signals(m.context(), SIGINT, SIGTERM);
  bool interrupted = false;
  signals.async_wait([&](std::error_code e, int) { interrupted = !e; });
  const auto deadline = std::chrono::steady_clock::now() + ctx.timeout(std::chrono::seconds(30));
  bool running = true;
  int found = 0;
  while (running && !interrupted) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    auto ev = watch.next(std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(200)));
    if (!ev) continue;
    if (ev->code == static_cast<std::uint16_t>(EventCode::Discovering)) {
      auto d = decode_event<DiscoveringEvent>(ev->params);
      if (d && !d->discovering) running = false;
      continue;
    }
    auto df = decode_event<DeviceFoundEvent>(ev->params);
    if (!df) {
      std::cerr << "malformed Device Found event: " << df.error().message() << "\n";
      continue;
    }
    ++found;
    if (ctx.json_output) {
      ctx.emit(json{{"index", ev->index},
                    {"address", df->address.to_string()},
                    {"address_type", to_string(df->address_type)},
                    {"rssi", df->rssi},
                    {"flags", df->flags},
                    {"ad", ad_json(df->eir_data)}});
    } else {
      const std::string flags = hex_int(df->flags, 2);  // as btmgmt: at least 4 digits
      std::cout << hci(ev->index) << " dev_found: " << df->address.to_string() << " type "
                << addr_type_text(df->address_type) << " rssi " << int(df->rssi) << " flags " << flags << "\n";
      print_ad(df->eir_data, "\t");
    }
    std::cout.flush();
  }
  signals.cancel();
  if (!running && ctx.removed(ctx.idx())) {
    // The kernel stops discovery (Discovering 0) as it unregisters the
    // controller, then sends Index Removed: not a normal end.
    if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"event", "Index Removed"}, {"reports", found}});
    std::cerr << "Discovery ended: the controller was removed (" << found << " device reports)\n";
    return kTimeout;
  }
  if (running) {  // ours to stop: timeout or interrupt
    StopDiscovery stop;
    stop.address_type = type;
    auto r = m.command(stop, ctx.idx(), std::chrono::seconds(2));
    if (!r && r.error() != make_error_code(Status::Rejected)) (void)ctx.failed("Stop Discovery", r.error());
  }
  if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"event", "Discovery Stopped"}, {"reports", found}});
  else std::cout << "Discovery stopped, " << found << " device reports\n";
  return kOk;
}

}  // namespace

void add_discovery_commands(Commands& cmds, Ctx& ctx) {
  cmds.push_back({"find", "Discover nearby devices; prints each report with its advertising data decoded", [&ctx](CLI::App* find) {
    auto o = std::make_shared<FindOpts>();
    find->add_flag("-l,--le", o->le, "LE only (default: LE and/or BR/EDR, as enabled on the controller)");
    find->add_flag("-b,--bredr", o->bredr, "BR/EDR only");
    find->add_flag("-L,--limited", o->limited, "Limited discovery");
    find->callback([&ctx, o] { ctx.action = [&ctx, o] { return discover(ctx, *o, false); }; });
  }});

  cmds.push_back({"find-service", "Discover devices advertising the given service UUIDs", [&ctx](CLI::App* fs) {
    auto s = std::make_shared<FindOpts>();
    fs->add_option("-u,--uuid", s->uuids, "Service UUID (repeatable)");
    fs->add_option("-r,--rssi", s->rssi, "RSSI threshold (127 = none)")->check(CLI::Range(-127, 127));
    fs->add_flag("-l,--le", s->le, "LE only");
    fs->add_flag("-b,--bredr", s->bredr, "BR/EDR only");
    fs->callback([&ctx, s] { ctx.action = [&ctx, s] { return discover(ctx, *s, true); }; });
  }});

  cmds.push_back({"stop-find", "Stop discovery", [&ctx](CLI::App* stop) {
    auto t = std::make_shared<FindOpts>();
    stop->add_flag("-l,--le", t->le, "LE only");
    stop->add_flag("-b,--bredr", t->bredr, "BR/EDR only");
    stop->callback([&ctx, t] {
      ctx.action = [&ctx, t] {
        StopDiscovery cmd;
        cmd.address_type = discovery_type(ctx, *t);
        run(ctx, cmd);
        if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"discovering", false}});
        else std::cout << "Discovery stopped\n";
        return kOk;
      };
    });
  }});
}

}  // namespace bcms::cli
