// Helpers shared by the bcms-mgmt command modules.
#pragma once

#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/mgmt/context.hpp"
#include "gen/mgmt_types.hpp"
#include "protocol/ad/ad.hpp"
#include "protocol/address.hpp"
#include "protocol/hex.hpp"  // hex_bytes, hex16, parse_hex: the one hex codec
#include "protocol/mgmt_tables/names.hpp"

namespace bcms::cli {

/// "hci0"
std::string hci(std::uint16_t index);

/// Sends a typed command on ctx's index and returns the reply or throws
/// ExitError after printing "<Name> failed: <status>".
template <class Cmd>
mgmt::Owned<typename Cmd::Reply> run(Ctx& ctx, const Cmd& cmd, std::chrono::milliseconds def = std::chrono::seconds(5),
                                     std::uint16_t index = 0xFFFE) {
  auto r = ctx.mgmt().command(cmd, index == 0xFFFE ? ctx.idx() : index, ctx.timeout(def));
  if (!r) throw ExitError{ctx.failed(mgmt::opcode_name(static_cast<std::uint16_t>(Cmd::opcode)), r.error())};
  return std::move(*r);
}

/// Prints "hci0 <Name> complete, settings: powered le ..." (or JSON) for a
/// command answered with Current_Settings.
int print_settings(Ctx& ctx, std::string_view command, std::uint32_t settings);

/// btmgmt's names for address types: "BR/EDR", "LE Public", "LE Random".
std::string_view addr_type_text(AddressType t);

/// Parses an address argument (already validated by kAddressValidator).
Address must_address(const std::string& s);

/// Parses a hex argument (parse_hex's rules, protocol/hex.hpp); throws
/// ExitError(kUsage) with "<what> (<why and where>)" otherwise.
bytes must_hex(Ctx& ctx, std::string_view what, std::string_view text);

/// Parses an address type option ("public", "random", "bredr", 0-2); throws
/// ExitError(kUsage) with a message otherwise.
AddressType must_address_type(Ctx& ctx, const std::string& s);

/// The AD/EIR data decoded as text lines / JSON.
void print_ad(byte_span data, const std::string& indent);
json ad_json(byte_span data);

/// IO capability names (mgmt-api.txt "Set IO Capability Command").
expected<std::uint8_t> parse_io_cap(std::string_view s);
std::string_view io_cap_name(std::uint8_t cap);

}  // namespace bcms::cli
