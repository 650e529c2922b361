// Shared state of one bcms-mgmt invocation: the global options, the lazily
// opened management socket, output in text or JSON, and the exit codes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "src/mgmt/sync.hpp"

namespace bcms::cli {

using json = nlohmann::ordered_json;

/// Exit codes (documented in --help and README).
inline constexpr int kOk = 0;           // success
inline constexpr int kRefused = 1;      // the kernel answered with a failure status (e.g. Busy (0x0a))
inline constexpr int kUsage = 2;        // bad arguments: unknown command, malformed address, value out of range
inline constexpr int kUnavailable = 3;  // no management socket: no Bluetooth in this kernel, or no permission
inline constexpr int kTimeout = 4;      // no answer within --timeout, or the controller went away

inline constexpr const char* kExitHelp =
    "Exit codes: 0 success; 1 the kernel refused the command (status printed by name and code); "
    "2 bad usage; 3 no management socket (no Bluetooth, or not root); 4 timed out or controller removed.";

/// The exit code of a command that failed with `ec` once the socket was
/// open: kTimeout for no answer or a removed controller (errc::timed_out,
/// errc::no_such_device), else kRefused (a mgmt status, a malformed reply,
/// or the kernel refusing the socket operation).  kUnavailable is only for
/// a management socket that cannot be opened (Ctx::mgmt()).  (A command
/// pending when its controller goes away gets Invalid Index from the
/// kernel: Ctx::failed tells that from a missing --index.)
[[nodiscard]] int exit_code_for(std::error_code ec);

/// Thrown to leave with an exit code after the message was printed.
struct ExitError {
  int code;
};

class Ctx {
 public:
  int index = 0;
  bool index_given = false;  // --index on the command line (else: all, where that makes sense)
  double timeout_s = 0;  // 0 = the command's default
  bool json_output = false;

  /// The management socket, opened on first use (so --help needs no kernel).
  mgmt::MgmtSync& mgmt();
  /// The per-command timeout (--timeout, or `def`).
  [[nodiscard]] std::chrono::milliseconds timeout(std::chrono::milliseconds def = std::chrono::seconds(5)) const;
  [[nodiscard]] std::uint16_t idx() const { return static_cast<std::uint16_t>(index); }

  /// Prints a failed command ("Set Powered failed: Busy (0x0a)") and returns
  /// the matching exit code.
  [[nodiscard]] int failed(std::string_view what, std::error_code ec) const;
  /// True when controller `index` was removed since the socket opened
  /// (waits briefly for an Index Removed the kernel queued).
  [[nodiscard]] bool removed(std::uint16_t index) const;
  /// Prints a usage error and returns kUsage.
  [[nodiscard]] int usage(std::string_view message) const;

  /// Emits a JSON document (one line) on stdout.
  void emit(const json& j) const;

  /// The action selected by the parsed subcommand.
  std::function<int()> action;

 private:
  std::unique_ptr<mgmt::MgmtSync> mgmt_;
  // Index Removed events seen since the socket was opened: the kernel
  // answers a command pending on a removed controller with Invalid Index
  // (mgmt_index_removed), and sends Index Removed right after it.
  std::set<std::uint16_t> removed_;
  mgmt::Subscription removed_sub_;
};

/// One bcms-mgmt command: its name and one-line help (all that
/// `bcms-mgmt --help` lists) and the function that adds its arguments,
/// validators and action to its CLI11 subcommand.  main() builds the
/// subcommand of the command named on the command line only (of every
/// command for --help or a word that names none): CLI11 options for all
/// ~50 commands cost more instructions than the rest of `bcms-mgmt info`.
struct Command {
  std::string name;
  std::string help;
  std::function<void(CLI::App* sub)> build;
};
using Commands = std::vector<Command>;

/// A command whose subcommand is built by `build(sub, ctx)`.
Command command(std::string name, std::string help, Ctx& ctx, void (*build)(CLI::App* sub, Ctx& ctx));
/// A command without arguments whose action is `action(ctx)`.
Command simple_command(std::string name, std::string help, Ctx& ctx, int (*action)(Ctx& ctx));

/// Every command module declares its commands here.
void add_info_commands(Commands& cmds, Ctx& ctx);
void add_setting_commands(Commands& cmds, Ctx& ctx);
void add_discovery_commands(Commands& cmds, Ctx& ctx);
void add_connection_commands(Commands& cmds, Ctx& ctx);
void add_key_commands(Commands& cmds, Ctx& ctx);
void add_device_commands(Commands& cmds, Ctx& ctx);
void add_adv_commands(Commands& cmds, Ctx& ctx);
void add_monitor_commands(Commands& cmds, Ctx& ctx);
void add_send_command(Commands& cmds, Ctx& ctx);

/// CLI11 validator for "XX:XX:XX:XX:XX:XX".
extern const CLI::Validator kAddressValidator;

/// Parses on/off/yes/no/true/false/1/0 (what btmgmt accepts).
expected<bool> parse_on_off(std::string_view s);

}  // namespace bcms::cli
