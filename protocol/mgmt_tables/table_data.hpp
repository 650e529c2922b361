// The data behind protocol/mgmt_tables/table.hpp and names.hpp: defined in
// gen/mgmt_table.cpp and gen/mgmt_names.cpp (scripts/mgmtgen, from
// mgmt-api.txt), used by table_lookup.cpp.  Nothing else includes this.
#pragma once

#include <span>
#include <string_view>
#include <utility>

#include "protocol/mgmt_tables/names.hpp"
#include "protocol/mgmt_tables/table.hpp"

namespace bcms::mgmt::data {

// Ordered by code.
extern const std::span<const CommandInfo> commands;
extern const std::span<const EventInfo> events;

extern const std::span<const NamedValue32> status_names;
extern const std::span<const NamedValue32> opcode_names;
extern const std::span<const NamedValue32> event_names;
// by bit number
extern const std::span<const NamedValue32> setting_descriptions;
extern const std::span<const NamedValue32> setting_words;
extern const std::span<const NamedValue32> adv_flag_words;
extern const std::span<const NamedValue32> phy_words;
extern const std::span<const ValueTable> value_tables;

/// EventInfo::decode of the event type E.
template <class E>
expected<Event> decode_as(byte_span b) {
  auto r = E::decode(b);
  if (!r) return unexpected(r.error());
  return Event{std::in_place_type<E>, std::move(*r)};
}

}  // namespace bcms::mgmt::data
