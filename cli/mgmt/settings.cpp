// bcms-mgmt: controller settings (power, discov, connectable, fast-conn,
// bondable, le, bredr, advertising, linksec, ssp, sc, debug-keys, privacy,
// name, appearance, static-addr, io-cap, phy).
#include <iostream>
#include <memory>

#include "cli/mgmt/common.hpp"
#include "protocol/codec_error.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

struct Arg {
  std::string value;
};

// A command with one mode octet answered with Current_Settings.
// `modes` maps the words accepted besides on/off (e.g. "limited" -> 2).
template <class Cmd, class Field>
void add_toggle(Commands& cmds, Ctx& ctx, const char* name, const char* help, Field Cmd::*field,
                std::vector<std::pair<std::string, std::uint8_t>> modes = {}) {
  std::string words = "on|off";
  for (auto& [w, v] : modes) words += "|" + w;
  cmds.push_back({name, std::string(help) + " (" + words + ")", [&ctx, field, modes, words](CLI::App* sub) {
    auto a = std::make_shared<Arg>();
    sub->add_option("mode", a->value, words)->required();
    sub->callback([&ctx, a, field, modes, words] {
      ctx.action = [&ctx, a, field, modes, words] {
        std::optional<std::uint8_t> mode;
        for (auto& [w, v] : modes)
          if (a->value == w) mode = v;
        if (!mode) {
          auto b = parse_on_off(a->value);
          if (!b) return ctx.usage("invalid mode '" + a->value + "' (expected " + words + ")");
          mode = *b ? 1 : 0;
        }
        Cmd cmd{};
        cmd.*field = *mode;
        auto r = run(ctx, cmd);
        return print_settings(ctx, opcode_name(static_cast<std::uint16_t>(Cmd::opcode)), r->current_settings);
      };
    });
  }});
}

void build_discov(CLI::App* sub, Ctx& ctx) {
  struct O {
    std::string mode;
    int timeout = 0;
  };
  auto o = std::make_shared<O>();
  sub->add_option("mode", o->mode, "on|off|limited")->required()->check(CLI::IsMember({"on", "off", "limited", "yes", "no", "0", "1", "2"}));
  sub->add_option("timeout", o->timeout, "Seconds until discoverable ends (0 = none; required for limited)")
      ->check(CLI::Range(0, 0xFFFF));
  sub->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      SetDiscoverable cmd;
      cmd.discoverable = o->mode == "limited" || o->mode == "2" ? 2 : (*parse_on_off(o->mode) ? 1 : 0);
      cmd.timeout = static_cast<std::uint16_t>(o->timeout);
      if (cmd.discoverable == 2 && cmd.timeout == 0)
        return ctx.usage("limited discoverable needs a timeout (mgmt-api.txt Set Discoverable)");
      auto r = run(ctx, cmd);
      return print_settings(ctx, "Set Discoverable", r->current_settings);
    };
  });
}

void build_name(CLI::App* sub, Ctx& ctx) {
  struct O {
    std::string name, short_name;
  };
  auto o = std::make_shared<O>();
  sub->add_option("name", o->name, "Complete name (up to 248 octets)")->required();
  sub->add_option("shortname", o->short_name, "Short name (up to 10 octets)");
  sub->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      if (o->name.size() > 248) return ctx.usage("name is longer than 248 octets");
      if (o->short_name.size() > 10) return ctx.usage("short name is longer than 10 octets");
      SetLocalName cmd;
      cmd.name = o->name;
      cmd.short_name = o->short_name;
      auto r = run(ctx, cmd);
      if (ctx.json_output) {
        ctx.emit(json{{"index", ctx.index}, {"name", r->name}, {"short_name", r->short_name}});
      } else {
        std::cout << hci(ctx.idx()) << " Name changed to " << r->name << "\n";
      }
      return kOk;
    };
  });
}

void build_appearance(CLI::App* sub, Ctx& ctx) {
  auto v = std::make_shared<int>(0);
  sub->add_option("appearance", *v, "Appearance value 0-65535 (decimal or 0x-hex)")->required()->check(CLI::Range(0, 0xFFFF));
  sub->callback([&ctx, v] {
    ctx.action = [&ctx, v] {
      SetAppearance cmd;
      cmd.appearance = static_cast<std::uint16_t>(*v);
      run(ctx, cmd);
      if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"appearance", *v}});
      else std::cout << hci(ctx.idx()) << " Appearance set to " << hex16(static_cast<std::uint16_t>(*v)) << "\n";
      return kOk;
    };
  });
}

void build_static_addr(CLI::App* sub, Ctx& ctx) {
  auto a = std::make_shared<std::string>();
  sub->add_option("address", *a, "Static address; the two top bits must be set")->required()->check(kAddressValidator);
  sub->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      SetStaticAddress cmd;
      cmd.address = must_address(*a);
      if (!cmd.address.is_zero() && (cmd.address.b[5] & 0xC0) != 0xC0)
        return ctx.usage("a static random address has its two most significant bits set (C0:..-FF:..)");
      auto r = run(ctx, cmd);
      return print_settings(ctx, "Set Static Address", r->current_settings);
    };
  });
}

void build_io_cap(CLI::App* sub, Ctx& ctx) {
  auto a = std::make_shared<std::string>();
  sub->add_option("capability", *a, "IO capability")->required();
  sub->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      auto cap = parse_io_cap(*a);
      if (!cap) return ctx.usage("invalid IO capability '" + *a + "'");
      SetIoCapability cmd;
      cmd.io_capability = *cap;
      run(ctx, cmd);
      if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"io_capability", io_cap_name(*cap)}});
      else std::cout << hci(ctx.idx()) << " IO Capabilities successfully set to " << io_cap_name(*cap) << "\n";
      return kOk;
    };
  });
}

void build_privacy(CLI::App* sub, Ctx& ctx) {
  struct O {
    std::string mode, irk;
  };
  auto o = std::make_shared<O>();
  sub->add_option("mode", o->mode, "on|off|limited")->required()->check(CLI::IsMember({"on", "off", "limited"}));
  sub->add_option("--irk", o->irk, "Local Identity Resolving Key (16 octets as hex); random when omitted");
  sub->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      SetPrivacy cmd;
      cmd.privacy = o->mode == "off" ? 0 : o->mode == "on" ? 1 : 2;
      if (!o->irk.empty()) {
        const bytes irk = must_hex(ctx, "--irk needs 32 hex digits", o->irk);
        if (irk.size() != 16) return ctx.usage("--irk needs 32 hex digits");
        std::copy(irk.rbegin(), irk.rend(), cmd.identity_resolving_key.begin());
      } else if (cmd.privacy) {
        FILE* f = std::fopen("/dev/urandom", "rb");
        const bool ok = f && std::fread(cmd.identity_resolving_key.data(), 1, 16, f) == 16;
        if (f) std::fclose(f);
        if (!ok) {
          std::cerr << "bcms-mgmt: cannot read /dev/urandom for a random IRK (give one with --irk)\n";
          return kRefused;  // (3 is only "no management socket")
        }
      }
      auto r = run(ctx, cmd);
      return print_settings(ctx, "Set Privacy", r->current_settings);
    };
  });
}

// PHY bits (mgmt-api.txt "Get PHY Configuration Command"), btmgmt's words.
std::string phys_string(std::uint32_t v) { return bit_words(phy_names(), v); }

void build_phy(CLI::App* sub, Ctx& ctx) {
  auto list = std::make_shared<std::vector<std::string>>();
  sub->add_option("phys", *list, "PHY names to select");
  sub->callback([&ctx, list] {
    ctx.action = [&ctx, list] {
      if (!list->empty()) {
        SetPhyConfiguration cmd;
        for (auto& w : *list) {
          std::uint32_t bit = 0;
          for (const auto& n : phy_names())
            if (n.name == w) bit = 1u << n.value;
          if (!bit) return ctx.usage("unknown PHY '" + w + "'");
          cmd.selected_ph_ys |= bit;
        }
        run(ctx, cmd);
      }
      auto r = run(ctx, GetPhyConfiguration{});
      if (ctx.json_output) {
        ctx.emit(json{{"index", ctx.index}, {"supported", phys_string(r->supported_ph_ys)},
                      {"configurable", phys_string(r->configurable_ph_ys)}, {"selected", phys_string(r->selected_ph_ys)}});
      } else {
        std::cout << "Supported phys: " << phys_string(r->supported_ph_ys) << "\n"
                  << "Configurable phys: " << phys_string(r->configurable_ph_ys) << "\n"
                  << "Selected phys: " << phys_string(r->selected_ph_ys) << "\n";
      }
      return kOk;
    };
  });
}

}  // namespace

void add_setting_commands(Commands& cmds, Ctx& ctx) {
  add_toggle(cmds, ctx, "power", "Power the controller", &SetPowered::powered);
  cmds.push_back(command("discov",
                            "Set discoverable (on|off|limited) [timeout seconds]", ctx, build_discov));
  add_toggle(cmds, ctx, "connectable", "Set connectable", &SetConnectable::connectable);
  add_toggle(cmds, ctx, "fast-conn", "Set fast connectable (BR/EDR)", &SetFastConnectable::enable);
  add_toggle(cmds, ctx, "bondable", "Set bondable (store keys when pairing)", &SetBondable::bondable);
  add_toggle(cmds, ctx, "le", "Enable Low Energy", &SetLowEnergy::low_energy);
  add_toggle(cmds, ctx, "bredr", "Enable BR/EDR", &SetBrEdr::br_edr);
  add_toggle(cmds, ctx, "advertising", "Set the kernel's own advertising", &SetAdvertising::advertising,
             {{"connectable", 2}});
  add_toggle(cmds, ctx, "linksec", "Set BR/EDR link level security", &SetLinkSecurity::link_security);
  add_toggle(cmds, ctx, "ssp", "Set Secure Simple Pairing", &SetSecureSimplePairing::secure_simple_pairing);
  add_toggle(cmds, ctx, "sc", "Set Secure Connections", &SetSecureConnections::secure_connections, {{"only", 2}});
  add_toggle(cmds, ctx, "debug-keys", "Set debug keys", &SetDebugKeys::debug_keys, {{"generate", 2}});
  cmds.push_back(command("privacy",
                            "Set LE privacy (on|off|limited) [--irk 32 hex digits]", ctx, build_privacy));
  cmds.push_back(command("name",
                            "Set the local name <name> [shortname]", ctx, build_name));
  cmds.push_back(command("appearance",
                            "Set the GAP appearance <value> (e.g. 0x0341 heart rate belt)", ctx, build_appearance));
  cmds.push_back(command("static-addr",
                            "Set the LE static random address <address> (00:00:00:00:00:00 clears)", ctx, build_static_addr));
  cmds.push_back(command("io-cap",
                            "Set the IO capability <cap>: DisplayOnly, DisplayYesNo, KeyboardOnly, NoInputNoOutput, KeyboardDisplay (or 0-4)", ctx, build_io_cap));
  cmds.push_back(command("phy",
                            "Get, or set with a list of PHYs (e.g. LE1MTX LE1MRX LE2MTX LE2MRX), the PHY configuration", ctx, build_phy));
}

}  // namespace bcms::cli
