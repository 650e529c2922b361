// bcms-mgmt: add-adv, rm-adv, clr-adv.
//
// add-adv takes btmgmt's options (-u -d -s -t -D -c -g -l -m -p -a -n) plus
// typed fields (--name, --appearance, --manufacturer, --service-data,
// --tx-power).  Typed fields are laid out by ad::AdBuilder into the space
// the kernel reports for this instance and flags (Get Advertising Size
// Information), moving what does not fit into the scan response; data that
// fits in neither is refused with the field named, before anything is sent.
#include <iostream>

#include "cli/mgmt/common.hpp"
#include "protocol/ad/builder.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/att/uuid.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

struct AdvOpts {
  int instance = 1;
  std::vector<std::string> uuids, manufacturer, service_data;
  std::string adv_hex, scan_hex, name;
  int timeout = 0, duration = 0, appearance = -1, tx_power = 128;
  bool connectable = false, general = false, limited = false, managed = false, kernel_tx = false,
       kernel_appearance = false, kernel_name = false;
};

// "ID:HEX" with ID a number (company id or 16-bit UUID) or a 128-bit UUID
// (neither contains ':'; HEX may: "0x05f1:01:02").
bool split_pair(const std::string& s, std::string& key, bytes& data) {
  auto pos = s.find(':');
  if (pos == std::string::npos) return false;
  key = s.substr(0, pos);
  auto d = parse_hex(s.substr(pos + 1));
  if (!d) return false;
  data = *d;
  return true;
}

int add_adv(Ctx& ctx, const AdvOpts& o) {
  AddAdvertising cmd;
  cmd.instance = static_cast<std::uint8_t>(o.instance);
  // Flags bits: mgmt-api.txt "Add Advertising Command".
  namespace f = mgmt::adv_flag;  // Add Advertising Flags, generated from mgmt-api.txt
  cmd.flags = (o.connectable ? f::connectable : 0) | (o.general ? f::general_discoverable : 0) |
              (o.limited ? f::limited_discoverable : 0) | (o.managed ? f::managed_flags : 0) |
              (o.kernel_tx ? f::tx_power : 0) | (o.kernel_appearance ? f::scan_rsp_appearance : 0) |
              (o.kernel_name ? f::scan_rsp_local_name : 0);
  cmd.timeout = static_cast<std::uint16_t>(o.timeout);
  cmd.duration = static_cast<std::uint16_t>(o.duration);

  GetAdvertisingSizeInformation q;
  q.instance = cmd.instance;
  q.flags = cmd.flags;
  auto room = run(ctx, q);

  bytes adv, scan;
  if (!o.adv_hex.empty()) adv = must_hex(ctx, "-d: advertising data must be hex octets", o.adv_hex);
  if (!o.scan_hex.empty()) scan = must_hex(ctx, "-s: scan response data must be hex octets", o.scan_hex);
  ad::AdBuilder b;
  bool typed = false;
  for (auto& u : o.uuids) {
    auto uuid = att::Uuid::parse(u);
    if (!uuid) return ctx.usage("invalid UUID '" + u + "'");
    if (uuid->is16()) b.uuid16(uuid->as16());
    else b.uuid128(uuid->le());
    typed = true;
  }
  if (!o.name.empty()) b.name(o.name), typed = true;
  if (o.appearance >= 0) b.appearance(static_cast<std::uint16_t>(o.appearance)), typed = true;
  if (o.tx_power != 128) b.tx_power(static_cast<std::int8_t>(o.tx_power)), typed = true;
  for (auto& m : o.manufacturer) {
    std::string key;
    bytes data;
    char* end = nullptr;
    if (!split_pair(m, key, data)) return ctx.usage("--manufacturer takes COMPANY:HEX, e.g. 0x05f1:0102");
    unsigned long id = std::strtoul(key.c_str(), &end, 0);
    if (*end || id > 0xFFFF) return ctx.usage("--manufacturer: company id must be 0-0xffff");
    b.manufacturer(static_cast<std::uint16_t>(id), data);
    typed = true;
  }
  for (auto& s : o.service_data) {
    std::string key;
    bytes data;
    if (!split_pair(s, key, data)) return ctx.usage("--service-data takes UUID:HEX, e.g. 0x180f:64");
    auto uuid = att::Uuid::parse(key);
    if (!uuid) return ctx.usage("--service-data: invalid UUID '" + key + "'");
    if (uuid->is16()) b.service_data(uuid->as16(), data);
    else b.service_data(uuid->le(), data);
    typed = true;
  }
  if (typed) {
    if (adv.size() > room->max_adv_data_len || scan.size() > room->max_scan_rsp_len)
      return ctx.usage("raw data (-d/-s) already exceeds the controller's space");
    auto split = b.split(room->max_adv_data_len - adv.size(), room->max_scan_rsp_len - scan.size());
    if (!split) {
      return ctx.usage("advertising data does not fit (" + std::to_string(room->max_adv_data_len) + " + " +
                       std::to_string(room->max_scan_rsp_len) + " octets available): " + split.error().message());
    }
    adv.insert(adv.end(), split->adv.begin(), split->adv.end());
    scan.insert(scan.end(), split->scan_rsp.begin(), split->scan_rsp.end());
  }
  if (adv.size() > room->max_adv_data_len)
    return ctx.usage("advertising data is " + std::to_string(adv.size()) + " octets; the controller has room for " +
                     std::to_string(room->max_adv_data_len));
  if (scan.size() > room->max_scan_rsp_len)
    return ctx.usage("scan response data is " + std::to_string(scan.size()) + " octets; the controller has room for " +
                     std::to_string(room->max_scan_rsp_len));
  cmd.adv_data = DataView(adv);
  cmd.scan_rsp = DataView(scan);
  auto r = run(ctx, cmd);
  if (ctx.json_output) {
    ctx.emit(json{{"index", ctx.index}, {"instance", r->instance}, {"adv_data", hex_bytes(adv)},
                  {"scan_rsp", hex_bytes(scan)}});
  } else {
    std::cout << "Instance added: " << int(r->instance) << "\n";
    if (!adv.empty()) std::cout << "\tadvertising data " << hex_bytes(adv) << "\n";
    print_ad(adv, "\t\t");
    if (!scan.empty()) std::cout << "\tscan response " << hex_bytes(scan) << "\n";
    print_ad(scan, "\t\t");
  }
  return kOk;
}

int remove_adv(Ctx& ctx, int instance) {
  RemoveAdvertising c;
  c.instance = static_cast<std::uint8_t>(instance);
  auto r = run(ctx, c);
  if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"removed_instance", instance}});
  else if (instance) std::cout << "Instance removed: " << int(r->instance) << "\n";
  else std::cout << "All instances removed\n";
  return kOk;
}

}  // namespace

void add_adv_commands(Commands& cmds, Ctx& ctx) {
  cmds.push_back({"add-adv", "Add an advertising instance <instance>", [&ctx](CLI::App* add) {
    auto o = std::make_shared<AdvOpts>();
    add->add_option("instance", o->instance, "Instance 1-255")->required()->check(CLI::Range(1, 255));
    add->add_option("-u,--uuid", o->uuids, "Service UUID to list (repeatable)");
    add->add_option("-d,--adv-data", o->adv_hex, "Raw advertising data (hex)");
    add->add_option("-s,--scan-rsp", o->scan_hex, "Raw scan response data (hex)");
    add->add_option("-t,--timeout", o->timeout, "Instance timeout in seconds (0 = none)")->check(CLI::Range(0, 0xFFFF));
    add->add_option("-D,--duration", o->duration, "Duration in seconds when rotating instances")->check(CLI::Range(0, 0xFFFF));
    add->add_flag("-c,--connectable", o->connectable, "Connectable advertising");
    add->add_flag("-g,--general-discov", o->general, "General discoverable flag");
    add->add_flag("-l,--limited-discov", o->limited, "Limited discoverable flag");
    add->add_flag("-m,--managed-flags", o->managed, "Kernel-managed flags");
    add->add_flag("-p,--tx-power-managed", o->kernel_tx, "Kernel-managed TX power");
    add->add_flag("-a,--appearance-managed", o->kernel_appearance, "Kernel-managed appearance");
    add->add_flag("-n,--name-managed", o->kernel_name, "Kernel-managed local name");
    add->add_option("--name", o->name, "Local name (shortened when it does not fit)");
    add->add_option("--appearance", o->appearance, "Appearance value")->check(CLI::Range(0, 0xFFFF));
    add->add_option("--tx-power", o->tx_power, "TX power level in dBm")->check(CLI::Range(-127, 127));
    add->add_option("--manufacturer", o->manufacturer, "COMPANY:HEX manufacturer data (repeatable)");
    add->add_option("--service-data", o->service_data, "UUID:HEX service data (repeatable)");
    add->callback([&ctx, o] { ctx.action = [&ctx, o] { return add_adv(ctx, *o); }; });
  }});

  cmds.push_back({"rm-adv", "Remove advertising instance <instance>", [&ctx](CLI::App* rm) {
    auto inst = std::make_shared<int>(0);
    rm->add_option("instance", *inst, "Instance 1-255")->required()->check(CLI::Range(1, 255));
    rm->callback([&ctx, inst] { ctx.action = [&ctx, inst] { return remove_adv(ctx, *inst); }; });
  }});
  cmds.push_back(simple_command("clr-adv", "Remove every advertising instance", ctx,
                                [](Ctx& c) { return remove_adv(c, 0); }));
}

}  // namespace bcms::cli
