#include "src/daemon/runtime/runtime.hpp"

#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <fstream>
#include <algorithm>
#include <csignal>
#include <map>
#include <optional>
#include <stdexcept>

#include "src/central/connections.hpp"
#include "src/central/connector.hpp"
#include "src/central/scan_policy.hpp"
#include "src/collector/collector.hpp"
#include "src/daemon/iot/backend.hpp"
#include "src/daemon/iot/curl_lib.hpp"
#include "src/daemon/iot/http.hpp"
#include "src/daemon/iot/outbox.hpp"
#include "src/daemon/iot/outbox_writer.hpp"
#include "src/daemon/iot/submitter.hpp"
#include "src/daemon/registry.hpp"
#include "src/daemon/runtime/controller.hpp"
#include "src/daemon/runtime/outbox_feed.hpp"
#include "src/daemon/service.hpp"
#include "src/gap/bonds.hpp"
#include "src/gap/pairing.hpp"
#include "src/mgmt/call.hpp"
#include "src/mgmt/control_socket.hpp"
#include "src/storage/storage.hpp"

extern char** environ;

namespace bcms::daemon {

struct Runtime::Parts {
  asio::io_context& io;
  Config cfg;
  std::unique_ptr<mgmt::MgmtChannel> ch;
  std::optional<storage::Storage> store;
  std::uint16_t index = 0;
  Address local{};
  std::unique_ptr<gap::BondManager> bonds;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<gap::PairingAgent> agent;
  std::unique_ptr<gap::PairingResponder> pairing;
  std::unique_ptr<Service> service;
  std::unique_ptr<central::ScanPolicy> scan;
  std::unique_ptr<central::L2capConnector> connector;
  std::unique_ptr<central::ConnectionManager> connections;
  std::map<const att::AttBearer*, central::Link> links;  // the collector's open connections
  std::unique_ptr<collector::Collector> collector;
  std::unique_ptr<ControllerSupervisor> controller;
  std::vector<mgmt::Subscription> subs;
  // IoT submission (only with an API URL)
  std::optional<iot::Outbox> outbox;
  std::unique_ptr<iot::OutboxWriter> writer;
  std::unique_ptr<OutboxFeed> feed;  // readings grouped per device and second, into `writer`
  std::unique_ptr<iot::HttpClient> http;
  std::unique_ptr<iot::Backend> backend;
  std::unique_ptr<iot::Submitter> submitter;
  std::string submission;  // ControllerStatus::submission
  EventSubscription events;
  // events.command children are reaped on SIGCHLD (only with a command)
  std::optional<asio::signal_set> sigchld;
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  bool started = false;
  bool stopped = false;
  std::uint64_t readings = 0, readings_refused = 0, events_run = 0;

  explicit Parts(asio::io_context& i, Config c) : io(i), cfg(std::move(c)) {}

  void deliver(const collector::Collected& c);
  void on_event(const Event& ev);
  void run_command(const Event& ev);
  void refresh_status();
  void refresh_status_soon();  // after the handlers of the event at hand
  void reap_children();
  void counters(std::vector<std::pair<std::string, std::uint64_t>>& out) const;
  asio::awaitable<expected<std::shared_ptr<att::AttBearer>>> connect(Peer peer);
  void start_iot();
  void start_submitter(const iot::CurlLib& curl);
};

Runtime::Runtime(asio::io_context& io, Config config, std::optional<mgmt::MgmtChannel::socket_type> channel)
    : p_(std::make_unique<Parts>(io, std::move(config))) {
  auto& p = *p_;
  std::error_code ec;
  std::filesystem::create_directories(p.cfg.state_dir, ec);
  if (ec) throw std::runtime_error("state directory " + p.cfg.state_dir.string() + ": " + ec.message());
  std::filesystem::permissions(p.cfg.state_dir, std::filesystem::perms::owner_all, ec);
  auto store = storage::Storage::open(p.cfg.state_dir / "bcms.db");
  if (!store) throw std::runtime_error((p.cfg.state_dir / "bcms.db").string() + ": " + store.error().message());
  p.store.emplace(std::move(*store));
  if (!channel) {
    auto s = mgmt::open_control_socket(io.get_executor());
    if (!s) throw std::runtime_error("the Bluetooth management socket: " + s.error().message());
    channel.emplace(std::move(*s));
  }
  p.ch = std::make_unique<mgmt::MgmtChannel>(std::move(*channel));
}

Runtime::~Runtime() {
  auto& p = *p_;
  p.alive.reset();
  if (p.sigchld) p.sigchld->cancel();
  if (p.submitter) p.submitter->stop();
  if (p.controller) p.controller->stop();
  p.subs.clear();
  p.links.clear();
  if (p.registry) (void)p.registry->flush();
  if (p.bonds) p.bonds->flush();
  if (p.feed) p.feed->flush();
  if (p.writer) (void)p.writer->flush_now();
}

Service& Runtime::service() { return *p_->service; }
Registry& Runtime::registry() { return *p_->registry; }
std::uint16_t Runtime::index() const { return p_->index; }

asio::awaitable<std::error_code> Runtime::start() {
  auto& p = *p_;
  ControllerSupervisor::Options co;
  co.index = p.cfg.index;
  co.allowed = p.cfg.take;
  co.privacy = p.cfg.privacy;
  co.irk_file = p.cfg.state_dir / "local-irk";
  co.scan_period = p.cfg.scan_period;
  std::string why;
  auto index = co_await ControllerSupervisor::choose(*p.ch, co, &why);
  if (!index) {
    spdlog::error("no controller to use: {}", why);
    co_return index.error();
  }
  p.index = *index;
  auto info = co_await mgmt::call(*p.ch, mgmt::ReadControllerInformation{}, p.index);
  if (!info) {
    spdlog::error("hci{}: Read Controller Information: {}", p.index, info.error().message());
    co_return info.error();
  }
  p.local = info->address;

  p.bonds = std::make_unique<gap::BondManager>(*p.ch, p.index, *p.store, p.local);
  Registry::Options ro;
  ro.list_window = p.cfg.list_window;
  ro.readings_per_device = p.cfg.readings_per_device;
  ro.max_tracked = p.cfg.max_tracked;
  p.registry = std::make_unique<Registry>(p.io.get_executor(), *p.store, p.local, ro);
  if (auto r = p.registry->load(); !r) {
    spdlog::error("loading the registry: {}", r.error().message());
    co_return r.error();
  }
  p.agent = gap::auto_accept_agent();
  p.pairing = std::make_unique<gap::PairingResponder>(*p.ch, p.index, *p.agent);
  Service::Options so;
  so.index = p.index;
  so.io_capability = p.cfg.io_capability;
  so.pair_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(p.cfg.pair_timeout);
  so.readings_default = p.cfg.readings_per_device;
  p.service = std::make_unique<Service>(*p.ch, *p.registry, *p.bonds, so);

  p.scan = std::make_unique<central::ScanPolicy>(*p.ch, p.index);
  p.connector = std::make_unique<central::L2capConnector>(p.io, p.local);
  central::ConnectionManager::Options cmo;
  cmo.index = p.index;
  p.connections = std::make_unique<central::ConnectionManager>(*p.ch, *p.connector, *p.scan, cmo);
  collector::Collector::Options colo;
  colo.active = true;
  p.collector = std::make_unique<collector::Collector>(
      p.io.get_executor(), [&p](const collector::Collected& c) { p.deliver(c); }, colo);
  p.collector->set_connect([&p](Peer peer) { return p.connect(peer); });
  p.collector->set_admit([&p](const Peer& peer) {
    return p.registry->accepts_readings_from(p.registry->find(peer.addr).value_or(peer));
  });
  p.collector->set_cache(p.bonds.get(), [&p](const Peer& peer) { return p.bonds->identity_of(peer); });
  // Discovery done: the link goes from the fast parameters it was made
  // with to the relaxed ones (Load Connection Parameters; Linux 6.10+
  // updates the live link, older kernels keep them for the next one).
  p.collector->set_on_resolved([&p](const Peer& peer) {
    asio::co_spawn(p.io, p.connections->relax(peer), [peer](std::exception_ptr, std::error_code ec) {
      if (ec) spdlog::debug("{}: relaxing the connection parameters: {}", peer.to_string(), ec.message());
    });
  });

  p.controller = std::make_unique<ControllerSupervisor>(
      *p.ch, p.index, *p.pairing, *p.bonds, *p.scan, co, [&p](const std::string& what) {
        Event ev;
        ev.kind = Event::Kind::controller;
        ev.text = what;
        ev.at = Clock::now();
        p.registry->events().publish(ev);
        p.refresh_status_soon();  // present/powered follow the supervisor's events
      });
  p.service->add_counters([&p](auto& out) { p.counters(out); });
  p.events = p.registry->events().subscribe([&p](const Event& ev) { p.on_event(ev); });
  p.registry->attach(*p.ch, p.index);
  p.subs.push_back(p.collector->attach(*p.ch, p.index));
  std::weak_ptr<int> alive = p.alive;
  p.subs.push_back(p.ch->subscribe<mgmt::DeviceFoundEvent>(p.index, [&p, alive](std::uint16_t, const auto&) {
    if (!alive.expired()) p.controller->on_report();
  }));
  // The controller status the RPC service answers with follows the
  // kernel's events (no polling timer: an idle daemon wakes only for its
  // scan cycles).
  p.subs.push_back(p.ch->subscribe<mgmt::DiscoveringEvent>(p.index, [&p, alive](std::uint16_t, const auto&) {
    if (!alive.expired()) p.refresh_status_soon();
  }));
  if (!p.cfg.notify_command.empty()) {
    p.sigchld.emplace(p.io, SIGCHLD);
    p.reap_children();
  }

  if (std::error_code ec = co_await p.controller->configure(&why)) {
    spdlog::error("hci{}: {}", p.index, why);
    co_return ec;
  }
  p.controller->start();
  if (p.cfg.api_url.empty()) {
    p.submission = "off (no api_url)";
  } else {
    p.start_iot();
  }
  p.started = true;
  p.refresh_status();
  spdlog::info("hci{} ({}): running; mode {}, {} devices remembered, submission {}", p.index, p.local.to_string(),
               to_string(p.registry->mode()), p.registry->size(), p.submission);
  co_return std::error_code{};
}

asio::awaitable<void> Runtime::stop() {
  auto& p = *p_;
  if (p.stopped || !p.started) co_return;
  p.stopped = true;
  if (p.sigchld) p.sigchld->cancel();
  if (p.submitter) p.submitter->stop();
  p.controller->stop();
  (void)co_await p.scan->stop();
  p.links.clear();  // closes the collector's connections
  if (auto r = co_await p.registry->commit(); !r) spdlog::error("writing the registry: {}", r.error().text);
  p.bonds->flush();
  if (p.writer) {
    p.feed->flush();
    if (auto r = p.writer->flush_now(); !r) spdlog::error("writing the outbox: {}", r.error().message());
  }
  spdlog::info("stopped: {}", status_line());
}

std::string Runtime::status_line() const {
  const auto& p = *p_;
  if (!p.controller) return "starting";
  std::string s = "hci" + std::to_string(p.index) + (p.controller->present() ? "" : " (removed)") + ", " +
                  std::to_string(p.registry->size()) + " devices, " + std::to_string(p.readings) + " readings";
  if (p.outbox) s += ", outbox " + std::to_string(p.outbox->size()) + " waiting";
  return s;
}

// The diagnostics() counters of the parts the service does not own.
void Runtime::Parts::counters(std::vector<std::pair<std::string, std::uint64_t>>& out) const {
  if (controller) {
    const auto& c = controller->stats();
    out.insert(out.end(), {{"controller_configured", c.configured},
                           {"controller_removed", c.removed},
                           {"controller_added", c.added},
                           {"scan_cycles", c.scan_cycles},
                           {"scan_cycles_skipped", c.scan_cycles_skipped},
                           {"scan_resumed", c.scan_resumed},
                           {"stalls", c.stalls},
                           {"stall_discovery_restarts", c.discovery_restarts},
                           {"stall_power_cycles", c.power_cycles},
                           {"recovery_failures", c.recovery_failures}});
  }
  if (scan) {
    const auto d = scan->stats();
    out.insert(out.end(), {{"discovery_starts", d.starts},
                           {"discovery_stops", d.stops},
                           {"discovery_kernel_stops", d.kernel_stops},
                           {"discovery_failures", d.failures}});
  }
  if (connections) {
    const auto k = connections->stats();
    out.insert(out.end(), {{"connect_requests", k.requests},
                           {"connects", k.connected},
                           {"connect_failures", k.failed},
                           {"connect_timeouts", k.timeouts},
                           {"connect_power_cycles", k.power_cycles},
                           {"links", k.in_use}});
  }
  if (collector) {
    const auto& c = collector->stats();
    out.insert(out.end(), {{"collector_delivered", c.delivered},
                           {"collector_sampled_out", c.sampled_out},
                           {"collector_procedures", c.procedures_started},
                           {"collector_procedures_failed", c.procedures_failed}});
  }
  out.emplace_back("events_command_runs", events_run);
  if (outbox) {
    const auto& o = outbox->counters();
    out.insert(out.end(), {{"outbox_accepted", o.accepted},
                           {"outbox_stored", outbox->size()},  // committed, waiting for the backend
                           {"outbox_buffered", outbox->buffered()},  // not yet committed
                           {"outbox_sampled_out", o.sampled_out},
                           {"outbox_duplicates", o.duplicates},
                           {"outbox_dropped_full", o.dropped_full},
                           {"outbox_expired", o.expired},
                           {"outbox_submitted", o.submitted},
                           {"outbox_rejected", o.rejected},
                           {"outbox_write_failures", o.write_failures}});
  }
  if (submitter) {
    const auto& u = submitter->counters();
    out.insert(out.end(), {{"submit_rounds", u.rounds},
                           {"submit_batches_sent", u.batches_sent},
                           {"submit_batches_rejected", u.batches_rejected},
                           {"submit_failures", u.failures},
                           {"submit_consecutive_failures", u.consecutive_failures},
                           {"submit_backoff_ms", static_cast<std::uint64_t>(u.backoff.count())},
                           {"backend_registrations", u.registrations}});
  }
}

void Runtime::Parts::deliver(const collector::Collected& c) {
  const Peer key = registry->find(c.device.addr).value_or(c.device);
  registry->add_reading(key, c.reading, c.time);
  ++readings;
  if (!registry->accepts_readings_from(key)) {
    ++readings_refused;  // mode `approved`: not approved
    return;
  }
  if (feed) feed->add(key.addr.to_string(), c.time, c.reading);
}

asio::awaitable<expected<std::shared_ptr<att::AttBearer>>> Runtime::Parts::connect(Peer peer) {
  const Peer key = registry->find(peer.addr).value_or(peer);
  if (!registry->accepts_readings_from(key)) co_return unexpected(std::make_error_code(std::errc::operation_not_permitted));
  auto link = co_await connections->async_connect(peer);
  if (!link) co_return unexpected(link.error());
  std::shared_ptr<att::AttBearer> bearer = link->bearer;
  const att::AttBearer* id = bearer.get();
  std::weak_ptr<int> alive_w = alive;
  link->on_closed([this, id, alive_w](std::error_code) {
    // Not from inside the Link's own callback: erase on the next turn.
    asio::post(io, [this, id, alive_w] {
      if (!alive_w.expired()) links.erase(id);
    });
  });
  links.insert_or_assign(id, std::move(*link));
  bearer->start();
  co_return bearer;
}

void Runtime::Parts::start_iot() {
  iot::OutboxOptions oo;
  oo.max_samples = cfg.outbox_max_readings;
  std::string detail;
  auto ob = iot::Outbox::open(cfg.state_dir / "outbox.db", oo, &detail);
  if (!ob) {
    submission = fmt::format("unavailable: the outbox ({}): {} {}", (cfg.state_dir / "outbox.db").string(),
                             ob.error().message(), detail);
    spdlog::error("{}; readings are not submitted", submission);
    return;
  }
  outbox.emplace(std::move(*ob));
  std::string why;
  const iot::CurlLib* curl = iot::curl_lib(&why);
  if (curl) {
    submission = cfg.api_url;
    start_submitter(*curl);
  } else {
    submission = "unavailable: libcurl: " + why;
    spdlog::error("{}; readings are kept in the outbox (up to its bound) and not submitted", submission);
  }
  writer = std::make_unique<iot::OutboxWriter>(io.get_executor(), *outbox, [this] {
    if (submitter) submitter->wake();
  });
  feed = std::make_unique<OutboxFeed>(io.get_executor(), *writer);
  if (submitter) submitter->start();
}

void Runtime::Parts::start_submitter(const iot::CurlLib& curl) {
  http = std::make_unique<iot::HttpClient>(io.get_executor(), curl);
  iot::BackendOptions bo;
  bo.base_url = cfg.api_url;
  bo.credentials.token_file = cfg.token_file;
  bo.credentials.token_url = cfg.oauth_token_url;
  bo.credentials.client_id = cfg.oauth_client_id;
  if (!cfg.oauth_client_secret_file.empty()) {
    std::ifstream f(cfg.oauth_client_secret_file);
    std::getline(f, bo.credentials.client_secret);
  }
  bo.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.iot_timeout);
  backend = std::make_unique<iot::Backend>(*http, bo);
  iot::SubmitterOptions so;
  so.interval = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.submit_period);
  so.may_register = [this](std::string_view device) {
    auto a = Address::parse(device);
    if (!a) return false;
    auto key = registry->find(*a);
    if (!key) return false;
    auto info = registry->info(*key);
    return info && (info->approved || info->paired);
  };
  so.on_registered = [this](const std::string& device, const std::string& id) {
    auto a = Address::parse(device);
    if (!a) return;
    if (auto key = registry->find(*a)) registry->set_registration(*key, id, Clock::now());
  };
  submitter = std::make_unique<iot::Submitter>(io.get_executor(), *backend, *outbox, so);
}

void Runtime::Parts::on_event(const Event& ev) {
  if (ev.kind == Event::Kind::reading) {
    spdlog::debug("event {} {} {}", to_string(ev.kind), ev.address, ev.text);
  } else {
    spdlog::info("event {} {} {}", to_string(ev.kind), ev.address, ev.text);
  }
  // The command is for what happens to devices and the controller; a
  // reading (several per second) would fork a shell each.
  if (cfg.notify && !cfg.notify_command.empty() && ev.kind != Event::Kind::reading) run_command(ev);
}

void Runtime::Parts::run_command(const Event& ev) {
  // The child's environment: ours plus the event.
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.push_back("BCMS_EVENT=" + std::string(to_string(ev.kind)));
  env.push_back("BCMS_ADDRESS=" + ev.address);
  env.push_back("BCMS_TEXT=" + ev.text);
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string cmd = cfg.notify_command;
  char sh[] = "/bin/sh", dash_c[] = "-c";
  char* argv[] = {sh, dash_c, cmd.data(), nullptr};
  pid_t pid = 0;
  if (const int rc = posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data()); rc != 0) {
    spdlog::warn("events.command: {}", std::strerror(rc));
    return;
  }
  ++events_run;
}

void Runtime::Parts::reap_children() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  if (!sigchld || stopped) return;
  std::weak_ptr<int> alive_w = alive;
  sigchld->async_wait([this, alive_w](std::error_code ec, int) {
    if (!ec && !alive_w.expired()) reap_children();
  });
}

void Runtime::Parts::refresh_status_soon() {
  std::weak_ptr<int> alive_w = alive;
  asio::post(io, [this, alive_w] {
    if (!alive_w.expired() && !stopped) refresh_status();
  });
}

void Runtime::Parts::refresh_status() {
  if (!controller || !service) return;
  ControllerStatus s;
  s.present = controller->present();
  s.index = index;
  s.address = local.to_string();
  s.name = controller->name();
  s.powered = controller->powered() && controller->present();
  s.discovering = scan->discovering();
  s.submission = submission;
  service->set_controller(s);
}

}  // namespace bcms::daemon
