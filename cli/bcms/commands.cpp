#include "cli/bcms/commands.hpp"

#include <asio/signal_set.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <string_view>

namespace bcms::cli {

namespace {

using nlohmann::json;

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

json errors_json(capnp::List<capnp::Text>::Reader errors) {
  json out = json::array();
  for (auto e : errors) out.push_back(str(e));
  return out;
}

std::string_view mode_name(BCMSWorkingMode m) { return m == BCMSWorkingMode::ANY ? "any" : "approved"; }

std::string local_time(std::int64_t epoch_ms) {
  if (epoch_ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

/// A daemon error: printed to stderr as the daemon said it, exit 1.
int refused_by_daemon(const Args& a, capnp::List<capnp::Text>::Reader errors) {
  std::string text;
  for (auto e : errors) text += (text.empty() ? "" : "; ") + str(e);
  if (text.empty()) text = "the daemon answered false without a reason";
  std::cerr << "bcms: " << a.command << (a.address.empty() ? "" : " " + a.address) << ": " << text << "\n";
  return Exit::refused;
}

// approve, remove, set_mode, pair, unpair: (status, errors)
template <class Response>
int print_status(const Args& a, const Response& r, std::string_view done) {
  if (a.json) std::cout << json{{"status", r.getStatus()}, {"errors", errors_json(r.getErrors())}}.dump() << "\n";
  if (!r.getStatus() || r.getErrors().size() > 0) return refused_by_daemon(a, r.getErrors());
  if (!a.json) std::cout << done << "\n";
  return Exit::ok;
}

int list(Session& s, const Args& a) {
  auto req = s.bcms().listRequest();
  req.setOnlyApproved(a.only_approved);
  auto r = s.wait(req.send());
  if (r.getErrors().size() > 0) return refused_by_daemon(a, r.getErrors());
  if (a.json) {
    json devices = json::array();
    for (auto d : r.getDevices())
      devices.push_back({{"address", str(d.getAddress())}, {"name", str(d.getName())},
                         {"approved", d.getApproved()}, {"paired", d.getPaired()}});
    std::cout << json{{"devices", devices}, {"errors", json::array()}}.dump() << "\n";
    return Exit::ok;
  }
  std::size_t name_w = 4;
  for (auto d : r.getDevices()) name_w = std::max<std::size_t>(name_w, d.getName().size());
  std::printf("%-17s  %-*s  %-8s  %s\n", "ADDRESS", int(name_w), "NAME", "APPROVED", "PAIRED");
  for (auto d : r.getDevices())
    std::printf("%-17s  %-*s  %-8s  %s\n", d.getAddress().cStr(), int(name_w), d.getName().cStr(),
                d.getApproved() ? "yes" : "no", d.getPaired() ? "yes" : "no");
  return Exit::ok;
}

// devices: list() with what the original did not show (BCMS.gateway.devices).
int devices(Session& s, const Args& a) {
  auto req = s.bcms().gatewayRequest().send().getGateway().devicesRequest();
  req.setOnlyApproved(a.only_approved);
  auto r = s.wait(req.send());
  if (r.getErrors().size() > 0) return refused_by_daemon(a, r.getErrors());
  if (a.json) {
    json out = json::array();
    for (auto d : r.getDevices()) {
      auto i = d.getInfo();
      json v = {{"address", str(i.getAddress())}, {"name", str(i.getName())}, {"approved", i.getApproved()},
                {"paired", i.getPaired()}, {"addressType", str(d.getAddressType())}, {"lastSeen", d.getLastSeen()},
                {"advIntervalMs", d.getAdvIntervalMs()}};
      v["rssi"] = d.getHasRssi() ? json(d.getRssi()) : json(nullptr);
      if (d.getCurrentAddress().size() > 0) v["currentAddress"] = str(d.getCurrentAddress());
      if (d.getRegistrationId().size() > 0) v["registrationId"] = str(d.getRegistrationId());
      out.push_back(std::move(v));
    }
    std::cout << json{{"devices", out}, {"errors", json::array()}}.dump() << "\n";
    return Exit::ok;
  }
  std::size_t name_w = 4;
  for (auto d : r.getDevices()) name_w = std::max<std::size_t>(name_w, d.getInfo().getName().size());
  std::printf("%-17s  %-9s  %-*s  %4s  %-19s  %8s  %-8s  %-6s  %s\n", "ADDRESS", "TYPE", int(name_w), "NAME", "RSSI",
              "LAST SEEN", "INTERVAL", "APPROVED", "PAIRED", "BACKEND ID");
  for (auto d : r.getDevices()) {
    auto i = d.getInfo();
    const std::string rssi = d.getHasRssi() ? std::to_string(d.getRssi()) : "-";
    const std::string interval = d.getAdvIntervalMs() ? std::to_string(d.getAdvIntervalMs()) + " ms" : "-";
    std::string id = d.getRegistrationId().size() > 0 ? str(d.getRegistrationId()) : "-";
    if (d.getCurrentAddress().size() > 0) id += "  (now " + str(d.getCurrentAddress()) + ")";
    std::printf("%-17s  %-9s  %-*s  %4s  %-19s  %8s  %-8s  %-6s  %s\n", i.getAddress().cStr(), d.getAddressType().cStr(),
                int(name_w), i.getName().cStr(), rssi.c_str(), local_time(d.getLastSeen()).c_str(), interval.c_str(),
                i.getApproved() ? "yes" : "no", i.getPaired() ? "yes" : "no", id.c_str());
  }
  return Exit::ok;
}

int is_paired(Session& s, const Args& a) {
  auto req = s.bcms().isPairedRequest();
  req.setAddress(a.address);
  auto r = s.wait(req.send());
  if (a.json) std::cout << json{{"status", r.getStatus()}, {"errors", errors_json(r.getErrors())}}.dump() << "\n";
  if (r.getErrors().size() > 0) return refused_by_daemon(a, r.getErrors());
  if (!a.json) std::cout << a.address << (r.getStatus() ? " is paired" : " is not paired") << "\n";
  return Exit::ok;
}

int mode(Session& s, const Args& a) {
  auto r = s.wait(s.bcms().modeRequest().send());
  if (a.json) std::cout << json{{"mode", mode_name(r.getMode())}}.dump() << "\n";
  else std::cout << mode_name(r.getMode()) << "\n";
  return Exit::ok;
}

int readings(Session& s, const Args& a) {
  auto gw = s.bcms().gatewayRequest().send().getGateway();
  auto req = gw.readingsRequest();
  req.setAddress(a.address);
  req.setLimit(a.limit);
  auto r = s.wait(req.send());
  if (r.getErrors().size() > 0) return refused_by_daemon(a, r.getErrors());
  json out = json::array();
  if (!a.json) std::printf("%-19s  %-16s  %-8s  %s\n", "TIME", "TYPE", "FIELD", "VALUE");
  for (auto x : r.getReadings()) {
    if (a.json) {
      json v = {{"dataType", str(x.getDataType())}, {"field", str(x.getField())}, {"timestamp", x.getTimestamp()}};
      if (x.getText().size() > 0) v["text"] = str(x.getText());
      else v["value"] = x.getValue(), v["unit"] = str(x.getUnit());
      out.push_back(v);
      continue;
    }
    std::string value = x.getText().size() > 0 ? str(x.getText()) : json(x.getValue()).dump() + (x.getUnit().size() ? " " + str(x.getUnit()) : "");
    std::printf("%-19s  %-16s  %-8s  %s\n", local_time(x.getTimestamp()).c_str(), x.getDataType().cStr(),
                x.getField().cStr(), value.c_str());
  }
  if (a.json) std::cout << json{{"address", a.address}, {"readings", out}}.dump() << "\n";
  return Exit::ok;
}

int status(Session& s, const Args& a) {
  auto r = s.wait(s.bcms().gatewayRequest().send().getGateway().statusRequest().send());
  auto st = r.getStatus();
  json j = {{"present", st.getPresent()},       {"index", st.getIndex()},
            {"address", str(st.getAddress())}, {"name", str(st.getName())},
            {"powered", st.getPowered()},       {"discovering", st.getDiscovering()},
            {"mode", mode_name(st.getMode())},  {"devices_tracked", st.getDevicesTracked()},
            {"devices_approved", st.getDevicesApproved()}, {"devices_paired", st.getDevicesPaired()},
            {"submission", str(st.getSubmission())}};
  if (a.json) {
    std::cout << j.dump() << "\n";
    return Exit::ok;
  }
  for (auto& [k, v] : j.items()) std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  return Exit::ok;
}

int diagnostics(Session& s, const Args& a) {
  auto r = s.wait(s.bcms().gatewayRequest().send().getGateway().diagnosticsRequest().send());
  json j = json::object();
  for (auto c : r.getCounters()) j[str(c.getName())] = c.getValue();
  if (a.json) std::cout << j.dump() << "\n";
  else
    for (auto c : r.getCounters()) std::printf("%-28s %llu\n", c.getName().cStr(), (unsigned long long)c.getValue());
  return Exit::ok;
}

// Prints events as they come (JSON lines with --json).
class EventPrinter final : public BCMSEventCallback::Server {
 public:
  explicit EventPrinter(bool json_lines) : json_(json_lines) {}

 protected:
  kj::Promise<void> event(EventContext ctx) override {
    auto e = ctx.getParams().getEvent();
    if (json_)
      std::cout << json{{"kind", str(e.getKind())}, {"address", str(e.getAddress())}, {"text", str(e.getText())},
                        {"timestamp", e.getTimestamp()}}.dump()
                << std::endl;
    else
      std::cout << local_time(e.getTimestamp()) << "  " << e.getKind().cStr()
                << (e.getAddress().size() ? "  " + str(e.getAddress()) : "")
                << (e.getText().size() ? "  " + str(e.getText()) : "") << std::endl;
    return kj::READY_NOW;
  }

 private:
  bool json_;
};

// Until Ctrl-C / SIGTERM (exit 0) or the daemon goes away (exit 4).
int watch(Session& s, const Args& a) {
  auto req = s.bcms().gatewayRequest().send().getGateway().subscribeRequest();
  req.setCallback(kj::heap<EventPrinter>(a.json));
  auto subscribed = s.wait(req.send());
  auto subscription = subscribed.getSubscription();  // held until we leave
  if (!a.json) std::cerr << "watching events (Ctrl-C to stop)\n";
  auto stop = kj::newPromiseAndFulfiller<void>();
  asio::signal_set signals(s.port().io(), SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (!ec) stop.fulfiller->fulfill();
  });
  bool lost = false;
  auto ended = s.disconnected().then([&] { lost = true; });
  try {
    stop.promise.exclusiveJoin(kj::mv(ended)).wait(s.port().wait_scope());
  } catch (const kj::Exception&) {
    lost = true;
  }
  if (lost) {
    std::cerr << "bcms: watch: the daemon closed the connection\n";
    return Exit::lost;
  }
  return Exit::ok;
}

template <class Request>
auto with_address(Request req, const std::string& address) {
  req.setAddress(address);
  return req;
}

}  // namespace

bool needs_address(const std::string& c) {
  return c == "approve" || c == "remove" || c == "pair" || c == "unpair" || c == "is_paired" || c == "readings";
}

int run_command(Session& s, const Args& a) {
  auto& b = s.bcms();
  const auto& c = a.command;
  if (c == "list") return list(s, a);
  if (c == "devices") return devices(s, a);
  if (c == "approve") return print_status(a, s.wait(with_address(b.approveRequest(), a.address).send()), "approved " + a.address);
  if (c == "remove") return print_status(a, s.wait(with_address(b.removeRequest(), a.address).send()), "removed " + a.address);
  if (c == "pair") return print_status(a, s.wait(with_address(b.pairRequest(), a.address).send()), "paired " + a.address);
  if (c == "unpair") return print_status(a, s.wait(with_address(b.unpairRequest(), a.address).send()), "unpaired " + a.address);
  if (c == "is_paired") return is_paired(s, a);
  if (c == "mode") return mode(s, a);
  if (c == "set_mode") {
    auto req = b.setModeRequest();
    req.setMode(a.mode == "any" ? BCMSWorkingMode::ANY : BCMSWorkingMode::APPROVED);
    return print_status(a, s.wait(req.send()), "mode " + a.mode);
  }
  if (c == "readings") return readings(s, a);
  if (c == "status") return status(s, a);
  if (c == "diagnostics") return diagnostics(s, a);
  if (c == "watch") return watch(s, a);
  std::cerr << "bcms: unknown command '" << c << "'\n";
  return Exit::usage;
}

}  // namespace bcms::cli
