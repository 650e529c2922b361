#include "cli/examples/example.hpp"

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include <spdlog/spdlog.h>

#include "protocol/hex.hpp"
#include "src/mgmt/control_socket.hpp"
#include "src/storage/storage.hpp"

namespace bcms::examples {
namespace {

/// Asks questions on stdout and reads the answers from stdin without
/// blocking the loop (the agent's yes/no and passkey entry).
class Prompt {
 public:
  explicit Prompt(asio::io_context& io) : io_(io) {}
  void ask(const std::string& question, std::function<void(std::optional<std::string>)> answer) {
    std::cout << question << std::flush;
    if (!in_) {
      const int fd = ::dup(STDIN_FILENO);
      if (fd < 0) return answer(std::nullopt);
      in_.emplace(io_, fd);
    }
    asio::async_read_until(*in_, buf_, '\n', [this, answer = std::move(answer)](std::error_code ec, std::size_t) {
      if (ec) return answer(std::nullopt);
      std::istream is(&buf_);
      std::string line;
      std::getline(is, line);
      answer(line);
    });
  }

 private:
  asio::io_context& io_;
  std::optional<asio::posix::stream_descriptor> in_;
  asio::streambuf buf_;
};

// --agent: the one agent (gap::PromptAgent) with the capability named;
// questions on stdin, the passkey to type on stdout.
std::unique_ptr<gap::PairingAgent> make_agent(const std::string& kind, Prompt& prompt) {
  using gap::IoCapability;
  gap::PromptAgent::Options o;  // auto: NoInputNoOutput, Just Works accepted
  if (kind == "confirm") o = {.capability = IoCapability::display_yes_no, .ask_just_works = true};
  if (kind == "display") o = {.capability = IoCapability::display_only, .ask_just_works = false};
  if (kind == "entry") o = {.capability = IoCapability::keyboard_only, .ask_just_works = false};
  gap::PromptAgent::Ui ui;
  ui.ask = [&prompt](const gap::PairingPeer&, const std::string& question, gap::PromptAgent::Answer answer) {
    prompt.ask(question, std::move(answer));
  };
  ui.show = [](const gap::PairingPeer&, const std::string& text) {
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  };
  return std::make_unique<gap::PromptAgent>(o, std::move(ui));
}

}  // namespace

void print_database(const att::GattDb& db) {
  const auto all = db.all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const att::Attribute& a = all[i];
    if (a.kind == att::AttrKind::service) {
      auto u = att::Uuid::from_wire(a.value);
      std::printf("  service %s handles %s-%s\n", u ? u->to_string().c_str() : "?", hex16(a.handle).c_str(),
                  hex16(a.end_group).c_str());
    } else if (a.kind == att::AttrKind::characteristic && i + 1 < all.size()) {
      const att::Attribute& v = all[i + 1];
      std::uint16_t cccd = 0;
      for (std::size_t j = i + 2; j < all.size() && all[j].kind != att::AttrKind::characteristic &&
                                  all[j].kind != att::AttrKind::service;
           ++j)
        if (all[j].kind == att::AttrKind::cccd) cccd = all[j].handle;
      std::printf("    characteristic %s props %s value handle %s", v.type.to_string().c_str(), hex8(v.char_props).c_str(),
                  hex16(v.handle).c_str());
      if (cccd) std::printf(" cccd %s", hex16(cccd).c_str());
      std::printf("\n");
    }
  }
  std::fflush(stdout);
}

int run(int argc, char** argv, const Example& ex, const std::function<void(CLI::App&)>& add_options,
        const std::function<Tick(Context&)>& setup) {
  Options o;
  o.name = ex.default_name;
  o.interval_ms = static_cast<unsigned>(ex.default_interval.count());
  CLI::App app{ex.program + ": " + ex.summary};
  app.footer(ex.description +
             "\n\nRuns until SIGINT or SIGTERM.  Needs root (CAP_NET_ADMIN) and no bluetoothd on the controller."
             "\nExit codes: 0 stopped by a signal; 1 start failed; 2 bad usage; 3 no management socket.");
  app.add_option("-i,--index", o.index, "Controller index (hciN), default 0")->check(CLI::Range(0, 0xFFFE));
  app.add_option("-n,--name", o.name, "Advertised Local Name and GATT Device Name")->capture_default_str();
  app.add_option("--db", o.db, "Bond store (SQLite; created 0600 in a 0700 directory)")->capture_default_str();
  app.add_flag("--no-bonds", o.no_bonds, "Keep no bonds on disk (the kernel keeps them until it restarts)");
  app.add_option("--agent", o.agent, "Pairing agent: auto (Just Works, no input), confirm (yes/no on stdin), "
                                     "display (print the passkey), entry (type the passkey on stdin)")
      ->check(CLI::IsMember({"auto", "confirm", "display", "entry"}))
      ->capture_default_str();
  app.add_option("--interval-ms", o.interval_ms, "Milliseconds between value updates")
      ->check(CLI::Range(10u, 3600000u))
      ->capture_default_str();
  app.add_option("--adv-timeout", o.adv_timeout_s, "Stop advertising after this many seconds (0: never)")
      ->check(CLI::Range(0u, 65535u));
  app.add_flag("--no-readvertise", o.no_readvertise, "Do not advertise again after a client disconnects");
  app.add_flag("--no-security-request", o.no_security_request,
               "After refusing a read/write for lack of encryption, do not ask the central to pair "
               "(by default the SMP Security Request follows the error response)");
  app.add_flag("-v,--verbose", o.verbose, "Debug logging");
  if (add_options) add_options(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kUsage;
  }
  if (o.verbose) spdlog::set_level(spdlog::level::debug);

  asio::io_context io(1);
  auto sock = mgmt::open_control_socket(io.get_executor());
  if (!sock) {
    std::cerr << ex.program << ": cannot open the Bluetooth management socket: " << sock.error().message() << "\n";
    return kUnavailable;
  }
  mgmt::MgmtChannel ch(std::move(*sock));

  std::optional<storage::Storage> store;
  if (!o.no_bonds) {
    std::string detail;
    auto s = storage::Storage::open(o.db, {}, &detail);
    if (!s) {
      std::cerr << ex.program << ": bond store " << o.db << ": " << s.error().message()
                << (detail.empty() ? "" : " (" + detail + ")") << "\n";
      return kStartFailed;
    }
    store.emplace(std::move(*s));
  }

  att::PeripheralOptions po{.name = o.name, .appearance = ex.appearance};
  // Linux's smp_conn_security() sets MITM in the Security Request whenever
  // the local IO capability is not NoInputNoOutput; the central echoes it,
  // and against a NoInputNoOutput central (Just Works) the kernel then fails
  // the pairing with Authentication Requirements before any agent is asked
  // (seen in tests/vm/gatt_pairing.sh with --agent confirm).  So only the
  // NoInputNoOutput agent ("auto") asks for encryption itself; with the
  // prompting agents the central raises security on the error, as before.
  po.bearer.raise_security = !o.no_security_request && o.agent == "auto";
  att::Peripheral periph(io, std::move(po));
  Context ctx{io, periph, o};
  Tick tick = setup(ctx);
  periph.register_services();
  std::printf("%s: GATT database\n", ex.program.c_str());
  print_database(periph.db());

  Prompt prompt(io);
  auto agent = make_agent(o.agent, prompt);
  gap::AppOptions ao;
  ao.index = static_cast<std::uint16_t>(o.index);
  ao.local_name = o.name;
  ao.appearance = ex.appearance;
  gap::Advertisement adv;
  adv.name = o.name;
  adv.uuid16 = ex.adv_uuid16;
  if (ex.appearance) adv.appearance = ex.appearance;
  adv.timeout_s = static_cast<std::uint16_t>(o.adv_timeout_s);
  adv.readvertise_on_disconnect = !o.no_readvertise;
  ao.advertising.push_back(adv);
  gap::PeripheralApp papp(ch, periph, *agent, store ? &*store : nullptr, ao);

  int rc = 0;
  asio::steady_timer ticker(io);
  // A fixed rate: each tick is due one interval after the previous one was
  // due (not after it ran), so the tick's own cost and the timer's latency
  // do not stretch the period.  A tick that falls more than an interval
  // behind (a stalled process) is skipped rather than run in a burst.
  const auto period = std::chrono::milliseconds(o.interval_ms);
  std::function<void()> arm = [&] {
    auto next = ticker.expiry() + period;
    if (const auto now = asio::steady_timer::clock_type::now(); next < now - period) next = now;
    ticker.expires_at(next);
    ticker.async_wait([&](std::error_code ec) {
      if (ec) return;
      if (tick) tick();
      arm();
    });
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int sig) {
    if (ec) return;
    std::printf("%s: signal %d, stopping\n", ex.program.c_str(), sig);
    std::fflush(stdout);
    ticker.cancel();
    asio::co_spawn(io, papp.stop(), [&](std::exception_ptr) { io.stop(); });
  });
  asio::co_spawn(io, papp.start(), [&](std::exception_ptr e, std::error_code ec) {
    if (e || ec) {
      std::cerr << ex.program << ": start failed: " << (e ? "exception" : papp.error_detail()) << "\n";
      rc = kStartFailed;
      io.stop();
      return;
    }
    std::printf("%s: ready on hci%d (%s) as '%s'%s\n", ex.program.c_str(), o.index, papp.address().to_string().c_str(),
                o.name.c_str(), store ? (", bonds in " + o.db).c_str() : ", bonds not stored");
    std::fflush(stdout);
    ticker.expires_at(asio::steady_timer::clock_type::now());  // the first tick one interval from now
    arm();
  });
  io.run();
  return rc;
}

}  // namespace bcms::examples
