// bcms-mgmt: con, disconnect, conn-info, pair, cancelpair, unpair, agent.
#include <asio/signal_set.hpp>
#include <iostream>

#include "cli/mgmt/agent.hpp"
#include "cli/mgmt/common.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

struct PeerOpts {
  std::string address;
  std::string type = "le_public";
  std::string cap = "NoInputNoOutput";
  bool disconnect = false;
};

// address + -t/--type, shared by every peer command.
void add_peer(CLI::App* sub, PeerOpts& o) {
  sub->add_option("address", o.address, "Peer address XX:XX:XX:XX:XX:XX")->required()->check(kAddressValidator);
  sub->add_option("-t,--type", o.type, "Address type: public (LE, default), random (LE), bredr");
}

// Sends `c` (a command on one peer) and prints "hci0 <what> ADDR (TYPE)
// complete" from its reply.
template <class Cmd>
int run_on_peer(Ctx& ctx, std::string_view what, const Cmd& c) {
  auto r = run(ctx, c);
  if (ctx.json_output)
    ctx.emit(json{{"index", ctx.index}, {"command", what}, {"address", r->address.to_string()},
                  {"address_type", to_string(r->address_type)}});
  else
    std::cout << hci(ctx.idx()) << " " << what << " " << r->address.to_string() << " ("
              << addr_type_text(r->address_type) << ") complete\n";
  return kOk;
}

// A command on one peer: address, -t/--type and the options `extra` adds;
// `act` runs with the parsed address and type.
using PeerAction = int (*)(Ctx& ctx, const PeerOpts& o, const Address& a, AddressType t);
Command peer_command(Ctx& ctx, std::string name, std::string help, PeerAction act,
                     void (*extra)(CLI::App* sub, PeerOpts& o) = nullptr) {
  return {std::move(name), std::move(help), [&ctx, act, extra](CLI::App* sub) {
            auto o = std::make_shared<PeerOpts>();
            add_peer(sub, *o);
            if (extra) extra(sub, *o);
            sub->callback([&ctx, o, act] {
              ctx.action = [&ctx, o, act] { return act(ctx, *o, must_address(o->address), must_address_type(ctx, o->type)); };
            });
          }};
}

int connections(Ctx& ctx) {
  auto r = run(ctx, GetConnections{});
  if (ctx.json_output) {
    json list = json::array();
    for (auto& c : r->connections) list.push_back({{"address", c.address.to_string()}, {"address_type", to_string(c.address_type)}});
    ctx.emit(json{{"index", ctx.index}, {"connections", list}});
    return kOk;
  }
  for (auto& c : r->connections) std::cout << c.address.to_string() << " type " << addr_type_text(c.address_type) << "\n";
  if (r->connections.empty()) std::cout << "No connections\n";
  return kOk;
}

int pair(Ctx& ctx, const PeerOpts& o, const Address& addr, AddressType type) {
  auto cap = parse_io_cap(o.cap);
  if (!cap) return ctx.usage("invalid IO capability '" + o.cap + "'");
  Agent agent(ctx, *cap, false);  // answers the kernel's questions while Pair Device runs
  PairDevice cmd;
  cmd.address = addr;
  cmd.address_type = type;
  cmd.io_capability = *cap;
  bytes params;
  (void)encode(cmd, params);
  if (!ctx.json_output) std::cout << "Pairing with " << addr.to_string() << " (" << addr_type_text(type) << ")\n" << std::flush;
  auto [ec, reply] = ctx.mgmt().send_raw(static_cast<std::uint16_t>(Opcode::PairDevice), ctx.idx(), params,
                                         ctx.timeout(std::chrono::seconds(60)));
  ctx.mgmt().run_for(std::chrono::milliseconds(300));  // keys distributed just before the reply
  if (ec) return ctx.failed("Pair Device", ec);
  if (ctx.json_output)
    ctx.emit(json{{"index", ctx.index}, {"paired", addr.to_string()}, {"address_type", to_string(type)}, {"keys", agent.keys_seen()}});
  else
    std::cout << "Paired with " << addr.to_string() << " (" << addr_type_text(type) << ")\n";
  return kOk;
}

int agent(Ctx& ctx, const std::string& capability) {
  auto cap = parse_io_cap(capability);
  if (!cap) return ctx.usage("invalid IO capability '" + capability + "'");
  auto& m = ctx.mgmt();
  // Set IO Capability on every controller the agent serves.
  std::vector<std::uint16_t> indexes;
  if (ctx.index_given) indexes.push_back(ctx.idx());
  else indexes = run(ctx, ReadControllerIndexList{}, std::chrono::seconds(5), kNonController)->controllers;
  for (auto i : indexes) {
    SetIoCapability c;
    c.io_capability = *cap;
    run(ctx, c, std::chrono::seconds(5), i);
  }
  Agent a(ctx, *cap, !ctx.index_given);
  if (ctx.json_output) {  // the readiness line scripts wait for, as in text mode
    ctx.emit(json{{"event", "Agent Running"}, {"index", ctx.index_given ? json(ctx.index) : json(nullptr)},
                  {"io_capability", io_cap_name(*cap)}});
  } else {
    std::cout << "Agent running with capability " << io_cap_name(*cap) << " on "
              << (ctx.index_given ? hci(ctx.idx()) : std::string("all controllers")) << "; Ctrl-C to stop\n"
              << std::flush;
  }
  asio::signal_set signals(m.context(), SIGINT, SIGTERM);
  bool stop = false;
  signals.async_wait([&](std::error_code e, int) { stop = !e; });
  while (!stop) {
    m.context().restart();
    m.context().run_one();
  }
  return kOk;
}

int conn_info(Ctx& ctx, const PeerOpts&, const Address& a, AddressType t) {
  auto r = run(ctx, GetConnectionInformation{a, t});
  if (ctx.json_output) {
    ctx.emit(json{{"index", ctx.index}, {"address", r->address.to_string()}, {"rssi", r->rssi},
                  {"tx_power", r->tx_power}, {"max_tx_power", r->max_tx_power}});
  } else {
    std::cout << "Connection Information for " << r->address.to_string() << " (" << addr_type_text(r->address_type)
              << ")\n\tRSSI " << int(r->rssi) << "\tTX power " << int(r->tx_power) << "\tmaximum TX power "
              << int(r->max_tx_power) << "\n";
  }
  return kOk;
}

}  // namespace

void add_connection_commands(Commands& cmds, Ctx& ctx) {
  cmds.push_back(simple_command("con", "List connections", ctx, connections));
  cmds.push_back(peer_command(ctx, "disconnect", "Disconnect a device",
                              [](Ctx& c, const PeerOpts&, const Address& a, AddressType t) {
                                return run_on_peer(c, "Disconnect", Disconnect{a, t});
                              }));
  cmds.push_back(peer_command(ctx, "conn-info", "RSSI and TX power of a connection", conn_info));
  cmds.push_back(peer_command(ctx, "pair", "Pair with a device, answering confirmation/passkey requests", pair,
                              [](CLI::App* sub, PeerOpts& o) {
                                sub->add_option("-c,--capability", o.cap,
                                                "IO capability for this pairing (default NoInputNoOutput: Just Works)");
                              }));
  cmds.push_back(peer_command(ctx, "cancelpair", "Cancel an ongoing pairing",
                              [](Ctx& c, const PeerOpts&, const Address& a, AddressType t) {
                                return run_on_peer(c, "Cancel Pair Device", CancelPairDevice{a, t});
                              }));
  cmds.push_back(peer_command(ctx, "unpair", "Remove the keys of a paired device",
                              [](Ctx& c, const PeerOpts& o, const Address& a, AddressType t) {
                                return run_on_peer(c, "Unpair Device",
                                                   UnpairDevice{a, t, static_cast<std::uint8_t>(o.disconnect ? 1 : 0)});
                              },
                              [](CLI::App* sub, PeerOpts& o) { sub->add_flag("-D,--disconnect", o.disconnect, "Also disconnect"); }));
  cmds.push_back({"agent", "Answer pairing requests until interrupted (all controllers unless --index)", [&ctx](CLI::App* ag) {
    auto cap = std::make_shared<std::string>("NoInputNoOutput");
    ag->add_option("-c,--capability", *cap, "IO capability (default NoInputNoOutput: accept Just Works)");
    ag->callback([&ctx, cap] { ctx.action = [&ctx, cap] { return agent(ctx, *cap); }; });
  }});
}

}  // namespace bcms::cli
