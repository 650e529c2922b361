// bcms-daemon: the Bluetooth LE gateway.  Wiring only: the configuration
// (src/daemon/config.hpp), the ownership check, the Runtime
// (src/daemon/runtime/runtime.hpp: controller, registry, collector,
// outbox, submission) and the BCMS RPC server (rpc/server.hpp) on one asio
// loop; systemd notification (READY, STATUS, WATCHDOG, STOPPING) through
// libsystemd; SIGTERM/SIGINT stop it cleanly (buffers written).
//
// Exit status: 0 after a clean stop; 1 when it cannot start (no usable
// controller, bluetoothd owns the controller, the state directory, the RPC
// listener); 2 on a configuration or usage error.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "rpc/asio_event_port.hpp"
#include "rpc/server.hpp"
#include "src/daemon/config.hpp"
#include "src/daemon/runtime/runtime.hpp"

using namespace bcms;

namespace {

rpc::Server::Options rpc_options(const daemon::Config& cfg) {
  rpc::Server::Options o;
  o.listen.clear();
  if (!cfg.rpc_listen.empty()) o.listen.push_back(cfg.rpc_listen);
  if (!cfg.rpc_unix_socket.empty()) o.listen.push_back("unix:" + cfg.rpc_unix_socket);
  o.allow_remote = cfg.rpc_allow_remote;
  o.unix_mode = cfg.rpc_unix_mode;
  return o;
}

void notify_status(const std::string& s) {
  const std::string msg = "STATUS=" + s;
  sd_notify(0, msg.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  auto cl = daemon::parse_command_line(argc, argv);
  if (!cl) {
    std::fprintf(stderr, "bcms-daemon: %s\n", cl.error().text.c_str());
    return 2;
  }
  if (cl->exit_code) {
    std::fputs(cl->output.c_str(), stdout);
    return *cl->exit_code;
  }
  daemon::Config cfg = std::move(cl->config);
  // The log goes to stderr (the journal under systemd), each line flushed.
  spdlog::set_default_logger(spdlog::stderr_color_mt("bcms"));
  spdlog::set_level(cfg.debug ? spdlog::level::debug : spdlog::level::info);
  spdlog::flush_on(spdlog::level::debug);
  if (!cfg.source.empty()) spdlog::info("configuration: {}", cfg.source.string());

  // The daemon owns its controller (Load Long Term Keys replaces the
  // kernel's whole list): never silently next to bluetoothd.
  auto allowed = daemon::check_controller_owner(cfg);
  if (!allowed) {
    spdlog::error("{}", allowed.error().text);
    return 1;
  }
  cfg.take = *allowed;

  asio::io_context io;
  std::unique_ptr<daemon::Runtime> rt;
  try {
    rt = std::make_unique<daemon::Runtime>(io, cfg);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  rpc::AsioEventPort port(io);
  std::optional<rpc::Server> server;
  int rc = 0;
  bool stopping = false;
  asio::steady_timer watchdog(io);
  std::uint64_t watchdog_us = 0;
  const bool use_watchdog = sd_watchdog_enabled(0, &watchdog_us) > 0;

  auto stop = [&](int code) {
    if (stopping) return;
    stopping = true;
    rc = code;
    sd_notify(0, "STOPPING=1");
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          server.reset();
          co_await rt->stop();
          watchdog.cancel();
          io.stop();
        },
        asio::detached);
  };

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    stop(0);
  });

  std::function<void()> pet = [&] {
    sd_notify(0, "WATCHDOG=1");
    notify_status(rt->status_line());
    watchdog.expires_after(std::chrono::microseconds(watchdog_us / 2));
    watchdog.async_wait([&](std::error_code ec) {
      if (!ec && !stopping) pet();
    });
  };

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        if (std::error_code ec = co_await rt->start()) {
          stop(1);
          co_return;
        }
        try {
          server.emplace(port, rt->service(), rpc_options(cfg));
        } catch (const std::exception& e) {
          spdlog::error("RPC: {}", e.what());
          stop(1);
          co_return;
        }
        for (const auto& e : server->endpoints()) spdlog::info("RPC listening on {}", e.to_string());
        sd_notify(0, "READY=1");
        notify_status(rt->status_line());
        if (use_watchdog) pet();
      },
      asio::detached);
  io.run();
  server.reset();
  rt.reset();
  return rc;
}
