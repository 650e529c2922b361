// The daemon's configuration: built-in defaults, then the TOML file
// (/etc/bcms/bcms.toml by default, or --config FILE), then command-line
// flags, each overriding the one before.
//
// File (every key optional; an unknown section or key, or a value of the
// wrong type or out of range, is an error naming the key and its line):
//
//   [daemon]     index (controller, default: the first usable),
//                state_dir ("/var/lib/bcms"), scan_period (s, 5),
//                submit_period (s, 30), debug, username,
//                application_identifier, use_device_identity (deprecated)
//   [controller] take (list of controller indexes bcms may take although
//                bluetoothd runs), io_capability ("DisplayOnly",
//                "DisplayYesNo", "KeyboardOnly", "NoInputNoOutput",
//                "KeyboardDisplay"), pair_timeout (s, 30), privacy (true)
//   [registry]   list_window (s, 60), readings_per_device (20),
//                max_tracked (4096)
//   [events]     notify (false), command ("": run for each event)
//   [rpc]        listen ("127.0.0.1:4567"), unix_socket (""), unix_mode
//                ("0600"), allow_remote (false: a non-loopback listen
//                address is refused unless true)
//   [iot]        api_url, token_file, oauth_token_url, oauth_client_id,
//                oauth_client_secret_file, timeout (s, 10)
//   [outbox]     max_readings (100000)
//
// Flags: the original's -u/--username, -n/--notify, -s/--sleep,
// -sd/--sleep-data, -di/--use_device_identity, -appid/
// --application_identifier, -d/--debug (booleans also as the original
// wrote them: "--debug True"), and --index, --state-dir, --config,
// --api-url, --token-file, --rpc-listen.  The original's multi-letter
// single-dash options (-sd, -di, -appid) are rewritten to their long
// forms before CLI11 parses (CLI11 only has one-letter short options).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/expected.hpp"
#include "src/daemon/daemon_error.hpp"
#include "src/gap/pairing.hpp"

namespace bcms::daemon {

struct Config {
  // [daemon]
  std::optional<std::uint16_t> index;
  std::filesystem::path state_dir = "/var/lib/bcms";
  std::chrono::seconds scan_period{5};
  std::chrono::seconds submit_period{30};
  bool debug = false;
  std::string username;
  std::string application_identifier;
  bool use_device_identity = false;
  // [controller]
  std::vector<std::uint16_t> take;
  gap::IoCapability io_capability = gap::IoCapability::no_input_no_output;
  std::chrono::seconds pair_timeout{30};
  bool privacy = true;
  // [registry]
  std::chrono::seconds list_window{60};
  std::size_t readings_per_device = 20;
  std::size_t max_tracked = 4096;
  // [events]
  bool notify = false;
  std::string notify_command;
  // [rpc]
  std::string rpc_listen = "127.0.0.1:4567";
  std::string rpc_unix_socket;
  std::uint32_t rpc_unix_mode = 0600;
  bool rpc_allow_remote = false;
  // [iot]
  std::string api_url;
  std::filesystem::path token_file;
  std::string oauth_token_url;
  std::string oauth_client_id;
  std::filesystem::path oauth_client_secret_file;
  std::chrono::seconds iot_timeout{10};
  // [outbox]
  std::size_t outbox_max_readings = 100000;

  /// Where the file came from ("" when none was read).
  std::filesystem::path source;
};

inline constexpr const char* kDefaultConfigFile = "/etc/bcms/bcms.toml";

/// Applies a TOML document to `cfg` (keys present override).  `origin`
/// names the document in messages: "bcms.toml:3: unknown key 'daemon.sleep'".
expected<void, Error> apply_toml(Config& cfg, std::string_view text, std::string_view origin);

/// Reads and applies a file.  A missing file is an error only when
/// `must_exist` (named with --config); the default file is optional.
expected<void, Error> load_config_file(Config& cfg, const std::filesystem::path& file, bool must_exist);

/// The result of the command line: a configuration to run with, or a
/// message to print and an exit status (--help, --version).
struct CommandLine {
  Config config;
  std::optional<int> exit_code;  // set: print `output` and exit
  std::string output;
};

/// Defaults, then the file (--config, else `default_file` when present),
/// then the flags.  Errors (unknown flag, bad value, bad file) name the
/// flag or key.
expected<CommandLine, Error> parse_command_line(int argc, const char* const* argv,
                                                const std::filesystem::path& default_file = kDefaultConfigFile);

/// The original's spellings in CLI11's terms: -sd/-di/-appid (also with
/// "=value") become --sleep-data/--use_device_identity/
/// --application_identifier, and a boolean flag followed by True/False
/// (any case; also yes/no, on/off, 1/0) becomes --flag=true/false.
std::vector<std::string> normalize_legacy_args(std::vector<std::string> args);

/// The pid of a running process whose /proc/PID/comm is `comm`, if any.
/// `proc` is injectable for tests.
std::optional<int> find_process(const std::filesystem::path& proc, std::string_view comm);

/// The controller ownership rule: bcms needs its controllers to itself
/// (Load Long Term Keys replaces the kernel's whole key list).  With
/// bluetoothd running, the configuration must name the controllers bcms
/// may take ([controller] take), and --index, if given, must be one of
/// them.  Returns the indexes bcms may use (empty: any).
expected<std::vector<std::uint16_t>, Error> check_controller_owner(const Config& cfg,
                                                                   const std::filesystem::path& proc = "/proc");

}  // namespace bcms::daemon
