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
#include "protocol/codec_error.hpp"

namespace bcms::cli {
namespace {

using namespace bcms::mgmt;

// One key event read from a key file, with where it came from for messages.
struct KeyLine {
  std::string where;  // "file:line"
  json j;
};

std::vector<KeyLine> read_key_file(Ctx& ctx, const std::string& path, std::string_view event) {
  std::vector<KeyLine> out;
  if (path.empty()) return out;
  std::ifstream in(path);
  if (!in) throw ExitError{ctx.usage("cannot read key file '" + path + "'")};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = json::parse(line, nullptr, false);
    const std::string where = path + ":" + std::to_string(n);
    if (j.is_discarded()) throw ExitError{ctx.usage(where + ": not JSON")};
    if (!j.is_object()) continue;  // other --json output (e.g. a result line)
    auto ev = j.find("event");
    if (ev != j.end() && ev->is_string() && ev->get<std::string>() == event) out.push_back({where, std::move(j)});
  }
  return out;
}

// Field readers: a key file is user input, so a missing or mistyped field
// is a usage error naming the line, never an exception from the JSON
// library (which would abort the process).
std::uint64_t key_uint(Ctx& ctx, const KeyLine& k, const char* field, std::uint64_t def, std::uint64_t max) {
  auto it = k.j.find(field);
  if (it == k.j.end()) return def;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max)
    throw ExitError{ctx.usage(k.where + ": '" + field + "' must be a number from 0 to " + std::to_string(max))};
  return it->get<std::uint64_t>();
}

std::string key_string(Ctx& ctx, const KeyLine& k, const char* field) {
  auto it = k.j.find(field);
  if (it == k.j.end() || !it->is_string()) throw ExitError{ctx.usage(k.where + ": '" + field + "' missing or not a string")};
  return it->get<std::string>();
}

std::array<std::uint8_t, 16> key_value(Ctx& ctx, const KeyLine& k) {
  std::array<std::uint8_t, 16> v{};
  const std::string what = k.where + ": key value must be 16 octets in hex";
  const bytes b = must_hex(ctx, what, key_string(ctx, k, "value"));
  if (b.size() != v.size()) throw ExitError{ctx.usage(what + " (" + std::to_string(b.size()) + " given)")};
  std::copy(b.begin(), b.end(), v.begin());
  return v;
}

Address key_address(Ctx& ctx, const KeyLine& k) {
  auto a = Address::parse(key_string(ctx, k, "address"));
  if (!a) throw ExitError{ctx.usage(k.where + ": invalid address")};
  return *a;
}

AddressType key_address_type(Ctx& ctx, const KeyLine& k) {
  auto it = k.j.find("address_type");
  if (it == k.j.end()) return AddressType::le_public;
  auto t = it->is_string() ? parse_address_type(it->get<std::string>()) : fail(codec_errc::invalid_value);
  if (!t) throw ExitError{ctx.usage(k.where + ": address_type must be le_public, le_random or bredr")};
  return *t;
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

void add_key_commands(Commands& cmds, Ctx& ctx) {
  cmds.push_back({"keys", "Load BR/EDR link keys (from --file, or none: clears them)", [&ctx](CLI::App* keys) {
    auto lk = std::make_shared<std::string>();
    keys->add_option("-f,--file", *lk, "JSON lines with New Link Key events");
    keys->callback([&ctx, lk] {
      ctx.action = [&ctx, lk] {
        LoadLinkKeys c;
        for (auto& j : read_key_file(ctx, *lk, "New Link Key")) {
          LoadLinkKeys::Key k;
          k.address = key_address(ctx, j);
          k.address_type = AddressType::bredr;
          k.key_type = static_cast<std::uint8_t>(key_uint(ctx, j, "key_type", 0, 0xFF));
          k.value = key_value(ctx, j);
          k.pin_length = static_cast<std::uint8_t>(key_uint(ctx, j, "pin_length", 0, 16));
          c.keys.push_back(k);
        }
        run(ctx, c);
        return done(ctx, "Load Link Keys", c.keys.size());
      };
    });
  }});

  cmds.push_back({"ltks", "Load LE Long Term Keys (from --file, or none: clears them)", [&ctx](CLI::App* ltks) {
    auto lt = std::make_shared<std::string>();
    ltks->add_option("-f,--file", *lt, "JSON lines with New Long Term Key events");
    ltks->callback([&ctx, lt] {
      ctx.action = [&ctx, lt] {
        LoadLongTermKeys c;
        for (auto& j : read_key_file(ctx, *lt, "New Long Term Key")) {
          LoadLongTermKeys::Key k;
          k.address = key_address(ctx, j);
          k.address_type = key_address_type(ctx, j);
          k.key_type = static_cast<std::uint8_t>(key_uint(ctx, j, "key_type", 0, 0xFF));
          k.central = static_cast<std::uint8_t>(key_uint(ctx, j, "central", 0, 1));
          k.encryption_size = static_cast<std::uint8_t>(key_uint(ctx, j, "encryption_size", 16, 0xFF));
          k.encryption_diversifier = static_cast<std::uint16_t>(key_uint(ctx, j, "ediv", 0, 0xFFFF));
          k.random_number = key_uint(ctx, j, "rand", 0, UINT64_MAX);
          k.value = key_value(ctx, j);
          c.keys.push_back(k);
        }
        run(ctx, c);
        return done(ctx, "Load Long Term Keys", c.keys.size());
      };
    });
  }});

  cmds.push_back({"irks", "Load Identity Resolving Keys (from --file, or none: clears them)", [&ctx](CLI::App* irks) {
    auto ik = std::make_shared<std::string>();
    irks->add_option("-f,--file", *ik, "JSON lines with New Identity Resolving Key events");
    irks->callback([&ctx, ik] {
      ctx.action = [&ctx, ik] {
        LoadIdentityResolvingKeys c;
        for (auto& j : read_key_file(ctx, *ik, "New Identity Resolving Key")) {
          LoadIdentityResolvingKeys::Key k;
          k.address = key_address(ctx, j);
          k.address_type = key_address_type(ctx, j);
          k.value = key_value(ctx, j);
          c.keys.push_back(k);
        }
        run(ctx, c);
        return done(ctx, "Load Identity Resolving Keys", c.keys.size());
      };
    });
  }});
}

void add_device_commands(Commands& cmds, Ctx& ctx) {
  cmds.push_back({"add-device", "Add a device to the kernel's accept list / auto-connect list", [&ctx](CLI::App* add) {
    auto a = std::make_shared<DevOpts>();
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
  }});

  cmds.push_back({"del-device", "Remove a device from the kernel's device list", [&ctx](CLI::App* del) {
    auto d = std::make_shared<DevOpts>();
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
  }});

  cmds.push_back({"clr-devices", "Remove every device from the kernel's device list", [&ctx](CLI::App* sub) {
    sub->callback([&ctx] {
      ctx.action = [&ctx] {
        RemoveDevice c;  // 00:00:00:00:00:00, type 0 = all (mgmt-api.txt Remove Device)
        run(ctx, c);
        if (ctx.json_output) ctx.emit(json{{"index", ctx.index}, {"cleared", true}});
        else std::cout << "Devices cleared\n";
        return kOk;
      };
    });
  }});
}

}  // namespace bcms::cli
