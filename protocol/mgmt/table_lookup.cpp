// Lookups over the generated mgmt tables (gen/mgmt_table.cpp,
// gen/mgmt_names.cpp; see protocol/mgmt_tables/table_data.hpp).
#include <string>

#include "protocol/mgmt_tables/table_data.hpp"

namespace bcms::mgmt {

namespace {

bool same_name(std::string_view a, std::string_view b) noexcept {
  // case-insensitive; ' ', '_' and '-' are equal
  if (a.size() != b.size()) return false;
  auto norm = [](char c) {
    if (c == '_' || c == '-') return ' ';
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  };
  for (std::size_t i = 0; i < a.size(); ++i)
    if (norm(a[i]) != norm(b[i])) return false;
  return true;
}

std::string_view lookup(std::span<const NamedValue32> t, std::uint32_t v) noexcept {
  for (const auto& e : t)
    if (e.value == v) return e.name;
  return {};
}

}  // namespace

std::span<const CommandInfo> commands() noexcept { return data::commands; }
std::span<const EventInfo> events() noexcept { return data::events; }

const CommandInfo* find_command(std::uint16_t opcode) noexcept {
  // Codes are dense from 0x0001; fall back to a scan if they ever are not.
  const auto& t = data::commands;
  if (opcode >= 1 && opcode <= t.size() && static_cast<std::uint16_t>(t[opcode - 1].opcode) == opcode)
    return &t[opcode - 1];
  for (const auto& c : t)
    if (static_cast<std::uint16_t>(c.opcode) == opcode) return &c;
  return nullptr;
}

const EventInfo* find_event(std::uint16_t code) noexcept {
  const auto& t = data::events;
  if (code >= 1 && code <= t.size() && static_cast<std::uint16_t>(t[code - 1].code) == code) return &t[code - 1];
  for (const auto& e : t)
    if (static_cast<std::uint16_t>(e.code) == code) return &e;
  return nullptr;
}

const CommandInfo* find_command(std::string_view name) noexcept {
  for (const auto& c : data::commands)
    if (same_name(c.name, name)) return &c;
  return nullptr;
}

const EventInfo* find_event(std::string_view name) noexcept {
  for (const auto& e : data::events)
    if (same_name(e.name, name)) return &e;
  return nullptr;
}

std::string_view status_name(Status s) noexcept { return lookup(data::status_names, static_cast<std::uint32_t>(s)); }
std::string_view opcode_name(std::uint16_t opcode) noexcept { return lookup(data::opcode_names, opcode); }
std::string_view event_name(std::uint16_t code) noexcept { return lookup(data::event_names, code); }
std::span<const NamedValue32> setting_names() noexcept { return data::setting_words; }
std::span<const NamedValue32> setting_descriptions() noexcept { return data::setting_descriptions; }
std::span<const NamedValue32> adv_flag_names() noexcept { return data::adv_flag_words; }
std::span<const NamedValue32> phy_names() noexcept { return data::phy_words; }

std::string settings_string(std::uint32_t settings) {
  std::string out;
  for (std::uint32_t b = 0; b < 32; ++b) {
    if (!(settings & (1u << b))) continue;
    if (!out.empty()) out += ' ';
    const auto w = lookup(data::setting_words, b);
    out += w.empty() ? "bit" + std::to_string(b) : std::string(w);
  }
  return out;
}

std::string bit_words(std::span<const NamedValue32> names, std::uint32_t bits) {
  std::string out;
  for (const auto& n : names)
    if (n.value < 32 && (bits & (1u << n.value))) {
      out += n.name;
      out += ' ';
    }
  return out;
}

std::span<const ValueTable> value_tables() noexcept { return data::value_tables; }

const ValueTable* find_value_table(bool event, std::uint16_t code, std::string_view param) noexcept {
  for (const auto& t : data::value_tables)
    if (t.event == event && t.code == code && t.param == param) return &t;
  return nullptr;
}

std::string_view value_name(const ValueTable& t, std::uint32_t value) noexcept { return lookup(t.entries, value); }

}  // namespace bcms::mgmt
