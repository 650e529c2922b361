// Table-driven tests over EVERY generated type:
//  - coverage: 91 commands (each with a typed struct, encoder, reply
//    decoder) and 50 events (each with a decoder in the table);
//  - round trip: random valid encodings built from the field descriptors
//    decode, re-encode to the same bytes, and decode to an equal value;
//    the generic (descriptor-driven) codec reproduces the same bytes;
//  - truncation: every strict prefix of a fixed-size message fails with
//    codec_errc::truncated, one extra octet with trailing_bytes; prefixes
//    of variable messages never crash and, when accepted, re-encode to
//    themselves.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>

#include "gen/mgmt_types.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/mgmt/dispatch.hpp"
#include "protocol/mgmt/generic.hpp"
#include "protocol/mgmt_tables/table.hpp"

using namespace bcms;
using namespace bcms::mgmt;

namespace {

struct Gen {
  std::mt19937 rng;
  bool with_optional;

  std::uint8_t byte() { return static_cast<std::uint8_t>(rng()); }

  void block(std::span<const FieldDesc> fs, bytes& out) {
    std::vector<std::size_t> n(fs.size(), 0);
    for (std::size_t i = 0; i < fs.size(); ++i) {
      if (fs[i].kind == FieldKind::list) n[i] = rng() % 4;
      if (fs[i].kind == FieldKind::data) n[i] = rng() % 40;
      if (fs[i].kind == FieldKind::tail) n[i] = fs[i].size + rng() % 12;
    }
    for (std::size_t i = 0; i < fs.size(); ++i) {
      const FieldDesc& f = fs[i];
      if (f.optional && !with_optional) break;
      switch (f.kind) {
        case FieldKind::count:
        case FieldKind::length: {
          std::size_t v = n[static_cast<std::size_t>(f.link)];
          for (std::size_t b = 0; b < f.size; ++b) out.push_back(static_cast<std::uint8_t>(v >> (8 * b)));
          break;
        }
        case FieldKind::address_type:
          out.push_back(static_cast<std::uint8_t>(rng() % 3));
          break;
        case FieldKind::string: {
          std::size_t len = rng() % f.size;  // < size: stays NUL-terminated
          for (std::size_t k = 0; k < f.size; ++k) out.push_back(k < len ? static_cast<std::uint8_t>('a' + rng() % 26) : 0);
          break;
        }
        case FieldKind::data:
        case FieldKind::tail:
          for (std::size_t k = 0; k < n[i]; ++k) out.push_back(byte());
          break;
        case FieldKind::list:
          for (std::size_t k = 0; k < n[i]; ++k) block(f.record, out);
          break;
        default:
          for (std::size_t k = 0; k < f.size; ++k) out.push_back(byte());
      }
    }
  }
};

bool fixed_block(std::span<const FieldDesc> fs) {
  for (const auto& f : fs)
    if (f.optional || f.kind == FieldKind::list || f.kind == FieldKind::data || f.kind == FieldKind::tail) return false;
  return true;
}

struct Stats {
  int types = 0;
  int round_trips = 0;
  int prefixes = 0;
};

template <class T>
void exercise(std::span<const FieldDesc> fields, std::uint16_t size, bool variable, Stats& st, std::string_view what_sv) {
  std::string what(what_sv);
  CAPTURE(what);
  ++st.types;
  CHECK(fixed_block(fields) == !variable);
  for (unsigned seed = 0; seed < 24; ++seed) {
    Gen g{std::mt19937(seed), seed % 2 == 1};
    bytes wire;
    g.block(fields, wire);
    CAPTURE(seed);
    CHECK_FALSE(check_size(wire.size(), size, variable));
    auto d = T::decode(wire);
    REQUIRE(d.has_value());
    bytes again;
    REQUIRE_FALSE(encode(*d, again));
    CHECK(again == wire);
    auto d2 = T::decode(again);
    REQUIRE(d2.has_value());
    CHECK(*d2 == *d);
    // generic codec: decode to text and back
    auto nv = decode_fields(fields, wire);
    REQUIRE(nv.has_value());
    std::vector<std::string> args;
    for (const auto& x : *nv) args.push_back(x.name + "=" + x.value);
    auto gen = encode_fields(fields, args);
    REQUIRE(gen.has_value());
    CHECK(*gen == wire);
    ++st.round_trips;
    if (seed < 4) {
      for (std::size_t n = 0; n < wire.size(); ++n) {
        byte_span p(wire.data(), n);
        auto r = T::decode(p);
        CHECK(decode_fields(fields, p).has_value() == r.has_value());
        if (!variable) {
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error() == codec_errc::truncated);
        } else if (r) {
          bytes re;
          REQUIRE_FALSE(encode(*r, re));
          CHECK(re == bytes(p.begin(), p.end()));
        }
        ++st.prefixes;
      }
      if (!variable) {
        bytes longer = wire;
        longer.push_back(0);
        CHECK(T::decode(longer).error() == codec_errc::trailing_bytes);
      }
    }
  }
}

template <std::size_t... I>
void all_commands(Stats& st, std::index_sequence<I...>) {
  auto cmds = commands();
  (exercise<std::tuple_element_t<I, CommandTypes>>(cmds[I].params, cmds[I].param_size, cmds[I].param_variable, st,
                                                   cmds[I].name),
   ...);
  (exercise<std::tuple_element_t<I, ReplyTypes>>(cmds[I].reply, cmds[I].reply_size, cmds[I].reply_variable, st,
                                                 cmds[I].name),
   ...);
}

template <std::size_t... I>
void all_events(Stats& st, std::index_sequence<I...>) {
  auto evs = events();
  (exercise<std::variant_alternative_t<I, Event>>(evs[I].params, evs[I].size, evs[I].variable, st, evs[I].name),
   ...);
}

template <std::size_t... I>
bool command_codes_match(std::index_sequence<I...>) {
  auto cmds = commands();
  return ((std::tuple_element_t<I, CommandTypes>::opcode == cmds[I].opcode &&
           std::is_same_v<typename std::tuple_element_t<I, CommandTypes>::Reply, std::tuple_element_t<I, ReplyTypes>>) &&
          ...);
}

template <std::size_t... I>
bool event_codes_match(std::index_sequence<I...>) {
  auto evs = events();
  return ((std::variant_alternative_t<I, Event>::code == evs[I].code) && ...);
}

}  // namespace

TEST_CASE("coverage: every command and event of mgmt-api.txt (BlueZ 5.82) is in the table") {
  CHECK(commands().size() == 91);
  CHECK(events().size() == 50);
  CHECK(kCommandCount == 91);
  CHECK(kEventCount == 50);
  CHECK(std::tuple_size_v<CommandTypes> == 91);
  CHECK(std::tuple_size_v<ReplyTypes> == 91);
  CHECK(std::variant_size_v<Event> == 50);
  CHECK(command_codes_match(std::make_index_sequence<std::tuple_size_v<CommandTypes>>{}));
  CHECK(event_codes_match(std::make_index_sequence<std::variant_size_v<Event>>{}));
  // dense codes 0x0001-0x005B and 0x0001-0x0032, unique names, lookups
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < commands().size(); ++i) {
    const auto& c = commands()[i];
    CHECK(static_cast<std::uint16_t>(c.opcode) == i + 1);
    CHECK(find_command(static_cast<std::uint16_t>(c.opcode)) == &c);
    CHECK(find_command(c.name) == &c);
    CHECK(names.insert(c.name).second);
  }
  for (std::size_t i = 0; i < events().size(); ++i) {
    const auto& e = events()[i];
    CHECK(static_cast<std::uint16_t>(e.code) == i + 1);
    CHECK(find_event(static_cast<std::uint16_t>(e.code)) == &e);
    CHECK(find_event(e.name) == &e);
    CHECK(static_cast<bool>(e.decode));
  }
  CHECK(find_command(0x005C) == nullptr);
  CHECK(find_event(0x0033) == nullptr);
  CHECK(find_command("set_powered") == find_command(0x0005));
  CHECK(find_command("SET-POWERED") == find_command(0x0005));
  CHECK(find_command("Send HCI command and wait for event")->opcode == Opcode::SendHciCommandAndWaitForEvent);
}

TEST_CASE("table sizes of a few well-known messages") {
  CHECK(find_command(0x0004)->reply_size == 280);
  CHECK_FALSE(find_command(0x0004)->reply_variable);
  CHECK(find_command(0x0013)->param_size == 2);
  CHECK(find_command(0x0013)->param_variable);
  CHECK(find_command(0x003E)->param_size == 11);
  CHECK(find_command(0x0020)->reply_size == 32);
  CHECK(find_command(0x0020)->reply_variable);
  CHECK(find_command(0x0049)->index == IndexKind::both);
  CHECK(find_command(0x0001)->index == IndexKind::non_controller);
  CHECK(find_event(0x0012)->size == 14);
  CHECK(find_event(0x0012)->variable);
  CHECK(find_event(0x000A)->size == 37);
  CHECK(find_event(0x0001)->index == IndexKind::both);
}

TEST_CASE("round trip, generic codec and truncation over every generated type") {
  Stats st;
  all_commands(st, std::make_index_sequence<std::tuple_size_v<CommandTypes>>{});
  all_events(st, std::make_index_sequence<std::variant_size_v<Event>>{});
  CHECK(st.types == 91 + 91 + 50);
  MESSAGE("types: " << st.types << ", round trips: " << st.round_trips << ", prefixes: " << st.prefixes);
}

TEST_CASE("every prefix of a fixed-size event fails through the dispatch table") {
  int checked = 0;
  for (const auto& e : events()) {
    if (e.variable) continue;
    Gen g{std::mt19937(7), true};
    bytes wire;
    g.block(e.params, wire);
    REQUIRE(wire.size() == e.size);
    CHECK(decode_event(static_cast<std::uint16_t>(e.code), wire).has_value());
    for (std::size_t n = 0; n < wire.size(); ++n) {
      CHECK(decode_event(static_cast<std::uint16_t>(e.code), byte_span(wire.data(), n)).error() == codec_errc::truncated);
      ++checked;
    }
  }
  CHECK(checked > 200);
}
