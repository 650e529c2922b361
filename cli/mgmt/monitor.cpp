// bcms-mgmt: monitor (every mgmt event, decoded, until interrupted) and
// send (any command of the spec, from key=value arguments).
#include <asio/signal_set.hpp>
#include <iostream>

#include "cli/mgmt/common.hpp"
#include "protocol/mgmt/generic.hpp"
#include "protocol/mgmt_tables/table.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

json fields_json(const std::vector<NamedValue>& fields) {
  json j = json::object();
  for (auto& f : fields) j[f.name] = f.value;
  return j;
}

// One event: header line, then its fields; Device Found / Extended
// Controller Information also get their EIR/AD data decoded.
void print_event(Ctx& ctx, std::uint16_t code, std::uint16_t index, byte_span params) {
  const EventInfo* info = find_event(code);
  std::string name = info ? std::string(info->name) : "Unknown event " + hex16(code);
  auto fields = info ? decode_fields(info->params, params) : expected<std::vector<NamedValue>>(std::vector<NamedValue>{});
  std::optional<DeviceFoundEvent> df;
  if (code == static_cast<std::uint16_t>(EventCode::DeviceFound)) {
    if (auto d = DeviceFoundEvent::decode(params)) df = *d;
  }
  if (ctx.json_output) {
    json j{{"index", index}, {"event", name}, {"code", code}};
    if (fields) j["params"] = fields_json(*fields);
    else j["error"] = fields.error().message(), j["raw"] = hex_bytes(params);
    if (df) j["ad"] = ad_json(df->eir_data);
    ctx.emit(j);
    return;
  }
  std::cout << "@ " << (index == kNonController ? std::string("non-controller") : hci(index)) << " " << name << " ("
            << hex16(code) << ") plen " << params.size() << "\n";
  if (!fields) {
    std::cout << "\tmalformed: " << fields.error().message() << ": " << hex_bytes(params) << "\n";
    return;
  }
  for (auto& f : *fields) std::cout << "\t" << f.name << " " << f.value << "\n";
  if (code == static_cast<std::uint16_t>(EventCode::NewSettings) && params.size() == 4) {
    std::uint32_t s = params[0] | params[1] << 8 | params[2] << 16 | static_cast<std::uint32_t>(params[3]) << 24;
    std::cout << "\tsettings: " << settings_string(s) << "\n";
  }
  if (df) print_ad(df->eir_data, "\t");
  std::cout.flush();
}

int monitor(Ctx& ctx) {
  auto& m = ctx.mgmt();
  std::vector<Subscription> subs;
  const std::uint32_t idx = ctx.index_given ? ctx.idx() : kAnyIndex;
  for (const auto& ev : events()) {
    if (ev.code == EventCode::CommandComplete || ev.code == EventCode::CommandStatus) continue;  // replies: consumed by the channel
    const auto code = static_cast<std::uint16_t>(ev.code);
    subs.push_back(m.channel().subscribe(code, idx, [&ctx, code](std::uint16_t i, byte_span p) { print_event(ctx, code, i, p); }));
  }
  if (!ctx.json_output) std::cout << "Monitoring mgmt events on " << (ctx.index_given ? hci(ctx.idx()) : "all controllers") << "; Ctrl-C to stop\n" << std::flush;
  asio::signal_set signals(m.context(), SIGINT, SIGTERM);
  bool stop = false;
  signals.async_wait([&](std::error_code e, int) { stop = !e; });
  const auto deadline = ctx.timeout_s > 0 ? std::chrono::steady_clock::now() + ctx.timeout(std::chrono::seconds(0))
                                          : std::chrono::steady_clock::time_point::max();
  while (!stop && std::chrono::steady_clock::now() < deadline) {
    m.context().restart();
    m.context().run_one_for(std::chrono::milliseconds(200));
  }
  return kOk;
}

struct SendOpts {
  std::string command;
  std::vector<std::string> args;
};

int send(Ctx& ctx, const SendOpts& o) {
  const CommandInfo* cmd = find_command(o.command);
  if (!cmd) {
    char* end = nullptr;
    unsigned long op = std::strtoul(o.command.c_str(), &end, 0);
    if (!*end && op <= 0xFFFF) cmd = find_command(static_cast<std::uint16_t>(op));
  }
  if (!cmd) return ctx.usage("unknown command '" + o.command + "' (a spec name like \"Set Powered\", set-powered, or an opcode)");
  auto params = encode_fields(cmd->params, o.args);
  if (!params) {
    std::string keys;
    for (auto& f : cmd->params) keys += " " + std::string(f.key);
    return ctx.usage("cannot encode " + std::string(cmd->name) + " parameters: " + params.error().message() +
                     " (fields:" + (keys.empty() ? " none" : keys) + ")");
  }
  const std::uint16_t index = cmd->index == IndexKind::non_controller ? kNonController : ctx.idx();
  auto [ec, reply] = ctx.mgmt().send_raw(static_cast<std::uint16_t>(cmd->opcode), index, *params, ctx.timeout());
  auto fields = decode_fields(cmd->reply, reply);
  if (ctx.json_output) {
    json j{{"index", index}, {"command", cmd->name}, {"opcode", static_cast<std::uint16_t>(cmd->opcode)},
           {"status", ec ? ec.message() : "Success (0x00)"}};
    if (!reply.empty()) {
      if (fields) j["reply"] = fields_json(*fields);
      else j["raw"] = hex_bytes(reply);
    }
    ctx.emit(j);
  } else {
    std::cout << cmd->name << " (" << hex16(static_cast<std::uint16_t>(cmd->opcode)) << "): "
              << (ec ? ec.message() : "Success (0x00)") << "\n";
    if (fields)
      for (auto& f : *fields) std::cout << "\t" << f.name << " " << f.value << "\n";
    else if (!reply.empty())
      std::cout << "\treply (" << fields.error().message() << "): " << hex_bytes(reply) << "\n";
  }
  if (ec) return exit_code_for(ec);
  return kOk;
}

}  // namespace

void add_monitor_commands(Commands& cmds, Ctx& ctx) {
  cmds.push_back(simple_command("monitor", "Print every mgmt event, decoded, until interrupted (or --timeout)", ctx, monitor));
}

void add_send_command(Commands& cmds, Ctx& ctx) {
  cmds.push_back({"send", "Send any mgmt command: send COMMAND key=value ... (e.g. send set-powered powered=1)", [&ctx](CLI::App* sub) {
    auto o = std::make_shared<SendOpts>();
    sub->add_option("command", o->command, "Command name as in mgmt-api.txt (\"Set Powered\", set-powered) or opcode")->required();
    sub->add_option("fields", o->args, "key=value parameters; list them with a wrong key");
    sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return send(ctx, *o); }; });
  }});
}

}  // namespace bcms::cli
