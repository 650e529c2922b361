#include "src/daemon/config.hpp"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace bcms::daemon {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- file keys

// A setter checks a node's type and range and stores it; it returns the
// problem (the caller names the key and line) or nothing.
using Setter = std::function<std::optional<std::string>(Config&, const toml::node&)>;
struct Key {
  const char* section;
  const char* name;
  Setter set;
};

std::optional<std::int64_t> integer(const toml::node& n) {
  if (auto v = n.as_integer()) return v->get();
  return std::nullopt;
}

std::string range_text(std::int64_t lo, std::int64_t hi, const char* unit) {
  std::string s = "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (*unit) s += std::string(" (") + unit + ")";
  return s;
}

template <class T>
Setter whole(T Config::*member, std::int64_t lo, std::int64_t hi, const char* unit = "") {
  return [=](Config& c, const toml::node& n) -> std::optional<std::string> {
    auto v = integer(n);
    if (!v || *v < lo || *v > hi) return range_text(lo, hi, unit);
    if constexpr (std::is_same_v<T, std::chrono::seconds>) c.*member = std::chrono::seconds(*v);
    else c.*member = static_cast<T>(*v);
    return std::nullopt;
  };
}

Setter boolean(bool Config::*member) {
  return [=](Config& c, const toml::node& n) -> std::optional<std::string> {
    auto v = n.as_boolean();
    if (!v) return "must be true or false";
    c.*member = v->get();
    return std::nullopt;
  };
}

template <class T>
Setter text(T Config::*member, bool allow_empty = true) {
  return [=](Config& c, const toml::node& n) -> std::optional<std::string> {
    auto v = n.as_string();
    if (!v) return "must be a string";
    if (!allow_empty && v->get().empty()) return "must not be empty";
    c.*member = T(v->get());
    return std::nullopt;
  };
}

std::optional<gap::IoCapability> io_capability(std::string_view s) {
  if (s == "DisplayOnly") return gap::IoCapability::display_only;
  if (s == "DisplayYesNo") return gap::IoCapability::display_yes_no;
  if (s == "KeyboardOnly") return gap::IoCapability::keyboard_only;
  if (s == "NoInputNoOutput") return gap::IoCapability::no_input_no_output;
  if (s == "KeyboardDisplay") return gap::IoCapability::keyboard_display;
  return std::nullopt;
}

const std::vector<Key>& keys() {
  static const std::vector<Key> k = {
      {"daemon", "index", [](Config& c, const toml::node& n) -> std::optional<std::string> {
         auto v = integer(n);
         if (!v || *v < 0 || *v > 0xFFFE) return range_text(0, 0xFFFE, "controller index");
         c.index = static_cast<std::uint16_t>(*v);
         return std::nullopt;
       }},
      {"daemon", "state_dir", text(&Config::state_dir, false)},
      {"daemon", "scan_period", whole(&Config::scan_period, 1, 3600, "seconds")},
      {"daemon", "submit_period", whole(&Config::submit_period, 1, 86400, "seconds")},
      {"daemon", "debug", boolean(&Config::debug)},
      {"daemon", "username", text(&Config::username)},
      {"daemon", "application_identifier", text(&Config::application_identifier)},
      {"daemon", "use_device_identity", boolean(&Config::use_device_identity)},
      {"controller", "take", [](Config& c, const toml::node& n) -> std::optional<std::string> {
         auto a = n.as_array();
         const char* what = "must be a list of controller indexes (integers from 0 to 65534)";
         if (!a) return what;
         std::vector<std::uint16_t> out;
         for (const auto& e : *a) {
           auto v = integer(e);
           if (!v || *v < 0 || *v > 0xFFFE) return what;
           out.push_back(static_cast<std::uint16_t>(*v));
         }
         c.take = std::move(out);
         return std::nullopt;
       }},
      {"controller", "io_capability", [](Config& c, const toml::node& n) -> std::optional<std::string> {
         auto s = n.as_string();
         auto v = s ? io_capability(s->get()) : std::nullopt;
         if (!v) return "must be one of DisplayOnly, DisplayYesNo, KeyboardOnly, NoInputNoOutput, KeyboardDisplay";
         c.io_capability = *v;
         return std::nullopt;
       }},
      {"controller", "pair_timeout", whole(&Config::pair_timeout, 1, 300, "seconds")},
      {"controller", "privacy", boolean(&Config::privacy)},
      {"registry", "list_window", whole(&Config::list_window, 1, 86400, "seconds")},
      {"registry", "readings_per_device", whole(&Config::readings_per_device, 0, 10000)},
      {"registry", "max_tracked", whole(&Config::max_tracked, 16, 1000000)},
      {"events", "notify", boolean(&Config::notify)},
      {"events", "command", text(&Config::notify_command)},
      {"rpc", "listen", text(&Config::rpc_listen)},
      {"rpc", "unix_socket", text(&Config::rpc_unix_socket)},
      {"rpc", "unix_mode", [](Config& c, const toml::node& n) -> std::optional<std::string> {
         auto s = n.as_string();
         const char* what = "must be an octal mode string such as \"0600\" or \"0660\"";
         if (!s || s->get().empty() || s->get().size() > 4) return what;
         std::uint32_t mode = 0;
         for (char ch : s->get()) {
           if (ch < '0' || ch > '7') return what;
           mode = mode * 8 + static_cast<std::uint32_t>(ch - '0');
         }
         c.rpc_unix_mode = mode;
         return std::nullopt;
       }},
      {"rpc", "allow_remote", boolean(&Config::rpc_allow_remote)},
      {"iot", "api_url", text(&Config::api_url)},
      {"iot", "token_file", text(&Config::token_file)},
      {"iot", "oauth_token_url", text(&Config::oauth_token_url)},
      {"iot", "oauth_client_id", text(&Config::oauth_client_id)},
      {"iot", "oauth_client_secret_file", text(&Config::oauth_client_secret_file)},
      {"iot", "timeout", whole(&Config::iot_timeout, 1, 600, "seconds")},
      {"outbox", "max_readings", whole(&Config::outbox_max_readings, 1, 100000000)},
  };
  return k;
}

Error config_error(std::string text) { return Error(make_error_code(errc::config_invalid), std::move(text)); }

std::string where(std::string_view origin, const toml::node& n) {
  std::string s(origin);
  if (n.source().begin.line) s += ":" + std::to_string(n.source().begin.line);
  return s;
}

// ---------------------------------------------------------------- command line

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<std::string> bool_word(const std::string& s) {
  const auto l = lower(s);
  if (l == "true" || l == "yes" || l == "on" || l == "1") return "true";
  if (l == "false" || l == "no" || l == "off" || l == "0") return "false";
  return std::nullopt;
}

}  // namespace

expected<void, Error> apply_toml(Config& cfg, std::string_view text, std::string_view origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return unexpected(config_error(std::string(origin) + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description())));
  }
  Config next = cfg;  // all or nothing
  for (const auto& [section, node] : doc) {
    const std::string sec(section.str());
    auto table = node.as_table();
    const bool known = std::any_of(keys().begin(), keys().end(), [&](const Key& k) { return sec == k.section; });
    if (!known) return unexpected(config_error(where(origin, node) + ": unknown section '" + sec + "'"));
    if (!table) return unexpected(config_error(where(origin, node) + ": '" + sec + "' must be a table ([" + sec + "])"));
    for (const auto& [name, value] : *table) {
      const std::string key(name.str());
      auto k = std::find_if(keys().begin(), keys().end(),
                            [&](const Key& x) { return sec == x.section && key == x.name; });
      if (k == keys().end())
        return unexpected(config_error(where(origin, value) + ": unknown key '" + sec + "." + key + "'"));
      if (auto problem = k->set(next, value))
        return unexpected(config_error(where(origin, value) + ": '" + sec + "." + key + "' " + *problem));
    }
  }
  cfg = std::move(next);
  return {};
}

expected<void, Error> load_config_file(Config& cfg, const fs::path& file, bool must_exist) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (!must_exist && !fs::exists(file)) return {};
    return unexpected(config_error(file.string() + ": cannot be read: " + std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (auto r = apply_toml(cfg, text.str(), file.string()); !r) return r;
  cfg.source = file;
  return {};
}

std::vector<std::string> normalize_legacy_args(std::vector<std::string> args) {
  static const std::pair<const char*, const char*> renames[] = {
      {"-sd", "--sleep-data"}, {"-di", "--use_device_identity"}, {"-appid", "--application_identifier"}};
  static const std::set<std::string> bools = {"-d", "--debug", "-n", "--notify", "--use_device_identity"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") {  // everything after is positional
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    for (const auto& [from, to] : renames) {
      const std::string f(from);
      if (a == f) a = to;
      else if (a.rfind(f + "=", 0) == 0) a = std::string(to) + a.substr(f.size());
    }
    if (bools.contains(a) && i + 1 < args.size()) {
      if (auto w = bool_word(args[i + 1])) {
        const std::string name = a == "-d" ? "--debug" : a == "-n" ? "--notify" : a;
        out.push_back(name + "=" + *w);
        ++i;
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

expected<CommandLine, Error> parse_command_line(int argc, const char* const* argv, const fs::path& default_file) {
  CLI::App app{"bcms-daemon: the BCMS gateway daemon (devices, pairing, readings, IoT submission)", "bcms-daemon"};
  // As argparse: an option given twice takes the last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string username, appid, state_dir, config_file, api_url, token_file, rpc_listen;
  bool notify = false, debug = false, device_identity = false;
  int sleep = 0, sleep_data = 0;
  std::uint16_t index = 0;
  auto* o_user = app.add_option("-u,--username", username, "user name for notifications");
  auto* o_notify = app.add_flag("-n,--notify", notify, "turn notifications into events (log, RPC, command)");
  auto* o_sleep = app.add_option("-s,--sleep", sleep, "scan period in seconds (5)")->check(CLI::Range(1, 3600));
  auto* o_sleep_data =
      app.add_option("--sleep-data", sleep_data, "submission period in seconds (30); also -sd")->check(CLI::Range(1, 86400));
  auto* o_di = app.add_flag("--use_device_identity", device_identity, "deprecated, accepted; also -di");
  auto* o_appid = app.add_option("--application_identifier", appid, "remote application identifier; also -appid");
  auto* o_debug = app.add_flag("-d,--debug", debug, "debug logging (also --debug True)");
  auto* o_index = app.add_option("--index", index, "controller index (default: the first usable)")->check(CLI::Range(0, 0xFFFE));
  auto* o_state = app.add_option("--state-dir", state_dir, "state directory (/var/lib/bcms)");
  auto* o_config = app.add_option("--config", config_file, std::string("configuration file (") + default_file.string() + ")");
  auto* o_api = app.add_option("--api-url", api_url, "IoT backend base URL");
  auto* o_token = app.add_option("--token-file", token_file, "file holding the backend's bearer token");
  auto* o_rpc = app.add_option("--rpc-listen", rpc_listen, "RPC address (127.0.0.1:4567)");

  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  args = normalize_legacy_args(std::move(args));
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  CommandLine out;
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    out.exit_code = 0;
    out.output = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    return unexpected(config_error(e.what()));
  }

  Config& c = out.config;
  const bool explicit_file = o_config->count() > 0;
  const fs::path file = explicit_file ? fs::path(config_file) : default_file;
  if (auto r = load_config_file(c, file, explicit_file); !r) return unexpected(r.error());
  if (o_user->count()) c.username = username;
  if (o_notify->count()) c.notify = notify;
  if (o_sleep->count()) c.scan_period = std::chrono::seconds(sleep);
  if (o_sleep_data->count()) c.submit_period = std::chrono::seconds(sleep_data);
  if (o_di->count()) c.use_device_identity = device_identity;
  if (o_appid->count()) c.application_identifier = appid;
  if (o_debug->count()) c.debug = debug;
  if (o_index->count()) c.index = index;
  if (o_state->count()) {
    if (state_dir.empty()) return unexpected(config_error("--state-dir: must not be empty"));
    c.state_dir = state_dir;
  }
  if (o_api->count()) c.api_url = api_url;
  if (o_token->count()) c.token_file = token_file;
  if (o_rpc->count()) c.rpc_listen = rpc_listen;
  return out;
}

std::optional<int> find_process(const fs::path& proc, std::string_view comm) {
  std::error_code ec;
  for (fs::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char ch) { return std::isdigit(ch); }))
      continue;
    std::ifstream in(it->path() / "comm");
    std::string line;
    if (in && std::getline(in, line) && line == comm) return std::stoi(name);
  }
  return std::nullopt;
}

expected<std::vector<std::uint16_t>, Error> check_controller_owner(const Config& cfg, const fs::path& proc) {
  const auto pid = find_process(proc, "bluetoothd");
  if (!pid) return std::vector<std::uint16_t>{};
  if (cfg.take.empty())
    return unexpected(Error(make_error_code(errc::bluetoothd_running),
                            "bluetoothd is running (pid " + std::to_string(*pid) +
                                ") and owns the Bluetooth controllers: stop it (systemctl stop bluetooth), or name "
                                "the controllers bcms may take in the configuration ([controller] take = [0])"));
  if (cfg.index && std::find(cfg.take.begin(), cfg.take.end(), *cfg.index) == cfg.take.end())
    return unexpected(Error(make_error_code(errc::bluetoothd_running),
                            "bluetoothd is running (pid " + std::to_string(*pid) + ") and controller " +
                                std::to_string(*cfg.index) + " (--index) is not in [controller] take"));
  return cfg.take;
}

}  // namespace bcms::daemon
