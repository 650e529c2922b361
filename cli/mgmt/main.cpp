// bcms-mgmt: btmgmt-style commands straight to the kernel's management
// socket; no daemon, no D-Bus.  See --help, and README "bcms-mgmt".
#include <iostream>
#include <string_view>

#include "cli/mgmt/context.hpp"

namespace {

using AddCommands = void (*)(CLI::App&, bcms::cli::Ctx&);

// Which module defines which command.  Building every CLI11 subcommand
// (about 50, 2.5 M instructions) was the largest part of a short command's
// start-up; under the VM tier's TCG, where code run for the first time is
// translated, `bcms-mgmt info` took 110 ms a run against btmgmt's 39 ms,
// and 87 ms with only the info module built (tests/vm/mgmt_perf.sh).  So
// main() builds only the module of the command named on the command line.
// The table is only a shortcut: a word it does not know, a module that
// turns out not to define the word, or --help before the command builds
// every module, and CLI11 parses exactly as before.
struct Entry {
  std::string_view command;
  AddCommands add;
};
using namespace bcms::cli;
constexpr Entry kCommands[] = {
    {"version", add_info_commands},         {"revision", add_info_commands},      {"commands", add_info_commands},
    {"info", add_info_commands},            {"extinfo", add_info_commands},       {"config", add_info_commands},
    {"advinfo", add_info_commands},         {"advsize", add_info_commands},       {"power", add_setting_commands},
    {"discov", add_setting_commands},       {"connectable", add_setting_commands}, {"fast-conn", add_setting_commands},
    {"bondable", add_setting_commands},     {"le", add_setting_commands},         {"bredr", add_setting_commands},
    {"advertising", add_setting_commands},  {"linksec", add_setting_commands},    {"ssp", add_setting_commands},
    {"sc", add_setting_commands},           {"debug-keys", add_setting_commands}, {"privacy", add_setting_commands},
    {"name", add_setting_commands},         {"appearance", add_setting_commands}, {"static-addr", add_setting_commands},
    {"io-cap", add_setting_commands},       {"phy", add_setting_commands},        {"find", add_discovery_commands},
    {"find-service", add_discovery_commands}, {"stop-find", add_discovery_commands}, {"con", add_connection_commands},
    {"disconnect", add_connection_commands}, {"conn-info", add_connection_commands}, {"pair", add_connection_commands},
    {"cancelpair", add_connection_commands}, {"unpair", add_connection_commands}, {"agent", add_connection_commands},
    {"keys", add_key_commands},             {"ltks", add_key_commands},           {"irks", add_key_commands},
    {"add-device", add_device_commands},    {"del-device", add_device_commands},  {"clr-devices", add_device_commands},
    {"add-adv", add_adv_commands},          {"rm-adv", add_adv_commands},         {"clr-adv", add_adv_commands},
    {"monitor", add_monitor_commands},      {"send", add_send_command},
};
constexpr AddCommands kModules[] = {add_info_commands,       add_setting_commands, add_discovery_commands,
                                    add_connection_commands, add_key_commands,     add_device_commands,
                                    add_adv_commands,        add_monitor_commands, add_send_command};

// The command word: the first argument that is neither an option nor the
// value of -i/--index or -t/--timeout; empty when --help comes first.
std::string_view command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") return {};
    if (a == "-i" || a == "--index" || a == "-t" || a == "--timeout") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return a;
  }
  return {};
}

void add_commands(CLI::App& app, Ctx& ctx, std::string_view word) {
  AddCommands added = nullptr;
  for (const auto& e : kCommands) {
    if (e.command != word) continue;
    e.add(app, ctx);
    added = e.add;
    const std::string w(word);
    if (!app.get_subcommands([&w](const CLI::App* sub) { return sub->check_name(w); }).empty()) return;
    break;
  }
  // Unknown word (CLI11 reports it), help, or a stale table: everything.
  for (auto add : kModules)
    if (add != added) add(app, ctx);
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

  add_commands(app, ctx, command_word(argc, argv));

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
