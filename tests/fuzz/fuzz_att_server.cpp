// libFuzzer: arbitrary PDU sequences into GattServer::handle() over a
// realistic database (GAP, GATT, Heart Rate, Battery, a vendor service
// with every permission kind; tests/engine/gatt_fixture.hpp).  The input
// is split into PDUs by a length prefix so that procedures spanning
// several requests (MTU exchange, prepare/execute, CCCD then read) are
// reached; the first octet picks the link's security level.
#include <cstddef>
#include <cstdint>

#include "src/att/signing.hpp"
#include "tests/engine/gatt_test_db.hpp"

using namespace bcms::att;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  test::Hooks hooks;
  GattDb db;
  test::build_test_db(db, hooks);
  GattServer server(db, ServerOptions{max_mtu, 8, 600});
  server.set_authorizer([](const ConnState&, std::uint16_t h, Access) { return h % 2 == 0; });
  StaticLinkSecurity security(static_cast<SecurityLevel>(data[0] % 5), static_cast<std::uint8_t>(7 + data[0] % 10));
  ConnState conn;
  conn.security = &security;
  if (data[0] & 0x80) conn.peer_csrk = bcms::Key128{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  server.connect(conn);
  std::size_t i = 1;
  while (i < size) {
    std::size_t n = data[i++];
    if (n > size - i) n = size - i;
    bcms::bytes rsp = server.handle(bcms::byte_span(data + i, n), conn);
    // Every answer must itself be a well-formed PDU within ATT_MTU.
    if (!rsp.empty()) {
      if (rsp.size() > conn.mtu) __builtin_trap();
      if (!decode(rsp)) __builtin_trap();
    }
    i += n;
    // Answer a pending asynchronous read now and then.
    if (!hooks.pending_reads.empty() && (n & 1)) {
      auto done = std::move(hooks.pending_reads.back().first);
      hooks.pending_reads.pop_back();
      done(bcms::bytes(n, 0x5A));
    }
  }
  server.disconnect(conn);
  return 0;
}
