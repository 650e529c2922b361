// libFuzzer target: arbitrary octets through the mgmt receive path
// (decode_frame -> event dispatch -> Command Complete / Status parsing ->
// generic decode), and properties that must hold for any input:
//   - the typed decoder (via the table) and the generic descriptor-driven
//     decoder accept exactly the same event parameters;
//   - an accepted event re-encodes, and the re-encoding decodes to an
//     equal value.
// Seed corpus: tests/fuzz/corpus/mgmt_event/ (valid frames).
#include <cstddef>
#include <cstdint>
#include <variant>

#include "protocol/mgmt/dispatch.hpp"
#include "protocol/mgmt/frame.hpp"
#include "protocol/mgmt/generic.hpp"
#include "protocol/mgmt_tables/table.hpp"

using namespace bcms;
using namespace bcms::mgmt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_span in(data, size);
  auto f = decode_frame(in);
  if (!f) return 0;

  // as an event
  auto ev = decode_event(*f);
  if (const EventInfo* info = find_event(f->code)) {
    auto generic = decode_fields(info->params, f->params);
    if (generic.has_value() != ev.has_value()) __builtin_trap();
  }
  if (ev) {
    std::visit(
        [](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          bytes out;
          if (encode(e, out)) __builtin_trap();
          auto again = T::decode(out);
          if (!again || !(*again == e)) __builtin_trap();
        },
        *ev);
  }

  // Command Complete: the reply through the table
  if (f->code == 0x0001) {
    if (auto cc = parse_command_complete(f->params)) {
      if (const CommandInfo* c = find_command(cc->opcode)) {
        bool size_ok = !check_reply_size(*cc);
        auto nv = decode_fields(c->reply, cc->params);
        if (nv && !size_ok) __builtin_trap();  // generic accepted what the table rejects
      }
    }
  }
  if (f->code == 0x0002) (void)parse_command_status(f->params);

  // the same octets as a command's parameters (what a monitor of the
  // command direction would see)
  if (const CommandInfo* c = find_command(f->code)) (void)decode_fields(c->params, f->params);
  return 0;
}
