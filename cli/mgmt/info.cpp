// bcms-mgmt: version, revision, commands, info, extinfo, config, advinfo, advsize.
#include <iostream>

#include "cli/mgmt/common.hpp"
#include "protocol/hex.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

std::vector<std::uint16_t> controller_indexes(Ctx& ctx) {
  if (ctx.index_given) return {ctx.idx()};
  return run(ctx, ReadControllerIndexList{}, std::chrono::seconds(5), kNonController)->controllers;
}

int version(Ctx& ctx) {
  auto v = run(ctx, ReadManagementVersionInformation{}, std::chrono::seconds(5), kNonController);
  if (ctx.json_output) {
    ctx.emit(json{{"version", v->version}, {"revision", v->revision}});
  } else {
    std::cout << "MGMT Version " << int(v->version) << ", revision " << v->revision << "\n";
  }
  return kOk;
}

int commands(Ctx& ctx) {
  auto c = run(ctx, ReadManagementSupportedCommands{}, std::chrono::seconds(5), kNonController);
  if (ctx.json_output) {
    json cmds = json::array(), evs = json::array();
    for (auto op : c->commands) cmds.push_back({{"opcode", op}, {"name", opcode_name(op)}});
    for (auto ev : c->events) evs.push_back({{"code", ev}, {"name", event_name(ev)}});
    ctx.emit(json{{"commands", cmds}, {"events", evs}});
    return kOk;
  }
  std::cout << c->commands.size() << " commands:\n";
  for (auto op : c->commands) {
    auto n = opcode_name(op);
    std::cout << "\t" << (n.empty() ? "unknown" : n) << " (" << hex16(op) << ")\n";
  }
  std::cout << c->events.size() << " events:\n";
  for (auto ev : c->events) {
    auto n = event_name(ev);
    std::cout << "\t" << (n.empty() ? "unknown" : n) << " (" << hex16(ev) << ")\n";
  }
  return kOk;
}

json info_json(std::uint16_t index, const ReadControllerInformationReply& r) {
  return json{{"index", index},
              {"address", r.address.to_string()},
              {"bluetooth_version", r.bluetooth_version},
              {"manufacturer", r.manufacturer},
              {"class", hex_bytes(r.class_of_device)},
              {"supported_settings", settings_string(r.supported_settings)},
              {"current_settings", settings_string(r.current_settings)},
              {"name", r.name},
              {"short_name", r.short_name}};
}

int info(Ctx& ctx) {
  auto indexes = controller_indexes(ctx);
  if (!ctx.json_output && !ctx.index_given) std::cout << "Index list with " << indexes.size() << " items\n";
  json all = json::array();
  for (auto i : indexes) {
    auto r = run(ctx, ReadControllerInformation{}, std::chrono::seconds(5), i);
    if (ctx.json_output) {
      all.push_back(info_json(i, *r));
      continue;
    }
    const std::string cls = hex_int(static_cast<std::uint32_t>(r->class_of_device[2]) << 16 |
                                        static_cast<std::uint32_t>(r->class_of_device[1]) << 8 | r->class_of_device[0],
                                    3);
    std::cout << hci(i) << ":\tPrimary controller\n"
              << "\taddr " << r->address.to_string() << " version " << int(r->bluetooth_version) << " manufacturer "
              << r->manufacturer << " class " << cls << "\n"
              << "\tsupported settings: " << settings_string(r->supported_settings) << "\n"
              << "\tcurrent settings: " << settings_string(r->current_settings) << "\n"
              << "\tname " << r->name << "\n"
              << "\tshort name " << r->short_name << "\n";
  }
  if (ctx.json_output) ctx.emit(ctx.index_given ? all.at(0) : json{{"controllers", all}});
  return kOk;
}

int extinfo(Ctx& ctx) {
  auto indexes = controller_indexes(ctx);
  json all = json::array();
  for (auto i : indexes) {
    auto r = run(ctx, ReadExtendedControllerInformation{}, std::chrono::seconds(5), i);
    if (ctx.json_output) {
      all.push_back(json{{"index", i},
                         {"address", r->address.to_string()},
                         {"bluetooth_version", r->bluetooth_version},
                         {"manufacturer", r->manufacturer},
                         {"supported_settings", settings_string(r->supported_settings)},
                         {"current_settings", settings_string(r->current_settings)},
                         {"eir", ad_json(r->eir_data)}});
      continue;
    }
    std::cout << hci(i) << ":\tPrimary controller\n"
              << "\taddr " << r->address.to_string() << " version " << int(r->bluetooth_version) << " manufacturer "
              << r->manufacturer << "\n"
              << "\tsupported settings: " << settings_string(r->supported_settings) << "\n"
              << "\tcurrent settings: " << settings_string(r->current_settings) << "\n";
    print_ad(r->eir_data, "\t");
  }
  if (ctx.json_output) ctx.emit(ctx.index_given ? all.at(0) : json{{"controllers", all}});
  return kOk;
}

int config(Ctx& ctx) {
  auto r = run(ctx, ReadControllerConfigurationInformation{});
  auto opts = [](std::uint32_t o) {
    std::string s;
    if (o & 1) s += "external ";
    if (o & 2) s += "public-address ";
    return s;
  };
  if (ctx.json_output) {
    ctx.emit(json{{"index", ctx.index},
                  {"manufacturer", r->manufacturer},
                  {"supported_options", r->supported_options},
                  {"missing_options", r->missing_options}});
  } else {
    std::cout << hci(ctx.idx()) << ":\tmanufacturer " << r->manufacturer << "\n"
              << "\tsupported options: " << opts(r->supported_options) << "\n"
              << "\tmissing options: " << opts(r->missing_options) << "\n";
  }
  return kOk;
}

// Advertising flags (mgmt-api.txt "Add Advertising Command" and "Add
// Extended Advertising Parameters Command"), with btmgmt's words for bits
// 0-9, then "unknown" for bits the spec does not name and the hex value.
std::string adv_flags_string(std::uint32_t flags) {
  std::uint32_t known = 0;
  for (const auto& n : adv_flag_names()) known |= 1u << n.value;
  std::string s = bit_words(adv_flag_names(), flags);
  if (flags & ~known) s += "unknown ";
  return s + "(" + hex32(flags) + ")";
}

int advinfo(Ctx& ctx) {
  auto r = run(ctx, ReadAdvertisingFeatures{});
  if (ctx.json_output) {
    ctx.emit(json{{"index", ctx.index},
                  {"supported_flags", r->supported_flags},
                  {"max_adv_data_len", r->max_adv_data_len},
                  {"max_scan_rsp_len", r->max_scan_rsp_len},
                  {"max_instances", r->max_instances},
                  {"instances", r->instances}});
    return kOk;
  }
  // btmgmt's layout (its names for the same fields).
  std::cout << "Supported flags: " << adv_flags_string(r->supported_flags) << "\n"
            << "Max advertising data len: " << int(r->max_adv_data_len) << "\n"
            << "Max scan response data len: " << int(r->max_scan_rsp_len) << "\n"
            << "Max instances: " << int(r->max_instances) << "\n"
            << "Instances list with " << r->instances.size() << (r->instances.size() == 1 ? " item" : " items") << "\n";
  for (auto i : r->instances) std::cout << "\t" << int(i) << "\n";
  return kOk;
}

}  // namespace

void add_info_commands(Commands& cmds, Ctx& ctx) {
  cmds.push_back(simple_command("version", "Read the management protocol version", ctx, version));
  cmds.push_back(simple_command("revision", "Read the management protocol version and revision", ctx, version));
  cmds.push_back(simple_command("commands", "List the commands and events the kernel supports", ctx, commands));
  cmds.push_back(simple_command("info", "Controller information (all controllers unless --index)", ctx, info));
  cmds.push_back(simple_command("extinfo", "Extended controller information, with EIR decoded", ctx, extinfo));
  cmds.push_back(simple_command("config", "Controller configuration information", ctx, config));
  cmds.push_back(simple_command("advinfo", "Advertising features and active instances", ctx, advinfo));
  cmds.push_back({"advsize", "Space left for advertising data with the given flags", [&ctx](CLI::App* advsize) {
    struct AdvSizeOpts {
      int instance = 1;
      bool conn = false, disc = false, lim = false, managed = false, tx = false, appear = false, name = false;
    };
    auto o = std::make_shared<AdvSizeOpts>();
    advsize->add_option("instance", o->instance, "Advertising instance (1-255)")->check(CLI::Range(1, 255));
    advsize->add_flag("-c,--connectable", o->conn, "Connectable");
    advsize->add_flag("-g,--general-discov", o->disc, "General discoverable flag");
    advsize->add_flag("-l,--limited-discov", o->lim, "Limited discoverable flag");
    advsize->add_flag("-m,--managed-flags", o->managed, "Kernel-managed flags");
    advsize->add_flag("-p,--tx-power", o->tx, "Kernel-managed TX power");
    advsize->add_flag("-a,--appearance", o->appear, "Kernel-managed appearance");
    advsize->add_flag("-n,--local-name", o->name, "Kernel-managed local name");
    advsize->callback([&ctx, o] {
      ctx.action = [&ctx, o] {
        GetAdvertisingSizeInformation q;
        q.instance = static_cast<std::uint8_t>(o->instance);
        // Flags bits of mgmt-api.txt "Add Advertising Command".
        q.flags = (o->conn ? 1u : 0) | (o->disc ? 2u : 0) | (o->lim ? 4u : 0) | (o->managed ? 8u : 0) |
                  (o->tx ? 16u : 0) | (o->appear ? 32u : 0) | (o->name ? 64u : 0);
        auto r = run(ctx, q);
        if (ctx.json_output) {
          ctx.emit(json{{"index", ctx.index}, {"instance", r->instance}, {"flags", r->flags},
                        {"max_adv_data_len", r->max_adv_data_len}, {"max_scan_rsp_len", r->max_scan_rsp_len}});
        } else {
          std::cout << "Instance: " << int(r->instance) << "\nFlags: " << adv_flags_string(r->flags)
                    << "\nMax advertising data len: " << int(r->max_adv_data_len)
                    << "\nMax scan response data len: " << int(r->max_scan_rsp_len) << "\n";
        }
        return kOk;
      };
    });
  }});
}

}  // namespace bcms::cli
