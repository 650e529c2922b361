// Dumps the GENERATED mgmt table as text, one line per entry, for
// tests/unit/mgmt_kernel_check.py (which compares it with the kernel's
// include/net/bluetooth/mgmt.h):
//   C <opcode> <param size> <param variable> <reply size> <reply variable> <index> <name>
//   E <code> <size> <variable> <index> <name>
//   S <status> <name>
#include <cstdio>
#include <string>

#include "protocol/mgmt_tables/names.hpp"
#include "protocol/mgmt_tables/table.hpp"

namespace {

const char* index_name(bcms::mgmt::IndexKind k) {
  switch (k) {
    case bcms::mgmt::IndexKind::controller: return "controller";
    case bcms::mgmt::IndexKind::non_controller: return "non_controller";
    case bcms::mgmt::IndexKind::both: return "both";
  }
  return "?";
}

}  // namespace

int main() {
  using namespace bcms::mgmt;
  for (const auto& c : commands())
    std::printf("C 0x%04x %u %d %u %d %s %s\n", static_cast<unsigned>(c.opcode), c.param_size, c.param_variable ? 1 : 0,
                c.reply_size, c.reply_variable ? 1 : 0, index_name(c.index), std::string(c.name).c_str());
  for (const auto& e : events())
    std::printf("E 0x%04x %u %d %s %s\n", static_cast<unsigned>(e.code), e.size, e.variable ? 1 : 0,
                index_name(e.index), std::string(e.name).c_str());
  for (unsigned s = 0; s < 256; ++s) {
    auto n = status_name(static_cast<Status>(s));
    if (!n.empty()) std::printf("S 0x%02x %s\n", s, std::string(n).c_str());
  }
  return 0;
}
