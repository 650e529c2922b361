#include "cli/mgmt/context.hpp"

#include <cerrno>
#include <iostream>

#include "protocol/address.hpp"
#include "protocol/codec_error.hpp"

namespace bcms::cli {

mgmt::MgmtSync& Ctx::mgmt() {
  if (!mgmt_) {
    auto m = mgmt::MgmtSync::open();
    if (!m) {
      const auto ec = m.error();
      std::cerr << "bcms-mgmt: cannot open the management socket: " << ec.message();
      if (ec == std::errc::address_family_not_supported)
        std::cerr << " (this kernel has no Bluetooth support)";
      else if (ec == std::errc::operation_not_permitted || ec == std::errc::permission_denied)
        std::cerr << " (run as root or with CAP_NET_ADMIN)";
      std::cerr << "\n";
      throw ExitError{kUnavailable};
    }
    mgmt_ = std::move(*m);
    removed_sub_ = mgmt_->channel().subscribe(static_cast<std::uint16_t>(mgmt::EventCode::IndexRemoved), mgmt::kAnyIndex,
                                              [this](std::uint16_t i, byte_span) { removed_.insert(i); });
  }
  return *mgmt_;
}

std::chrono::milliseconds Ctx::timeout(std::chrono::milliseconds def) const {
  if (timeout_s > 0) return std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  return def;
}

int Ctx::failed(std::string_view what, std::error_code ec) const {
  if (json_output) {
    emit(json{{"error", {{"command", what}, {"category", ec.category().name()}, {"code", ec.value()},
                         {"message", ec.message()}}}});
  }
  if (ec == make_error_code(mgmt::Status::InvalidIndex) && mgmt_) {
    // removed mid-command, or never there?  The Index Removed event the
    // kernel queues right after the reply tells.
    if (removed(idx())) {
      std::cerr << what << " failed: " << ec.message() << " (the controller was removed)\n";
      return kTimeout;
    }
  }
  std::cerr << what << " failed: " << ec.message() << "\n";
  return exit_code_for(ec);
}

bool Ctx::removed(std::uint16_t index) const {
  if (!mgmt_) return false;
  if (!removed_.count(index)) mgmt_->run_for(std::chrono::milliseconds(100));
  return removed_.count(index) > 0;
}

int exit_code_for(std::error_code ec) {
  if (ec == std::errc::timed_out || ec == std::errc::no_such_device) return kTimeout;
  return kRefused;
}

int Ctx::usage(std::string_view message) const {
  std::cerr << "bcms-mgmt: " << message << "\n";
  return kUsage;
}

// Names and AD strings come from the kernel and from remote devices, so
// they need not be UTF-8: invalid bytes become U+FFFD instead of the
// exception nlohmann::json's strict dump() throws (which aborted --json).
void Ctx::emit(const json& j) const {
  std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n" << std::flush;
}

Command command(std::string name, std::string help, Ctx& ctx, void (*build)(CLI::App* sub, Ctx& ctx)) {
  return {std::move(name), std::move(help), [&ctx, build](CLI::App* sub) { build(sub, ctx); }};
}

Command simple_command(std::string name, std::string help, Ctx& ctx, int (*action)(Ctx&)) {
  return {std::move(name), std::move(help), [&ctx, action](CLI::App* sub) {
            sub->callback([&ctx, action] { ctx.action = [&ctx, action] { return action(ctx); }; });
          }};
}

const CLI::Validator kAddressValidator(
    [](std::string& s) -> std::string {
      if (Address::parse(s)) return {};
      return "'" + s + "' is not a Bluetooth address (expected XX:XX:XX:XX:XX:XX)";
    },
    "ADDRESS");

expected<bool> parse_on_off(std::string_view s) {
  if (s == "on" || s == "yes" || s == "true" || s == "1") return true;
  if (s == "off" || s == "no" || s == "false" || s == "0") return false;
  return fail(codec_errc::invalid_value);
}

}  // namespace bcms::cli
