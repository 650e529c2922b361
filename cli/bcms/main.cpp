// bcms: the BCMS daemon's command-line client over Cap'n Proto RPC.
//   bcms [--address A] [--only_approved|--no-only_approved] [--mode M]
//        {list,approve,remove,mode,set_mode,pair,unpair,is_paired}
// as the original, plus `watch`, `readings ADDR`, `status`, `diagnostics`,
// `--json` and `--connect HOST:PORT|unix:PATH`.  See README "bcms".
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/bcms/commands.hpp"
#include "protocol/address.hpp"

int main(int argc, char** argv) {
  using namespace bcms::cli;
  Args a;
  std::string positional, connect = std::string(bcms::rpc::default_endpoint);
  double timeout_s = 60;
  CLI::App app{"bcms: client of the BCMS daemon (devices, approval, pairing, mode, readings, events)"};
  app.add_option("command", a.command, "list, approve, remove, mode, set_mode, pair, unpair, is_paired, "
                                       "devices, watch, readings, status, diagnostics")
      ->required()
      ->check(CLI::IsMember({"list", "approve", "remove", "mode", "set_mode", "pair", "unpair", "is_paired", "devices",
                             "watch", "readings", "status", "diagnostics"}));
  app.add_option("address", positional, "The device (same as --address)");
  app.add_option("--address", a.address, "Device address XX:XX:XX:XX:XX:XX");
  app.add_flag("--only_approved,!--no-only_approved", a.only_approved, "list, devices: approved (and paired) devices only");
  app.add_option("--mode", a.mode, "set_mode: any or approved");
  app.add_option("--limit", a.limit, "readings: how many (default: the daemon's)");
  app.add_flag("-j,--json", a.json, "Print JSON instead of text (JSON lines for watch)");
  app.add_option("-c,--connect", connect, "The daemon: HOST:PORT or unix:PATH (default 127.0.0.1:4567)");
  app.add_option("-t,--timeout", timeout_s, "Seconds to wait for an answer (default 60)")->check(CLI::PositiveNumber);
  app.footer(
      "Exit status: 0 success; 1 the daemon refused (its error is printed); 2 bad usage (nothing was sent); "
      "3 the daemon is not reachable; 4 no answer in time or the connection was lost.");
  CLI11_PARSE(app, argc, argv);

  // Everything is checked before anything is sent.
  auto usage = [](const std::string& msg) {
    std::cerr << "bcms: " << msg << "\n";
    return Exit::usage;
  };
  if (!positional.empty()) {
    if (!a.address.empty() && a.address != positional) return usage("two different addresses given");
    a.address = positional;
  }
  if (needs_address(a.command)) {
    if (a.address.empty()) return usage(a.command + " needs a device address (--address XX:XX:XX:XX:XX:XX)");
    auto parsed = bcms::Address::parse(a.address);
    if (!parsed) return usage("malformed address '" + a.address + "' (expected XX:XX:XX:XX:XX:XX)");
    a.address = parsed->to_string();
  } else if (!positional.empty()) {
    return usage(a.command + " takes no address");
  }
  if (a.command == "set_mode" && a.mode != "any" && a.mode != "approved")
    return usage("set_mode needs --mode any or --mode approved");
  auto endpoint = bcms::rpc::Endpoint::parse(connect);
  if (!endpoint) return usage(endpoint.error());

  try {
    Session session(*endpoint, std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000)));
    return run_command(session, a);
  } catch (const SessionError& e) {
    std::cerr << "bcms: " << e.message << "\n";
    return e.code;
  }
}
