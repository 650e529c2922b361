// A client of the ORIGINAL BCMS schema (tests/rpc/original_bcms.capnp),
// with Cap'n Proto's own event loop and network (kj::setupAsyncIo through
// EzRpcClient): nothing of rpc/ is linked.  The compatibility test
// (tests/engine/rpc_server_test.cpp) runs it against our server.
//
//   original_client HOST:PORT CALL...
// CALL: list | list-approved | approve=ADDR | remove=ADDR | mode |
//       setMode=any|approved | pair=ADDR | unpair=ADDR | isPaired=ADDR
// Prints one line per call:
//   list      <address>/<name>/<approved 0|1>/<paired 0|1> ...  errors: <e>|<e>
//   mode      <any|approved>
//   otherwise <status 0|1> errors: <e>|<e>
// Exit 0 when every call was answered (whatever the answers), 1 otherwise.
#include <capnp/ez-rpc.h>

#include <iostream>
#include <string>

#include "tests/rpc/original_bcms.capnp.h"

namespace {

std::string join(capnp::List<capnp::Text>::Reader errors) {
  std::string out;
  for (auto e : errors) out += (out.empty() ? "" : "|") + std::string(e.cStr());
  return out;
}

template <class R>
void print_status(const std::string& call, R r) {
  std::cout << call << " " << (r.getStatus() ? 1 : 0) << " errors: " << join(r.getErrors()) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: original_client HOST:PORT CALL...\n";
    return 2;
  }
  try {
    capnp::EzRpcClient client(argv[1]);
    auto& ws = client.getWaitScope();
    BCMS::Client bcms = client.getMain<BCMS>();
    for (int i = 2; i < argc; ++i) {
      std::string call = argv[i], arg;
      if (auto eq = call.find('='); eq != std::string::npos) arg = call.substr(eq + 1), call.resize(eq);
      if (call == "list" || call == "list-approved") {
        auto req = bcms.listRequest();
        req.setOnlyApproved(call == "list-approved");
        auto r = req.send().wait(ws);
        std::cout << call;
        for (auto d : r.getDevices())
          std::cout << " " << d.getAddress().cStr() << "/" << d.getName().cStr() << "/" << d.getApproved() << "/"
                    << d.getPaired();
        std::cout << " errors: " << join(r.getErrors()) << "\n";
      } else if (call == "mode") {
        auto r = bcms.modeRequest().send().wait(ws);
        std::cout << "mode " << (r.getMode() == BCMSWorkingMode::ANY ? "any" : "approved") << "\n";
      } else if (call == "setMode") {
        auto req = bcms.setModeRequest();
        req.setMode(arg == "any" ? BCMSWorkingMode::ANY : BCMSWorkingMode::APPROVED);
        print_status(call, req.send().wait(ws));
      } else if (call == "approve") {
        auto req = bcms.approveRequest();
        req.setAddress(arg);
        print_status(call, req.send().wait(ws));
      } else if (call == "remove") {
        auto req = bcms.removeRequest();
        req.setAddress(arg);
        print_status(call, req.send().wait(ws));
      } else if (call == "pair") {
        auto req = bcms.pairRequest();
        req.setAddress(arg);
        print_status(call, req.send().wait(ws));
      } else if (call == "unpair") {
        auto req = bcms.unpairRequest();
        req.setAddress(arg);
        print_status(call, req.send().wait(ws));
      } else if (call == "isPaired") {
        auto req = bcms.isPairedRequest();
        req.setAddress(arg);
        print_status(call, req.send().wait(ws));
      } else {
        std::cerr << "unknown call " << call << "\n";
        return 2;
      }
    }
  } catch (const kj::Exception& e) {
    std::cerr << "original_client: " << e.getDescription().cStr() << "\n";
    return 1;
  }
  return 0;
}
