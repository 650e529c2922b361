// bcms-mgmt: btmgmt-style commands straight to the kernel's management
// socket; no daemon, no D-Bus.  See --help, and README "bcms-mgmt".
#include <iostream>

#include "cli/mgmt/context.hpp"

int main(int argc, char** argv) {
  using namespace bcms::cli;
  Ctx ctx;
  CLI::App app{"bcms-mgmt: Bluetooth management commands straight to the kernel (btmgmt-compatible names)"};
  app.footer(kExitHelp);
  app.require_subcommand(1);
  app.fallthrough();  // --index/--timeout/--json also after the command name
  auto* index_opt = app.add_option("-i,--index", ctx.index, "Controller index (hciN), default 0")
                        ->check(CLI::Range(0, 0xFFFE));
  app.add_option("-t,--timeout", ctx.timeout_s, "Seconds to wait for the kernel (default per command)")
      ->check(CLI::PositiveNumber);
  app.add_flag("-j,--json", ctx.json_output, "Print one JSON document per result instead of text");

  add_info_commands(app, ctx);
  add_setting_commands(app, ctx);
  add_discovery_commands(app, ctx);
  add_connection_commands(app, ctx);
  add_key_commands(app, ctx);
  add_device_commands(app, ctx);
  add_adv_commands(app, ctx);
  add_monitor_commands(app, ctx);
  add_send_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message; add the usage line of the command involved.
    app.exit(e);
    std::cerr << "Run 'bcms-mgmt --help' or 'bcms-mgmt COMMAND --help' for usage.\n";
    return kUsage;
  }
  ctx.index_given = index_opt->count() > 0;
  if (!ctx.action) return kUsage;
  try {
    return ctx.action();
  } catch (const ExitError& e) {
    return e.code;
  }
}
