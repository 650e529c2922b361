// bcms-mgmt: btmgmt-style commands straight to the kernel's management
// socket; no daemon, no D-Bus.  See --help, and README "bcms-mgmt".
#include <algorithm>
#include <iostream>
#include <string_view>

#include "cli/mgmt/context.hpp"

namespace {

using namespace bcms::cli;

// The command word: the first argument that is neither one of `app`'s own
// options nor the value of one (which options take a value is read from
// their CLI11 definitions).  Empty for --help, "--", or an option `app`
// does not know: then every command is built and CLI11 decides.
std::string_view command_word(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.size() < 2 || a[0] != '-') return a;
    const CLI::Option* opt = nullptr;
    bool value_attached = false;  // --index=1, -i1
    if (a[1] == '-') {
      const auto eq = a.find('=');
      opt = app.get_option_no_throw(std::string(a.substr(0, eq)));
      value_attached = eq != std::string_view::npos;
    } else {
      for (std::size_t k = 1; k < a.size(); ++k) {  // -j, -ji 1, -i1
        opt = app.get_option_no_throw(std::string{'-', a[k]});
        if (!opt || opt->get_type_size() > 0) {
          value_attached = k + 1 < a.size();
          break;
        }
      }
    }
    if (!opt || opt == app.get_help_ptr()) return {};
    if (opt->get_type_size() > 0 && !value_attached) ++i;
  }
  return {};
}

// The commands; only the named one's subcommand is built (see Command).
void add_commands(CLI::App& app, Ctx& ctx, std::string_view word) {
  Commands cmds;
  for (auto add : {add_info_commands, add_setting_commands, add_discovery_commands, add_connection_commands,
                   add_key_commands, add_device_commands, add_adv_commands, add_monitor_commands, add_send_command})
    add(cmds, ctx);
  const bool known = std::any_of(cmds.begin(), cmds.end(), [&](const Command& c) { return c.name == word; });
  for (const auto& c : cmds)
    if (!known || c.name == word) c.build(app.add_subcommand(c.name, c.help));
}

}  // namespace

int main(int argc, char** argv) {
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

  add_commands(app, ctx, command_word(app, argc, argv));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's own text for a missing command is "A subcommand is required"
    // even when one was given but misspelt; name the word instead.
    const auto given = app.get_subcommands();
    const auto rest = app.remaining();
    if (given.empty() && !rest.empty()) {
      std::cerr << "bcms-mgmt: unknown command '" << rest.front() << "'\n"
                << "Run 'bcms-mgmt --help' for the list of commands.\n";
    } else if (given.empty()) {
      const std::string what = e.what();
      std::cerr << "bcms-mgmt: " << (what.find("subcommand") != std::string::npos ? "no command given" : what) << "\n"
                << "Run 'bcms-mgmt --help' for the list of commands.\n";
    } else {
      const std::string name = given.back()->get_name();
      std::cerr << "bcms-mgmt " << name << ": " << e.what() << "\n"
                << "Run 'bcms-mgmt " << name << " --help' for its usage.\n";
    }
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
