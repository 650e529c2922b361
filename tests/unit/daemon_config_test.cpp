// The daemon's configuration: TOML file keys (unknown keys and bad values
// are errors naming the key and line), the original's flags and spellings
// (-sd, -di, -appid, "--debug True"), flags overriding the file, and the
// bluetoothd check over a fake /proc.
#include "src/daemon/config.hpp"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <fstream>

using namespace bcms;
using namespace bcms::daemon;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/bcms-config-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

expected<CommandLine, Error> parse(std::vector<const char*> args, const fs::path& default_file) {
  args.insert(args.begin(), "bcms-daemon");
  return parse_command_line(static_cast<int>(args.size()), args.data(), default_file);
}

std::string error_of(const std::string& toml) {
  Config c;
  auto r = apply_toml(c, toml, "bcms.toml");
  return r ? std::string("(accepted)") : r.error().text;
}

}  // namespace

TEST_CASE("Defaults are the original's: 5 s scans, 30 s submissions, RPC on 127.0.0.1:4567") {
  Config c;
  CHECK(c.scan_period == std::chrono::seconds(5));
  CHECK(c.submit_period == std::chrono::seconds(30));
  CHECK(c.rpc_listen == "127.0.0.1:4567");
  CHECK(c.state_dir == "/var/lib/bcms");
  CHECK_FALSE(c.index.has_value());
}

TEST_CASE("A complete file is applied") {
  Config c;
  auto r = apply_toml(c, R"(
[daemon]
index = 1
state_dir = "/srv/bcms"
scan_period = 7
submit_period = 60
debug = true
username = "alice"
application_identifier = "app-1"

[controller]
take = [0, 1]
io_capability = "KeyboardDisplay"
pair_timeout = 20
privacy = false

[registry]
list_window = 120
readings_per_device = 5
max_tracked = 100

[events]
notify = true
command = "/usr/local/bin/on-event"

[rpc]
listen = "127.0.0.1:5000"
unix_socket = "/run/bcms.sock"
unix_mode = "0660"

[iot]
api_url = "https://iot.example"
token_file = "/etc/bcms/token"
timeout = 5

[outbox]
max_readings = 5000
)", "bcms.toml");
  REQUIRE(r);
  CHECK(c.index == std::optional<std::uint16_t>(1));
  CHECK(c.state_dir == "/srv/bcms");
  CHECK(c.scan_period == std::chrono::seconds(7));
  CHECK(c.submit_period == std::chrono::seconds(60));
  CHECK(c.debug);
  CHECK(c.username == "alice");
  CHECK(c.take == std::vector<std::uint16_t>{0, 1});
  CHECK(c.io_capability == gap::IoCapability::keyboard_display);
  CHECK(c.pair_timeout == std::chrono::seconds(20));
  CHECK_FALSE(c.privacy);
  CHECK(c.list_window == std::chrono::seconds(120));
  CHECK(c.readings_per_device == 5);
  CHECK(c.max_tracked == 100);
  CHECK(c.notify);
  CHECK(c.notify_command == "/usr/local/bin/on-event");
  CHECK(c.rpc_listen == "127.0.0.1:5000");
  CHECK(c.rpc_unix_socket == "/run/bcms.sock");
  CHECK(c.rpc_unix_mode == 0660);
  CHECK(c.api_url == "https://iot.example");
  CHECK(c.token_file == "/etc/bcms/token");
  CHECK(c.iot_timeout == std::chrono::seconds(5));
  CHECK(c.outbox_max_readings == 5000);
}

TEST_CASE("Unknown keys and sections, wrong types and values out of range name the key and line") {
  CHECK(error_of("[daemon]\nsleep = 5\n") == "bcms.toml:2: unknown key 'daemon.sleep'");
  CHECK(error_of("[deamon]\nindex = 0\n") == "bcms.toml:1: unknown section 'deamon'");
  CHECK(error_of("debug = true\n") == "bcms.toml:1: unknown section 'debug'");
  CHECK(error_of("[daemon]\nscan_period = 0\n") ==
        "bcms.toml:2: 'daemon.scan_period' must be an integer from 1 to 3600 (seconds)");
  CHECK(error_of("[daemon]\n\nscan_period = \"5\"\n") ==
        "bcms.toml:3: 'daemon.scan_period' must be an integer from 1 to 3600 (seconds)");
  CHECK(error_of("[daemon]\ndebug = \"True\"\n") == "bcms.toml:2: 'daemon.debug' must be true or false");
  CHECK(error_of("[controller]\nio_capability = \"NoIO\"\n") ==
        "bcms.toml:2: 'controller.io_capability' must be one of DisplayOnly, DisplayYesNo, KeyboardOnly, "
        "NoInputNoOutput, KeyboardDisplay");
  CHECK(error_of("[controller]\ntake = [0, -1]\n").find("'controller.take' must be a list") != std::string::npos);
  CHECK(error_of("[rpc]\nunix_mode = \"0689\"\n").find("'rpc.unix_mode' must be an octal mode") != std::string::npos);
  CHECK(error_of("[daemon]\nstate_dir = \"\"\n") == "bcms.toml:2: 'daemon.state_dir' must not be empty");
  // TOML syntax errors carry the parser's description and line.
  CHECK(error_of("[daemon]\nindex = = 1\n").rfind("bcms.toml:2: ", 0) == 0);
  // Nothing of a rejected document is applied.
  Config c;
  REQUIRE_FALSE(apply_toml(c, "[daemon]\nscan_period = 9\nbogus = 1\n", "x"));
  CHECK(c.scan_period == std::chrono::seconds(5));
  auto r = apply_toml(c, "[daemon]\nbogus = 1\n", "x");
  CHECK(r.error().code == errc::config_invalid);
}

TEST_CASE("The original's flags, including -sd, -di, -appid and --debug True") {
  TempDir t;
  const auto none = t.path / "absent.toml";
  auto r = parse({"-u", "bob", "-n", "-s", "9", "-sd", "45", "-di", "-appid", "app-7", "--debug", "True"}, none);
  REQUIRE(r);
  CHECK_FALSE(r->exit_code.has_value());
  const auto& c = r->config;
  CHECK(c.username == "bob");
  CHECK(c.notify);
  CHECK(c.scan_period == std::chrono::seconds(9));
  CHECK(c.submit_period == std::chrono::seconds(45));
  CHECK(c.use_device_identity);
  CHECK(c.application_identifier == "app-7");
  CHECK(c.debug);
  CHECK(c.source.empty());  // the default file is optional

  r = parse({"-d", "False", "--sleep-data=15", "--username=carol", "-sd=20"}, none);
  REQUIRE(r);
  CHECK_FALSE(r->config.debug);
  CHECK(r->config.submit_period == std::chrono::seconds(20));  // the later one wins
  CHECK(r->config.username == "carol");
  r = parse({"-d"}, none);
  REQUIRE(r);
  CHECK(r->config.debug);
  r = parse({"--debug", "true"}, none);
  REQUIRE(r);
  CHECK(r->config.debug);
}

TEST_CASE("New flags; flags override the file; bad flags are errors naming the flag") {
  TempDir t;
  const auto file = t.path / "bcms.toml";
  write(file, "[daemon]\nscan_period = 11\nindex = 2\n[rpc]\nlisten = \"127.0.0.1:1\"\n");
  auto r = parse({"--config", file.c_str(), "--index", "3", "--state-dir", "/tmp/s", "--api-url", "http://x",
                  "--token-file", "/t", "--rpc-listen", "unix:/run/b.sock"},
                 t.path / "absent.toml");
  REQUIRE(r);
  const auto& c = r->config;
  CHECK(c.source == file);
  CHECK(c.scan_period == std::chrono::seconds(11));  // from the file
  CHECK(c.index == std::optional<std::uint16_t>(3));  // the flag wins
  CHECK(c.state_dir == "/tmp/s");
  CHECK(c.api_url == "http://x");
  CHECK(c.token_file == "/t");
  CHECK(c.rpc_listen == "unix:/run/b.sock");

  // The default file is read when present.
  r = parse({}, file);
  REQUIRE(r);
  CHECK(r->config.index == std::optional<std::uint16_t>(2));

  auto e = parse({"--sleep", "0"}, t.path / "absent.toml");
  REQUIRE_FALSE(e);
  CHECK(e.error().text.find("--sleep") != std::string::npos);
  e = parse({"--bogus"}, t.path / "absent.toml");
  REQUIRE_FALSE(e);
  CHECK(e.error().text.find("--bogus") != std::string::npos);
  e = parse({"--config", (t.path / "missing.toml").c_str()}, t.path / "absent.toml");
  REQUIRE_FALSE(e);
  CHECK(e.error().text.find("missing.toml: cannot be read") != std::string::npos);
  write(t.path / "bad.toml", "[daemon]\nsleep = 5\n");
  e = parse({"--config", (t.path / "bad.toml").c_str()}, t.path / "absent.toml");
  REQUIRE_FALSE(e);
  CHECK(e.error().text == (t.path / "bad.toml").string() + ":2: unknown key 'daemon.sleep'");

  auto h = parse({"--help"}, t.path / "absent.toml");
  REQUIRE(h);
  CHECK(h->exit_code == std::optional<int>(0));
  CHECK(h->output.find("--sleep-data") != std::string::npos);
}

TEST_CASE("normalize_legacy_args leaves other arguments alone") {
  CHECK(normalize_legacy_args({"-s", "5", "--index", "1"}) == std::vector<std::string>{"-s", "5", "--index", "1"});
  CHECK(normalize_legacy_args({"-n", "TRUE", "-u", "x"}) == std::vector<std::string>{"--notify=true", "-u", "x"});
  CHECK(normalize_legacy_args({"-d", "-u", "True"}) == std::vector<std::string>{"-d", "-u", "True"});
  CHECK(normalize_legacy_args({"--", "-sd"}) == std::vector<std::string>{"--", "-sd"});
}

TEST_CASE("bluetoothd check: a running bluetoothd is an error unless the configuration names controllers") {
  TempDir t;
  const auto proc = t.path / "proc";
  write(proc / "1" / "comm", "init\n");
  write(proc / "self" / "comm", "bluetoothd\n");  // not a pid directory
  Config c;
  CHECK(find_process(proc, "bluetoothd") == std::nullopt);
  CHECK(check_controller_owner(c, proc).value().empty());

  write(proc / "4242" / "comm", "bluetoothd\n");
  CHECK(find_process(proc, "bluetoothd") == std::optional<int>(4242));
  auto r = check_controller_owner(c, proc);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::bluetoothd_running);
  CHECK(r.error().text.find("bluetoothd is running (pid 4242)") == 0);
  CHECK(r.error().text.find("[controller] take") != std::string::npos);

  c.take = {1};
  CHECK(check_controller_owner(c, proc).value() == std::vector<std::uint16_t>{1});
  c.index = 0;
  r = check_controller_owner(c, proc);
  REQUIRE_FALSE(r);
  CHECK(r.error().text.find("controller 0 (--index) is not in [controller] take") != std::string::npos);
  c.index = 1;
  CHECK(check_controller_owner(c, proc));
}
