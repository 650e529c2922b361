#include "cli/gatt/interactive.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/signal_set.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdarg>
#include <cstdio>
#include <istream>
#include <map>
#include <sstream>
#include <strings.h>
#include <vector>

#include "cli/gatt/format.hpp"
#include "protocol/att/att_error.hpp"
#include "protocol/hex.hpp"

namespace bcms::cli::gatt {
namespace {

using Args = std::vector<std::string>;

/// att_ecode2str() of BlueZ's attrib/att.c: the text gatttool prints for an
/// ATT error; anything else (a bearer that ended, a broken answer) by its
/// own message.
std::string error_text(std::error_code ec) {
  if (ec.category() != att::att_category()) return ec.message();
  switch (static_cast<att::att_errc>(ec.value())) {
    case att::att_errc::invalid_handle: return "Invalid handle";
    case att::att_errc::read_not_permitted: return "Attribute can't be read";
    case att::att_errc::write_not_permitted: return "Attribute can't be written";
    case att::att_errc::invalid_pdu: return "Attribute PDU was invalid";
    case att::att_errc::insufficient_authentication: return "Attribute requires authentication before read/write";
    case att::att_errc::request_not_supported: return "Server doesn't support the request received";
    case att::att_errc::invalid_offset: return "Offset past the end of the attribute";
    case att::att_errc::insufficient_authorization: return "Attribute requires authorization before read/write";
    case att::att_errc::prepare_queue_full: return "Too many prepare writes have been queued";
    case att::att_errc::attribute_not_found: return "No attribute found within the given range";
    case att::att_errc::attribute_not_long: return "Attribute can't be read/written using Read Blob Req";
    case att::att_errc::encryption_key_size_too_short: return "Encryption Key Size is insufficient";
    case att::att_errc::invalid_attribute_value_length: return "Attribute value length is invalid";
    case att::att_errc::unlikely_error: return "Request attribute has encountered an unlikely error";
    case att::att_errc::insufficient_encryption: return "Encryption required before read/write";
    case att::att_errc::unsupported_group_type: return "Attribute type is not a supported grouping attribute";
    case att::att_errc::insufficient_resources: return "Insufficient Resources to complete the request";
    default: return "Unexpected error code";
  }
}

/// gatttool's strtohandle(): hexadecimal, with or without 0x; -1 if not.
int parse_handle(const std::string& s) {
  if (s.empty()) return -1;
  char* e = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &e, 16);
  if (errno != 0 || *e != '\0' || v < 0 || v > 0xFFFF) return -1;
  return static_cast<int>(v);
}

struct Command {
  const char* name;
  const char* params;
  const char* desc;
};
// gatttool -I's table, in its order (help prints it).
constexpr Command commands[] = {
    {"help", "", "Show this help"},
    {"exit", "", "Exit interactive mode"},
    {"quit", "", "Exit interactive mode"},
    {"connect", "[address [address type]]", "Connect to a remote device"},
    {"disconnect", "", "Disconnect from a remote device"},
    {"primary", "[UUID]", "Primary Service Discovery"},
    {"included", "[start hnd [end hnd]]", "Find Included Services"},
    {"characteristics", "[start hnd [end hnd [UUID]]]", "Characteristics Discovery"},
    {"char-desc", "[start hnd] [end hnd]", "Characteristics Descriptor Discovery"},
    {"char-read-hnd", "<handle>", "Characteristics Value/Descriptor Read by handle"},
    {"char-read-uuid", "<UUID> [start hnd] [end hnd]", "Characteristics Value/Descriptor Read by UUID"},
    {"char-write-req", "<handle> <new value>", "Characteristic Value Write (Write Request)"},
    {"char-write-cmd", "<handle> <new value>", "Characteristic Value Write (No response)"},
    {"sec-level", "[low | medium | high]", "Set security level. Default: low"},
    {"mtu", "<value>", "Exchange MTU for GATT/ATT"},
};

class Interactive {
 public:
  Interactive(const Target& defaults, bool have_address)
      : target_(defaults), have_address_(have_address), tty_(::isatty(STDIN_FILENO) == 1) {}

  int run() {
    const int fd = ::dup(STDIN_FILENO);
    if (fd < 0) {
      std::perror("stdin");
      return kUsage;
    }
    struct stat st {};
    regular_file_ = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);  // epoll refuses regular files
    in_.assign(fd);
    asio::signal_set signals(io_, SIGINT, SIGTERM);
    signals.async_wait([this](std::error_code ec, int) {
      if (!ec) stop();
    });
    asio::co_spawn(io_, repl(), [this](std::exception_ptr) { stop(); });
    io_.run();
    link_.reset();
    io_.restart();
    io_.poll();
    return kOk;
  }

 private:
  // ------------------------------------------------------------ output
  void line(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stdout, fmt, ap);
    va_end(ap);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  /// gatttool's error(): "Error: " in red on a terminal.
  void error(const std::string& msg) { line("%sError: %s%s", tty_ ? "\x1b[0;91m" : "", tty_ ? "\x1b[0m" : "", msg.c_str()); }
  /// gatttool's failed(): "Command Failed: ".
  void failed(const std::string& msg) {
    line("%sCommand Failed: %s%s", tty_ ? "\x1b[0;91m" : "", tty_ ? "\x1b[0m" : "", msg.c_str());
  }
  void prompt() {
    if (!tty_) return;
    const std::string addr = have_address_ ? target_.peer.addr.to_string() : std::string();
    std::printf("%s[%17s]%s[LE]> ", connected() ? "\x1b[0;94m" : "", addr.c_str(), connected() ? "\x1b[0m" : "");
    std::fflush(stdout);
  }

  [[nodiscard]] bool connected() const { return link_ && link_->bearer->usable(); }
  void stop() {
    quit_ = true;
    std::error_code ignored;
    in_.close(ignored);
    io_.stop();
  }

  // ------------------------------------------------------------ input
  asio::awaitable<void> repl() {
    const auto token = asio::experimental::as_tuple(asio::use_awaitable);
    prompt();
    while (!quit_) {
      std::error_code ec;
      if (regular_file_) {
        asio::read_until(in_, buf_, '\n', ec);
      } else {
        auto [e, n] = co_await asio::async_read_until(in_, buf_, '\n', token);
        ec = e;
      }
      if (ec && buf_.size() == 0) break;  // EOF: as gatttool, a newline and out
      std::string text;
      std::istream is(&buf_);
      std::getline(is, text);
      co_await execute(text);
      if (!quit_) prompt();
    }
    if (!quit_ && tty_) line("%s", "");
    stop();
  }

  asio::awaitable<void> execute(const std::string& text) {
    Args a;
    std::istringstream words(text);
    for (std::string w; words >> w;) a.push_back(w);
    if (a.empty()) co_return;
    const Command* cmd = nullptr;
    for (const auto& c : commands)
      if (strcasecmp(c.name, a[0].c_str()) == 0) cmd = &c;
    if (!cmd) {
      error(a[0] + ": command not found");
      co_return;
    }
    const std::string name = cmd->name;
    if (name == "help") help();
    else if (name == "exit" || name == "quit") quit_ = true;
    else if (name == "connect") co_await connect(a);
    else if (name == "disconnect") link_.reset();
    else if (name == "sec-level") co_await sec_level(a);
    else if (!connected()) failed("Disconnected");
    else if (name == "primary") co_await primary(a);
    else if (name == "included") co_await included(a);
    else if (name == "characteristics") co_await characteristics(a);
    else if (name == "char-desc") co_await char_desc(a);
    else if (name == "char-read-hnd") co_await read_hnd(a);
    else if (name == "char-read-uuid") co_await read_uuid(a);
    else if (name == "char-write-req" || name == "char-write-cmd") co_await write(a, name == "char-write-req");
    else if (name == "mtu") co_await mtu(a);
  }

  // ------------------------------------------------------------ commands
  void help() {
    for (const auto& c : commands) line("%-15s %-30s %s", c.name, c.params, c.desc);
  }

  asio::awaitable<void> connect(const Args& a) {
    if (link_) co_return;  // gatttool: ignored unless disconnected
    if (a.size() > 1) {
      auto addr = Address::parse(a[1]);
      if (!addr) {
        error("Invalid address: " + a[1]);
        co_return;
      }
      const bool random = a.size() > 2 && strcasecmp(a[2].c_str(), "random") == 0;
      target_.peer = Peer{*addr, random ? AddressType::le_random : AddressType::le_public};
      have_address_ = true;
    }
    if (!have_address_) {
      error("Remote Bluetooth address required");
      co_return;
    }
    line("Attempting to connect to %s", target_.peer.addr.to_string().c_str());
    std::unique_ptr<Link> link;
    std::optional<OpenFailure> failure;
    const auto token = asio::experimental::as_tuple(asio::use_awaitable);
    auto initiation = [this, &link, &failure](auto handler) {
      auto h = std::make_shared<decltype(handler)>(std::move(handler));
      async_open(io_, target_, [h, &link, &failure](std::unique_ptr<Link> l, std::optional<OpenFailure> f) {
        link = std::move(l);
        failure = std::move(f);
        (*h)();
      });
    };
    co_await asio::async_initiate<decltype(token), void()>(initiation, token);
    if (!link) {
      error(failure ? failure->text : "connection failed");
      co_return;
    }
    link_ = std::move(link);
    mtu_exchanged_ = false;
    link_->bearer->on_closed([this](std::error_code) {
      // The peer went away: as gatttool, silently disconnected (the link
      // is dropped on the next turn, outside the bearer's callback).
      asio::post(io_, [this] {
        if (link_ && !link_->bearer->usable()) link_.reset();
      });
    });
    link_->client->on_any_value([this](std::uint16_t h, byte_span v, bool ind) { value(h, v, ind); });
    link_->bearer->start();
    line("Connection successful");
  }

  void value(std::uint16_t handle, byte_span v, bool indication) {
    line("%s handle = %s value: %s", indication ? "Indication  " : "Notification", h4(handle).c_str(),
         spaced(v).c_str());
    auto it = uuids_.find(handle);
    if (it == uuids_.end()) return;
    const std::string d = decoded(it->second, v);
    if (!d.empty()) line("  %s", d.c_str());
  }

  asio::awaitable<void> sec_level(const Args& a) {
    static constexpr const char* names[] = {"low", "medium", "high"};
    if (a.size() < 2) {
      line("sec-level: %s", names[std::min<int>(static_cast<int>(target_.security) - 1, 2)]);
      co_return;
    }
    int level = -1;
    for (int i = 0; i < 3; ++i)
      if (strcasecmp(a[1].c_str(), names[i]) == 0) level = i;
    if (level < 0) {
      line("Allowed values: low | medium | high");
      co_return;
    }
    target_.security = static_cast<att::SecurityLevel>(level + 1);
    if (!connected()) co_return;
    // BT_SECURITY on the connected socket: the kernel encrypts or pairs.
    std::shared_ptr<att::AttBearer> bearer = link_->bearer;
    const att::SecurityLevel want = target_.security;
    const auto token = asio::experimental::as_tuple(asio::use_awaitable);
    auto initiation = [bearer, want](auto handler) {
      auto h = std::make_shared<decltype(handler)>(std::move(handler));
      bearer->raise_security(want, [h](std::error_code ec) { (*h)(ec); });
    };
    auto [ec] = co_await asio::async_initiate<decltype(token), void(std::error_code)>(initiation, token);
    if (ec) error(ec.message());
  }

  asio::awaitable<void> primary(const Args& a) {
    att::GattClient& c = *link_->client;
    if (a.size() < 2) {
      auto s = co_await c.discover_services();
      if (!s) error("Discover all primary services failed: " + error_text(s.error()));
      else if (s->empty()) error("No primary service found");
      else
        for (const auto& x : *s)
          line("attr handle: %s, end grp handle: %s uuid: %s", h4(x.start).c_str(), h4(x.end).c_str(),
               x.uuid.to_string128().c_str());
      co_return;
    }
    auto u = att::Uuid::parse(a[1]);
    if (!u) {
      error("Invalid UUID");
      co_return;
    }
    auto s = co_await c.discover_services(*u);
    if (!s) error("Discover primary services by UUID failed: " + error_text(s.error()));
    else if (s->empty()) error("No service UUID found");
    else
      for (const auto& x : *s) line("Starting handle: %s Ending handle: %s", h4(x.start).c_str(), h4(x.end).c_str());
  }

  /// gatttool's optional [start [end]] handle arguments from a[first].
  bool range(const Args& a, std::size_t first, std::uint16_t& start, std::uint16_t& end) {
    for (std::size_t i = first; i < a.size() && i < first + 2; ++i) {
      const int h = parse_handle(a[i]);
      if (h < 0) {
        error(std::string(i == first ? "Invalid start handle: " : "Invalid end handle: ") + a[i]);
        return false;
      }
      (i == first ? start : end) = static_cast<std::uint16_t>(h);
    }
    return true;
  }

  asio::awaitable<void> included(const Args& a) {
    std::uint16_t start = 0x0001, end = 0xFFFF;
    if (a.size() == 2) end = static_cast<std::uint16_t>(std::max(parse_handle(a[1]), 0));  // gatttool: end = start
    if (!range(a, 1, start, end)) co_return;
    auto r = co_await link_->client->discover_included_services(start, end);
    if (!r) error("Find included services failed: " + error_text(r.error()));
    else if (r->empty()) line("No included services found for this range");
    else
      for (const auto& x : *r)
        line("handle: %s, start handle: %s, end handle: %s uuid: %s", h4(x.handle).c_str(), h4(x.start).c_str(),
             h4(x.end).c_str(), x.uuid.to_string128().c_str());
  }

  asio::awaitable<void> characteristics(const Args& a) {
    std::uint16_t start = 0x0001, end = 0xFFFF;
    if (!range(a, 1, start, end)) co_return;
    std::optional<att::Uuid> only;
    if (a.size() > 3) {
      auto u = att::Uuid::parse(a[3]);
      if (!u) {
        error("Invalid UUID");
        co_return;
      }
      only = *u;
    }
    auto r = co_await link_->client->discover_characteristics(start, end);
    if (!r) {
      error("Discover all characteristics failed: " + error_text(r.error()));
      co_return;
    }
    for (const auto& x : *r) {
      if (x.uuid.is16()) uuids_[x.value_handle] = x.uuid.as16();
      if (only && x.uuid != *only) continue;
      line("handle: %s, char properties: 0x%02x, char value handle: %s, uuid: %s", h4(x.declaration).c_str(),
           x.properties, h4(x.value_handle).c_str(), x.uuid.to_string128().c_str());
    }
  }

  asio::awaitable<void> char_desc(const Args& a) {
    std::uint16_t start = 0x0001, end = 0xFFFF;
    if (!range(a, 1, start, end)) co_return;
    auto r = co_await link_->client->discover_descriptors(start, end);
    if (!r) {
      line("Discover descriptors finished: %s", error_text(r.error()).c_str());
      co_return;
    }
    for (const auto& x : *r) line("handle: %s, uuid: %s", h4(x.handle).c_str(), x.type.to_string128().c_str());
    // gatttool goes on until the server answers Attribute Not Found, and
    // says so, unless the range ended first.
    if (r->empty() || r->back().handle < end)
      line("Discover descriptors finished: %s",
           error_text(make_error_code(att::att_errc::attribute_not_found)).c_str());
  }

  asio::awaitable<void> read_hnd(const Args& a) {
    if (a.size() < 2) {
      error("Missing argument: handle");
      co_return;
    }
    const int h = parse_handle(a[1]);
    if (h < 0) {
      error("Invalid handle: " + a[1]);
      co_return;
    }
    auto v = co_await link_->client->read(static_cast<std::uint16_t>(h));
    if (!v) error("Characteristic value/descriptor read failed: " + error_text(v.error()));
    else line("Characteristic value/descriptor: %s", spaced(*v).c_str());
  }

  asio::awaitable<void> read_uuid(const Args& a) {
    if (a.size() < 2) {
      error("Missing argument: UUID");
      co_return;
    }
    auto u = att::Uuid::parse(a[1]);
    if (!u) {
      error("Invalid UUID");
      co_return;
    }
    std::uint16_t start = 0x0001, end = 0xFFFF;
    if (!range(a, 2, start, end)) co_return;
    auto r = co_await link_->client->read_by_type(start, end, *u);
    if (!r) error("Read characteristics by UUID failed: " + error_text(r.error()));
    else
      for (const auto& [h, v] : *r) line("handle: %s \t value: %s", h4(h).c_str(), spaced(v).c_str());
  }

  asio::awaitable<void> write(const Args& a, bool request) {
    if (a.size() < 3) {
      line("Usage: %s <handle> <new value>", a[0].c_str());
      co_return;
    }
    const int h = parse_handle(a[1]);
    if (h <= 0) {
      error("A valid handle is required");
      co_return;
    }
    auto value = parse_hex(a[2]);
    if (!value || value->empty()) {
      error("Invalid value");
      co_return;
    }
    if (!request) {
      if (auto ec = link_->client->write_without_response(static_cast<std::uint16_t>(h), std::move(*value)))
        error("Characteristic Write Command failed: " + error_text(ec));
      co_return;
    }
    auto w = co_await link_->client->write(static_cast<std::uint16_t>(h), std::move(*value));
    if (!w) error("Characteristic Write Request failed: " + error_text(w.error()));
    else line("Characteristic value was written successfully");
  }

  asio::awaitable<void> mtu(const Args& a) {
    if (a.size() < 2) {
      line("Usage: mtu <value>");
      co_return;
    }
    if (mtu_exchanged_) {
      failed("MTU exchange can only occur once per connection.");
      co_return;
    }
    char* e = nullptr;
    errno = 0;
    const long long want = std::strtoll(a[1].c_str(), &e, 0);
    if (errno != 0 || want < att::default_mtu) {
      error("Invalid value. Minimum MTU size is 23");
      co_return;
    }
    mtu_exchanged_ = true;
    auto m = co_await link_->client->exchange_mtu(static_cast<std::uint16_t>(std::min<long long>(want, att::max_mtu)));
    if (!m) error("Exchange MTU Request failed: " + error_text(m.error()));
    else line("MTU was exchanged successfully: %d", *m);
  }

  asio::io_context io_;
  asio::posix::stream_descriptor in_{io_};
  asio::streambuf buf_;
  Target target_;
  bool have_address_;
  bool tty_;
  bool regular_file_ = false;
  bool quit_ = false;
  bool mtu_exchanged_ = false;
  std::unique_ptr<Link> link_;
  std::map<std::uint16_t, std::uint16_t> uuids_;  // value handle -> characteristic UUID16, for decoding
};

}  // namespace

int run_interactive(const Target& defaults, bool have_address) {
  Interactive i(defaults, have_address);
  return i.run();
}

}  // namespace bcms::cli::gatt
