// bcms-mgmt: keys, ltks, irks (load key lists into the kernel), and
// add-device, del-device, clr-devices.
//
// Key files are the JSON lines that `bcms-mgmt --json pair` and
// `bcms-mgmt --json agent` print for New Long Term Key / New Identity
// Resolving Key / New Link Key events; without --file the list is empty,
// which clears the kernel's keys (as btmgmt's keys/ltks/irks do).
#include <fstream>
#include <iostream>

#include "cli/mgmt/common.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

std::vector<json> read_key_file(Ctx& ctx, const std::string& path, std::string_view event) {
  std::vector<json> out;
  if (path.empty()) return out;
  std::ifstream in(path);
  if (!in) throw ExitError{ctx.usage("cannot read key file '" + path + "'")};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded()) throw ExitError{ctx.usage(path + ":" + std::to_string(n) + ": not JSON")};
    if (j.value("event", "") == event) out.push_back(std::move(j));
  }
  return out;
}

std::array<std::uint8_t, 16> key_value(Ctx& ctx, const json& j) {
  std::array<std::uint8_t, 16> v{};
  const std::string h = j.value("value", "");
  if (h.size() != 32) throw ExitError{ctx.usage("key value must be 32 hex digits")};
  for (std::size_t i = 0; i < 16; ++i) v[i] = static_cast<std::uint8_t>(std::stoul(h.substr(i * 2, 2), nullptr, 16));
  return v;
}

Address key_address(Ctx& ctx, const json& j) {
  auto a = Address::parse(j.value("address", ""));
  if (!a) throw ExitError{ctx.usage("invalid address in key file")};
  return *a;
}

int done(Ctx& ctx, std::string_view what, std::size_t n) {
  if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"command", what}, {"keys", n}});
  else std::cout << hci(ctx.idx()) << " " << what << ": " << n << " keys loaded\n";
  return kOk;
}

struct DevOpts {
  std::string address, type = "le_public";
  int action = 2;
};

}  // namespace

void add_key_commands(CLI::App& app, Ctx& ctx) {
  auto lk = std::make_shared<std::string>();
  auto* keys = app.add_subcommand("keys", "Load BR/EDR link keys (from --file, or none: clears them)");
  keys->add_option("-f,--file", *lk, "JSON lines with New Link Key events");
  keys->callback([&ctx, lk] {
    ctx.action = [&ctx, lk] {
      LoadLinkKeys c;
      for (auto& j : read_key_file(ctx, *lk, "New Link Key")) {
        LoadLinkKeys::Key k;
        k.address = key_address(ctx, j);
        k.address_type = AddressType::bredr;
        k.key_type = j.value("key_type", 0);
        k.value = key_value(ctx, j);
        k.pin_length = j.value("pin_length", 0);
        c.keys.push_back(k);
      }
      run(ctx, c);
      return done(ctx, "Load Link Keys", c.keys.size());
    };
  });

  auto lt = std::make_shared<std::string>();
  auto* ltks = app.add_subcommand("ltks", "Load LE Long Term Keys (from --file, or none: clears them)");
  ltks->add_option("-f,--file", *lt, "JSON lines with New Long Term Key events");
  ltks->callback([&ctx, lt] {
    ctx.action = [&ctx, lt] {
      LoadLongTermKeys c;
      for (auto& j : read_key_file(ctx, *lt, "New Long Term Key")) {
        LoadLongTermKeys::Key k;
        k.address = key_address(ctx, j);
        k.address_type = *parse_address_type(j.value("address_type", "le_public"));
        k.key_type = j.value("key_type", 0);
        k.central = j.value("central", 0);
        k.encryption_size = j.value("encryption_size", 16);
        k.encryption_diversifier = j.value("ediv", 0);
        k.random_number = j.value("rand", std::uint64_t{0});
        k.value = key_value(ctx, j);
        c.keys.push_back(k);
      }
      run(ctx, c);
      return done(ctx, "Load Long Term Keys", c.keys.size());
    };
  });

  auto ik = std::make_shared<std::string>();
  auto* irks = app.add_subcommand("irks", "Load Identity Resolving Keys (from --file, or none: clears them)");
  irks->add_option("-f,--file", *ik, "JSON lines with New Identity Resolving Key events");
  irks->callback([&ctx, ik] {
    ctx.action = [&ctx, ik] {
      LoadIdentityResolvingKeys c;
      for (auto& j : read_key_file(ctx, *ik, "New Identity Resolving Key")) {
        LoadIdentityResolvingKeys::Key k;
        k.address = key_address(ctx, j);
        k.address_type = *parse_address_type(j.value("address_type", "le_public"));
        k.value = key_value(ctx, j);
        c.keys.push_back(k);
      }
      run(ctx, c);
      return done(ctx, "Load Identity Resolving Keys", c.keys.size());
    };
  });
}

void add_device_commands(CLI::App& app, Ctx& ctx) {
  auto a = std::make_shared<DevOpts>();
  auto* add = app.add_subcommand("add-device", "Add a device to the kernel's accept list / auto-connect list");
  add->add_option("address", a->address, "Device address")->required()->check(kAddressValidator);
  add->add_option("-t,--type", a->type, "Address type: public (default), random, bredr");
  add->add_option("-a,--action", a->action,
                  "0 background scan (report), 1 allow incoming connection, 2 auto-connect (default)")
      ->check(CLI::Range(0, 2));
  add->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      AddDevice c;
      c.address = must_address(a->address);
      c.address_type = must_address_type(ctx, a->type);
      c.action = static_cast<std::uint8_t>(a->action);
      auto r = run(ctx, c);
      if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"added", r->address.to_string()}, {"action", a->action}});
      else std::cout << "Device " << r->address.to_string() << " added\n";
      return kOk;
    };
  });

  auto d = std::make_shared<DevOpts>();
  auto* del = app.add_subcommand("del-device", "Remove a device from the kernel's device list");
  del->add_option("address", d->address, "Device address")->required()->check(kAddressValidator);
  del->add_option("-t,--type", d->type, "Address type: public (default), random, bredr");
  del->callback([&ctx, d] {
    ctx.action = [&ctx, d] {
      RemoveDevice c;
      c.address = must_address(d->address);
      c.address_type = must_address_type(ctx, d->type);
      auto r = run(ctx, c);
      if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"removed", r->address.to_string()}});
      else std::cout << "Device " << r->address.to_string() << " removed\n";
      return kOk;
    };
  });

  app.add_subcommand("clr-devices", "Remove every device from the kernel's device list")->callback([&ctx] {
    ctx.action = [&ctx] {
      RemoveDevice c;  // 00:00:00:00:00:00, type 0 = all (mgmt-api.txt Remove Device)
      run(ctx, c);
      if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"cleared", true}});
      else std::cout << "Devices cleared\n";
      return kOk;
    };
  });
}

}  // namespace bcms::cli
